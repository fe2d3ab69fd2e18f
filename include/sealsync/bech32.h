/*
 * bech32.h: Bech32 (BIP 173 checksum, not Bech32m) as age uses it.
 *
 * age keys are longer than BIP 173's 90-character limit, so no length limit
 * other than the caller's buffers applies. Mixed case is refused; the
 * human-readable part is returned in the case the string used (age1... is
 * lowercase, AGE-SECRET-KEY-1... uppercase), so callers can require one.
 */
#ifndef SEALSYNC_BECH32_H
#define SEALSYNC_BECH32_H

#include <stddef.h>

#include "sealsync/err.h"

/* Longest string accepted or produced (a few hundred bytes covers age). */
#define SS_BECH32_MAX 512

/*
 * Encodes data (8-bit bytes) under hrp (lowercase, 1..83 chars) into out as
 * a NUL-terminated string, in uppercase when upper != 0.
 * SS_E_LIMIT when out is too small, SS_E_INVAL on a bad hrp.
 */
int ss_bech32_encode(const char *hrp, const unsigned char *data, size_t len, int upper,
		     char *out, size_t outlen) SS_MUST_CHECK;

/*
 * Decodes s (length slen, not necessarily NUL-terminated). On success the
 * hrp (as written, NUL-terminated) is in hrp[hrplen] and *datalen bytes in
 * data[datamax]. SS_E_INVAL for bad characters, mixed case, a bad checksum
 * or non-zero padding bits; SS_E_LIMIT when a buffer is too small. The error
 * text never repeats s (it may be a private key).
 */
int ss_bech32_decode(const char *s, size_t slen, char *hrp, size_t hrplen, unsigned char *data,
		     size_t datamax, size_t *datalen, struct ss_err *err) SS_MUST_CHECK;

#endif
