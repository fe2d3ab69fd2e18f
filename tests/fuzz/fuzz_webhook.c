// fuzz-link: ss_common
// fuzz-src: agent/serve/server_sig.c
/*
 * The webhook signature check (server.h): arbitrary headers never crash
 * and never pass; a header computed from the secret always passes, and
 * with any one character changed never does.
 *
 * Input: byte 0 = mode (bit 7) and secret length (low 6 bits), then the
 * secret, then the header up to the first '\n', then the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/server.h"

static void check_valid(const uint8_t *secret, size_t slen, const uint8_t *body, size_t blen,
			size_t flip)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hdr[8 + 2 * sizeof(mac)];
	crypto_auth_hmacsha256_state st;
	size_t at;

	crypto_auth_hmacsha256_init(&st, secret, slen);
	crypto_auth_hmacsha256_update(&st, body, blen);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(hdr, "sha256=", 7);
	sodium_bin2hex(hdr + 7, sizeof(hdr) - 7, mac, sizeof(mac));
	if (ss_server_check_signature(secret, slen, hdr, body, blen) != 0)
		abort();
	at = 7 + flip % (2 * sizeof(mac));
	hdr[at] = hdr[at] == '0' ? '1' : '0';
	if (ss_server_check_signature(secret, slen, hdr, body, blen) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *secret, *rest, *nl;
	size_t slen, hlen;
	char *hdr;

	if (size < 1 || sodium_init() < 0)
		return 0;
	slen = data[0] & 0x3f;
	if (slen > size - 1)
		slen = size - 1;
	secret = data + 1;
	rest = secret + slen;
	size -= 1 + slen;
	if (data[0] & 0x80) {
		if (slen > 0)
			check_valid(secret, slen, rest, size, size);
		return 0;
	}
	nl = memchr(rest, '\n', size);
	hlen = nl != NULL ? (size_t)(nl - rest) : size;
	hdr = malloc(hlen + 1);
	if (hdr == NULL)
		return 0;
	memcpy(hdr, rest, hlen);
	hdr[hlen] = '\0';
	if (ss_server_check_signature(secret, slen, hdr, rest + hlen, size - hlen) == 0 &&
	    slen > 0)
		abort(); /* forging an HMAC by chance: a broken check */
	free(hdr);
	return 0;
}
