/* buf.c: bounded growable buffer (see include/sealsync/buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/buf.h"

void ss_buf_init(struct ss_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void ss_buf_init_secure(struct ss_buf *b, size_t max)
{
	ss_buf_init(b, max);
	b->secure = 1;
	/* sodium_malloc needs the library initialised; this is idempotent. */
	if (sodium_init() < 0)
		abort(); /* broken invariant: libsodium cannot start */
}

static unsigned char *buf_alloc(int secure, size_t n)
{
	return secure ? sodium_malloc(n) : malloc(n);
}

static void buf_free(int secure, unsigned char *p, size_t cap)
{
	if (p == NULL)
		return;
	if (secure) {
		sodium_free(p); /* sodium_free wipes */
		return;
	}
	sodium_memzero(p, cap);
	free(p);
}

int ss_buf_reserve(struct ss_buf *b, size_t n)
{
	size_t want, cap;
	unsigned char *p;

	if (n > b->max || b->len > b->max - n)
		return SS_E_LIMIT;
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	/* Grow by copy rather than realloc so the old copy can be wiped. */
	p = buf_alloc(b->secure, cap);
	if (p == NULL)
		return SS_E_NOMEM;
	if (b->data != NULL)
		memcpy(p, b->data, b->len + 1);
	else
		p[0] = '\0';
	buf_free(b->secure, b->data, b->cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int ss_buf_append(struct ss_buf *b, const void *p, size_t n)
{
	int rc = ss_buf_reserve(b, n);

	if (rc != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int ss_buf_puts(struct ss_buf *b, const char *s)
{
	return ss_buf_append(b, s, strlen(s));
}

int ss_buf_putc(struct ss_buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return ss_buf_append(b, &ch, 1);
}

int ss_buf_vprintf(struct ss_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return SS_E_INVAL;
	rc = ss_buf_reserve(b, (size_t)n);
	if (rc != 0)
		return rc;
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int ss_buf_printf(struct ss_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ss_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void ss_buf_reset(struct ss_buf *b)
{
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		b->data[0] = '\0';
	}
	b->len = 0;
}

void ss_buf_release(struct ss_buf *b)
{
	if (b == NULL)
		return;
	buf_free(b->secure, b->data, b->cap);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

const char *ss_buf_str(const struct ss_buf *b)
{
	return b->data != NULL ? (const char *)b->data : "";
}
