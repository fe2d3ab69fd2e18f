/* log.c: JSON-lines logging (see include/sealsync/log.h). */
#include <stdarg.h>
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

static void put_pairs(json_t *o, va_list ap)
{
	const char *k, *v;

	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		json_object_set_new(o, k, v != NULL ? json_string(v) : json_null());
	}
}

static void put_err(json_t *o, const struct ss_err *e)
{
	char where[SS_ERR_MSG_MAX * 3];

	if (e == NULL)
		return;
	ss_err_format(e, where, sizeof(where));
	json_object_set_new(o, "error", json_string(where));
	json_object_set_new(o, "reason", json_string(ss_strerror(e->code)));
	if (e->file[0] != '\0')
		json_object_set_new(o, "file", json_string(e->file));
	if (e->line > 0)
		json_object_set_new(o, "line", json_integer(e->line));
	if (e->doc >= 0)
		json_object_set_new(o, "document", json_integer(e->doc));
	if (e->field[0] != '\0')
		json_object_set_new(o, "field", json_string(e->field));
	if (e->key[0] != '\0')
		json_object_set_new(o, "key", json_string(e->key));
}

static void emit_text(json_t *o)
{
	struct ss_buf b;
	const char *k;
	json_t *v;
	int rc;

	ss_buf_init(&b, LOG_LINE_MAX);
	rc = ss_buf_printf(&b, "%s %-5s %s", json_string_value(json_object_get(o, "ts")),
			   json_string_value(json_object_get(o, "level")),
			   json_string_value(json_object_get(o, "msg")));
	json_object_foreach(o, k, v) {
		if (rc != 0)
			break;
		if (strcmp(k, "ts") == 0 || strcmp(k, "level") == 0 || strcmp(k, "msg") == 0)
			continue;
		if (json_is_string(v))
			rc = ss_buf_printf(&b, " %s=%s", k, json_string_value(v));
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
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
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
	json_object_set_new(o, "msg", json_string(msg));
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
