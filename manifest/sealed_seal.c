/*
 * sealed_seal.c: a v1 Secret in, a SealedSecret out
 * (ss_sealed_from_secret, see include/sealsync/sealed.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealsync/bundle.h"
#include "sealed_int.h"

static int bad(struct ss_err *err, const struct ss_origin *o, const char *field,
	       const char *key, int code, const char *msg)
{
	ss_err_set(err, code, "%s", msg);
	ss_origin_err(err, o, field, key);
	return code;
}

/*
 * The template goes to Git in clear text, so a label or annotation that holds
 * a value would undo the sealing. Values shorter than this are too likely to
 * be ordinary words to refuse on.
 */
#define LEAK_MIN_LEN 4

/* 1 when text (n bytes) contains pt, or pt's base64 without its padding. */
static int text_has(const char *text, size_t n, const unsigned char *pt, size_t len,
		    const struct ss_buf *b64)
{
	size_t blen = b64->len;

	/* memmem is not constant time: sealctl runs on the developer's machine
	 * with inputs the developer chose, so no one can time it. */
	while (blen > 0 && b64->data[blen - 1] == '=')
		blen--;
	return text != NULL && (memmem(text, n, pt, len) != NULL ||
				(blen > 0 && memmem(text, n, b64->data, blen) != NULL));
}

/* Refuses, naming it, a label or annotation of the template that holds pt. */
static int leak_in_map(const json_t *map, const char *what, const unsigned char *pt,
		       size_t len, const struct ss_buf *b64, struct ss_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)map, k, v) {
		if (text_has(k, strlen(k), pt, len, b64))
			/* The key itself holds the value: naming it would print it. */
			return ss_err_set(err, SS_E_INVAL, "the name of a%s %s contains this value "
					  "(raw or base64); refusing to copy it into spec.template",
					  what[0] == 'a' ? "n" : "", what);
		if (text_has(json_string_value(v), json_string_length(v), pt, len, b64))
			return ss_err_set(err, SS_E_INVAL, "%s %s contains this value (raw or "
					  "base64); refusing to copy it into spec.template",
					  what, k);
	}
	return 0;
}

static int check_leaks(const json_t *tmpl, const unsigned char *pt, size_t len,
		       struct ss_err *err)
{
	const json_t *meta = json_object_get(tmpl, "metadata");
	struct ss_buf b64;
	int rc;

	if (len < LEAK_MIN_LEN || meta == NULL)
		return 0;
	ss_buf_init_secure(&b64, SS_SEALED_MAX_VALUE / 3 * 4 + 8);
	rc = ss_base64_encode(pt, len, &b64);
	if (rc != 0)
		rc = ss_err_set(err, rc, "out of memory");
	if (rc == 0)
		rc = leak_in_map(json_object_get(meta, "labels"), "label", pt, len, &b64, err);
	if (rc == 0)
		rc = leak_in_map(json_object_get(meta, "annotations"), "annotation", pt, len,
				 &b64, err);
	ss_buf_release(&b64);
	return rc;
}

static int seal_put(struct ss_sealed *s, const char *key, const unsigned char *pt, size_t len,
		    const struct ss_sealed_seal_opts *so, struct ss_err *err)
{
	struct ss_age_seal_opts ao;
	struct ss_scope scope;
	struct ss_buf out;
	int rc;

	if (sealed_check_key(key) != 0)
		return ss_err_set(err, SS_E_INVAL, "not a valid Secret key ([-._a-zA-Z0-9], 1..253)");
	if (len > SS_SEALED_MAX_VALUE)
		return ss_err_set(err, SS_E_LIMIT, "value is larger than %u bytes",
				  SS_SEALED_MAX_VALUE);
	rc = check_leaks(s->tmpl, pt, len, err);
	if (rc == 0)
		rc = ss_scope_make(&scope, s->mode, s->ns, s->name, key, err);
	if (rc != 0)
		return rc;
	memset(&ao, 0, sizeof(ao));
	ao.recipients = so->recipients;
	ao.nrecipients = so->nrecipients;
	ao.scope = &scope;
	ss_buf_init(&out, SS_SEALED_MAX_SEALED);
	rc = ss_age_seal(&ao, pt, len, &out, err);
	if (rc == 0)
		rc = ss_sealed_set_value(s, key, out.data, out.len, err);
	ss_buf_release(&out);
	return rc;
}

int ss_sealed_seal_value(struct ss_sealed *s, const char *key, const unsigned char *pt,
			 size_t len, const struct ss_sealed_seal_opts *so, struct ss_err *err)
{
	int rc = seal_put(s, key, pt, len, so, err);

	if (rc != 0)
		ss_err_field(err, "spec.encryptedData", key);
	return rc;
}

/*
 * A data value: base64 as Kubernetes reads it (Go's decoder skips CR and LF,
 * so a value wrapped over lines in a block scalar is accepted). The
 * unwrapped text is still the secret: it goes through guarded memory.
 */
static int decode_data(const json_t *v, struct ss_buf *text, struct ss_buf *pt,
		       struct ss_err *err)
{
	const char *p = json_string_value(v);
	size_t i, n = json_string_length(v);
	int rc = 0;

	if (!json_is_string(v))
		return ss_err_set(err, SS_E_INVAL, "value must be a base64 string");
	ss_buf_reset(text);
	for (i = 0; rc == 0 && i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			rc = ss_buf_putc(text, p[i]);
	if (rc != 0)
		return ss_err_set(err, SS_E_LIMIT, "value is larger than %u bytes",
				  SS_SEALED_MAX_VALUE);
	rc = ss_base64_decode(ss_buf_str(text), text->len, pt, err);
	if (rc != 0)
		ss_err_prefix(err, "value is not valid base64");
	return rc;
}

static int seal_data(struct ss_sealed *s, const json_t *data, const struct ss_origin *o,
		     const struct ss_sealed_seal_opts *so, struct ss_err *err)
{
	struct ss_buf pt, text;
	const char *k;
	const json_t *v;
	int rc = 0;

	ss_buf_init_secure(&pt, SS_SEALED_MAX_VALUE);
	ss_buf_init_secure(&text, SS_SEALED_MAX_VALUE / 3 * 4 + 8);
	json_object_foreach((json_t *)data, k, v) {
		ss_buf_reset(&pt);
		rc = decode_data(v, &text, &pt, err);
		if (rc == 0)
			rc = seal_put(s, k, pt.data, pt.len, so, err);
		if (rc != 0) {
			ss_origin_err(err, o, "data", k);
			break;
		}
	}
	ss_buf_release(&pt);
	ss_buf_release(&text);
	return rc;
}

static int seal_string_data(struct ss_sealed *s, const json_t *sdata, const json_t *data,
			    const struct ss_origin *o, const struct ss_sealed_seal_opts *so,
			    struct ss_err *err)
{
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)sdata, k, v) {
		int rc;

		if (json_object_get(data, k) != NULL)
			return bad(err, o, "stringData", k, SS_E_DUP,
				   "key is in both data and stringData");
		if (!json_is_string(v))
			return bad(err, o, "stringData", k, SS_E_INVAL, "value must be a string");
		rc = seal_put(s, k, (const unsigned char *)json_string_value(v),
			      json_string_length(v), so, err);
		if (rc != 0) {
			ss_origin_err(err, o, "stringData", k);
			return rc;
		}
	}
	return 0;
}

/*
 * Metadata that must not reach the template. kubectl apply's last-applied
 * annotation holds every value (stringData in clear, data in base64); the
 * agent's owner label marks its own copy in the cluster and would make the
 * sealed Secret look owned by a unit it is not in.
 */
static const char *const dropped[2] = {SS_LABEL_OWNER,
				       "kubectl.kubernetes.io/last-applied-configuration"};

/* meta[field] without its dropped key into tm[field] (nothing when empty). */
static int copy_meta_map(json_t *tm, const json_t *meta, size_t field)
{
	static const char *const fields[2] = {"labels", "annotations"};
	const json_t *src = json_object_get(meta, fields[field]);
	json_t *m;
	int rc;

	if (src == NULL)
		return 0;
	if (!json_is_object(src)) /* sealed_check_template names it */
		return json_object_set(tm, fields[field], (json_t *)src) != 0 ? SS_E_NOMEM : 0;
	m = json_copy((json_t *)src);
	if (m == NULL)
		return SS_E_NOMEM;
	(void)json_object_del(m, dropped[field]);
	rc = json_object_size(m) == 0 ? 0 : json_object_set(tm, fields[field], m) != 0 ? SS_E_NOMEM : 0;
	json_decref(m);
	return rc;
}

/*
 * The Secret's type, immutable, labels and annotations become the template;
 * nothing else of its metadata does. The fields an API server sets (uid,
 * resourceVersion, creationTimestamp, generation, managedFields, selfLink,
 * ownerReferences, finalizers) and status are never copied, so a Secret read
 * back with kubectl get seals the same as the one applied.
 */
static int make_template(struct ss_sealed *s, const json_t *sec, const struct ss_origin *o,
			 struct ss_err *err)
{
	const json_t *meta = json_object_get(sec, "metadata");
	json_t *t = json_object(), *tm = json_object();
	int rc = SS_E_NOMEM;

	if (t == NULL || tm == NULL)
		goto out;
	if (json_object_get(sec, "type") != NULL &&
	    json_object_set(t, "type", json_object_get(sec, "type")) != 0)
		goto out;
	if (json_object_get(sec, "immutable") != NULL &&
	    json_object_set(t, "immutable", json_object_get(sec, "immutable")) != 0)
		goto out;
	if (copy_meta_map(tm, meta, 0) != 0 || copy_meta_map(tm, meta, 1) != 0)
		goto out;
	if (json_object_size(tm) > 0 && json_object_set(t, "metadata", tm) != 0)
		goto out;
	rc = 0;
	if (json_object_size(t) == 0)
		goto out;
	rc = sealed_check_template(t, o, err);
	if (rc == 0)
		rc = ss_sealed_set_template(s, t, err);
out:
	json_decref(t);
	json_decref(tm);
	return rc == SS_E_NOMEM ? ss_err_set(err, rc, "out of memory") : rc;
}

static int check_secret(const json_t *sec, const struct ss_origin *o, struct ss_objid *id,
			struct ss_err *err)
{
	const json_t *data = json_object_get(sec, "data");
	const json_t *sdata = json_object_get(sec, "stringData");
	int rc = ss_object_identity(sec, o, id, err);

	if (rc != 0)
		return rc;
	if (id->group[0] != '\0' || strcmp(id->version, "v1") != 0 || strcmp(id->kind, "Secret") != 0)
		return bad(err, o, "kind", NULL, SS_E_INVAL, "expected a v1 Secret");
	if (data != NULL && !json_is_null(data) && !json_is_object(data))
		return bad(err, o, "data", NULL, SS_E_INVAL, "must be a mapping");
	if (sdata != NULL && !json_is_null(sdata) && !json_is_object(sdata))
		return bad(err, o, "stringData", NULL, SS_E_INVAL, "must be a mapping");
	return 0;
}

int ss_sealed_from_secret(const json_t *secret, const struct ss_origin *o,
			  const struct ss_sealed_seal_opts *so, struct ss_sealed **out,
			  struct ss_err *err)
{
	struct ss_sealed *s = NULL;
	struct ss_objid id;
	const char *ns;
	int rc;

	*out = NULL;
	rc = check_secret(secret, o, &id, err);
	if (rc != 0)
		return rc;
	ns = so->ns != NULL ? so->ns : id.ns;
	if (so->mode != SS_SCOPE_CLUSTER && ns[0] == '\0')
		return bad(err, o, "metadata.namespace", NULL, SS_E_INVAL,
			   "is missing, and the scope binds a namespace (give --namespace, "
			   "or --scope cluster)");
	rc = ss_sealed_new(id.name, ns, so->mode, &s, err);
	if (rc != 0) {
		ss_origin_err(err, o, "metadata.namespace", NULL);
		return rc;
	}
	rc = make_template(s, secret, o, err);
	if (rc == 0)
		rc = seal_data(s, json_object_get(secret, "data"), o, so, err);
	if (rc == 0)
		rc = seal_string_data(s, json_object_get(secret, "stringData"),
				      json_object_get(secret, "data"), o, so, err);
	if (rc != 0) {
		ss_sealed_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
