/* hkdf.c: HMAC-SHA256 and HKDF-SHA256 on libsodium 1.0.18 (see hkdf.h). */
#include <string.h>

#include <sodium.h>

#include "sealsync/hkdf.h"

void ss_hmac_sha256(const unsigned char *key, size_t keylen, const unsigned char *msg,
		    size_t msglen, unsigned char out[SS_SHA256_LEN])
{
	crypto_auth_hmacsha256_state st;

	/* The _init form takes keys of any length (hashed when longer than a block). */
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, msglen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

int ss_hkdf_sha256(const unsigned char *salt, size_t saltlen, const unsigned char *ikm,
		   size_t ikmlen, const unsigned char *info, size_t infolen, unsigned char *out,
		   size_t outlen)
{
	static const unsigned char zeros[SS_SHA256_LEN];
	unsigned char prk[SS_SHA256_LEN], t[SS_SHA256_LEN];
	crypto_auth_hmacsha256_state st;
	unsigned char ctr;
	size_t done = 0;

	if (outlen > 255 * SS_SHA256_LEN)
		return SS_E_INVAL;
	if (salt == NULL || saltlen == 0) {
		salt = zeros;
		saltlen = sizeof(zeros);
	}
	ss_hmac_sha256(salt, saltlen, ikm, ikmlen, prk); /* extract */
	for (ctr = 1; done < outlen; ctr++) {           /* expand */
		crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
		if (ctr > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof(t));
		crypto_auth_hmacsha256_update(&st, info, infolen);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		size_t n = outlen - done < sizeof(t) ? outlen - done : sizeof(t);

		memcpy(out + done, t, n);
		done += n;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	return 0;
}
