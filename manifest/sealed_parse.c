/*
 * sealed_parse.c: parsing and validating a SealedSecret document
 * (see include/sealsync/sealed.h). Nothing here needs a key; every check is
 * on what the manifest and the age headers claim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/yaml.h"
#include "sealed_int.h"

static int bad(struct ss_err *err, const struct ss_origin *o, const char *field,
	       const char *key, int code, const char *msg)
{
	ss_err_set(err, code, "%s", msg);
	ss_origin_err(err, o, field, key);
	return code;
}

/* Refuses keys of obj outside allowed (a typo must not be silently ignored). */
static int only_fields(const json_t *obj, const char *const *allowed, const char *path,
		       const struct ss_origin *o, struct ss_err *err)
{
	const char *k;
	const json_t *v;
	char field[SS_ERR_NAME_MAX];

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;
		int ok = 0;

		(void)v;
		for (i = 0; allowed[i] != NULL && !ok; i++)
			ok = strcmp(k, allowed[i]) == 0;
		if (ok)
			continue;
		snprintf(field, sizeof(field), "%s%s%.200s", path, path[0] ? "." : "", k);
		ss_err_set(err, SS_E_INVAL, "unknown field %.200s", field);
		ss_origin_err(err, o, field, NULL);
		return SS_E_INVAL;
	}
	return 0;
}

static int check_string_map(const json_t *m, const char *field, const struct ss_origin *o,
			    struct ss_err *err)
{
	const char *k;
	const json_t *v;

	if (m == NULL)
		return 0;
	if (!json_is_object(m))
		return bad(err, o, field, NULL, SS_E_INVAL, "must be a mapping");
	json_object_foreach((json_t *)m, k, v)
		if (!json_is_string(v))
			return bad(err, o, field, k, SS_E_INVAL, "value must be a string");
	return 0;
}

int sealed_check_template(const json_t *t, const struct ss_origin *o, struct ss_err *err)
{
	static const char *const tfields[] = {"type", "immutable", "metadata", NULL};
	static const char *const mfields[] = {"labels", "annotations", NULL};
	const json_t *meta, *v;
	int rc;

	if (!json_is_object(t))
		return bad(err, o, "spec.template", NULL, SS_E_INVAL, "must be a mapping");
	rc = only_fields(t, tfields, "spec.template", o, err);
	if (rc != 0)
		return rc;
	v = json_object_get(t, "type");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0))
		return bad(err, o, "spec.template.type", NULL, SS_E_INVAL,
			   "must be a non-empty string");
	v = json_object_get(t, "immutable");
	if (v != NULL && !json_is_boolean(v))
		return bad(err, o, "spec.template.immutable", NULL, SS_E_INVAL,
			   "must be true or false");
	meta = json_object_get(t, "metadata");
	if (meta == NULL)
		return 0;
	if (!json_is_object(meta))
		return bad(err, o, "spec.template.metadata", NULL, SS_E_INVAL, "must be a mapping");
	rc = only_fields(meta, mfields, "spec.template.metadata", o, err);
	if (rc == 0)
		rc = check_string_map(json_object_get(meta, "labels"),
				      "spec.template.metadata.labels", o, err);
	if (rc == 0)
		rc = check_string_map(json_object_get(meta, "annotations"),
				      "spec.template.metadata.annotations", o, err);
	return rc;
}

static int parse_kind(const json_t *doc, const struct ss_origin *o, struct ss_err *err)
{
	const char *av = json_string_value(json_object_get(doc, "apiVersion"));
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	if (!json_is_object(doc))
		return bad(err, o, NULL, NULL, SS_E_INVAL, "document is not a mapping");
	if (kind == NULL || strcmp(kind, SS_SEALED_KIND) != 0)
		return bad(err, o, "kind", NULL, SS_E_INVAL, "kind must be SealedSecret");
	if (av == NULL || strcmp(av, SS_SEALED_API_VERSION) != 0)
		return bad(err, o, "apiVersion", NULL, SS_E_INVAL,
			   "apiVersion must be " SS_SEALED_API_VERSION);
	return 0;
}

static int parse_mode(const json_t *spec, const struct ss_origin *o, enum ss_scope_mode *mode,
		      struct ss_err *err)
{
	const json_t *v = json_object_get(spec, "scope");

	*mode = SS_SCOPE_STRICT;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || ss_scope_parse_mode(json_string_value(v), mode) != 0)
		return bad(err, o, "spec.scope", NULL, SS_E_INVAL,
			   "must be strict, namespace or cluster");
	return 0;
}

/*
 * The value's stanza against the manifest: same mode as spec.scope, and the
 * place it binds as far as the manifest names it (a manifest without a
 * namespace gets it from the unit; unsealing checks that).
 */
static int check_claimed_scope(const struct ss_sealed *s, const struct sealed_item *it,
			       const struct ss_origin *o, struct ss_err *err)
{
	const struct ss_scope *sc = &it->info.scope;
	struct ss_scope want;
	int rc;

	if (!it->info.has_scope)
		return 0;
	if (sc->mode != s->mode) {
		char have[3 * SS_SCOPE_FIELD_MAX + 32];

		ss_scope_describe(sc, have, sizeof(have));
		ss_err_set(err, SS_E_SCOPE, "spec.scope is %s but the value is sealed for %s",
			   ss_scope_mode_name(s->mode), have);
		ss_origin_err(err, o, "spec.encryptedData", it->key);
		return SS_E_SCOPE;
	}
	rc = ss_scope_make(&want, s->mode, s->ns[0] ? s->ns : sc->ns, s->name, it->key, err);
	if (rc == 0)
		rc = ss_scope_check(sc, &want, err);
	if (rc != 0)
		ss_origin_err(err, o, "spec.encryptedData", it->key);
	return rc;
}

static unsigned value_line(const struct ss_origin *o, const char *key)
{
	unsigned line = 0;

	if (o != NULL && o->ds != NULL) {
		char path[SS_ERR_NAME_MAX + 32];

		snprintf(path, sizeof(path), "spec.encryptedData.%s", key);
		line = ss_docset_field_line(o->ds, o->ds_index, path);
	}
	return line != 0 ? line : o != NULL ? o->line : 0;
}

static int parse_value(struct ss_sealed *s, const char *key, const json_t *v,
		       const struct ss_origin *o, struct ss_buf *bin, struct ss_err *err)
{
	long i;
	int rc;

	if (sealed_check_key(key) != 0)
		return bad(err, o, "spec.encryptedData", key, SS_E_INVAL,
			   "not a valid Secret key ([-._a-zA-Z0-9], 1..253)");
	if (!json_is_string(v))
		return bad(err, o, "spec.encryptedData", key, SS_E_INVAL,
			   "value must be a string (base64 of an age file)");
	ss_buf_reset(bin);
	rc = ss_age_value_decode(json_string_value(v), json_string_length(v), bin, err);
	if (rc == 0)
		rc = ss_sealed_set_value(s, key, bin->data, bin->len, err);
	if (rc == SS_E_LIMIT)
		ss_err_set(err, rc, "value is larger than %u bytes", SS_SEALED_MAX_SEALED);
	else if (rc != 0)
		ss_err_prefix(err, "not a sealed value");
	if (rc != 0) {
		ss_origin_err(err, o, "spec.encryptedData", key);
		return rc;
	}
	i = sealed_find(s, key);
	s->items[i].line = value_line(o, key);
	return check_claimed_scope(s, &s->items[i], o, err);
}

static int parse_data(struct ss_sealed *s, const json_t *data, const struct ss_origin *o,
		      struct ss_err *err)
{
	struct ss_buf bin;
	const char *k;
	const json_t *v;
	int rc = 0;

	if (data == NULL || json_is_null(data))
		return bad(err, o, "spec.encryptedData", NULL, SS_E_INVAL, "is missing");
	if (!json_is_object(data))
		return bad(err, o, "spec.encryptedData", NULL, SS_E_INVAL, "must be a mapping");
	if (json_object_size(data) > SS_SEALED_MAX_KEYS)
		return bad(err, o, "spec.encryptedData", NULL, SS_E_LIMIT, "too many keys");
	ss_buf_init(&bin, SS_SEALED_MAX_SEALED);
	json_object_foreach((json_t *)data, k, v) {
		rc = parse_value(s, k, v, o, &bin, err);
		if (rc != 0)
			break;
	}
	ss_buf_release(&bin);
	return rc;
}

static int parse_spec(struct ss_sealed *s, const json_t *spec, const struct ss_origin *o,
		      struct ss_err *err)
{
	static const char *const fields[] = {"scope", "encryptedData", "template", NULL};
	const json_t *t;
	int rc;

	if (spec == NULL || json_is_null(spec))
		return bad(err, o, "spec", NULL, SS_E_INVAL, "is missing");
	if (!json_is_object(spec))
		return bad(err, o, "spec", NULL, SS_E_INVAL, "must be a mapping");
	rc = only_fields(spec, fields, "spec", o, err);
	if (rc == 0)
		rc = parse_mode(spec, o, &s->mode, err);
	t = json_object_get(spec, "template");
	if (rc == 0 && t != NULL && !json_is_null(t)) {
		rc = sealed_check_template(t, o, err);
		if (rc == 0)
			rc = ss_sealed_set_template(s, t, err);
	}
	if (rc == 0)
		rc = parse_data(s, json_object_get(spec, "encryptedData"), o, err);
	return rc;
}

int ss_sealed_parse(const json_t *doc, const struct ss_origin *o, struct ss_sealed **out,
		    struct ss_err *err)
{
	static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	struct ss_sealed *s = NULL;
	struct ss_objid id;
	int rc;

	*out = NULL;
	rc = parse_kind(doc, o, err);
	if (rc == 0)
		rc = ss_object_identity(doc, o, &id, err);
	if (rc == 0)
		rc = only_fields(doc, top, "", o, err);
	if (rc == 0)
		rc = ss_sealed_new(id.name, id.ns, SS_SCOPE_STRICT, &s, err);
	if (rc != 0)
		goto out;
	s->doc = o != NULL ? o->doc : -1;
	s->line = o != NULL ? o->line : 0;
	if (o != NULL && o->file != NULL && (s->file = strdup(o->file)) == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = parse_spec(s, json_object_get(doc, "spec"), o, err);
	if (rc != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	ss_sealed_free(s);
	return rc;
}
