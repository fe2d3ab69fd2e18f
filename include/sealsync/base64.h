/*
 * base64.h: standard base64 (RFC 4648 section 4) for sealed values in
 * manifests: padded, one line, no whitespace. Decoding is strict: it refuses
 * whitespace, missing padding and non-canonical trailing bits, so every value
 * has one spelling (a SealedSecret diff then means a changed value).
 */
#ifndef SEALSYNC_BASE64_H
#define SEALSYNC_BASE64_H

#include <stddef.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"

/* Appends the encoding of in to out. SS_E_LIMIT past out->max. */
int ss_base64_encode(const unsigned char *in, size_t len, struct ss_buf *out) SS_MUST_CHECK;

/*
 * Appends the decoded bytes to out. SS_E_INVAL (message says what is wrong,
 * never the input) for a bad character, bad length or non-canonical input;
 * SS_E_LIMIT past out->max. out is unchanged on error. A secure out
 * (ss_buf_init_secure) means secret bytes: decoded in constant time
 * (libsodium); any other out is taken as public (ciphertext) and decoded
 * by a faster table-free loop with the same rules.
 */
int ss_base64_decode(const char *in, size_t len, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

#endif
