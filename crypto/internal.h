/*
 * internal.h: crypto/-private declarations shared between its files.
 * Not installed, not for other modules.
 */
#ifndef SEALSYNC_CRYPTO_INTERNAL_H
#define SEALSYNC_CRYPTO_INTERNAL_H

#include <stddef.h>

#include "sealsync/age.h"
#include "sealsync/keys.h"

/* The 32-byte X25519 scalar of id (guarded memory owned by id). */
const unsigned char *ss_identity_secret(const struct ss_identity *id);
/* The hint tag of id's recipient, computed when id was made. */
const unsigned char *ss_identity_tag(const struct ss_identity *id);

/* Moves every identity of src to the end of dst (all or nothing). */
int ss_keyring_move(struct ss_keyring *dst, struct ss_keyring *src);

/* Splits text into lines (LF, a trailing CR removed); calls fn for each with its 1-based number. */
typedef int (*ss_line_fn)(void *ctx, const char *line, size_t len, unsigned lineno);
int ss_text_lines(const char *text, size_t len, ss_line_fn fn, void *ctx);

/* ---- age v1 internals (age_header.c, x25519.c, stream.c, age.c) ---- */
#define SS_AGE_INTRO "age-encryption.org/v1\n"
#define SS_AGE_MAX_ARGS 32      /* arguments per stanza, type included */
#define SS_AGE_FILE_KEY_LEN 16
#define SS_AGE_NONCE_LEN 16
#define SS_AGE_SCOPE_TYPE "sealsync/scope"
#define SS_AGE_HINT_TYPE "sealsync/hint"

struct ss_age_stanza {
	size_t nargs;                         /* >= 1: arg[0] is the type */
	const char *arg[SS_AGE_MAX_ARGS];     /* point into the input, not NUL-terminated */
	size_t arglen[SS_AGE_MAX_ARGS];
	const unsigned char *body;            /* decoded, in the header's arena */
	size_t bodylen;
	size_t off, textlen;                  /* the stanza's bytes in the input ("-> " to body end) */
};

struct ss_age_header {
	/* First: ss_age_header_parse zeroes only what follows it (and st[0..n)). */
	struct ss_age_stanza st[SS_AGE_MAX_STANZAS];
	size_t n;
	unsigned char mac[32];
	size_t mac_input_len; /* bytes covered by the MAC: up to and including "---" */
	size_t len;           /* bytes of the whole header, MAC line included */
	unsigned char *arena; /* decoded bodies; malloc'd */
	/* Interpreted stanzas: */
	size_t x25519[SS_AGE_MAX_X25519]; /* indexes into st */
	size_t n_x25519;
	unsigned char shares[SS_AGE_MAX_X25519][32];
	int has_scope, has_hint;
	struct ss_scope scope;
	size_t scope_stanza;  /* index into st, valid when has_scope */
	unsigned char hints[SS_AGE_MAX_X25519][SS_AGE_HINT_LEN];
	size_t n_hints;
};

/* Parses and interprets a binary header (every MUST check). */
int ss_age_header_parse(const unsigned char *in, size_t inlen, struct ss_age_header *h,
			struct ss_err *err);
void ss_age_header_release(struct ss_age_header *h);

/* 1 when the arg equals the NUL-terminated s. */
int ss_age_arg_is(const struct ss_age_stanza *s, size_t i, const char *str);

/*
 * Strict base64 of PUBLIC bytes, not constant time (base64.c): padded or
 * not, the same inputs as libsodium's decoder accepts; at most outmax bytes
 * to out, their number in *n. 0 or -1.
 */
int ss_base64_decode_public(const char *in, size_t len, int padded, unsigned char *out,
			    size_t outmax, size_t *n);

/* Raw (unpadded) strict base64 of exactly want bytes; -1 otherwise. */
int ss_age_b64_raw_decode(const char *s, size_t len, unsigned char *out, size_t want);
/* Appends raw base64 of in, no wrapping. */
int ss_age_b64_raw_append(struct ss_buf *out, const unsigned char *in, size_t len);

/* HMAC over the header bytes, keyed by HKDF(file key, "header"). */
int ss_age_header_mac(const unsigned char file_key[SS_AGE_FILE_KEY_LEN],
		      const unsigned char *hdr, size_t len, unsigned char mac[32]) SS_MUST_CHECK;

/*
 * Header up to and including the MAC line for file_key: X25519 stanzas to
 * o's recipients, the scope stanza, the hint stanza. scope_text (the exact
 * bytes of a parsed scope stanza, may be NULL) replaces the one o->scope
 * would give, so a rewrapped header keeps the original stanza byte for byte.
 */
int ss_age_header_build(const struct ss_age_seal_opts *o, const unsigned char *scope_text,
			size_t scope_len, const unsigned char *file_key, struct ss_buf *hdr);
/* X25519 recipient stanza (x25519.c). */
int ss_age_x25519_wrap(const struct ss_recipient *r, const unsigned char *file_key,
		       struct ss_buf *hdr);
/* 0 and the file key; SS_E_NOMATCH; SS_E_AGE_HEADER on an all-zero secret. */
int ss_age_x25519_unwrap(const struct ss_identity *id, const unsigned char share[32],
			 const unsigned char *body, unsigned char *file_key);

/* STREAM payload (stream.c). */
int ss_age_stream_seal(const unsigned char *file_key, const unsigned char *pt, size_t ptlen,
		       struct ss_buf *out);
int ss_age_stream_open(const unsigned char *file_key, const unsigned char *in, size_t inlen,
		       struct ss_buf *pt, struct ss_err *err);

#endif
