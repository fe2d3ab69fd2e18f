/*
 * sops.c: a SOPS document to the v1 Secret it encrypts (see sops.h):
 * metadata, data key, values and MAC, then the Secret's own checks. The
 * namespace and name come only from the MAC-covered content; callers must
 * not move the Secret elsewhere.
 */
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"
#include "sealsync/secmem.h"

#include "sops_int.h"

int ss_sops_is(const json_t *doc)
{
	return json_is_object(doc) && json_object_get(doc, "sops") != NULL;
}

/* Tries each sops.age entry; NOMATCH only when none of them opens. */
static int open_key(const struct sops_meta *m, const struct ss_age_open_opts *o,
		    unsigned char *key, struct ss_err *err)
{
	size_t i;
	int rc = SS_E_NOMATCH;

	for (i = 0; i < m->nage; i++) {
		const char *enc = m->age_enc[i];

		ss_err_clear(err);
		rc = ss_sops_open_datakey(o, (const unsigned char *)enc, strlen(enc), key, err);
		if (rc != SS_E_NOMATCH) {
			if (rc != 0)
				ss_err_prefix(err, "sops.age[%zu]", i);
			return rc;
		}
	}
	ss_err_field(err, "sops.age", NULL);
	return ss_err_set(err, SS_E_NOMATCH, "no identity opens any sops.age data key");
}

/* The stored MAC, opened with lastmodified as AAD, against the computed one. */
static int check_mac(const struct sops_meta *m, const unsigned char *key, const char *mine,
		     struct ss_err *err)
{
	struct ss_buf pt;
	json_t *v = NULL;
	int rc;

	ss_buf_init_secure(&pt, 1024);
	rc = sops_value_open(key, m->mac, m->lastmodified, &pt, &v, err);
	if (rc == 0 && (pt.len != 128 || sodium_memcmp(pt.data, mine, 128) != 0))
		rc = ss_err_set(err, SS_E_SIG, "sops MAC mismatch: the file was changed after sops wrote it");
	else if (rc != 0)
		ss_err_prefix(err, "sops mac");
	json_decref(v);
	ss_buf_release(&pt);
	return rc;
}

static int fold_one(json_t *data, const char *k, const json_t *v, struct ss_err *err)
{
	struct ss_buf b64;
	int rc;

	if (!json_is_string(v)) {
		ss_err_field(err, "stringData", k);
		return ss_err_set(err, SS_E_INVAL, "a stringData value must be a string");
	}
	/* the base64 of a decrypted value is the value: guarded memory */
	ss_buf_init_secure(&b64, 4u * 1024 * 1024);
	rc = ss_base64_encode((const unsigned char *)json_string_value(v), json_string_length(v),
			      &b64);
	if (rc == 0 && json_object_set_new(data, k, json_string(ss_buf_str(&b64))) != 0)
		rc = SS_E_NOMEM;
	ss_buf_release(&b64);
	return rc != 0 ? ss_err_set(err, rc, "cannot fold stringData") : 0;
}

/* stringData into data, as the API server does (stringData wins). */
static int fold_string_data(json_t *secret, struct ss_err *err)
{
	json_t *sd = json_object_get(secret, "stringData"), *data, *v;
	const char *k;
	int rc;

	if (sd == NULL)
		return 0;
	if (!json_is_object(sd))
		return ss_err_set(err, SS_E_INVAL, "stringData must be a mapping");
	data = json_object_get(secret, "data");
	if (data == NULL) {
		if (json_object_set_new(secret, "data", json_object()) != 0)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		data = json_object_get(secret, "data");
	}
	if (!json_is_object(data))
		return ss_err_set(err, SS_E_INVAL, "data must be a mapping");
	json_object_foreach(sd, k, v) {
		rc = fold_one(data, k, v, err);
		if (rc != 0)
			return rc;
	}
	return json_object_del(secret, "stringData") == 0 ? 0 : SS_E_INTERNAL;
}

/* A v1 Secret that names its own namespace and name. */
static int check_secret(json_t *secret, const struct ss_origin *origin, struct ss_err *err)
{
	struct ss_objid id;
	int rc = ss_object_identity(secret, origin, &id, err);

	if (rc != 0)
		return rc;
	if (id.group[0] != '\0' || strcmp(id.version, "v1") != 0 || strcmp(id.kind, "Secret") != 0)
		return ss_err_set(err, SS_E_UNSUPPORTED, "only v1 Secrets are read from SOPS files");
	if (id.ns[0] == '\0') {
		ss_err_field(err, "metadata.namespace", NULL);
		return ss_err_set(err, SS_E_INVAL,
				  "a SOPS Secret must name its namespace (it is never moved to a target namespace)");
	}
	return fold_string_data(secret, err);
}

static int decrypt_body(json_t *copy, const struct sops_meta *m, const struct ss_age_open_opts *o,
			struct ss_err *err)
{
	unsigned char *key = ss_secmem_alloc(SS_SOPS_KEY_LEN);
	char mac[129];
	int rc;

	if (key == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = open_key(m, o, key, err);
	if (rc == 0)
		rc = sops_walk(copy, m, key, mac, err);
	if (rc == 0)
		rc = check_mac(m, key, mac, err);
	ss_secmem_free(key);
	return rc;
}

int ss_sops_decrypt(const json_t *doc, const struct ss_origin *origin,
		    const struct ss_age_open_opts *o, json_t **out, struct ss_err *err)
{
	struct sops_meta m;
	json_t *copy = NULL;
	int rc;

	*out = NULL;
	rc = sops_meta_parse(doc, &m, err);
	if (rc != 0)
		goto out;
	copy = json_deep_copy(doc);
	if (copy == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = decrypt_body(copy, &m, o, err);
	if (rc == 0 && json_object_del(copy, "sops") != 0)
		rc = ss_err_set(err, SS_E_INTERNAL, "sops key vanished");
	if (rc == 0)
		rc = check_secret(copy, origin, err);
	if (rc == 0) {
		*out = copy;
		copy = NULL;
	}
out:
	if (rc != 0 && origin != NULL)
		ss_err_at(err, origin->file, origin->line, origin->doc);
	json_decref(copy);
	sops_meta_release(&m);
	return rc;
}
