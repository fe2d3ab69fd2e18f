/*
 * buf.h: the one growable byte buffer, always with a ceiling.
 *
 * A buffer grows up to `max` bytes; an append past it fails with SS_E_LIMIT
 * and leaves the buffer as it was. The data is always NUL-terminated (the
 * terminator is not counted in len and is not counted against max).
 *
 * A secure buffer keeps its bytes in sodium_malloc memory (guard pages,
 * mlock where the system allows) and wipes every old copy when it grows.
 * Every buffer, secure or not, is wiped on ss_buf_reset and ss_buf_release,
 * so a plain buffer that briefly held a secret does not leak it either.
 *
 * The struct is public so it can live on the stack; treat the fields as
 * read-only outside buf.c.
 */
#ifndef SEALSYNC_BUF_H
#define SEALSYNC_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "sealsync/err.h"

struct ss_buf {
	unsigned char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;
	int secure;
};

/* Initialises an empty buffer that may grow to max bytes. Never fails. */
void ss_buf_init(struct ss_buf *b, size_t max);
void ss_buf_init_secure(struct ss_buf *b, size_t max);

/* Appends n bytes. SS_E_LIMIT past max, SS_E_NOMEM; b unchanged on error. */
int ss_buf_append(struct ss_buf *b, const void *p, size_t n) SS_MUST_CHECK;
int ss_buf_puts(struct ss_buf *b, const char *s) SS_MUST_CHECK;
int ss_buf_putc(struct ss_buf *b, int c) SS_MUST_CHECK;
int ss_buf_printf(struct ss_buf *b, const char *fmt, ...) SS_PRINTF(2, 3) SS_MUST_CHECK;
int ss_buf_vprintf(struct ss_buf *b, const char *fmt, va_list ap) SS_PRINTF(2, 0) SS_MUST_CHECK;

/* Ensures room for n more bytes without changing len. */
int ss_buf_reserve(struct ss_buf *b, size_t n) SS_MUST_CHECK;

/* Wipes the content and sets len to 0; keeps the allocation. */
void ss_buf_reset(struct ss_buf *b);

/* Wipes and frees; b can be reused after ss_buf_init. NULL is accepted. */
void ss_buf_release(struct ss_buf *b);

/* The data as a C string ("" when empty). Valid until the next change. */
const char *ss_buf_str(const struct ss_buf *b);

#endif
