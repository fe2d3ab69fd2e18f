/*
 * err.h: the one error convention of sealsync.
 *
 * Every function that can fail returns int: 0, or a negative SS_E_* code.
 * A rich error (message plus where: file, line, document, field, key) goes in
 * an optional `struct ss_err *` out-parameter; NULL is always accepted.
 *
 * The message and location never carry a secret value. Callers pass names
 * (file, field, data key), never contents. Tests grep error text for values.
 */
#ifndef SEALSYNC_ERR_H
#define SEALSYNC_ERR_H

#include <stddef.h>

enum ss_errcode {
	SS_OK = 0,
	SS_E_NOMEM = -1,        /* allocation failed */
	SS_E_IO = -2,           /* reading or writing a file or socket failed */
	SS_E_INVAL = -3,        /* malformed input (syntax, type, missing field) */
	SS_E_LIMIT = -4,        /* a bound on size, count or depth was exceeded */
	SS_E_PERM = -5,         /* unsafe permissions (key file mode, owner) */
	SS_E_SCOPE = -6,        /* a sealed value used outside its scope */
	SS_E_UNSCOPED = -7,     /* a sealed value without scope stanza */
	SS_E_NOMATCH = -8,      /* no identity unwraps the file key */
	SS_E_AGE_HEADER = -9,   /* age header malformed */
	SS_E_AGE_ARMOR = -10,   /* age ASCII armor malformed */
	SS_E_AGE_MAC = -11,     /* age header MAC does not verify */
	SS_E_AGE_PAYLOAD = -12, /* age payload (STREAM) does not decrypt */
	SS_E_NET = -13,         /* network or remote failure */
	SS_E_TIMEOUT = -14,     /* a deadline passed */
	SS_E_SIG = -15,         /* signature missing, untrusted or invalid */
	SS_E_CONFLICT = -16,    /* concurrent modification / already exists */
	SS_E_NOTFOUND = -17,    /* a named thing does not exist */
	SS_E_DUP = -18,         /* duplicate object or key */
	SS_E_UNSUPPORTED = -19, /* valid input we do not support */
	SS_E_USAGE = -20,       /* bad command-line usage */
	SS_E_INTERNAL = -21,    /* broken invariant */
};

#define SS_ERR_MSG_MAX 512
#define SS_ERR_NAME_MAX 256

struct ss_err {
	int code;
	char msg[SS_ERR_MSG_MAX];
	char file[SS_ERR_NAME_MAX];  /* "" when unknown */
	unsigned line;               /* 0 when unknown, 1-based */
	int doc;                     /* -1 when unknown, 0-based document index */
	char field[SS_ERR_NAME_MAX]; /* dotted path, "" when unknown */
	char key[SS_ERR_NAME_MAX];   /* data key, "" when unknown */
};

#if defined(__GNUC__)
#define SS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SS_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SS_PRINTF(a, b)
#define SS_MUST_CHECK
#endif

/* Resets e to "no error, no location". e may be NULL. */
void ss_err_clear(struct ss_err *e);

/*
 * Records code and message in e (when e != NULL) and returns code, so that
 * `return ss_err_set(err, SS_E_INVAL, "...")` reads naturally. The location
 * fields already in e are kept. fmt must never format a secret.
 */
int ss_err_set(struct ss_err *e, int code, const char *fmt, ...) SS_PRINTF(3, 4);

/* Prefixes the existing message with "ctx: " (for wrapping a lower error). */
void ss_err_prefix(struct ss_err *e, const char *fmt, ...) SS_PRINTF(2, 3);

/* Sets the location. A NULL string or 0/-1 number leaves that part as is. */
void ss_err_at(struct ss_err *e, const char *file, unsigned line, int doc);
void ss_err_field(struct ss_err *e, const char *field, const char *key);

/* Static name for a code ("bad input", "scope mismatch", ...). */
const char *ss_strerror(int code);

/*
 * Formats "file:line: document N: field F: key K: message" into buf, leaving
 * out the parts that are unknown. Always NUL-terminates when len > 0.
 */
void ss_err_format(const struct ss_err *e, char *buf, size_t len);

#endif
