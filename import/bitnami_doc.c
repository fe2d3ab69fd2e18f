/*
 * bitnami_doc.c: a Bitnami SealedSecret document in, struct ss_bitnami out
 * (see include/sealsync/bitnami.h). Only public data is handled here: the
 * ciphertexts, and the clear-text spec.template.data literals that were
 * already in Git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealsync/bitnami.h"
#include "sealsync/buf.h"
#include "sealsync/yaml.h"

static int bad(struct ss_err *err, const struct ss_origin *o, const char *field,
	       const char *key, int code, const char *msg)
{
	ss_err_set(err, code, "%s", msg);
	ss_origin_err(err, o, field, key);
	return code;
}

int ss_bitnami_is(const json_t *doc)
{
	const char *av = json_string_value(json_object_get(doc, "apiVersion"));
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	return av != NULL && kind != NULL && strcmp(av, SS_BITNAMI_API_VERSION) == 0 &&
	       strcmp(kind, "SealedSecret") == 0;
}

void ss_bitnami_free(struct ss_bitnami *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->items[i].ct);
	free(b->items);
	json_decref(b->secret);
	free(b);
}

void ss_bitnami_label(const struct ss_bitnami *b, enum ss_scope_mode mode, char *buf, size_t len)
{
	if (mode == SS_SCOPE_CLUSTER)
		snprintf(buf, len, "%s", "");
	else if (mode == SS_SCOPE_NAMESPACE)
		snprintf(buf, len, "%s", b->ns);
	else
		snprintf(buf, len, "%s/%s", b->ns, b->name);
}

int ss_bitnami_split(const unsigned char *ct, size_t len, size_t *rsa_len, struct ss_err *err)
{
	size_t l;

	*rsa_len = 0;
	if (len < 2)
		return ss_err_set(err, SS_E_INVAL, "value is too short for Bitnami's format");
	l = (size_t)ct[0] << 8 | ct[1];
	/* 16: the AES-GCM tag; an empty plaintext still has one. */
	if (l == 0 || len - 2 < l || len - 2 - l < 16)
		return ss_err_set(err, SS_E_INVAL, "value is shorter than its framing says "
				  "(not Bitnami's format, or cut)");
	*rsa_len = l;
	return 0;
}

/* Their controller reads these as "true" only; anything else is strict. */
static enum ss_scope_mode their_scope(const json_t *meta)
{
	const json_t *anno = json_object_get(meta, "annotations");
	const char *cw = json_string_value(json_object_get(anno, SS_BITNAMI_ANNO_PREFIX "cluster-wide"));
	const char *nw = json_string_value(json_object_get(anno, SS_BITNAMI_ANNO_PREFIX "namespace-wide"));

	if (cw != NULL && strcmp(cw, "true") == 0)
		return SS_SCOPE_CLUSTER;
	if (nw != NULL && strcmp(nw, "true") == 0)
		return SS_SCOPE_NAMESPACE;
	return SS_SCOPE_STRICT;
}

/* 1 when k is a valid Secret data key: 1..253 of [-._a-zA-Z0-9]. */
static int good_key(const char *k)
{
	size_t n = strlen(k);

	return n > 0 && n <= SS_SCOPE_FIELD_MAX &&
	       strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") == n;
}

static int add_item(struct ss_bitnami *b, const char *key, const unsigned char *v, size_t len,
		    int literal)
{
	struct ss_bitnami_item *it;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->items[i].key, key) == 0)
			return SS_E_DUP;
	if (b->n >= SS_BITNAMI_MAX_ITEMS)
		return SS_E_LIMIT;
	it = &b->items[b->n];
	it->ct = malloc(len > 0 ? len : 1);
	if (it->ct == NULL)
		return SS_E_NOMEM;
	memcpy(it->ct, v, len);
	it->len = len;
	it->literal = literal;
	snprintf(it->key, sizeof(it->key), "%s", key);
	b->n++;
	return 0;
}

/* The line of field.key in o's document, for errors that come later. */
static void item_line(struct ss_bitnami *b, const struct ss_origin *o, const char *field,
		      const char *key)
{
	char path[SS_ERR_NAME_MAX * 2];
	unsigned l = 0;

	snprintf(path, sizeof(path), "%s.%s", field, key);
	if (o->ds != NULL)
		l = ss_docset_field_line(o->ds, o->ds_index, path);
	b->items[b->n - 1].line = l != 0 ? l : o->line;
}

static int item_err(struct ss_err *err, const struct ss_origin *o, const char *field,
		    const char *key, int rc)
{
	if (rc == SS_E_DUP)
		return bad(err, o, field, key, rc, "key is given twice");
	if (rc == SS_E_LIMIT)
		return bad(err, o, field, key, rc, "too many keys");
	return bad(err, o, field, key, SS_E_NOMEM, "out of memory");
}

/* spec.encryptedData: key -> standard base64 of one value. */
static int parse_encrypted(struct ss_bitnami *b, const json_t *m, const struct ss_origin *o,
			   struct ss_err *err)
{
	const char *f = "spec.encryptedData", *k;
	struct ss_buf raw;
	size_t rl;
	json_t *v;
	int rc = 0;

	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return bad(err, o, f, NULL, SS_E_INVAL, "must be a mapping");
	ss_buf_init(&raw, 4u << 20);
	json_object_foreach((json_t *)m, k, v) {
		ss_buf_reset(&raw);
		if (!good_key(k))
			rc = bad(err, o, f, k, SS_E_INVAL, "not a valid Secret key");
		else if (!json_is_string(v))
			rc = bad(err, o, f, k, SS_E_INVAL, "value must be a string");
		else if ((rc = ss_base64_decode(json_string_value(v), json_string_length(v), &raw, err)) != 0)
			ss_origin_err(err, o, f, k);
		else if ((rc = ss_bitnami_split(raw.data, raw.len, &rl, err)) != 0)
			ss_origin_err(err, o, f, k);
		else if ((rc = add_item(b, k, raw.data, raw.len, 0)) != 0)
			rc = item_err(err, o, f, k, rc);
		if (rc != 0)
			break;
		item_line(b, o, f, k);
	}
	ss_buf_release(&raw);
	return rc;
}

/*
 * spec.template.data: their controller runs each entry as a Go template
 * over the opened values. A literal (no "{{") renders to itself and is
 * kept; anything else is refused by name rather than guessed at.
 */
static int parse_template_data(struct ss_bitnami *b, const json_t *m, const struct ss_origin *o,
			       struct ss_err *err)
{
	const char *f = "spec.template.data", *k, *s;
	json_t *v;
	int rc;

	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return bad(err, o, f, NULL, SS_E_INVAL, "must be a mapping");
	json_object_foreach((json_t *)m, k, v) {
		if (!good_key(k))
			return bad(err, o, f, k, SS_E_INVAL, "not a valid Secret key");
		s = json_string_value(v);
		if (s == NULL || strstr(s, "{{") != NULL)
			return bad(err, o, f, k, SS_E_UNSUPPORTED,
				   "a Go template (or null) that Bitnami's controller renders; "
				   "sealsync has no templates: put the rendered value in the "
				   "Secret and seal it with sealctl seal --merge-into");
		rc = add_item(b, k, (const unsigned char *)s, json_string_length(v), 1);
		if (rc != 0)
			return item_err(err, o, f, k, rc);
		item_line(b, o, f, k);
	}
	return 0;
}

/*
 * labels or annotations of their template, without theirs
 * (sealedsecrets.bitnami.com/...: scope and controller switches that mean
 * nothing to sealsync), into meta. Non-string values are left for
 * ss_sealed_from_secret's template check to name.
 */
static int copy_map(json_t *meta, const json_t *tmeta, const char *field)
{
	const json_t *src = json_object_get(tmeta, field);
	json_t *m, *v;
	const char *k;
	void *tmp;
	int rc;

	if (src == NULL || json_is_null(src))
		return 0;
	m = json_is_object(src) ? json_copy((json_t *)src) : json_incref((json_t *)src);
	if (m == NULL)
		return SS_E_NOMEM;
	if (json_is_object(m))
		json_object_foreach_safe(m, tmp, k, v)
			if (strncmp(k, SS_BITNAMI_ANNO_PREFIX, strlen(SS_BITNAMI_ANNO_PREFIX)) == 0)
				(void)json_object_del(m, k);
	rc = 0;
	if (!json_is_object(m) || json_object_size(m) > 0)
		rc = json_object_set(meta, field, m) != 0 ? SS_E_NOMEM : 0;
	json_decref(m);
	return rc;
}

/* The v1 Secret their controller would make, without data. */
static int make_secret(struct ss_bitnami *b, const json_t *tmpl)
{
	const json_t *tmeta = json_object_get(tmpl, "metadata");
	json_t *s = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Secret",
			      "metadata", "name", b->name);
	json_t *meta = json_object_get(s, "metadata");
	int rc = SS_E_NOMEM;

	if (s == NULL)
		return SS_E_NOMEM;
	if (b->ns[0] != '\0' && json_object_set_new(meta, "namespace", json_string(b->ns)) != 0)
		goto out;
	if (copy_map(meta, tmeta, "labels") != 0 || copy_map(meta, tmeta, "annotations") != 0)
		goto out;
	if (json_object_get(tmpl, "type") != NULL &&
	    json_object_set(s, "type", json_object_get(tmpl, "type")) != 0)
		goto out;
	if (json_object_get(tmpl, "immutable") != NULL &&
	    json_object_set(s, "immutable", json_object_get(tmpl, "immutable")) != 0)
		goto out;
	b->secret = s;
	s = NULL;
	rc = 0;
out:
	json_decref(s);
	return rc;
}

static int parse_identity(struct ss_bitnami *b, const json_t *doc, const struct ss_origin *o,
			  struct ss_err *err)
{
	struct ss_objid id;
	int rc = ss_object_identity(doc, o, &id, err);

	if (rc != 0)
		return rc;
	snprintf(b->name, sizeof(b->name), "%s", id.name);
	snprintf(b->ns, sizeof(b->ns), "%s", id.ns);
	b->mode = their_scope(json_object_get(doc, "metadata"));
	if (b->mode != SS_SCOPE_CLUSTER && b->ns[0] == '\0')
		return bad(err, o, "metadata.namespace", NULL, SS_E_INVAL,
			   "is missing, and their scope (strict or namespace-wide) binds one");
	snprintf(b->file, sizeof(b->file), "%s", o->file != NULL ? o->file : "");
	b->doc = o->doc;
	b->line = o->line;
	return 0;
}

static int parse_spec(struct ss_bitnami *b, const json_t *doc, const struct ss_origin *o,
		      struct ss_err *err)
{
	const json_t *spec = json_object_get(doc, "spec"), *tmpl, *d;
	int rc;

	if (!json_is_object(spec))
		return bad(err, o, "spec", NULL, SS_E_INVAL, "must be a mapping");
	d = json_object_get(spec, "data");
	if (d != NULL && !json_is_null(d))
		return bad(err, o, "spec.data", NULL, SS_E_UNSUPPORTED,
			   "the legacy single-blob format (before v0.7) is not converted: "
			   "have their controller re-create the object with encryptedData first");
	tmpl = json_object_get(spec, "template");
	if (tmpl != NULL && !json_is_null(tmpl) && !json_is_object(tmpl))
		return bad(err, o, "spec.template", NULL, SS_E_INVAL, "must be a mapping");
	b->items = calloc(SS_BITNAMI_MAX_ITEMS, sizeof(*b->items));
	if (b->items == NULL)
		return bad(err, o, NULL, NULL, SS_E_NOMEM, "out of memory");
	rc = parse_encrypted(b, json_object_get(spec, "encryptedData"), o, err);
	if (rc == 0)
		rc = parse_template_data(b, json_object_get(tmpl, "data"), o, err);
	if (rc == 0 && make_secret(b, tmpl) != 0)
		rc = bad(err, o, NULL, NULL, SS_E_NOMEM, "out of memory");
	return rc;
}

int ss_bitnami_parse(const json_t *doc, const struct ss_origin *o, struct ss_bitnami **out,
		     struct ss_err *err)
{
	struct ss_bitnami *b;
	int rc;

	*out = NULL;
	if (!ss_bitnami_is(doc))
		return bad(err, o, "kind", NULL, SS_E_INVAL,
			   "expected a bitnami.com/v1alpha1 SealedSecret");
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return bad(err, o, NULL, NULL, SS_E_NOMEM, "out of memory");
	rc = parse_identity(b, doc, o, err);
	if (rc == 0)
		rc = parse_spec(b, doc, o, err);
	if (rc != 0) {
		ss_bitnami_free(b);
		return rc;
	}
	*out = b;
	return 0;
}
