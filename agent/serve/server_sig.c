/*
 * server_sig.c: GitHub's webhook signature, kept free of libmicrohttpd so
 * the fuzz build (clang, libsodium only) can test the header parser.
 */
#include <string.h>

#include <sodium.h>

#include "sealsync/server.h"

#define SIG_PREFIX "sha256="

int ss_server_check_signature(const unsigned char *secret, size_t secret_len, const char *header,
			      const unsigned char *body, size_t len)
{
	unsigned char given[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t n = 0;
	int rc;

	if (secret_len == 0 || header == NULL || strncmp(header, SIG_PREFIX, strlen(SIG_PREFIX)) != 0)
		return SS_E_SIG;
	header += strlen(SIG_PREFIX);
	/* Exactly 64 hex digits: sodium_hex2bin alone would stop early. */
	if (strlen(header) != 2 * sizeof(given) ||
	    sodium_hex2bin(given, sizeof(given), header, strlen(header), NULL, &n, NULL) != 0 ||
	    n != sizeof(given))
		return SS_E_SIG;
	crypto_auth_hmacsha256_init(&st, secret, secret_len);
	crypto_auth_hmacsha256_update(&st, body != NULL ? body : (const unsigned char *)"", len);
	crypto_auth_hmacsha256_final(&st, mac);
	rc = crypto_verify_32(mac, given) == 0 ? 0 : SS_E_SIG;
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
	return rc;
}
