/*
 * keys.c: age X25519 recipients, identities and keyrings (see keys.h).
 * Identity scalars live in sodium_malloc memory; error text never quotes a
 * key (a mistyped secret key is still mostly a secret key).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/bech32.h"
#include "sealsync/keys.h"
#include "sealsync/secmem.h"

#include "internal.h"

#define RECIPIENT_HRP "age"
#define IDENTITY_HRP "AGE-SECRET-KEY-"

struct ss_identity {
	unsigned char *sk; /* 32 bytes, guarded */
	struct ss_recipient pub;
	unsigned char tag[SS_AGE_HINT_LEN];
};

struct ss_keyring {
	struct ss_identity **ids;
	size_t n, cap;
};

int ss_recipient_parse(const char *age1, struct ss_recipient *out, struct ss_err *err)
{
	char hrp[8];
	unsigned char pk[40];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strncmp(age1, "age1", 4) != 0)
		return ss_err_set(err, SS_E_INVAL, "recipient must start with \"age1\" (only X25519 recipients are supported)");
	rc = ss_bech32_decode(age1, strlen(age1), hrp, sizeof(hrp), pk, sizeof(pk), &n, err);
	if (rc != 0) {
		ss_err_prefix(err, "malformed recipient");
		return SS_E_INVAL;
	}
	if (strcmp(hrp, RECIPIENT_HRP) != 0 || n != 32)
		return ss_err_set(err, SS_E_INVAL, "malformed recipient: not an X25519 recipient");
	memcpy(out->pk, pk, 32);
	return 0;
}

int ss_recipient_format(const struct ss_recipient *r, char *out, size_t outlen)
{
	return ss_bech32_encode(RECIPIENT_HRP, r->pk, sizeof(r->pk), 0, out, outlen);
}

int ss_recipient_equal(const struct ss_recipient *a, const struct ss_recipient *b)
{
	return sodium_memcmp(a->pk, b->pk, sizeof(a->pk)) == 0;
}

/* Completes id from its scalar: public key and hint tag. */
static int identity_finish(struct ss_identity *id)
{
	if (crypto_scalarmult_base(id->pub.pk, id->sk) != 0)
		return SS_E_INVAL;
	return ss_age_hint_for(&id->pub, id->tag);
}

static struct ss_identity *identity_alloc(void)
{
	struct ss_identity *id = calloc(1, sizeof(*id));

	if (id == NULL)
		return NULL;
	id->sk = ss_secmem_small(32); /* many per key file: shared guarded pages */
	if (id->sk == NULL) {
		free(id);
		return NULL;
	}
	return id;
}

int ss_identity_generate(struct ss_identity **out)
{
	struct ss_identity *id;
	int rc;

	*out = NULL;
	id = identity_alloc();
	if (id == NULL)
		return SS_E_NOMEM;
	randombytes_buf(id->sk, 32);
	rc = identity_finish(id);
	if (rc != 0) {
		ss_identity_free(id);
		return rc;
	}
	*out = id;
	return 0;
}

int ss_identity_parse(const char *s, size_t len, struct ss_identity **out, struct ss_err *err)
{
	struct ss_identity *id = NULL;
	char hrp[32];
	unsigned char *raw = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	/* Per-thread scratch, not a fresh guarded mapping: loading 50 identities
	 * cost 50 mmap/munmap pairs (PERFORMANCE.md, 2c). */
	raw = ss_secmem_scratch(64);
	id = identity_alloc();
	if (raw == NULL || id == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = ss_bech32_decode(s, len, hrp, sizeof(hrp), raw, 64, &n, err);
	if (rc != 0) {
		ss_err_prefix(err, "malformed identity");
		rc = SS_E_INVAL;
		goto out;
	}
	if (strcmp(hrp, IDENTITY_HRP) != 0 || n != 32) {
		rc = ss_err_set(err, SS_E_INVAL,
				"malformed identity: not an AGE-SECRET-KEY-1 (uppercase X25519) identity");
		goto out;
	}
	memcpy(id->sk, raw, 32);
	rc = identity_finish(id);
	if (rc != 0) {
		ss_err_set(err, rc, "malformed identity");
		goto out;
	}
	*out = id;
	id = NULL;
out:
	ss_secmem_unscratch(raw);
	ss_identity_free(id);
	return rc;
}

void ss_identity_free(struct ss_identity *id)
{
	if (id == NULL)
		return;
	ss_secmem_small_free(id->sk);
	sodium_memzero(id, sizeof(*id));
	free(id);
}

void ss_identity_recipient(const struct ss_identity *id, struct ss_recipient *out)
{
	*out = id->pub;
}

int ss_identity_format(const struct ss_identity *id, char *out, size_t outlen)
{
	return ss_bech32_encode("age-secret-key-", id->sk, 32, 1, out, outlen);
}

const unsigned char *ss_identity_secret(const struct ss_identity *id)
{
	return id->sk;
}

const unsigned char *ss_identity_tag(const struct ss_identity *id)
{
	return id->tag;
}

int ss_keyring_new(struct ss_keyring **out)
{
	int rc = ss_secmem_init();

	*out = NULL;
	if (rc != 0)
		return rc;
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? SS_E_NOMEM : 0;
}

void ss_keyring_free(struct ss_keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->n; i++)
		ss_identity_free(kr->ids[i]);
	free(kr->ids);
	free(kr);
}

static int keyring_reserve(struct ss_keyring *kr, size_t more)
{
	struct ss_identity **p;
	size_t cap;

	if (more > SS_KEYRING_MAX || kr->n > SS_KEYRING_MAX - more)
		return SS_E_LIMIT;
	if (kr->n + more <= kr->cap)
		return 0;
	cap = kr->n + more < 8 ? 8 : (kr->n + more) * 2;
	p = realloc(kr->ids, cap * sizeof(*p));
	if (p == NULL)
		return SS_E_NOMEM;
	kr->ids = p;
	kr->cap = cap;
	return 0;
}

int ss_keyring_add(struct ss_keyring *kr, struct ss_identity *id)
{
	/* gcc 12's analyzer does not carry the old contents over when realloc
	 * moves kr->ids, so it reports the identities already held as leaked. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
	int rc = keyring_reserve(kr, 1);
#pragma GCC diagnostic pop

	if (rc != 0)
		return rc;
	kr->ids[kr->n++] = id;
	return 0;
}

size_t ss_keyring_count(const struct ss_keyring *kr)
{
	return kr->n;
}

const struct ss_identity *ss_keyring_get(const struct ss_keyring *kr, size_t i)
{
	return i < kr->n ? kr->ids[i] : NULL;
}

const struct ss_identity *ss_keyring_active(const struct ss_keyring *kr)
{
	return kr->n > 0 ? kr->ids[kr->n - 1] : NULL;
}

int ss_text_lines(const char *text, size_t len, ss_line_fn fn, void *ctx)
{
	size_t start = 0;
	unsigned lineno = 0;

	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - start;
		int rc;

		if (n > 0 && text[start + n - 1] == '\r')
			n--;
		rc = fn(ctx, text + start, n, ++lineno);
		if (rc != 0)
			return rc;
		start = end + 1;
	}
	return 0;
}

struct parse_ctx {
	struct ss_keyring *tmp;
	const char *name;
	struct ss_err *err;
};

static int parse_line(void *vctx, const char *line, size_t len, unsigned lineno)
{
	struct parse_ctx *c = vctx;
	struct ss_identity *id = NULL;
	int rc;

	if (len == 0 || line[0] == '#')
		return 0;
	rc = ss_identity_parse(line, len, &id, c->err);
	if (rc == 0) {
		rc = ss_keyring_add(c->tmp, id);
		if (rc != 0) {
			ss_identity_free(id);
			ss_err_set(c->err, rc, "too many identities (limit %d)", SS_KEYRING_MAX);
		}
	}
	if (rc != 0)
		ss_err_at(c->err, c->name, lineno, -1);
	return rc;
}

int ss_keyring_move(struct ss_keyring *dst, struct ss_keyring *src)
{
	size_t i;
	int rc = keyring_reserve(dst, src->n);

	if (rc != 0)
		return rc;
	for (i = 0; i < src->n; i++)
		dst->ids[dst->n++] = src->ids[i];
	src->n = 0;
	return 0;
}

int ss_keyring_parse(struct ss_keyring *kr, const char *text, size_t len, const char *name,
		     struct ss_err *err)
{
	struct ss_keyring tmp = {0};
	struct parse_ctx c = {&tmp, name, err};
	size_t i;
	int rc;

	rc = ss_text_lines(text, len, parse_line, &c);
	if (rc == 0 && tmp.n == 0)
		rc = ss_err_set(err, SS_E_INVAL, "no identity found (want AGE-SECRET-KEY-1... lines)");
	if (rc == 0) {
		rc = ss_keyring_move(kr, &tmp);
		if (rc != 0)
			ss_err_set(err, rc, "too many identities (limit %d)", SS_KEYRING_MAX);
	}
	if (rc != 0)
		ss_err_at(err, name, 0, -1);
	for (i = 0; i < tmp.n; i++)
		ss_identity_free(tmp.ids[i]);
	free(tmp.ids);
	return rc;
}
