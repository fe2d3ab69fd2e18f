/*
 * kube_redact.c: values that must never reach error text.
 *
 * The API server can echo request fields in its messages (an admission
 * webhook quoting a Secret, a 422 naming an invalid value). Every message
 * built from a response passes through kube_redact_apply first. Each value
 * is kept raw and in standard base64 (Secret data travels base64 encoded),
 * both in guarded memory.
 *
 * Overlapping values: occurrences of every form are first marked on the
 * original text, then each marked run becomes one "[REDACTED]". Replacing
 * values one after the other would let a value that overlaps an already
 * replaced one survive in part.
 *
 * Escaped forms: a webhook may quote a value with Go's %q or as JSON
 * (\" \\ \n \t \xNN \uXXXX \UXXXXXXXX, surrogate pairs), even JSON inside
 * JSON. Rather than guess each encoder's spelling (hex case, which bytes it
 * escapes), the text is decoded up to REDACT_DEPTH times; each decoded byte
 * remembers the span of the original text it came from, so a value found
 * in a decoded text marks the whole escaped run in the original.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kube_int.h"

#define REDACT_MIN_LEN 4
#define REDACT_MAX_VALUES 200000 /* forms: 100000 values, raw + base64 */
#define REDACT_ARENA_FIRST 4096
#define REDACT_DEPTH 3 /* decoding passes: escaped once, twice, three times */

/*
 * All forms live back to back in one guarded region that doubles when
 * full, so vals[0] is its start: a region per form cost a mapping with
 * guard pages (mmap/mprotect, TLB flushes) and a resident page each. The
 * capacity follows from the bytes in use, so the struct needs no field.
 */
static size_t redact_arena_cap(size_t used)
{
	size_t cap = REDACT_ARENA_FIRST;

	while (cap < used) {
		if (cap > SIZE_MAX / 2)
			return 0;
		cap *= 2;
	}
	return cap;
}

static size_t redact_used(const struct kube_redact *r)
{
	if (r->n == 0)
		return 0;
	return (size_t)(r->vals[r->n - 1] - r->vals[0]) + r->lens[r->n - 1];
}

/* Room for need more bytes at *tail; moves the arena (and every vals[i])
 * to a region twice as big when full. The old region is wiped and freed. */
static int redact_reserve(struct kube_redact *r, size_t need, unsigned char **tail)
{
	size_t used = redact_used(r), cap, i;
	unsigned char *old = r->n ? r->vals[0] : NULL, *mem;

	*tail = NULL;
	if (need > SIZE_MAX - used || (cap = redact_arena_cap(used + need)) == 0)
		return SS_E_LIMIT;
	if (old != NULL && cap == redact_arena_cap(used)) {
		*tail = old + used;
		return 0;
	}
	mem = sodium_malloc(cap);
	if (mem == NULL)
		return SS_E_NOMEM;
	if (used > 0)
		memcpy(mem, old, used);
	for (i = 0; i < r->n; i++)
		r->vals[i] = mem + (r->vals[i] - old);
	if (old != NULL)
		sodium_free(old); /* wipes */
	*tail = mem + used;
	return 0;
}

static int redact_grow(struct kube_redact *r)
{
	size_t cap;
	unsigned char **vals;
	size_t *lens;

	if (r->n < r->cap)
		return 0;
	if (r->cap >= REDACT_MAX_VALUES)
		return SS_E_LIMIT;
	cap = r->cap ? r->cap * 2 : 16;
	vals = realloc(r->vals, cap * sizeof(*vals));
	if (vals == NULL)
		return SS_E_NOMEM;
	r->vals = vals;
	lens = realloc(r->lens, cap * sizeof(*lens));
	if (lens == NULL)
		return SS_E_NOMEM;
	r->lens = lens;
	r->cap = cap;
	return 0;
}

static int redact_known(const struct kube_redact *r, const unsigned char *v, size_t len)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->lens[i] == len && sodium_memcmp(r->vals[i], v, len) == 0)
			return 1;
	return 0;
}

/* Appends the len bytes already written at tail (the arena's free end). */
static void redact_commit(struct kube_redact *r, unsigned char *tail, size_t len)
{
	r->vals[r->n] = tail;
	r->lens[r->n] = len;
	r->n++;
}

static int redact_push_raw(struct kube_redact *r, const unsigned char *v, size_t len)
{
	unsigned char *tail;
	int rc;

	if (redact_known(r, v, len))
		return 0;
	if ((rc = redact_grow(r)) != 0 || (rc = redact_reserve(r, len, &tail)) != 0)
		return rc;
	memcpy(tail, v, len);
	redact_commit(r, tail, len);
	return 0;
}

/* The base64 form is encoded straight into the arena: no scratch copy. */
static int redact_push_b64(struct kube_redact *r, const unsigned char *v, size_t len)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL), n;
	unsigned char *tail;
	int rc;

	if ((rc = redact_grow(r)) != 0 || (rc = redact_reserve(r, b64len, &tail)) != 0)
		return rc;
	sodium_bin2base64((char *)tail, b64len, v, len, sodium_base64_VARIANT_ORIGINAL);
	n = strlen((const char *)tail);
	if (redact_known(r, tail, n)) {
		sodium_memzero(tail, b64len);
		return 0;
	}
	redact_commit(r, tail, n);
	return 0;
}

int kube_redact_add(struct kube_redact *r, const unsigned char *v, size_t len)
{
	int rc;

	if (len < REDACT_MIN_LEN) {
		/* Not redactable: kube_status withholds Secret messages instead. */
		if (len > 0)
			r->nshort++;
		return 0;
	}
	if (len > (SIZE_MAX - 16) / 4 * 3)
		return SS_E_LIMIT;
	if (sodium_init() < 0)
		return SS_E_INTERNAL;
	rc = redact_push_raw(r, v, len);
	if (rc != 0)
		return rc;
	return redact_push_b64(r, v, len);
}

void kube_redact_clear(struct kube_redact *r)
{
	if (r->n > 0)
		sodium_free(r->vals[0]); /* the arena; wipes */
	free(r->vals);
	free(r->lens);
	memset(r, 0, sizeof(*r));
}

/*
 * A text and, for each of its bytes, the span [from, to) of the original
 * text it was decoded from. Decoding can turn an escaped value back into
 * plaintext, so the bytes live in guarded memory.
 */
struct redact_view {
	unsigned char *s;
	size_t len;
	size_t *from, *to;
};

static void view_release(struct redact_view *v)
{
	if (v->s != NULL)
		sodium_free(v->s); /* wipes */
	free(v->from);
	free(v->to);
	memset(v, 0, sizeof(*v));
}

static int view_alloc(struct redact_view *v, size_t len)
{
	memset(v, 0, sizeof(*v));
	if (len >= SIZE_MAX / sizeof(size_t))
		return SS_E_LIMIT;
	v->s = sodium_malloc(len + 1);
	v->from = malloc((len + 1) * sizeof(size_t));
	v->to = malloc((len + 1) * sizeof(size_t));
	if (v->s == NULL || v->from == NULL || v->to == NULL) {
		view_release(v);
		return SS_E_NOMEM;
	}
	return 0;
}

static long hex_value(const unsigned char *p, size_t left, size_t digits)
{
	long v = 0;
	size_t i;

	if (left < digits)
		return -1;
	for (i = 0; i < digits; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* UTF-8 of code point cp into out; 0 for a surrogate or beyond U+10FFFF. */
static size_t utf8_put(long cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if ((cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at s (cp already read), joined with a following low surrogate. */
static size_t unescape_u(const unsigned char *s, size_t left, long cp, unsigned char *out,
			 size_t *used)
{
	long lo;

	*used = 6;
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (left < 12 || s[6] != '\\' || s[7] != 'u')
			return 0;
		lo = hex_value(s + 8, left - 8, 4);
		if (lo < 0xdc00 || lo >= 0xe000)
			return 0;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*used = 12;
	}
	return utf8_put(cp, out);
}

/* Decodes the escape at s (s[0] is a backslash) into out (up to 4 bytes);
 * *used gets the bytes it spans. 0: not an escape, the backslash stays. */
static size_t unescape_one(const unsigned char *s, size_t left, unsigned char *out,
			   size_t *used)
{
	static const char in[] = "\"\\/'nrtbfva", to[] = "\"\\/'\n\r\t\b\f\v\a";
	const char *c;
	long cp;

	if (left < 2)
		return 0;
	if ((c = memchr(in, s[1], sizeof(in) - 1)) != NULL) {
		out[0] = (unsigned char)to[c - in];
		*used = 2;
		return 1;
	}
	if (s[1] == 'x' && (cp = hex_value(s + 2, left - 2, 2)) >= 0) {
		out[0] = (unsigned char)cp; /* a byte, as Go's %q writes one */
		*used = 4;
		return 1;
	}
	if (s[1] == 'u' && (cp = hex_value(s + 2, left - 2, 4)) >= 0)
		return unescape_u(s, left, cp, out, used);
	if (s[1] == 'U' && (cp = hex_value(s + 2, left - 2, 8)) >= 0) {
		*used = 10;
		return utf8_put(cp, out);
	}
	return 0;
}

/* out = in with one level of escapes decoded; *changed when any was. A
 * decoded escape is never longer than its spelling, so len bounds out. */
static int view_decode(const struct redact_view *in, struct redact_view *out, int *changed)
{
	unsigned char b[4];
	size_t i = 0, o = 0, n, k, used = 0;
	int rc;

	*changed = 0;
	if ((rc = view_alloc(out, in->len)) != 0)
		return rc;
	if (out->s == NULL || out->from == NULL || out->to == NULL)
		return SS_E_NOMEM; /* never: view_alloc says so; for gcc -fanalyzer */
	while (i < in->len) {
		n = in->s[i] == '\\' ? unescape_one(in->s + i, in->len - i, b, &used) : 0;
		if (n == 0) {
			n = 1;
			used = 1;
			b[0] = in->s[i];
		} else
			*changed = 1;
		for (k = 0; k < n; k++, o++) {
			out->s[o] = b[k];
			out->from[o] = in->from[i];
			out->to[o] = in->to[i + used - 1];
		}
		i += used;
	}
	out->len = o;
	sodium_memzero(b, sizeof(b));
	return 0;
}

/* Marks the original span of every occurrence of any value in v. */
static void redact_mark_view(const struct kube_redact *r, const struct redact_view *v,
			     unsigned char *mark)
{
	size_t i, off;

	for (i = 0; i < r->n; i++) {
		const unsigned char *p = v->s, *hit;
		size_t left = v->len;

		while (left >= r->lens[i]) {
			hit = memmem(p, left, r->vals[i], r->lens[i]);
			if (hit == NULL)
				break;
			off = (size_t)(hit - v->s);
			memset(mark + v->from[off], 1, v->to[off + r->lens[i] - 1] - v->from[off]);
			/* Step one byte, not the whole value: occurrences of
			 * the same value may overlap ("aaaa" in "aaaaa"). */
			left -= (size_t)(hit - p) + 1;
			p = hit + 1;
		}
	}
}

int kube_redact_mark(const struct kube_redact *r, const unsigned char *text, size_t len,
		     unsigned char *mark)
{
	struct redact_view cur, next;
	size_t i;
	int rc, depth, changed;

	memset(&next, 0, sizeof(next));
	if (r == NULL || r->n == 0)
		return 0;
	if ((rc = view_alloc(&cur, len)) != 0)
		return rc;
	memcpy(cur.s, text, len);
	cur.len = len;
	for (i = 0; i < len; i++) {
		cur.from[i] = i;
		cur.to[i] = i + 1;
	}
	for (depth = 0;; depth++) {
		redact_mark_view(r, &cur, mark);
		/* No backslash left: another pass would find nothing new. */
		if (depth == REDACT_DEPTH || memchr(cur.s, '\\', cur.len) == NULL)
			break;
		if ((rc = view_decode(&cur, &next, &changed)) != 0 || !changed)
			break;
		view_release(&cur);
		cur = next;
		memset(&next, 0, sizeof(next));
	}
	view_release(&next);
	view_release(&cur);
	return rc;
}

void kube_redact_apply(const struct kube_redact *r, char *text, size_t cap)
{
	size_t len, i, o = 0, ml = strlen(KUBE_REDACT_MARK);
	unsigned char *mark;
	char *out;

	if (r == NULL || r->n == 0 || cap == 0)
		return;
	len = strnlen(text, cap - 1);
	text[len] = '\0';
	mark = calloc(len + 1, 1);
	out = malloc(cap);
	if (mark == NULL || out == NULL ||
	    kube_redact_mark(r, (const unsigned char *)text, len, mark) != 0) {
		/* Fail closed: without memory to redact, say nothing. */
		snprintf(text, cap, "%s", "[message withheld: out of memory]");
		goto out;
	}
	for (i = 0; i < len && o + 1 < cap;) {
		if (!mark[i]) {
			out[o++] = text[i++];
			continue;
		}
		while (i < len && mark[i])
			i++;
		if (o + ml + 1 > cap)
			break;
		memcpy(out + o, KUBE_REDACT_MARK, ml);
		o += ml;
	}
	out[o] = '\0';
	memcpy(text, out, o + 1);
out:
	if (out != NULL) {
		sodium_memzero(out, cap);
		free(out);
	}
	free(mark);
}

int ss_kube_redact_add(struct ss_kube *k, const unsigned char *value, size_t len)
{
	return kube_redact_add(&k->redact, value, len);
}

void ss_kube_redact_clear(struct ss_kube *k)
{
	if (k != NULL)
		kube_redact_clear(&k->redact);
}

void ss_kube_redact_text(const struct ss_kube *k, char *text, size_t cap)
{
	if (k != NULL)
		kube_redact_apply(&k->redact, text, cap);
}
