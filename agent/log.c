/* log.c: JSON-lines or logfmt-style text logging (see include/sealsync/log.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sealsync/jsonalloc.h"
#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/log.h"

#define LOG_LINE_MAX 16384

static enum ss_log_level log_level = SS_LOG_INFO;
static int log_text;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ss_log_set_level(enum ss_log_level level)
{
	log_level = level;
}

void ss_log_set_text(int text)
{
	log_text = text;
}

int ss_log_enabled(enum ss_log_level level)
{
	return level >= log_level;
}

int ss_log_parse_level(const char *s, enum ss_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum ss_log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = SS_LOG_WARN;
		return 0;
	}
	return SS_E_INVAL;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF); 0 when p starts none. Reads no
 * byte past a NUL. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
			       (p[3] & 0xc0) == 0x80 ?
			       4 :
			       0;
	}
	return 0;
}

/* The escape (into esc, 8 bytes) for the n-byte character at p, n == 0
 * for a bad byte; 0 when it is copied as is. */
static size_t esc_one(const unsigned char *p, size_t n, enum ss_log_esc mode, char *esc)
{
	if (n == 0)
		return (size_t)snprintf(esc, 8, "\\x%02x", p[0]);
	if (mode == SS_LOG_ESC_UTF8)
		return 0;
	if (n == 1 && (p[0] < 0x20 || p[0] == 0x7f)) {
		if (p[0] == '\n' || p[0] == '\r' || p[0] == '\t')
			return (size_t)snprintf(esc, 8, "\\%c",
						p[0] == '\n' ? 'n' : p[0] == '\r' ? 'r' : 't');
		return (size_t)snprintf(esc, 8, "\\u%04x", p[0]);
	}
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) /* C1: U+0085 is a newline */
		return (size_t)snprintf(esc, 8, "\\u%04x", p[1]);
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return (size_t)snprintf(esc, 8, "\\u%04x", 0x2000 + (p[2] - 0x80));
	if (mode == SS_LOG_ESC_QUOTED && n == 1 && (p[0] == '"' || p[0] == '\\'))
		return (size_t)snprintf(esc, 8, "\\%c", p[0]);
	return 0;
}

size_t ss_log_escape(const char *s, enum ss_log_esc mode, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n, el;
	char esc[8];

	if (cap == 0)
		return 0;
	while (*p != '\0') {
		n = utf8_seq(p);
		el = esc_one(p, n, mode, esc);
		if (o + (el ? el : n) >= cap)
			break; /* whole characters and escapes only */
		memcpy(out + o, el ? (const void *)esc : (const void *)p, el ? el : n);
		o += el ? el : n;
		p += n ? n : 1;
	}
	out[o] = '\0';
	return o;
}

/* A JSON string for any text: bytes that are not UTF-8 (which JSON cannot
 * carry, and jansson refuses) become \xNN instead of losing the field.
 * Text logs keep the bytes: their own escaping (text_pair) handles them. */
static json_t *log_string(const char *v)
{
	json_t *j;
	char *e;
	size_t cap;

	if (v == NULL)
		return json_null();
	if (log_text)
		return json_string_nocheck(v);
	if ((j = json_string(v)) != NULL)
		return j;
	if (strlen(v) >= SIZE_MAX / 6)
		return NULL;
	cap = SS_LOG_ESC_MAX(strlen(v));
	if ((e = malloc(cap)) == NULL)
		return NULL;
	ss_log_escape(v, SS_LOG_ESC_UTF8, e, cap);
	j = json_string(e);
	free(e);
	return j;
}

static void put_time(json_t *o)
{
	struct timeval tv;
	struct tm tm;
	char ts[64];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(tv.tv_usec / 1000));
	json_object_set_new(o, "ts", json_string(ts));
}

/*
 * Counts and durations are JSON numbers, so that a log pipeline can sum
 * and compare them. The type belongs to the field name, not to the value
 * (a unit named "123" stays a string), so every line of a kind has the
 * same schema. Callers still pass text (log.h); a value of these fields
 * that is not a plain decimal number stays a string.
 */
static const char *const number_fields[] = {
	"applied", "pruned", "values", "duration", "pid", "status", "units", "keys_count",
	"changed", "added", "unchanged", "failed", /* --diff's "unit diffed" */
};

/* 1 when v is digits with an optional fraction ("12", "0.250"); *real
 * says whether it has the fraction. At most 15 integer digits: a count,
 * not an id that would lose digits as a double or overflow. */
static int plain_decimal(const char *v, int *real)
{
	size_t ip = strspn(v, "0123456789"), fp = 0;

	if (ip == 0 || ip > 15)
		return 0;
	*real = v[ip] == '.';
	if (*real && (fp = strspn(v + ip + 1, "0123456789")) == 0)
		return 0;
	return v[ip + (*real ? 1 + fp : 0)] == '\0';
}

/* The JSON number for field k's value v, or NULL: stays a string. */
static json_t *log_number(const char *k, const char *v)
{
	size_t i, n = sizeof(number_fields) / sizeof(number_fields[0]);
	int real;

	for (i = 0; i < n && strcmp(k, number_fields[i]) != 0; i++)
		;
	if (i == n || v == NULL || !plain_decimal(v, &real))
		return NULL;
	return real ? json_real(strtod(v, NULL)) : json_integer((json_int_t)strtoll(v, NULL, 10));
}

static void put_pairs(json_t *o, va_list ap)
{
	const char *k, *v;
	json_t *num;

	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		num = log_text ? NULL : log_number(k, v);
		json_object_set_new(o, k, num != NULL ? num : log_string(v));
	}
}

static void put_err(json_t *o, const struct ss_err *e)
{
	char where[SS_ERR_MSG_MAX * 3];

	if (e == NULL)
		return;
	ss_err_format(e, where, sizeof(where));
	json_object_set_new(o, "error", log_string(where));
	json_object_set_new(o, "reason", json_string(ss_strerror(e->code)));
	if (e->file[0] != '\0')
		json_object_set_new(o, "file", log_string(e->file));
	if (e->line > 0)
		json_object_set_new(o, "line", json_integer(e->line));
	if (e->doc >= 0)
		json_object_set_new(o, "document", json_integer(e->doc));
	if (e->field[0] != '\0')
		json_object_set_new(o, "field", log_string(e->field));
	if (e->key[0] != '\0')
		json_object_set_new(o, "key", log_string(e->key));
}

/* Appends " key=value", the value quoted when it has to be (log.h). */
static int text_pair(struct ss_buf *b, const char *k, const char *v)
{
	size_t len = strlen(v), cap;
	char *e;
	int rc, quote;

	if (len >= SIZE_MAX / 6)
		return SS_E_LIMIT;
	cap = SS_LOG_ESC_MAX(len);
	if ((e = malloc(cap)) == NULL)
		return SS_E_NOMEM;
	quote = ss_log_escape(v, SS_LOG_ESC_LINE, e, cap) != len || len == 0 ||
		strpbrk(v, " =\"") != NULL;
	if (quote)
		ss_log_escape(v, SS_LOG_ESC_QUOTED, e, cap);
	rc = ss_buf_printf(b, quote ? " %s=\"%s\"" : " %s=%s", k, e);
	free(e);
	return rc;
}

static int text_head(struct ss_buf *b, json_t *o)
{
	const char *msg = json_string_value(json_object_get(o, "msg"));
	char *e;
	size_t cap;
	int rc;

	msg = msg != NULL ? msg : "";
	if (strlen(msg) >= SIZE_MAX / 6)
		return SS_E_LIMIT;
	cap = SS_LOG_ESC_MAX(strlen(msg));
	if ((e = malloc(cap)) == NULL)
		return SS_E_NOMEM;
	ss_log_escape(msg, SS_LOG_ESC_LINE, e, cap);
	rc = ss_buf_printf(b, "%s %-5s %s", json_string_value(json_object_get(o, "ts")),
			   json_string_value(json_object_get(o, "level")), e);
	free(e);
	return rc;
}

static void emit_text(json_t *o)
{
	struct ss_buf b;
	const char *k;
	json_t *v;
	int rc;

	ss_buf_init(&b, LOG_LINE_MAX);
	rc = text_head(&b, o);
	json_object_foreach(o, k, v) {
		if (rc != 0)
			break;
		if (strcmp(k, "ts") == 0 || strcmp(k, "level") == 0 || strcmp(k, "msg") == 0)
			continue;
		if (json_is_string(v))
			rc = text_pair(&b, k, json_string_value(v));
		else if (json_is_integer(v))
			rc = ss_buf_printf(&b, " %s=%lld", k, (long long)json_integer_value(v));
	}
	if (rc == 0)
		rc = ss_buf_putc(&b, '\n');
	/* A log line that cannot be written is dropped: nothing else to do. */
	if (rc == 0 && ss_fd_write_all(STDERR_FILENO, b.data, b.len) != 0)
		rc = SS_E_IO;
	ss_buf_release(&b);
}

static void emit(json_t *o)
{
	char *line;
	size_t n;

	if (log_text) {
		emit_text(o);
		return;
	}
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	if (line == NULL)
		return;
	n = strlen(line);
	line[n] = '\n'; /* replaces the NUL; written with its length */
	if (ss_fd_write_all(STDERR_FILENO, (unsigned char *)line, n + 1) != 0)
		n = 0; /* dropped: logging has nowhere else to report */
	ss_json_free(line);
}

static json_t *log_begin(enum ss_log_level level, const char *msg)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	put_time(o);
	json_object_set_new(o, "level", json_string(level_names[level]));
	json_object_set_new(o, "msg", log_string(msg));
	return o;
}

void ss_log(enum ss_log_level level, const char *msg, ...)
{
	va_list ap;
	json_t *o;

	if (!ss_log_enabled(level) || (o = log_begin(level, msg)) == NULL)
		return;
	va_start(ap, msg);
	put_pairs(o, ap);
	va_end(ap);
	emit(o);
	json_decref(o);
}

void ss_log_err(enum ss_log_level level, const char *msg, const struct ss_err *e, ...)
{
	va_list ap;
	json_t *o;

	if (!ss_log_enabled(level) || (o = log_begin(level, msg)) == NULL)
		return;
	va_start(ap, e);
	put_pairs(o, ap);
	va_end(ap);
	put_err(o, e);
	emit(o);
	json_decref(o);
}
