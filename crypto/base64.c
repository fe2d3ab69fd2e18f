/* base64.c: strict standard base64 for sealed values (see base64.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"

#include "internal.h"

int ss_base64_encode(const unsigned char *in, size_t len, struct ss_buf *out)
{
	size_t n;
	char *tmp;
	int rc;

	if (len > (SIZE_MAX - 4) / 4 * 3 - 3)
		return SS_E_LIMIT;
	n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	if (n - 1 > out->max)
		return SS_E_LIMIT;
	tmp = malloc(n);
	if (tmp == NULL)
		return SS_E_NOMEM;
	sodium_bin2base64(tmp, n, in, len, sodium_base64_VARIANT_ORIGINAL);
	rc = ss_buf_append(out, tmp, n - 1);
	free(tmp);
	return rc;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * For public bytes (sealed values and age headers are ciphertext and public
 * keys): libsodium's decoder is constant time at ~80 instructions per
 * character, a tenth of `sealctl verify -i`'s work per value (PERFORMANCE.md,
 * 2c). Same strict rules as libsodium's: padded, len a multiple of 4 (the
 * caller checks) and '=' only as the last one or two characters; unpadded,
 * no '=' and a last group of 2 to 4 characters; either way, zero trailing
 * bits. -1 on any violation or when more than outmax bytes would result.
 */
int ss_base64_decode_public(const char *in, size_t len, int padded, unsigned char *out,
			    size_t outmax, size_t *n)
{
	size_t i, o = 0, have;
	int v[4], k, pad;
	unsigned long w;

	for (i = 0; i < len; i += 4) {
		have = len - i < 4 ? len - i : 4;
		if (padded)
			pad = have == 4 && i + 4 == len && in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0;
		else
			pad = (int)(4 - have);
		if (have < 4 && (padded || have < 2))
			return -1;
		for (k = 0; k < 4; k++)
			if ((v[k] = k < 4 - pad ? b64_value((unsigned char)in[i + k]) : 0) < 0)
				return -1;
		if ((pad == 2 && (v[1] & 15) != 0) || (pad == 1 && (v[2] & 3) != 0) ||
		    o + 3 - (size_t)pad > outmax)
			return -1;
		w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 | (unsigned long)v[2] << 6 |
		    (unsigned long)v[3];
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	*n = o;
	return 0;
}

static int decode_any(const char *in, size_t len, unsigned char *tmp, size_t max, size_t *n,
		      int secret)
{
	if (!secret)
		return ss_base64_decode_public(in, len, 1, tmp, max, n);
	/* ignore=NULL and b64_end=NULL: any stray character fails; libsodium
	 * also refuses missing padding and non-zero trailing bits. */
	return sodium_base642bin(tmp, max, in, len, NULL, n, NULL, sodium_base64_VARIANT_ORIGINAL);
}

int ss_base64_decode(const char *in, size_t len, struct ss_buf *out, struct ss_err *err)
{
	size_t max = len / 4 * 3 + 3, n = 0;
	unsigned char *tmp;
	int rc;

	if (len == 0)
		return 0;
	if (len % 4 != 0)
		return ss_err_set(err, SS_E_INVAL, "not base64: length %zu is not a multiple of 4", len);
	/* The decoded bytes may be secret when out is: match its memory kind. */
	tmp = out->secure ? sodium_malloc(max) : malloc(max);
	if (tmp == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (decode_any(in, len, tmp, max, &n, out->secure) != 0) {
		rc = ss_err_set(err, SS_E_INVAL,
				"not base64 (bad character, padding or non-canonical encoding)");
		goto out;
	}
	rc = ss_buf_append(out, tmp, n);
	if (rc != 0)
		ss_err_set(err, rc, "decoded value: %s", ss_strerror(rc));
out:
	sodium_memzero(tmp, max);
	if (out->secure)
		sodium_free(tmp);
	else
		free(tmp);
	return rc;
}
