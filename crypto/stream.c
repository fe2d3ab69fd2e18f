/*
 * stream.c: the age STREAM payload. 64 KiB plaintext chunks, each sealed
 * with ChaCha20-Poly1305 under the payload key; the 12-byte nonce is an
 * 11-byte big-endian chunk counter and a last-chunk flag byte.
 *
 * Opening follows age's reader exactly, since the testkit checks which
 * prefix is released on failure: a full-size chunk is tried as a middle
 * chunk, then as the last one; a short chunk is the last; an empty last
 * chunk is allowed only as the only chunk; after the last chunk no byte may
 * follow (its plaintext has then already been released).
 */
#include <string.h>

#include <sodium.h>

#include "sealsync/secmem.h"

#include "internal.h"

#define TAG 16
#define ENC_CHUNK (SS_AGE_CHUNK + TAG)

static void set_nonce(unsigned char nonce[12], unsigned long long ctr, int last)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 10; i >= 3; i--, ctr >>= 8)
		nonce[i] = (unsigned char)(ctr & 0xff);
	nonce[11] = last ? 1 : 0;
}

int ss_age_stream_seal(const unsigned char *key, const unsigned char *pt, size_t ptlen,
		       struct ss_buf *out)
{
	/* Sized to the value: most secrets are small, and locked memory is scarce. */
	unsigned char nonce[12], *chunk = ss_secmem_scratch((ptlen < SS_AGE_CHUNK ? ptlen : SS_AGE_CHUNK) + TAG);
	unsigned long long ctr = 0;
	size_t pos = 0;
	int last, rc = 0;

	if (chunk == NULL)
		return SS_E_NOMEM;
	do {
		size_t n = ptlen - pos > SS_AGE_CHUNK ? SS_AGE_CHUNK : ptlen - pos;
		last = pos + n == ptlen;
		set_nonce(nonce, ctr++, last);
		crypto_aead_chacha20poly1305_ietf_encrypt(chunk, NULL, pt + pos, n, NULL, 0, NULL, nonce, key);
		rc = ss_buf_append(out, chunk, n + TAG);
		pos += n;
	} while (rc == 0 && !last);
	ss_secmem_unscratch(chunk);
	return rc;
}

static int open_chunk(const unsigned char *key, const unsigned char *c, size_t n,
		      unsigned long long ctr, int last, unsigned char *pt, size_t *ptlen)
{
	unsigned char nonce[12];
	unsigned long long m = 0;

	if (n < TAG)
		return -1;
	set_nonce(nonce, ctr, last);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, &m, NULL, c, n, NULL, 0, nonce, key) != 0)
		return -1;
	*ptlen = (size_t)m;
	return 0;
}

/* Decrypts one chunk at *pos into chunk; sets *last. */
static int next_chunk(const unsigned char *key, const unsigned char *in, size_t inlen, size_t *pos,
		      unsigned long long ctr, unsigned char *chunk, size_t *n, int *last,
		      struct ss_err *err)
{
	size_t rem = inlen - *pos, clen = rem < ENC_CHUNK ? rem : ENC_CHUNK;

	*last = rem < ENC_CHUNK;
	if (rem == 0)
		return ss_err_set(err, SS_E_AGE_PAYLOAD, "payload: truncated (no final chunk)");
	if (rem < TAG)
		return ss_err_set(err, SS_E_AGE_PAYLOAD, "payload: truncated (final chunk shorter than its tag)");
	if (*last && ctr != 0 && rem == TAG)
		return ss_err_set(err, SS_E_AGE_PAYLOAD, "payload: final chunk is empty");
	if (open_chunk(key, in + *pos, clen, ctr, *last, chunk, n) != 0) {
		if (*last || open_chunk(key, in + *pos, clen, ctr, 1, chunk, n) != 0)
			return ss_err_set(err, SS_E_AGE_PAYLOAD,
					  "payload: chunk %llu does not authenticate (tampered or truncated)", ctr + 1);
		*last = 1; /* a full-size final chunk */
	}
	*pos += clen;
	return 0;
}

int ss_age_stream_open(const unsigned char *key, const unsigned char *in, size_t inlen,
		       struct ss_buf *pt, struct ss_err *err)
{
	unsigned char *chunk = ss_secmem_scratch(inlen < SS_AGE_CHUNK ? inlen + 1 : SS_AGE_CHUNK);
	unsigned long long ctr;
	size_t pos = 0, n = 0;
	int last = 0, rc = 0;

	if (chunk == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (ctr = 0; rc == 0 && !last; ctr++) {
		rc = next_chunk(key, in, inlen, &pos, ctr, chunk, &n, &last, err);
		if (rc == 0 && (rc = ss_buf_append(pt, chunk, n)) != 0)
			ss_err_set(err, rc, "payload: plaintext is larger than the limit of %zu bytes", pt->max);
	}
	if (rc == 0 && pos != inlen)
		rc = ss_err_set(err, SS_E_AGE_PAYLOAD, "payload: trailing data after the final chunk");
	ss_secmem_unscratch(chunk);
	return rc;
}
