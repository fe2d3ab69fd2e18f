/*
 * age.c: sealing and opening sealed values: age v1 files with X25519
 * stanzas, a sealsync/scope stanza and a sealsync/hint stanza (see age.h
 * and docs/FORMAT.md). The file key and payload key live in guarded memory.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"
#include "sealsync/hkdf.h"
#include "sealsync/secmem.h"

#include "internal.h"

#define HINT_LABEL "sealsync.dev/v1/hint"

/* Guarded key material of one open or seal. */
struct age_keys {
	unsigned char file_key[SS_AGE_FILE_KEY_LEN];
	unsigned char payload_key[32];
};

int ss_age_hint_for(const struct ss_recipient *r, unsigned char tag[SS_AGE_HINT_LEN])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)HINT_LABEL, strlen(HINT_LABEL));
	crypto_hash_sha256_update(&st, r->pk, sizeof(r->pk));
	crypto_hash_sha256_final(&st, h);
	memcpy(tag, h, SS_AGE_HINT_LEN);
	return 0;
}

void ss_age_hint_format(const unsigned char tag[SS_AGE_HINT_LEN], char *buf, size_t len)
{
	if (len < sodium_base64_encoded_len(SS_AGE_HINT_LEN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	sodium_bin2base64(buf, len, tag, SS_AGE_HINT_LEN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static int payload_key(struct age_keys *k, const unsigned char nonce[SS_AGE_NONCE_LEN])
{
	return ss_hkdf_sha256(nonce, SS_AGE_NONCE_LEN, k->file_key, sizeof(k->file_key),
			      (const unsigned char *)"payload", 7, k->payload_key, sizeof(k->payload_key));
}

static int put_scope(struct ss_buf *hdr, const struct ss_scope *s)
{
	switch (s->mode) {
	case SS_SCOPE_STRICT:
		return ss_buf_printf(hdr, "-> " SS_AGE_SCOPE_TYPE " strict %s %s %s\n\n", s->ns, s->name, s->key);
	case SS_SCOPE_NAMESPACE:
		return ss_buf_printf(hdr, "-> " SS_AGE_SCOPE_TYPE " namespace %s\n\n", s->ns);
	default:
		return ss_buf_puts(hdr, "-> " SS_AGE_SCOPE_TYPE " cluster\n\n");
	}
}

static int put_hints(struct ss_buf *hdr, const struct ss_recipient *r, size_t n)
{
	unsigned char tag[SS_AGE_HINT_LEN];
	size_t i;
	int rc = ss_buf_puts(hdr, "-> " SS_AGE_HINT_TYPE);

	for (i = 0; rc == 0 && i < n; i++) {
		rc = ss_age_hint_for(&r[i], tag);
		if (rc == 0)
			rc = ss_buf_putc(hdr, ' ');
		if (rc == 0)
			rc = ss_age_b64_raw_append(hdr, tag, sizeof(tag));
	}
	return rc == 0 ? ss_buf_puts(hdr, "\n\n") : rc;
}

int ss_age_header_build(const struct ss_age_seal_opts *o, const unsigned char *scope_text,
			size_t scope_len, const unsigned char *file_key, struct ss_buf *hdr)
{
	unsigned char mac[32];
	size_t i;
	int rc = ss_buf_puts(hdr, SS_AGE_INTRO);

	for (i = 0; rc == 0 && i < o->nrecipients; i++)
		rc = ss_age_x25519_wrap(&o->recipients[i], file_key, hdr);
	if (rc == 0 && scope_text != NULL)
		rc = ss_buf_append(hdr, scope_text, scope_len);
	else if (rc == 0 && o->scope != NULL)
		rc = put_scope(hdr, o->scope);
	if (rc == 0)
		rc = put_hints(hdr, o->recipients, o->nrecipients);
	if (rc == 0)
		rc = ss_buf_puts(hdr, "---");
	if (rc != 0)
		return rc;
	rc = ss_age_header_mac(file_key, hdr->data, hdr->len, mac);
	if (rc == 0)
		rc = ss_buf_putc(hdr, ' ');
	if (rc == 0)
		rc = ss_age_b64_raw_append(hdr, mac, sizeof(mac));
	return rc == 0 ? ss_buf_putc(hdr, '\n') : rc;
}

static int seal_check(const struct ss_age_seal_opts *o, struct ss_err *err)
{
	if (o->nrecipients == 0 || o->recipients == NULL)
		return ss_err_set(err, SS_E_INVAL, "seal: no recipients");
	if (o->nrecipients > SS_AGE_MAX_X25519)
		return ss_err_set(err, SS_E_LIMIT, "seal: more than %d recipients", SS_AGE_MAX_X25519);
	if (o->scope != NULL)
		return ss_scope_validate(o->scope, err);
	return 0;
}

int ss_age_seal(const struct ss_age_seal_opts *o, const unsigned char *pt, size_t ptlen,
		struct ss_buf *out, struct ss_err *err)
{
	struct age_keys *k = NULL;
	unsigned char nonce[SS_AGE_NONCE_LEN];
	struct ss_buf file;
	int rc = seal_check(o, err);

	if (rc != 0)
		return rc;
	ss_buf_init(&file, out->max);
	k = ss_secmem_scratch(sizeof(*k));
	if (k == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	randombytes_buf(k->file_key, sizeof(k->file_key));
	randombytes_buf(nonce, sizeof(nonce));
	rc = payload_key(k, nonce);
	if (rc == 0)
		rc = ss_age_header_build(o, NULL, 0, k->file_key, &file);
	if (rc == 0)
		rc = ss_buf_append(&file, nonce, sizeof(nonce));
	if (rc == 0)
		rc = ss_age_stream_seal(k->payload_key, pt, ptlen, &file);
	if (rc == 0)
		rc = ss_buf_append(out, file.data, file.len);
	if (rc == SS_E_INVAL)
		ss_err_set(err, rc, "seal: a recipient is not a valid X25519 key");
	else if (rc != 0)
		ss_err_set(err, rc, "seal: %s", ss_strerror(rc));
out:
	ss_secmem_unscratch(k);
	ss_buf_release(&file);
	return rc;
}
