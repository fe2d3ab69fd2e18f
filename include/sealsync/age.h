/*
 * age.h: age v1 files (https://age-encryption.org/v1) with X25519 recipients,
 * plus sealsync's two extra stanzas (docs/FORMAT.md is the spec):
 *
 *   -> sealsync/scope strict NS NAME KEY | namespace NS | cluster   (empty body)
 *   -> sealsync/hint TAG...   one tag per X25519 stanza, in order  (empty body)
 *
 * Stock age ignores both (unknown stanza types), so `age -d` opens our files.
 * The header MAC, keyed by the file key, authenticates both stanzas.
 *
 * Error codes of ss_age_open (each a different outcome class):
 *   SS_E_AGE_ARMOR    the ASCII armor is malformed
 *   SS_E_AGE_HEADER   the header is malformed (any MUST of the spec, or a
 *                     malformed sealsync stanza), an X25519 stanza is
 *                     malformed or yields the all-zero shared secret, the
 *                     payload nonce is missing
 *   SS_E_NOMATCH      well-formed, but no identity in the keyring unwraps it
 *   SS_E_AGE_MAC      a file key unwrapped but the header MAC is wrong
 *   SS_E_AGE_PAYLOAD  the STREAM payload does not decrypt (tampered,
 *                     truncated, trailing data); pt then holds the chunks
 *                     that authenticated before the failure: DISCARD them
 *   SS_E_UNSCOPED     no sealsync/scope stanza and !allow_unscoped
 *   SS_E_SCOPE        scope stanza differs from expect (message names both)
 *   SS_E_LIMIT        more than SS_AGE_MAX_X25519 X25519 stanzas (or another
 *                     header bound), X25519 budget exhausted, pt->max too small
 * Error messages never contain key material or plaintext.
 */
#ifndef SEALSYNC_AGE_H
#define SEALSYNC_AGE_H

#include <stddef.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"
#include "sealsync/keys.h"
#include "sealsync/scope.h"

#define SS_AGE_MAX_X25519 16          /* X25519 stanzas per file */
#define SS_AGE_MAX_STANZAS 64         /* stanzas of any type per file */
#define SS_AGE_MAX_HEADER (64u * 1024) /* header bytes, up to and including the MAC line */
#define SS_AGE_HINT_LEN 4             /* bytes per hint tag (6 base64 characters) */
#define SS_AGE_X25519_BUDGET_DEFAULT 256 /* X25519 operations per ss_age_open call */
#define SS_AGE_CHUNK (64u * 1024)     /* STREAM plaintext chunk */

struct ss_age_seal_opts {
	const struct ss_recipient *recipients; /* 1..SS_AGE_MAX_X25519 */
	size_t nrecipients;
	const struct ss_scope *scope; /* NULL: no scope stanza (tests, --unscoped) */
};

/*
 * Encrypts pt (ptlen bytes, may be 0) to every recipient, with the scope
 * stanza (if any) and the hint stanza. Appends the binary age file to out.
 * The file key and payload key live in guarded memory and are wiped.
 * SS_E_INVAL for no recipients or a bad scope, SS_E_LIMIT for too many
 * recipients or out->max too small.
 */
int ss_age_seal(const struct ss_age_seal_opts *o, const unsigned char *pt, size_t ptlen,
		struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

struct ss_age_info;

struct ss_age_open_opts {
	const struct ss_keyring *kr;  /* identities to try */
	const struct ss_scope *expect; /* NULL: no scope check */
	int allow_unscoped;           /* 1: accept a file with no scope stanza */
	/*
	 * Decremented per X25519 operation (one per identity tried on one
	 * stanza); SS_E_LIMIT when it would go below 0. Share one counter across
	 * the values of a request or revision to cap the total. NULL: a fresh
	 * SS_AGE_X25519_BUDGET_DEFAULT for this call.
	 */
	unsigned *x25519_budget;
	/*
	 * privsep: optional delegates (the agent's key-holder process, see
	 * keyholder.h). When open_fn is set, ss_age_open hands the whole call to
	 * it (kr may be NULL); when reseal_fn is set, so does ss_age_reseal.
	 * budget is never NULL there. Same contract and error codes as the
	 * functions they replace. NULL (memset 0): the keyring is used here.
	 */
	int (*open_fn)(void *ctx, const unsigned char *in, size_t inlen,
		       const struct ss_scope *expect, int allow_unscoped, unsigned *budget,
		       struct ss_buf *pt, struct ss_age_info *info, struct ss_err *err);
	int (*reseal_fn)(void *ctx, const unsigned char *in, size_t inlen,
			 const struct ss_scope *expect, int allow_unscoped, unsigned *budget,
			 const struct ss_age_seal_opts *to, struct ss_buf *out, struct ss_err *err);
	/* ss_sops_open_datakey (sops.h) hands its call to this when set. */
	int (*sops_key_fn)(void *ctx, const unsigned char *in, size_t inlen, unsigned *budget,
			   unsigned char *key32, struct ss_err *err);
	void *delegate_ctx;
};

struct ss_age_info {
	int has_scope;
	struct ss_scope scope;        /* valid when has_scope */
	size_t n_x25519;              /* X25519 stanzas */
	size_t n_hints;               /* tags in the hint stanza (0: none) */
	unsigned char hints[SS_AGE_MAX_X25519][SS_AGE_HINT_LEN];
	size_t scope_off, scope_len;  /* the scope stanza's bytes in the binary file (has_scope) */
	size_t header_len;            /* bytes up to and including the MAC line */
	size_t payload_len;           /* ciphertext bytes after the header */
	size_t identity_index;        /* ss_age_open: keyring index that opened it */
	size_t x25519_ops;            /* ss_age_open: X25519 operations spent */
};

/*
 * Decrypts in (binary, or ASCII-armored: detected by the BEGIN line) with
 * the keyring, then checks the scope (after the MAC: only an authenticated
 * stanza counts). Appends the plaintext to pt, which the caller initialised
 * (secure, with a max). info may be NULL; it is filled as far as parsing got.
 * Identities are tried hinted-first: when the hint stanza names a tag for a
 * stanza, only identities with that tag are tried on it; if none opens the
 * file that way, every identity is tried on every stanza (bounded by the
 * budget). See the error table above.
 */
int ss_age_open(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
		struct ss_buf *pt, struct ss_age_info *info, struct ss_err *err) SS_MUST_CHECK;

/*
 * Parses the header only (binary or armored), no keys: recipients' hint
 * tags, scope, sizes. SS_E_AGE_ARMOR / SS_E_AGE_HEADER. Nothing here is
 * authenticated: it is what the file claims.
 */
int ss_age_inspect(const unsigned char *in, size_t inlen, struct ss_age_info *info,
		   struct ss_err *err) SS_MUST_CHECK;

/* The hint tag of a recipient (a domain-separated hash of its public key). */
int ss_age_hint_for(const struct ss_recipient *r, unsigned char tag[SS_AGE_HINT_LEN]) SS_MUST_CHECK;

/* Formats a tag as its 6 base64 characters + NUL (buf of at least 8). */
void ss_age_hint_format(const unsigned char tag[SS_AGE_HINT_LEN], char *buf, size_t len);

/*
 * age ASCII armor ("-----BEGIN AGE ENCRYPTED FILE-----", 64-column padded
 * base64, "-----END AGE ENCRYPTED FILE-----\n"). Decoding is as strict as the
 * age testkit demands; whitespace is allowed only around the whole block, and
 * CRLF line ends. Both append to out; SS_E_AGE_ARMOR on bad input.
 */
int ss_age_armor_encode(const unsigned char *in, size_t len, struct ss_buf *out) SS_MUST_CHECK;
int ss_age_armor_decode(const unsigned char *in, size_t len, struct ss_buf *out,
			struct ss_err *err) SS_MUST_CHECK;
/* 1 when in starts (after optional whitespace) with the armor BEGIN line. */
int ss_age_is_armored(const unsigned char *in, size_t len);

/*
 * A sealed value as it appears in a manifest or on sealctl's stdin: standard
 * padded base64 of the binary file on one line (surrounding whitespace and a
 * final newline accepted), or age armor. Appends the binary file to out.
 * SS_E_INVAL (not base64) or SS_E_AGE_ARMOR.
 */
int ss_age_value_decode(const char *text, size_t len, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/*
 * Opens in (as ss_age_open with o, including its scope check and every
 * payload chunk) and rewraps it to `to`: a new header that wraps the SAME
 * file key to to's recipients, the input's scope stanza copied byte for byte
 * (to->scope is ignored; an unscoped input needs o->allow_unscoped and stays
 * unscoped), then the input's payload (nonce and STREAM) unchanged. So the
 * plaintext cannot change, and ss_age_check_rewrap can show it without a
 * key. The output is binary (an armored input is dearmored). The plaintext
 * and file key only ever sit in guarded memory.
 */
int ss_age_reseal(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
		  const struct ss_age_seal_opts *to, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/*
 * Checks, with public data only, that after (binary) is a rewrap of before
 * (binary) as ss_age_reseal makes it: the payload and the sealsync/scope
 * stanza are byte-identical, and when to is not NULL, after has exactly nto
 * X25519 stanzas whose hint tags are those of to, in order. SS_E_SIG on a
 * difference, SS_E_INVAL / SS_E_AGE_HEADER on a value that does not parse.
 * What it cannot show without a private key: that the new stanzas wrap the
 * same file key (a wrong one only makes the value unopenable), or that they
 * are for to's recipients (hint tags are public, anyone can write them).
 */
int ss_age_check_rewrap(const unsigned char *before, size_t blen, const unsigned char *after,
			size_t alen, const struct ss_recipient *to, size_t nto,
			struct ss_err *err) SS_MUST_CHECK;

#endif
