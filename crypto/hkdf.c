/*
 * hkdf.c: HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) on OpenSSL's
 * SHA-256 (see hkdf.h).
 *
 * Why not libsodium's crypto_auth_hmacsha256: Debian's libsodium 1.0.18
 * hashes with portable C, libcrypto with SHA-NI or AVX2. Every opened value
 * runs three HKDFs and the header HMAC, which in libsodium cost about a
 * third of its X25519 operation (PERFORMANCE.md, "Performance II").
 *
 * Why the low-level SHA256_* functions (deprecated since OpenSSL 3.0, still
 * in every 3.x) and not EVP_MAC: the first EVP fetch loads openssl.cnf and
 * the provider tables, +2 MiB of RSS in every sealctl run (row 6a's goal is
 * 8 MiB) and a start-up cost. The low-level functions run the same assembly
 * without that. So HMAC is written out here, as RFC 2104 gives it, checked
 * by the RFC 4231 and RFC 5869 vectors and the age testkit.
 *
 * Key material: the contexts (key-derived inner and outer states) live on
 * our stack and are wiped with sodium_memzero; OpenSSL keeps no copy.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co., see above */
#include <string.h>

#include <openssl/sha.h>
#include <sodium.h>

#include "sealsync/hkdf.h"

#define BLOCK 64 /* SHA-256's block size */

struct hmac {
	SHA256_CTX in, out;
};

/* The inner and outer states after (key ^ ipad) and (key ^ opad). */
static int hmac_init(struct hmac *h, const unsigned char *key, size_t keylen)
{
	unsigned char k[BLOCK], pad[BLOCK];
	size_t i;
	int ok = 1;

	memset(k, 0, sizeof(k));
	if (keylen > BLOCK)
		ok = SHA256(key, keylen, k) != NULL; /* longer keys are hashed first */
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	ok = ok && SHA256_Init(&h->in) == 1 && SHA256_Update(&h->in, pad, BLOCK) == 1;
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && SHA256_Init(&h->out) == 1 && SHA256_Update(&h->out, pad, BLOCK) == 1;
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	return ok ? 0 : SS_E_INTERNAL;
}

static int hmac_update(struct hmac *h, const unsigned char *p, size_t n)
{
	return n == 0 || SHA256_Update(&h->in, p, n) == 1 ? 0 : SS_E_INTERNAL;
}

/* out = H(outer || H(inner || message)); wipes h. */
static int hmac_final(struct hmac *h, unsigned char out[SS_SHA256_LEN])
{
	unsigned char t[SS_SHA256_LEN];
	int ok = SHA256_Final(t, &h->in) == 1 && SHA256_Update(&h->out, t, sizeof(t)) == 1 &&
		 SHA256_Final(out, &h->out) == 1;

	sodium_memzero(t, sizeof(t));
	sodium_memzero(h, sizeof(*h));
	return ok ? 0 : SS_E_INTERNAL;
}

int ss_hmac_sha256(const unsigned char *key, size_t keylen, const unsigned char *msg,
		   size_t msglen, unsigned char out[SS_SHA256_LEN])
{
	struct hmac h;
	int rc = hmac_init(&h, key, keylen);

	if (rc == 0)
		rc = hmac_update(&h, msg, msglen);
	if (rc == 0)
		return hmac_final(&h, out);
	sodium_memzero(&h, sizeof(h));
	return rc;
}

/* RFC 5869 expand: T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty. */
static int expand(const unsigned char prk[SS_SHA256_LEN], const unsigned char *info,
		  size_t infolen, unsigned char *out, size_t outlen)
{
	unsigned char t[SS_SHA256_LEN];
	unsigned char ctr = 1;
	size_t done = 0, tlen = 0, n;
	struct hmac h;
	int rc = 0;

	while (done < outlen && rc == 0) {
		rc = hmac_init(&h, prk, SS_SHA256_LEN);
		if (rc == 0)
			rc = hmac_update(&h, t, tlen);
		if (rc == 0)
			rc = hmac_update(&h, info, infolen);
		if (rc == 0)
			rc = hmac_update(&h, &ctr, 1);
		if (rc == 0)
			rc = hmac_final(&h, t);
		n = outlen - done < sizeof(t) ? outlen - done : sizeof(t);
		if (rc == 0)
			memcpy(out + done, t, n);
		done += n;
		tlen = sizeof(t);
		ctr++;
	}
	sodium_memzero(&h, sizeof(h));
	sodium_memzero(t, sizeof(t));
	return rc;
}

int ss_hkdf_sha256(const unsigned char *salt, size_t saltlen, const unsigned char *ikm,
		   size_t ikmlen, const unsigned char *info, size_t infolen, unsigned char *out,
		   size_t outlen)
{
	static const unsigned char zeros[SS_SHA256_LEN];
	unsigned char prk[SS_SHA256_LEN];
	int rc;

	if (outlen > 255 * SS_SHA256_LEN)
		return SS_E_INVAL;
	if (salt == NULL || saltlen == 0) {
		salt = zeros;
		saltlen = sizeof(zeros);
	}
	rc = ss_hmac_sha256(salt, saltlen, ikm, ikmlen, prk); /* extract */
	if (rc == 0)
		rc = expand(prk, info, infolen, out, outlen);
	sodium_memzero(prk, sizeof(prk));
	if (rc != 0)
		sodium_memzero(out, outlen);
	return rc;
}
