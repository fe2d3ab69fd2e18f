/*
 * log.h: the agent's structured logs, one JSON object per line on stderr.
 *
 *   {"ts":"2026-11-26T12:00:00.123Z","level":"info","msg":"sync done","unit":"apps","revision":"abc…"}
 *
 * Fields are string pairs; callers pass names, counts and ids, never a
 * secret value. Errors are logged with ss_log_err, which adds the error's
 * location fields (file, line, document, field, key) as separate keys.
 * Thread-safe (one write(2) per line).
 */
#ifndef SEALSYNC_LOG_H
#define SEALSYNC_LOG_H

#include "sealsync/err.h"

enum ss_log_level { SS_LOG_DEBUG = 0, SS_LOG_INFO, SS_LOG_WARN, SS_LOG_ERROR };

/* Lines below level are dropped. Default: info. */
void ss_log_set_level(enum ss_log_level level);
/* "text" gives one human line per event instead of JSON (for terminals). */
void ss_log_set_text(int text);
/* Parses "debug|info|warn|error"; SS_E_INVAL otherwise. */
int ss_log_parse_level(const char *s, enum ss_log_level *out);
int ss_log_enabled(enum ss_log_level level);

/* ss_log(level, msg, "key", "value", ..., NULL): values are strings. */
void ss_log(enum ss_log_level level, const char *msg, ...) __attribute__((sentinel));
/* Like ss_log, with the error's code, message and location added. */
void ss_log_err(enum ss_log_level level, const char *msg, const struct ss_err *e, ...)
	__attribute__((sentinel));

#endif
