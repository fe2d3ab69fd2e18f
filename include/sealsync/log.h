/*
 * log.h: the agent's structured logs, one JSON object per line on stderr.
 *
 *   {"ts":"2026-11-26T12:00:00.123Z","level":"info","msg":"sync done","unit":"apps","revision":"abc…"}
 *
 * Fields are string pairs; callers pass names, counts and ids, never a
 * secret value. Errors are logged with ss_log_err, which adds the error's
 * location fields (file, line, document, field, key) as separate keys.
 * Thread-safe (one write(2) per line).
 *
 * Values are untrusted text (a file name is chosen by whoever commits), so
 * no value can break a line or drop a field:
 *  - JSON: jansson escapes control characters; a value that is not valid
 *    UTF-8 (which JSON cannot carry) is written with each bad byte as the
 *    four characters \xNN (in JSON: "\\xff"), never left out.
 *  - text: "TS LEVEL MSG key=value ...". A value is quoted logfmt-style
 *    ("...") when it is empty or holds a space, '=', '"', a control
 *    character or a byte that is not UTF-8; inside quotes \ and " are
 *    escaped. In every value and in MSG, a newline, CR and tab become
 *    \n \r \t, other control characters (C0, DEL, C1, U+2028/9) \u00XX
 *    or \u2028, and bad bytes \xNN. So every record is exactly one line.
 * A literal backslash outside quotes is kept as is: \xNN there is a
 * readable rendering of the name, not an exact encoding of it.
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

/* How ss_log_escape rewrites text. */
enum ss_log_esc {
	SS_LOG_ESC_UTF8 = 0, /* only bytes that are not UTF-8, as \xNN */
	SS_LOG_ESC_LINE,     /* also control characters: \n \r \t \u00XX \u2028 */
	SS_LOG_ESC_QUOTED,   /* also " and \ as \" and \\ (inside quotes) */
};
/* Worst case: each input byte becomes 6 output bytes, plus the NUL. */
#define SS_LOG_ESC_MAX(len) ((len) * 6 + 1)

/*
 * Copies s into out (cap bytes) with the escapes of mode. Never cuts a
 * character or an escape: when out is too small, the output ends at the
 * last whole one. Always NUL-terminates when cap > 0. Returns the length
 * written. Also for other text shown one record per line (Events).
 */
size_t ss_log_escape(const char *s, enum ss_log_esc mode, char *out, size_t cap);

#endif
