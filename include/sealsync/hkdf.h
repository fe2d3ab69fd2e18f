/*
 * hkdf.h: HMAC-SHA256 and HKDF-SHA256 (RFC 2104, RFC 5869).
 *
 * On OpenSSL's SHA-256 (libcrypto: SHA-NI/AVX2, several times faster than
 * libsodium 1.0.18's portable code; hkdf.c says why not EVP). Keys of any
 * length are accepted. Outputs may hold secrets: callers keep them in
 * guarded memory or wipe them. The key-derived hash states live on the
 * stack and are wiped before these functions return.
 */
#ifndef SEALSYNC_HKDF_H
#define SEALSYNC_HKDF_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_SHA256_LEN 32

/* 0; SS_E_INTERNAL when libcrypto fails (out undefined). */
int ss_hmac_sha256(const unsigned char *key, size_t keylen, const unsigned char *msg,
		   size_t msglen, unsigned char out[SS_SHA256_LEN]) SS_MUST_CHECK;

/*
 * HKDF-SHA256 extract-and-expand: outlen bytes (at most 255 * 32) of key
 * material from ikm, salt (may be NULL/0: RFC 5869 then uses 32 zero bytes)
 * and info (the context string). SS_E_INVAL when outlen is too large;
 * SS_E_INTERNAL when libcrypto fails (out is then zeroed).
 */
int ss_hkdf_sha256(const unsigned char *salt, size_t saltlen, const unsigned char *ikm,
		   size_t ikmlen, const unsigned char *info, size_t infolen, unsigned char *out,
		   size_t outlen) SS_MUST_CHECK;

#endif
