/*
 * sealed.c: the SealedSecret value type: building, accessors, serializing
 * (see include/sealsync/sealed.h). Parsing is in sealed_parse.c, unsealing
 * and sealing in sealed_unseal.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealed_int.h"

int sealed_check_key(const char *k)
{
	size_t n = strlen(k), i;

	if (n == 0 || n > SS_SCOPE_FIELD_MAX)
		return SS_E_INVAL;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return SS_E_INVAL;
	}
	return 0;
}

long sealed_find(const struct ss_sealed *s, const char *k)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->items[mid].key, k);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void sealed_err_at(const struct ss_sealed *s, long i, const char *field, struct ss_err *err)
{
	unsigned line = s->line;

	if (i >= 0 && (size_t)i < s->n && s->items[i].line != 0)
		line = s->items[i].line;
	ss_err_at(err, s->file, line, s->doc);
	ss_err_field(err, field, i >= 0 && (size_t)i < s->n ? s->items[i].key : NULL);
}

int ss_sealed_is(const json_t *doc)
{
	const char *av = json_string_value(json_object_get(doc, "apiVersion"));
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	return av != NULL && kind != NULL && strcmp(av, SS_SEALED_API_VERSION) == 0 &&
	       strcmp(kind, SS_SEALED_KIND) == 0;
}

int ss_sealed_new(const char *name, const char *ns, enum ss_scope_mode mode,
		  struct ss_sealed **out, struct ss_err *err)
{
	struct ss_sealed *s;

	*out = NULL;
	if (ss_object_check_subdomain(name) != 0)
		return ss_err_set(err, SS_E_INVAL, "metadata.name is not a valid Kubernetes name");
	if (ns[0] != '\0' && ss_object_check_label(ns) != 0)
		return ss_err_set(err, SS_E_INVAL, "metadata.namespace is not a DNS label");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->ns, sizeof(s->ns), "%s", ns);
	s->mode = mode;
	s->doc = -1;
	*out = s;
	return 0;
}

void ss_sealed_free(struct ss_sealed *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->items[i].age);
	free(s->items);
	free(s->file);
	json_decref(s->tmpl);
	free(s);
}

const char *ss_sealed_name(const struct ss_sealed *s) { return s->name; }
const char *ss_sealed_namespace(const struct ss_sealed *s) { return s->ns; }
enum ss_scope_mode ss_sealed_mode(const struct ss_sealed *s) { return s->mode; }
const char *ss_sealed_file(const struct ss_sealed *s) { return s->file ? s->file : ""; }
int ss_sealed_doc(const struct ss_sealed *s) { return s->doc; }
size_t ss_sealed_count(const struct ss_sealed *s) { return s->n; }
const char *ss_sealed_key(const struct ss_sealed *s, size_t i) { return s->items[i].key; }
const json_t *ss_sealed_template(const struct ss_sealed *s) { return s->tmpl; }

const unsigned char *ss_sealed_value(const struct ss_sealed *s, size_t i, size_t *len)
{
	*len = s->items[i].len;
	return s->items[i].age;
}

const struct ss_age_info *ss_sealed_info(const struct ss_sealed *s, size_t i)
{
	return &s->items[i].info;
}

int ss_sealed_unscoped(const struct ss_sealed *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->items[i].info.has_scope)
			return 1;
	return 0;
}

int ss_sealed_expected_scope(const struct ss_sealed *s, const char *effective_ns,
			     const char *key, struct ss_scope *out, struct ss_err *err)
{
	const char *ns = effective_ns != NULL && effective_ns[0] != '\0' ? effective_ns : s->ns;

	if (s->mode != SS_SCOPE_CLUSTER && ns[0] == '\0')
		return ss_err_set(err, SS_E_INVAL,
				  "metadata.namespace is missing and no target namespace is "
				  "given, but scope %s binds one",
				  ss_scope_mode_name(s->mode));
	return ss_scope_make(out, s->mode, ns, s->name, key, err);
}

/* Inserts a new item at its sorted place; the caller fills it. */
static struct sealed_item *sealed_insert(struct ss_sealed *s, const char *key)
{
	size_t pos = 0, hi = s->n;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct sealed_item *p = reallocarray(s->items, cap, sizeof(*p));

		if (p == NULL)
			return NULL;
		s->items = p;
		s->cap = cap;
	}
	while (pos < hi) { /* lower bound: the first key not below key */
		size_t mid = pos + (hi - pos) / 2;

		if (strcmp(s->items[mid].key, key) < 0)
			pos = mid + 1;
		else
			hi = mid;
	}
	memmove(&s->items[pos + 1], &s->items[pos], (s->n - pos) * sizeof(*s->items));
	memset(&s->items[pos], 0, sizeof(s->items[pos]));
	snprintf(s->items[pos].key, sizeof(s->items[pos].key), "%s", key);
	s->n++;
	return &s->items[pos];
}

int ss_sealed_set_value(struct ss_sealed *s, const char *key, const unsigned char *age,
			size_t len, struct ss_err *err)
{
	struct ss_age_info info;
	struct sealed_item *it;
	unsigned char *copy;
	long i;
	int rc;

	if (sealed_check_key(key) != 0)
		return ss_err_set(err, SS_E_INVAL, "not a valid Secret key ([-._a-zA-Z0-9], 1..253)");
	rc = ss_age_inspect(age, len, &info, err);
	if (rc != 0)
		return rc;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	memcpy(copy, age, len);
	i = sealed_find(s, key);
	if (i < 0 && s->n >= SS_SEALED_MAX_KEYS) {
		free(copy);
		return ss_err_set(err, SS_E_LIMIT, "more than %d keys", SS_SEALED_MAX_KEYS);
	}
	it = i >= 0 ? &s->items[i] : sealed_insert(s, key);
	if (it == NULL) {
		free(copy);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	free(it->age);
	it->age = copy;
	it->len = len;
	it->info = info;
	return 0;
}

int ss_sealed_set_template(struct ss_sealed *s, const json_t *tmpl, struct ss_err *err)
{
	json_t *copy = NULL;

	if (tmpl != NULL) {
		copy = json_deep_copy(tmpl);
		if (copy == NULL)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	json_decref(s->tmpl);
	s->tmpl = copy;
	return 0;
}

int ss_sealed_value_base64(const struct ss_sealed *s, size_t i, struct ss_buf *out)
{
	return ss_base64_encode(s->items[i].age, s->items[i].len, out);
}

static int sealed_data_json(const struct ss_sealed *s, json_t *data)
{
	struct ss_buf b;
	size_t i;
	int rc = 0;

	ss_buf_init(&b, 2 * SS_SEALED_MAX_SEALED);
	for (i = 0; rc == 0 && i < s->n; i++) {
		ss_buf_reset(&b);
		rc = ss_sealed_value_base64(s, i, &b);
		if (rc == 0 && json_object_set_new(data, s->items[i].key,
						   json_stringn(ss_buf_str(&b), b.len)) != 0)
			rc = SS_E_NOMEM;
	}
	ss_buf_release(&b);
	return rc;
}

int ss_sealed_to_json(const struct ss_sealed *s, json_t **out, struct ss_err *err)
{
	json_t *doc, *spec, *data;
	int rc = SS_E_NOMEM;

	*out = NULL;
	doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:{}}}", "apiVersion", SS_SEALED_API_VERSION,
			"kind", SS_SEALED_KIND, "metadata", "name", s->name, "spec", "scope",
			ss_scope_mode_name(s->mode), "encryptedData");
	if (doc == NULL)
		goto out;
	if (s->ns[0] != '\0' &&
	    json_object_set_new(json_object_get(doc, "metadata"), "namespace",
				json_string(s->ns)) != 0)
		goto out;
	spec = json_object_get(doc, "spec");
	data = json_object_get(spec, "encryptedData");
	rc = sealed_data_json(s, data);
	if (rc != 0)
		goto out;
	rc = SS_E_NOMEM;
	if (s->tmpl != NULL && json_object_set(spec, "template", s->tmpl) != 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	json_decref(doc);
	return rc != 0 ? ss_err_set(err, rc, "cannot build the SealedSecret: %s", ss_strerror(rc))
		       : 0;
}

int ss_sealed_emit(const struct ss_sealed *s, enum ss_emit_format f, struct ss_buf *out,
		   struct ss_err *err)
{
	json_t *doc = NULL;
	int rc = ss_sealed_to_json(s, &doc, err);

	if (rc != 0)
		return rc;
	rc = f == SS_EMIT_JSON ? ss_emit_json(doc, out, err) : ss_emit_yaml(doc, out, err);
	json_decref(doc);
	return rc;
}

int ss_sealed_value_has_recipients(const struct ss_sealed *s, size_t i,
				   const struct ss_recipient *r, size_t n)
{
	const struct ss_age_info *info = &s->items[i].info;
	unsigned char tag[SS_AGE_HINT_LEN];
	size_t j, k;

	if (info->n_x25519 != n || info->n_hints != n)
		return 0;
	for (j = 0; j < n; j++) {
		int found = 0;

		if (ss_age_hint_for(&r[j], tag) != 0)
			return 0;
		for (k = 0; k < info->n_hints && !found; k++)
			found = memcmp(info->hints[k], tag, sizeof(tag)) == 0;
		if (!found)
			return 0;
	}
	return 1;
}
