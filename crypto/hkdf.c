/*
 * hkdf.c: HMAC-SHA256 and HKDF-SHA256 on OpenSSL's HMAC (see hkdf.h).
 *
 * Why OpenSSL and not libsodium's crypto_auth_hmacsha256: Debian's
 * libsodium 1.0.18 hashes with portable C; libcrypto uses SHA-NI or AVX2.
 * Every opened value runs three HKDFs and the header HMAC, which cost about
 * a third of its X25519 operation in libsodium (PERFORMANCE.md, "Performance
 * II"). HKDF itself stays the RFC 5869 construction over OpenSSL's HMAC,
 * checked by the RFC's vectors and the age testkit.
 *
 * Key material: an EVP_MAC_CTX keeps the HMAC key schedule in OpenSSL's
 * heap. Each call has a context of its own, duplicated from a keyless
 * template, and frees it with EVP_MAC_CTX_free, which cleanses that state
 * (OPENSSL_clear_free) before releasing it; PRK and T blocks on our stack
 * are wiped with sodium_memzero.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "sealsync/hkdf.h"

static pthread_once_t tmpl_once = PTHREAD_ONCE_INIT;
static EVP_MAC_CTX *tmpl; /* HMAC with SHA-256, no key; never freed */

static void tmpl_init(void)
{
	OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
			  OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;

	EVP_MAC_free(mac); /* the context holds its own reference */
	if (c != NULL && EVP_MAC_CTX_set_params(c, p) != 1) {
		EVP_MAC_CTX_free(c);
		c = NULL;
	}
	tmpl = c;
}

/* A fresh HMAC-SHA256 context (the caller frees it); NULL on failure. */
static EVP_MAC_CTX *mac_new(void)
{
	if (pthread_once(&tmpl_once, tmpl_init) != 0 || tmpl == NULL)
		return NULL;
	return EVP_MAC_CTX_dup(tmpl);
}

struct part {
	const unsigned char *p;
	size_t len;
};

/* HMAC(key, the n parts concatenated) into out. 0 or SS_E_INTERNAL. */
static int mac_run(EVP_MAC_CTX *c, const unsigned char *key, size_t keylen,
		   const struct part *parts, size_t n, unsigned char out[SS_SHA256_LEN])
{
	static const unsigned char empty[1];
	size_t i, got = 0;

	/* A NULL key would mean "keep the previous one" to EVP_MAC_init. */
	if (EVP_MAC_init(c, key != NULL ? key : empty, keylen, NULL) != 1)
		return SS_E_INTERNAL;
	for (i = 0; i < n; i++)
		if (parts[i].len > 0 && EVP_MAC_update(c, parts[i].p, parts[i].len) != 1)
			return SS_E_INTERNAL;
	if (EVP_MAC_final(c, out, &got, SS_SHA256_LEN) != 1 || got != SS_SHA256_LEN)
		return SS_E_INTERNAL;
	return 0;
}

int ss_hmac_sha256(const unsigned char *key, size_t keylen, const unsigned char *msg,
		   size_t msglen, unsigned char out[SS_SHA256_LEN])
{
	struct part m = {msg, msglen};
	EVP_MAC_CTX *c = mac_new();
	int rc;

	if (c == NULL)
		return SS_E_NOMEM;
	rc = mac_run(c, key, keylen, &m, 1, out);
	EVP_MAC_CTX_free(c); /* cleanses the key schedule */
	return rc;
}

/* RFC 5869 expand: T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty. */
static int expand(EVP_MAC_CTX *c, const unsigned char prk[SS_SHA256_LEN],
		  const unsigned char *info, size_t infolen, unsigned char *out, size_t outlen)
{
	unsigned char t[SS_SHA256_LEN];
	unsigned char ctr = 1;
	struct part parts[3] = {{t, 0}, {info, infolen}, {&ctr, 1}};
	size_t done = 0, n;
	int rc = 0;

	while (done < outlen && rc == 0) {
		rc = mac_run(c, prk, SS_SHA256_LEN, parts, 3, t);
		n = outlen - done < sizeof(t) ? outlen - done : sizeof(t);
		if (rc == 0)
			memcpy(out + done, t, n);
		done += n;
		parts[0].len = sizeof(t);
		ctr++;
	}
	sodium_memzero(t, sizeof(t));
	return rc;
}

int ss_hkdf_sha256(const unsigned char *salt, size_t saltlen, const unsigned char *ikm,
		   size_t ikmlen, const unsigned char *info, size_t infolen, unsigned char *out,
		   size_t outlen)
{
	static const unsigned char zeros[SS_SHA256_LEN];
	struct part in = {ikm, ikmlen};
	unsigned char prk[SS_SHA256_LEN];
	EVP_MAC_CTX *c;
	int rc;

	if (outlen > 255 * SS_SHA256_LEN)
		return SS_E_INVAL;
	if (salt == NULL || saltlen == 0) {
		salt = zeros;
		saltlen = sizeof(zeros);
	}
	c = mac_new();
	if (c == NULL)
		return SS_E_NOMEM;
	rc = mac_run(c, salt, saltlen, &in, 1, prk); /* extract */
	if (rc == 0)
		rc = expand(c, prk, info, infolen, out, outlen);
	EVP_MAC_CTX_free(c); /* cleanses the key schedule (PRK-derived) */
	sodium_memzero(prk, sizeof(prk));
	if (rc != 0)
		sodium_memzero(out, outlen);
	return rc;
}
