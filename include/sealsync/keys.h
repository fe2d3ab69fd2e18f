/*
 * keys.h: age X25519 recipients (public) and identities (private), keyrings
 * and identity files.
 *
 * Formats are exactly age's: a recipient is "age1" + lowercase Bech32 of the
 * 32-byte X25519 public key; an identity is "AGE-SECRET-KEY-1" + uppercase
 * Bech32 of the 32-byte scalar. An identity file is what age-keygen writes:
 *
 *   # created: 2006-01-02T15:04:05Z
 *   # public key: age1...
 *   AGE-SECRET-KEY-1...
 *
 * possibly several such blocks; '#' lines and blank lines are ignored. The
 * LAST identity in a keyring is the active (newest) one, used for sealing;
 * the others are kept to open older values.
 *
 * Secrets: an identity lives in sodium_malloc memory and is wiped when freed.
 * Error messages name the file and line, never a key.
 */
#ifndef SEALSYNC_KEYS_H
#define SEALSYNC_KEYS_H

#include <stddef.h>
#include <time.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"

#define SS_RECIPIENT_STR_MAX 128   /* "age1..." is 62 characters + NUL */
#define SS_IDENTITY_STR_MAX 128    /* "AGE-SECRET-KEY-1..." is 74 characters + NUL */
#define SS_KEYRING_MAX 4096        /* identities per keyring */
#define SS_KEYFILE_MAX (1u << 20)  /* bytes per identity file */
#define SS_RECIPIENTS_MAX 1024     /* recipients per recipients file */

struct ss_recipient {
	unsigned char pk[32];
};

/*
 * Parses "age1..." (lowercase only; whitespace around is NOT stripped).
 * SS_E_INVAL (message says why, e.g. "bad checksum") otherwise.
 */
int ss_recipient_parse(const char *age1, struct ss_recipient *out, struct ss_err *err) SS_MUST_CHECK;

/* Formats r as "age1..." + NUL into out. SS_E_LIMIT when outlen is too small. */
int ss_recipient_format(const struct ss_recipient *r, char *out, size_t outlen) SS_MUST_CHECK;

/* 1 when a and b are the same key. */
int ss_recipient_equal(const struct ss_recipient *a, const struct ss_recipient *b);

/*
 * Reads an age recipients file: one age1... per line, '#' comments and blank
 * lines ignored, surrounding spaces trimmed. *out is a malloc'd array of *n
 * (>= 1) recipients the caller frees with free(). An empty file, a line that
 * is not an age1 recipient (e.g. an ssh key) or more than SS_RECIPIENTS_MAX
 * is an error naming the file and line. *out = NULL, *n = 0 on error.
 */
int ss_recipients_load_file(const char *path, struct ss_recipient **out, size_t *n,
			    struct ss_err *err) SS_MUST_CHECK;

/* A private key. Opaque: its secret stays in guarded memory. */
struct ss_identity;

/* A new random identity. *out = NULL on error (SS_E_NOMEM). */
int ss_identity_generate(struct ss_identity **out) SS_MUST_CHECK;

/* Parses one "AGE-SECRET-KEY-1..." (uppercase; len bytes, no whitespace). */
int ss_identity_parse(const char *s, size_t len, struct ss_identity **out,
		      struct ss_err *err) SS_MUST_CHECK;

/* Wipes and frees; NULL is accepted. */
void ss_identity_free(struct ss_identity *id);

/* The identity's public key (computed once at creation). */
void ss_identity_recipient(const struct ss_identity *id, struct ss_recipient *out);

/*
 * Writes "AGE-SECRET-KEY-1..." + NUL into out (a secret: give guarded memory,
 * or wipe it). SS_E_LIMIT when outlen is too small.
 */
int ss_identity_format(const struct ss_identity *id, char *out, size_t outlen) SS_MUST_CHECK;

/* An ordered list of identities; the last one is active. */
struct ss_keyring;

int ss_keyring_new(struct ss_keyring **out) SS_MUST_CHECK;
/* Frees every identity in it. NULL is accepted. */
void ss_keyring_free(struct ss_keyring *kr);

/*
 * Appends every identity in an age identity file text (len bytes; name is
 * used in errors only). No permission check. All or nothing: on error the
 * keyring is unchanged. A text with no identity is an error (SS_E_INVAL).
 * Errors name `name` and the line.
 */
int ss_keyring_parse(struct ss_keyring *kr, const char *text, size_t len, const char *name,
		     struct ss_err *err) SS_MUST_CHECK;

/*
 * ss_keyfile_check_perms, then reads (at most SS_KEYFILE_MAX bytes, into
 * guarded memory) and parses path. Symlinks are followed, so kubelet's
 * "..data" layout works. SS_E_PERM, SS_E_NOTFOUND, SS_E_IO, SS_E_INVAL.
 */
int ss_keyring_load_file(struct ss_keyring *kr, const char *path, struct ss_err *err) SS_MUST_CHECK;

/*
 * Loads every regular file (after following symlinks) in dir whose name does
 * not start with '.', sorted by name (so the active key is the last one of
 * the last file). kubelet's "..data" and "..<timestamp>" entries are skipped
 * by the dot rule. A dir with no identity is SS_E_NOTFOUND. All or nothing.
 */
int ss_keyring_load_dir(struct ss_keyring *kr, const char *dir, struct ss_err *err) SS_MUST_CHECK;

/* Appends id (it becomes active). Takes ownership on success only. SS_E_LIMIT past SS_KEYRING_MAX. */
int ss_keyring_add(struct ss_keyring *kr, struct ss_identity *id) SS_MUST_CHECK;

size_t ss_keyring_count(const struct ss_keyring *kr);
/* NULL when i >= count. The keyring keeps ownership. */
const struct ss_identity *ss_keyring_get(const struct ss_keyring *kr, size_t i);
/* The last identity, NULL when empty. */
const struct ss_identity *ss_keyring_active(const struct ss_keyring *kr);

/*
 * Refuses (SS_E_PERM, naming path and the reason) a key file that is not a
 * regular file (after following symlinks), is group- or other-writable, is
 * other-readable, or is owned by anyone but the effective uid or root (a
 * Kubernetes Secret volume is root-owned, mode 0440, group fsGroup, and must
 * pass). 0600, 0400 and 0440 pass; 0644, 0660, 0604 do not.
 */
int ss_keyfile_check_perms(const char *path, struct ss_err *err) SS_MUST_CHECK;

/*
 * Appends exactly age-keygen's block for id to out (which should be a secure
 * buffer): "# created: <RFC 3339 UTC, seconds>\n# public key: age1...\n
 * AGE-SECRET-KEY-1...\n".
 */
int ss_keyfile_format(const struct ss_identity *id, time_t created, struct ss_buf *out) SS_MUST_CHECK;

/*
 * Creates path (mode 0600, O_EXCL: never overwrites) holding one new
 * identity. If recipient is not NULL it receives the public key.
 * SS_E_CONFLICT when path exists.
 */
int ss_keyfile_create(const char *path, struct ss_recipient *recipient, struct ss_err *err) SS_MUST_CHECK;

/*
 * Rotation (sealctl rotate): appends a fresh identity block to path (which must pass the
 * permission check and parse), rewriting it atomically with mode 0600; the
 * new identity becomes the active one, older ones are kept. Creates the file
 * when missing. ss_keyfile_rotate also returns the new public key when
 * recipient is not NULL; ss_keyfile_append_new is the same without it.
 */
int ss_keyfile_append_new(const char *path, struct ss_err *err) SS_MUST_CHECK;
int ss_keyfile_rotate(const char *path, struct ss_recipient *recipient, struct ss_err *err) SS_MUST_CHECK;

#endif
