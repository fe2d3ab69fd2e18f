/*
 * bech32.c: Bech32 (BIP 173) encoding as age uses it for keys (see bech32.h).
 * Key material passes through here, so temporaries are wiped and errors
 * never quote the input.
 */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/bech32.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static unsigned long polymod_step(unsigned long chk, unsigned v)
{
	static const unsigned long gen[5] = {0x3b6a57b2UL, 0x26508e6dUL, 0x1ea119faUL,
					     0x3d4233ddUL, 0x2a1462b3UL};
	unsigned long b = chk >> 25;
	int i;

	chk = ((chk & 0x1ffffffUL) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((b >> i) & 1)
			chk ^= gen[i];
	return chk;
}

/* Checksum state after the expanded (lowercase) hrp. */
static unsigned long polymod_hrp(const char *hrp, size_t n)
{
	unsigned long chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned)tolower((unsigned char)hrp[i]) >> 5);
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned)tolower((unsigned char)hrp[i]) & 31);
	return chk;
}

static int hrp_valid(const char *hrp, size_t n)
{
	size_t i;

	if (n < 1 || n > 83)
		return 0;
	for (i = 0; i < n; i++)
		if (hrp[i] < 33 || hrp[i] > 126)
			return 0;
	return 1;
}

/* Regroups 8-bit bytes into 5-bit values (with zero padding). */
static size_t to5(const unsigned char *data, size_t len, unsigned char *out)
{
	unsigned acc = 0, bits = 0;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		acc = ((acc << 8) | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		out[n++] = (acc << (5 - bits)) & 31;
	return n;
}

int ss_bech32_encode(const char *hrp, const unsigned char *data, size_t len, int upper,
		     char *out, size_t outlen)
{
	unsigned char v[SS_BECH32_MAX];
	size_t hn = strlen(hrp), n, i, pos;
	unsigned long chk;
	int rc = SS_E_LIMIT;

	if (!hrp_valid(hrp, hn))
		return SS_E_INVAL;
	if (len > (SS_BECH32_MAX - 6) * 5 / 8 || hn + 1 + (len * 8 + 4) / 5 + 6 + 1 > outlen)
		return SS_E_LIMIT;
	n = to5(data, len, v);
	chk = polymod_hrp(hrp, hn);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, v[i]);
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		v[n + i] = (chk >> (5 * (5 - i))) & 31;
	pos = 0;
	for (i = 0; i < hn; i++)
		out[pos++] = (char)(upper ? toupper((unsigned char)hrp[i]) : tolower((unsigned char)hrp[i]));
	out[pos++] = '1';
	for (i = 0; i < n + 6; i++) {
		char c = charset[v[i]];
		out[pos++] = (char)(upper ? toupper((unsigned char)c) : c);
	}
	out[pos] = '\0';
	rc = 0;
	sodium_memzero(v, sizeof(v));
	return rc;
}

/* Maps the data part to 5-bit values; refuses unknown characters and mixed case. */
static int decode_chars(const char *s, size_t slen, unsigned char *v, int *lower, int *upper)
{
	size_t i;

	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *p;

		if (c < 33 || c > 126)
			return -1;
		*lower |= islower(c) != 0;
		*upper |= isupper(c) != 0;
		p = strchr(charset, tolower(c));
		if (p == NULL)
			return -1;
		v[i] = (unsigned char)(p - charset);
	}
	return 0;
}

/* Regroups 5-bit values into bytes; leftover bits must be fewer than 5 and zero. */
static int from5(const unsigned char *v, size_t n, unsigned char *data, size_t datamax,
		 size_t *datalen)
{
	unsigned acc = 0, bits = 0;
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		acc = ((acc << 5) | v[i]) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (len >= datamax)
				return SS_E_LIMIT;
			data[len++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 5 || ((acc << (8 - bits)) & 0xff) != 0)
		return SS_E_INVAL;
	*datalen = len;
	return 0;
}

static int decode_checked(const char *s, size_t slen, size_t sep, unsigned char *v,
			  struct ss_err *err)
{
	int lower = 0, upper = 0;
	unsigned long chk;
	size_t i, n = slen - sep - 1;

	if (decode_chars(s + sep + 1, n, v, &lower, &upper) != 0)
		return ss_err_set(err, SS_E_INVAL, "bech32: invalid character");
	for (i = 0; i < sep; i++) {
		lower |= islower((unsigned char)s[i]) != 0;
		upper |= isupper((unsigned char)s[i]) != 0;
	}
	if (lower && upper)
		return ss_err_set(err, SS_E_INVAL, "bech32: mixed case");
	chk = polymod_hrp(s, sep);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, v[i]);
	if (chk != 1)
		return ss_err_set(err, SS_E_INVAL, "bech32: bad checksum");
	return 0;
}

int ss_bech32_decode(const char *s, size_t slen, char *hrp, size_t hrplen, unsigned char *data,
		     size_t datamax, size_t *datalen, struct ss_err *err)
{
	unsigned char v[SS_BECH32_MAX];
	size_t sep, i;
	int rc;

	*datalen = 0;
	if (slen > SS_BECH32_MAX)
		return ss_err_set(err, SS_E_INVAL, "bech32: string too long");
	if (memchr(s, '\0', slen) != NULL)
		return ss_err_set(err, SS_E_INVAL, "bech32: invalid character");
	for (sep = slen; sep > 0 && s[sep - 1] != '1'; sep--)
		;
	if (sep == 0)
		return ss_err_set(err, SS_E_INVAL, "bech32: no separator");
	sep--;
	if (!hrp_valid(s, sep) || slen - sep - 1 < 6)
		return ss_err_set(err, SS_E_INVAL, "bech32: bad length");
	if (sep + 1 > hrplen)
		return ss_err_set(err, SS_E_LIMIT, "bech32: prefix too long");
	rc = decode_checked(s, slen, sep, v, err);
	if (rc != 0)
		goto out;
	rc = from5(v, slen - sep - 1 - 6, data, datamax, datalen);
	if (rc != 0) {
		ss_err_set(err, rc, rc == SS_E_LIMIT ? "bech32: data too long" : "bech32: bad padding");
		goto out;
	}
	for (i = 0; i < sep; i++)
		hrp[i] = s[i];
	hrp[sep] = '\0';
out:
	sodium_memzero(v, sizeof(v));
	return rc;
}
