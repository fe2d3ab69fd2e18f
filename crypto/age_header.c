/*
 * age_header.c: the age v1 header, parsed with every MUST of the spec
 * (https://age-encryption.org/v1) and the checks of the CCTV testkit, then
 * interpreted: X25519 stanzas, sealsync/scope, sealsync/hint.
 *
 * Nothing in the header is secret (shares and wrapped keys are public), but
 * it is hostile input: every length is bounded, every line checked, and
 * error messages name the stanza, never quote bytes.
 */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/hkdf.h"

#include "internal.h"

#define COLUMNS 64
#define BYTES_PER_LINE 48

struct cursor {
	const unsigned char *p;
	size_t len, pos;
	size_t arena_used, arena_cap;
	int clipped; /* len was cut to SS_AGE_MAX_HEADER */
	int hit_end; /* a read ran into len */
};

int ss_age_b64_raw_decode(const char *s, size_t len, unsigned char *out, size_t want)
{
	size_t n = 0;

	if (len != (want * 4 + 2) / 3)
		return -1;
	/* The header is public: the faster, not constant-time decoder. */
	if (ss_base64_decode_public(s, len, 0, out, want, &n) != 0 || n != want)
		return -1;
	return 0;
}

int ss_age_b64_raw_append(struct ss_buf *out, const unsigned char *in, size_t len)
{
	char tmp[SS_AGE_CHUNK / 32];
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);

	if (n > sizeof(tmp))
		return SS_E_LIMIT;
	sodium_bin2base64(tmp, n, in, len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return ss_buf_append(out, tmp, n - 1);
}

int ss_age_arg_is(const struct ss_age_stanza *s, size_t i, const char *str)
{
	size_t n = strlen(str);

	return i < s->nargs && s->arglen[i] == n && memcmp(s->arg[i], str, n) == 0;
}

/* The next line (without its LF); -1 when there is no LF before the end. */
static int next_line(struct cursor *c, const char **line, size_t *len)
{
	const unsigned char *nl;

	nl = c->pos < c->len ? memchr(c->p + c->pos, '\n', c->len - c->pos) : NULL;
	if (nl == NULL) {
		c->hit_end = 1;
		return -1;
	}
	*line = (const char *)c->p + c->pos;
	*len = (size_t)(nl - (c->p + c->pos));
	c->pos += *len + 1;
	return 0;
}

/* Splits "-> a b c" at single spaces; every argument 1*VCHAR. */
static int split_args(const char *line, size_t len, struct ss_age_stanza *s)
{
	size_t i = 3;

	if (len < 3 || memcmp(line, "-> ", 3) != 0)
		return -1;
	s->nargs = 0;
	for (;;) {
		size_t start = i;

		while (i < len && line[i] != ' ') {
			if (line[i] < 33 || line[i] > 126)
				return -1;
			i++;
		}
		if (i == start || s->nargs >= SS_AGE_MAX_ARGS)
			return -1;
		s->arg[s->nargs] = line + start;
		s->arglen[s->nargs++] = i - start;
		if (i == len)
			return 0;
		i++; /* the space */
	}
}

static int read_body(struct cursor *c, struct ss_age_stanza *s, size_t idx, struct ss_err *err)
{
	unsigned char *arena = (unsigned char *)s->body;
	const char *line;
	size_t len, n;

	s->bodylen = 0;
	for (;;) {
		if (next_line(c, &line, &len) != 0)
			return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: truncated body", idx + 1);
		if (len > COLUMNS)
			return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: body line longer than 64 columns", idx + 1);
		if (c->arena_used + BYTES_PER_LINE > c->arena_cap)
			return ss_err_set(err, SS_E_LIMIT, "header: too large");
		n = 0;
		if (len > 0 && (len % 4 == 1 ||
				ss_base64_decode_public(line, len, 0, arena + s->bodylen, BYTES_PER_LINE, &n) != 0))
			return ss_err_set(err, SS_E_AGE_HEADER,
					  "header: stanza %zu: body line is not canonical unpadded base64%s", idx + 1,
					  (len >= 2 && (line[0] == '-')) ? " (stanza ended without a short line)" : "");
		s->bodylen += n;
		c->arena_used += n;
		if (n < BYTES_PER_LINE)
			return 0;
	}
}

static int read_footer(struct cursor *c, struct ss_age_header *h, struct ss_err *err)
{
	const char *line;
	size_t len, start = c->pos;

	if (next_line(c, &line, &len) != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: MAC line is truncated");
	if (len != 3 + 1 + 43 || memcmp(line, "--- ", 4) != 0 ||
	    ss_age_b64_raw_decode(line + 4, 43, h->mac, 32) != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: malformed MAC line");
	h->mac_input_len = start + 3;
	h->len = c->pos;
	return 0;
}

static int parse_stanzas(struct cursor *c, struct ss_age_header *h, struct ss_err *err)
{
	const char *line;
	size_t len;

	for (;;) {
		struct ss_age_stanza *s;
		int rc;

		if (c->len - c->pos < 3) {
			c->hit_end = 1;
			return ss_err_set(err, SS_E_AGE_HEADER, "header: truncated before the MAC line");
		}
		if (memcmp(c->p + c->pos, "---", 3) == 0)
			return read_footer(c, h, err);
		if (h->n >= SS_AGE_MAX_STANZAS)
			return ss_err_set(err, SS_E_LIMIT, "header: more than %d stanzas", SS_AGE_MAX_STANZAS);
		s = &h->st[h->n];
		memset(s, 0, sizeof(*s)); /* the parse zeroes only the stanzas it fills */
		s->off = c->pos;
		if (next_line(c, &line, &len) != 0)
			return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: truncated", h->n + 1);
		if (split_args(line, len, s) != 0)
			return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: malformed opening line", h->n + 1);
		s->body = h->arena + c->arena_used;
		rc = read_body(c, s, h->n, err);
		if (rc != 0)
			return rc;
		s->textlen = c->pos - s->off;
		h->n++;
	}
}

static int interpret_x25519(struct ss_age_header *h, size_t i, struct ss_err *err)
{
	const struct ss_age_stanza *s = &h->st[i];
	size_t k = h->n_x25519;

	if (k >= SS_AGE_MAX_X25519)
		return ss_err_set(err, SS_E_LIMIT, "header: more than %d X25519 stanzas", SS_AGE_MAX_X25519);
	if (s->nargs != 2 || ss_age_b64_raw_decode(s->arg[1], s->arglen[1], h->shares[k], 32) != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: malformed X25519 share", i + 1);
	if (s->bodylen != 32)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: X25519 body is not a 16-byte file key", i + 1);
	h->x25519[k] = i;
	h->n_x25519++;
	return 0;
}

static int copy_arg(char *dst, const struct ss_age_stanza *s, size_t i)
{
	if (s->arglen[i] > SS_SCOPE_FIELD_MAX)
		return -1;
	memcpy(dst, s->arg[i], s->arglen[i]);
	dst[s->arglen[i]] = '\0';
	return 0;
}

static int interpret_scope(struct ss_age_header *h, size_t i, struct ss_err *err)
{
	const struct ss_age_stanza *s = &h->st[i];
	struct ss_scope sc;
	char mode[16] = "";
	size_t want;

	memset(&sc, 0, sizeof(sc));
	if (h->has_scope)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: more than one sealsync/scope stanza");
	if (s->nargs >= 2 && s->arglen[1] < sizeof(mode)) {
		memcpy(mode, s->arg[1], s->arglen[1]);
		mode[s->arglen[1]] = '\0';
	}
	if (ss_scope_parse_mode(mode, &sc.mode) != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: unknown scope mode", i + 1);
	want = sc.mode == SS_SCOPE_STRICT ? 5 : sc.mode == SS_SCOPE_NAMESPACE ? 3 : 2;
	if (s->nargs != want || s->bodylen != 0 || (want >= 3 && copy_arg(sc.ns, s, 2) != 0) ||
	    (want == 5 && (copy_arg(sc.name, s, 3) != 0 || copy_arg(sc.key, s, 4) != 0)) ||
	    ss_scope_validate(&sc, NULL) != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: malformed sealsync/scope stanza", i + 1);
	h->scope = sc;
	h->has_scope = 1;
	h->scope_stanza = i;
	return 0;
}

static int interpret_hint(struct ss_age_header *h, size_t i, struct ss_err *err)
{
	const struct ss_age_stanza *s = &h->st[i];
	size_t k;

	if (h->has_hint)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: more than one sealsync/hint stanza");
	if (s->nargs < 2 || s->nargs - 1 > SS_AGE_MAX_X25519 || s->bodylen != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: malformed sealsync/hint stanza", i + 1);
	for (k = 1; k < s->nargs; k++)
		if (ss_age_b64_raw_decode(s->arg[k], s->arglen[k], h->hints[k - 1], SS_AGE_HINT_LEN) != 0)
			return ss_err_set(err, SS_E_AGE_HEADER, "header: stanza %zu: malformed hint tag", i + 1);
	h->n_hints = s->nargs - 1;
	h->has_hint = 1;
	return 0;
}

static int interpret(struct ss_age_header *h, struct ss_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < h->n && rc == 0; i++) {
		const struct ss_age_stanza *s = &h->st[i];

		if (ss_age_arg_is(s, 0, "X25519"))
			rc = interpret_x25519(h, i, err);
		else if (ss_age_arg_is(s, 0, SS_AGE_SCOPE_TYPE))
			rc = interpret_scope(h, i, err);
		else if (ss_age_arg_is(s, 0, SS_AGE_HINT_TYPE))
			rc = interpret_hint(h, i, err);
		/* Any other type is for another identity kind (or grease): ignored, as age does. */
	}
	if (rc == 0 && h->has_hint && h->n_hints != h->n_x25519)
		rc = ss_err_set(err, SS_E_AGE_HEADER,
				"header: sealsync/hint has %zu tags for %zu X25519 stanzas", h->n_hints, h->n_x25519);
	return rc;
}

int ss_age_header_parse(const unsigned char *in, size_t inlen, struct ss_age_header *h,
			struct ss_err *err)
{
	struct cursor c = {in, inlen, 0, 0, 0, 0, 0};
	size_t intro = strlen(SS_AGE_INTRO);
	int rc;

	/* Everything but the stanza array (35 KiB, mostly unused: 3 stanzas per
	 * sealed value): zeroing it all cost more than the X25519 operation
	 * (PERFORMANCE.md, 2c). parse_stanzas zeroes each stanza it fills, and
	 * nothing reads st[i] for i >= n. */
	memset(&h->n, 0, sizeof(*h) - offsetof(struct ss_age_header, n));
	if (inlen == 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: file is empty");
	if (inlen < intro || memcmp(in, SS_AGE_INTRO, intro) != 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "header: not an age v1 file (bad first line)");
	/* Bound the header before parsing: it is hostile input. */
	if (c.len > SS_AGE_MAX_HEADER) {
		c.len = SS_AGE_MAX_HEADER;
		c.clipped = 1;
	}
	c.arena_cap = c.len; /* decoded bodies are shorter than their text */
	h->arena = malloc(c.arena_cap);
	if (h->arena == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	c.pos = intro;
	rc = parse_stanzas(&c, h, err);
	if (rc == SS_E_AGE_HEADER && c.clipped && c.hit_end)
		rc = ss_err_set(err, SS_E_LIMIT, "header: larger than %u bytes", SS_AGE_MAX_HEADER);
	if (rc == 0)
		rc = interpret(h, err);
	return rc;
}

void ss_age_header_release(struct ss_age_header *h)
{
	free(h->arena);
	h->arena = NULL;
}

int ss_age_header_mac(const unsigned char file_key[SS_AGE_FILE_KEY_LEN],
		      const unsigned char *hdr, size_t len, unsigned char mac[32])
{
	unsigned char k[32];
	int rc = ss_hkdf_sha256(NULL, 0, file_key, SS_AGE_FILE_KEY_LEN, (const unsigned char *)"header",
				6, k, sizeof(k));

	if (rc == 0)
		rc = ss_hmac_sha256(k, sizeof(k), hdr, len, mac);
	sodium_memzero(k, sizeof(k));
	return rc;
}
