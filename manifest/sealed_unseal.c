/*
 * sealed_unseal.c: SealedSecret <-> Secret (see include/sealsync/sealed.h).
 *
 * Plaintext moves only between guarded ss_bufs (sodium_malloc) and jansson
 * strings; jansson runs with the zeroing allocator in every program that
 * calls these, so freed strings are wiped too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"
#include "sealed_int.h"

/* The Secret skeleton: identity, type and the template's metadata. */
static json_t *secret_skeleton(const struct ss_sealed *s, const char *ns)
{
	const json_t *t = s->tmpl;
	const json_t *tm = json_object_get(t, "metadata");
	const json_t *type = json_object_get(t, "type");
	const json_t *imm = json_object_get(t, "immutable");
	json_t *sec, *meta;

	sec = json_pack("{s:s, s:s, s:{s:s}, s:s, s:{}}", "apiVersion", "v1", "kind", "Secret",
			"metadata", "name", s->name, "type",
			type != NULL ? json_string_value(type) : "Opaque", "data");
	if (sec == NULL)
		return NULL;
	meta = json_object_get(sec, "metadata");
	if ((ns[0] != '\0' && json_object_set_new(meta, "namespace", json_string(ns)) != 0) ||
	    (imm != NULL && json_object_set(sec, "immutable", (json_t *)imm) != 0) ||
	    (json_object_get(tm, "labels") != NULL &&
	     json_object_set_new(meta, "labels", json_deep_copy(json_object_get(tm, "labels"))) != 0) ||
	    (json_object_get(tm, "annotations") != NULL &&
	     json_object_set_new(meta, "annotations",
				 json_deep_copy(json_object_get(tm, "annotations"))) != 0)) {
		json_decref(sec);
		return NULL;
	}
	return sec;
}

static int unseal_one(const struct ss_sealed *s, size_t i, const char *ns,
		      const struct ss_age_open_opts *o, struct ss_buf *pt, struct ss_buf *b64,
		      json_t *data, struct ss_err *err)
{
	struct ss_age_open_opts oo = *o;
	struct ss_scope want;
	int rc;

	rc = ss_sealed_expected_scope(s, ns, s->items[i].key, &want, err);
	if (rc != 0)
		return rc;
	oo.expect = &want;
	ss_buf_reset(pt);
	ss_buf_reset(b64);
	rc = ss_age_open(&oo, s->items[i].age, s->items[i].len, pt, NULL, err);
	if (rc == 0)
		rc = ss_base64_encode(pt->data, pt->len, b64);
	if (rc == SS_E_LIMIT && err != NULL && err->code != SS_E_LIMIT)
		ss_err_set(err, rc, "value is larger than %u bytes", SS_SEALED_MAX_VALUE);
	if (rc == 0 && json_object_set_new(data, s->items[i].key,
					   json_stringn(ss_buf_str(b64), b64->len)) != 0)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	ss_buf_reset(pt);
	ss_buf_reset(b64);
	return rc;
}

int ss_sealed_unseal(const struct ss_sealed *s, const char *effective_ns,
		     const struct ss_age_open_opts *o, json_t **secret_out, struct ss_err *err)
{
	const char *ns = effective_ns != NULL && effective_ns[0] != '\0' ? effective_ns : s->ns;
	struct ss_buf pt, b64;
	json_t *sec;
	size_t i;
	int rc = 0;

	*secret_out = NULL;
	ss_buf_init_secure(&pt, SS_SEALED_MAX_VALUE);
	ss_buf_init_secure(&b64, SS_SEALED_MAX_VALUE / 3 * 4 + 8);
	sec = secret_skeleton(s, ns);
	if (sec == NULL)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; rc == 0 && i < s->n; i++) {
		rc = unseal_one(s, i, ns, o, &pt, &b64, json_object_get(sec, "data"), err);
		if (rc != 0)
			sealed_err_at(s, (long)i, "spec.encryptedData", err);
	}
	ss_buf_release(&pt);
	ss_buf_release(&b64);
	if (rc != 0) {
		json_decref(sec);
		return rc;
	}
	*secret_out = sec;
	return 0;
}

int ss_sealed_reseal_value(struct ss_sealed *s, size_t i, const struct ss_age_open_opts *o,
			   const struct ss_age_seal_opts *to, struct ss_err *err)
{
	struct ss_age_open_opts oo = *o;
	struct ss_scope want;
	struct ss_buf out;
	int rc;

	/* Check the place too when the manifest tells it, as unsealing would. */
	oo.expect = NULL;
	if (s->items[i].info.has_scope && (s->ns[0] != '\0' || s->mode == SS_SCOPE_CLUSTER)) {
		rc = ss_sealed_expected_scope(s, NULL, s->items[i].key, &want, err);
		if (rc != 0)
			goto fail;
		oo.expect = &want;
	}
	ss_buf_init(&out, SS_SEALED_MAX_SEALED);
	rc = ss_age_reseal(&oo, s->items[i].age, s->items[i].len, to, &out, err);
	/* Whoever resealed it (this process, or the agent's key holder), the
	 * plaintext must not have changed: the payload stays as it was. */
	if (rc == 0)
		rc = ss_age_check_rewrap(s->items[i].age, s->items[i].len, out.data, out.len,
					 to->recipients, to->nrecipients, err);
	if (rc == 0)
		rc = ss_sealed_set_value(s, s->items[i].key, out.data, out.len, err);
	ss_buf_release(&out);
	if (rc == 0)
		return 0;
fail:
	sealed_err_at(s, (long)i, "spec.encryptedData", err);
	return rc;
}
