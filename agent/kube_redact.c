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
#define REDACT_MARK "[REDACTED]"

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

static int redact_push(struct kube_redact *r, const unsigned char *v, size_t len)
{
	unsigned char *copy;
	size_t i;
	int rc;

	for (i = 0; i < r->n; i++)
		if (r->lens[i] == len && sodium_memcmp(r->vals[i], v, len) == 0)
			return 0;
	rc = redact_grow(r);
	if (rc != 0)
		return rc;
	copy = sodium_malloc(len);
	if (copy == NULL)
		return SS_E_NOMEM;
	memcpy(copy, v, len);
	r->vals[r->n] = copy;
	r->lens[r->n] = len;
	r->n++;
	return 0;
}

int kube_redact_add(struct kube_redact *r, const unsigned char *v, size_t len)
{
	size_t b64len;
	char *b64;
	int rc;

	if (len < REDACT_MIN_LEN)
		return 0;
	if (len > (SIZE_MAX - 16) / 4 * 3)
		return SS_E_LIMIT;
	if (sodium_init() < 0)
		return SS_E_INTERNAL;
	rc = redact_push(r, v, len);
	if (rc != 0)
		return rc;
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = sodium_malloc(b64len);
	if (b64 == NULL)
		return SS_E_NOMEM;
	sodium_bin2base64(b64, b64len, v, len, sodium_base64_VARIANT_ORIGINAL);
	rc = redact_push(r, (const unsigned char *)b64, strlen(b64));
	sodium_free(b64);
	return rc;
}

void kube_redact_clear(struct kube_redact *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		sodium_free(r->vals[i]); /* wipes */
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
