/* err.c: the error convention (see include/sealsync/err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sealsync/err.h"

static void copy_name(char *dst, size_t cap, const char *src)
{
	if (src == NULL)
		return;
	snprintf(dst, cap, "%s", src);
}

void ss_err_clear(struct ss_err *e)
{
	if (e == NULL)
		return;
	memset(e, 0, sizeof(*e));
	e->doc = -1;
}

int ss_err_set(struct ss_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void ss_err_prefix(struct ss_err *e, const char *fmt, ...)
{
	char head[SS_ERR_MSG_MAX], old[SS_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation is fine: the head and the start of the message matter. */
	n = strnlen(head, sizeof(head) - 1);
	memcpy(e->msg, head, n);
	if (n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 2);
		n += 2;
	}
	old[sizeof(e->msg) - n - 1] = '\0';
	memcpy(e->msg + n, old, strlen(old) + 1);
}

void ss_err_at(struct ss_err *e, const char *file, unsigned line, int doc)
{
	if (e == NULL)
		return;
	copy_name(e->file, sizeof(e->file), file);
	if (line > 0)
		e->line = line;
	if (doc >= 0)
		e->doc = doc;
}

void ss_err_field(struct ss_err *e, const char *field, const char *key)
{
	if (e == NULL)
		return;
	copy_name(e->field, sizeof(e->field), field);
	copy_name(e->key, sizeof(e->key), key);
}

const char *ss_strerror(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{SS_OK, "ok"},
		{SS_E_NOMEM, "out of memory"},
		{SS_E_IO, "i/o error"},
		{SS_E_INVAL, "bad input"},
		{SS_E_LIMIT, "limit exceeded"},
		{SS_E_PERM, "unsafe permissions"},
		{SS_E_SCOPE, "scope mismatch"},
		{SS_E_UNSCOPED, "unscoped value"},
		{SS_E_NOMATCH, "no identity matched"},
		{SS_E_AGE_HEADER, "age header failure"},
		{SS_E_AGE_ARMOR, "age armor failure"},
		{SS_E_AGE_MAC, "age header MAC failure"},
		{SS_E_AGE_PAYLOAD, "age payload failure"},
		{SS_E_NET, "network error"},
		{SS_E_TIMEOUT, "timed out"},
		{SS_E_SIG, "signature failure"},
		{SS_E_CONFLICT, "conflict"},
		{SS_E_NOTFOUND, "not found"},
		{SS_E_DUP, "duplicate"},
		{SS_E_UNSUPPORTED, "unsupported"},
		{SS_E_USAGE, "usage error"},
		{SS_E_INTERNAL, "internal error"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "unknown error";
}

void ss_err_format(const struct ss_err *e, char *buf, size_t len)
{
	size_t n = 0;
	int w;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (e == NULL)
		return;
#define SS_PUT(...)                                                  \
	do {                                                         \
		w = snprintf(buf + n, len - n, __VA_ARGS__);         \
		if (w < 0 || (size_t)w >= len - n)                   \
			return;                                      \
		n += (size_t)w;                                      \
	} while (0)
	if (e->file[0] != '\0') {
		if (e->line > 0)
			SS_PUT("%s:%u: ", e->file, e->line);
		else
			SS_PUT("%s: ", e->file);
	}
	if (e->doc >= 0)
		SS_PUT("document %d: ", e->doc);
	if (e->field[0] != '\0')
		SS_PUT("field %s: ", e->field);
	if (e->key[0] != '\0')
		SS_PUT("key %s: ", e->key);
	SS_PUT("%s", e->msg[0] != '\0' ? e->msg : ss_strerror(e->code));
#undef SS_PUT
}
