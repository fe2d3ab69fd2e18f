/*
 * x25519.c: the age X25519 recipient stanza.
 *
 *   -> X25519 base64(ephemeral share)
 *   base64(ChaCha20-Poly1305(wrap key, nonce 0, file key))
 *
 *   wrap key = HKDF-SHA256(ikm = X25519(eph, recipient),
 *                          salt = share || recipient, info = "age-encryption.org/v1/X25519")
 *
 * An all-zero shared secret (a low-order share) is refused, as the spec says.
 */
#include <string.h>

#include <sodium.h>

#include "sealsync/hkdf.h"
#include "sealsync/secmem.h"

#include "internal.h"

#define X25519_LABEL "age-encryption.org/v1/X25519"

/* k = HKDF(shared, share || pk, label), all secrets in guarded memory by the caller. */
static int wrap_key(const unsigned char *shared, const unsigned char share[32],
		    const unsigned char pk[32], unsigned char *k)
{
	unsigned char salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	return ss_hkdf_sha256(salt, sizeof(salt), shared, 32, (const unsigned char *)X25519_LABEL,
			      strlen(X25519_LABEL), k, 32);
}

/* Guarded scratch: eph/shared secret (32), wrap key (32). */
struct x_scratch {
	unsigned char secret[32];
	unsigned char shared[32];
	unsigned char key[32];
};

int ss_age_x25519_wrap(const struct ss_recipient *r, const unsigned char *file_key,
		       struct ss_buf *hdr)
{
	static const unsigned char nonce[12];
	struct x_scratch *x = ss_secmem_scratch(sizeof(*x));
	unsigned char share[32], body[SS_AGE_FILE_KEY_LEN + 16];
	int rc;

	if (x == NULL)
		return SS_E_NOMEM;
	randombytes_buf(x->secret, sizeof(x->secret));
	if (crypto_scalarmult_base(share, x->secret) != 0 ||
	    crypto_scalarmult(x->shared, x->secret, r->pk) != 0) {
		rc = SS_E_INVAL; /* the recipient is a low-order point */
		goto out;
	}
	rc = wrap_key(x->shared, share, r->pk, x->key);
	if (rc != 0)
		goto out;
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, SS_AGE_FILE_KEY_LEN, NULL, 0,
						  NULL, nonce, x->key);
	rc = ss_buf_puts(hdr, "-> X25519 ");
	if (rc == 0)
		rc = ss_age_b64_raw_append(hdr, share, sizeof(share));
	if (rc == 0)
		rc = ss_buf_putc(hdr, '\n');
	if (rc == 0)
		rc = ss_age_b64_raw_append(hdr, body, sizeof(body)); /* 43 columns: one short line */
	if (rc == 0)
		rc = ss_buf_putc(hdr, '\n');
out:
	ss_secmem_unscratch(x);
	return rc;
}

int ss_age_x25519_unwrap(const struct ss_identity *id, const unsigned char share[32],
			 const unsigned char *body, unsigned char *file_key)
{
	static const unsigned char nonce[12];
	struct x_scratch *x = ss_secmem_scratch(sizeof(*x));
	struct ss_recipient pub;
	unsigned long long n = 0;
	int rc;

	if (x == NULL)
		return SS_E_NOMEM;
	ss_identity_recipient(id, &pub);
	if (crypto_scalarmult(x->shared, ss_identity_secret(id), share) != 0) {
		rc = SS_E_AGE_HEADER; /* all-zero shared secret */
		goto out;
	}
	if (wrap_key(x->shared, share, pub.pk, x->key) != 0) {
		rc = SS_E_INTERNAL;
		goto out;
	}
	rc = crypto_aead_chacha20poly1305_ietf_decrypt(file_key, &n, NULL, body, SS_AGE_FILE_KEY_LEN + 16,
						       NULL, 0, nonce, x->key) == 0 &&
			     n == SS_AGE_FILE_KEY_LEN
		     ? 0
		     : SS_E_NOMATCH;
out:
	ss_secmem_unscratch(x);
	return rc;
}
