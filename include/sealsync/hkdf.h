/*
 * hkdf.h: HMAC-SHA256 and HKDF-SHA256 (RFC 2104, RFC 5869).
 *
 * libsodium 1.0.18 (Debian 12) has crypto_auth_hmacsha256 but no HKDF, so
 * HKDF is built on the former. Keys of any length are accepted. Outputs may
 * hold secrets: callers keep them in guarded memory or wipe them.
 */
#ifndef SEALSYNC_HKDF_H
#define SEALSYNC_HKDF_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_SHA256_LEN 32

void ss_hmac_sha256(const unsigned char *key, size_t keylen, const unsigned char *msg,
		    size_t msglen, unsigned char out[SS_SHA256_LEN]);

/*
 * HKDF-SHA256 extract-and-expand: outlen bytes (at most 255 * 32) of key
 * material from ikm, salt (may be NULL/0: RFC 5869 then uses 32 zero bytes)
 * and info (the context string). SS_E_INVAL when outlen is too large.
 */
int ss_hkdf_sha256(const unsigned char *salt, size_t saltlen, const unsigned char *ikm,
		   size_t ikmlen, const unsigned char *info, size_t infolen, unsigned char *out,
		   size_t outlen) SS_MUST_CHECK;

#endif
