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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kube_int.h"

#define REDACT_MIN_LEN 4
#define REDACT_MAX_VALUES 200000 /* forms: 100000 values, raw + base64 */
#define REDACT_ARENA_FIRST 4096
#define REDACT_MARK "[REDACTED]"

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

	if (len < REDACT_MIN_LEN)
		return 0;
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

/* Marks every byte of text covered by an occurrence of any value. */
static void redact_mark(const struct kube_redact *r, const char *text, size_t len,
			unsigned char *mark)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const char *p = text, *hit;
		size_t left = len;

		while (left >= r->lens[i]) {
			hit = memmem(p, left, r->vals[i], r->lens[i]);
			if (hit == NULL)
				break;
			memset(mark + (hit - text), 1, r->lens[i]);
			/* Step one byte, not the whole value: occurrences of
			 * the same value may overlap ("aaaa" in "aaaaa"). */
			left -= (size_t)(hit - p) + 1;
			p = hit + 1;
		}
	}
}

void kube_redact_apply(const struct kube_redact *r, char *text, size_t cap)
{
	size_t len, i, o = 0, ml = strlen(REDACT_MARK);
	unsigned char *mark;
	char *out;

	if (r == NULL || r->n == 0 || cap == 0)
		return;
	len = strnlen(text, cap - 1);
	text[len] = '\0';
	mark = calloc(len + 1, 1);
	out = malloc(cap);
	if (mark == NULL || out == NULL) {
		/* Fail closed: without memory to redact, say nothing. */
		snprintf(text, cap, "%s", "[message withheld: out of memory]");
		goto out;
	}
	redact_mark(r, text, len, mark);
	for (i = 0; i < len && o + 1 < cap;) {
		if (!mark[i]) {
			out[o++] = text[i++];
			continue;
		}
		while (i < len && mark[i])
			i++;
		if (o + ml + 1 > cap)
			break;
		memcpy(out + o, REDACT_MARK, ml);
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
