/*
 * Unit tests for sealed values: seal/open round trips, scope binding, hint
 * fast path and fallback, tampering, truncation, bounds, unscoped refusal,
 * armor and reseal. Hand-built files use crypto/'s internal pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/age.h"
#include "sealsync/base64.h"
#include "sealsync/hkdf.h"

#include "../../../crypto/internal.h"

#define SECRET "hunter2-correct-horse"

static struct ss_keyring *ring(size_t n)
{
	struct ss_keyring *kr = NULL;
	struct ss_identity *id = NULL;
	size_t i;

	assert_int_equal(ss_keyring_new(&kr), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(ss_identity_generate(&id), 0);
		assert_int_equal(ss_keyring_add(kr, id), 0);
	}
	return kr;
}

static void rcpt(const struct ss_keyring *kr, size_t i, struct ss_recipient *r)
{
	ss_identity_recipient(ss_keyring_get(kr, i), r);
}

static void seal_to(const struct ss_recipient *r, size_t n, const struct ss_scope *sc,
		    const void *pt, size_t ptlen, struct ss_buf *out)
{
	struct ss_age_seal_opts o = {r, n, sc};

	ss_buf_init(out, 1u << 24);
	assert_int_equal(ss_age_seal(&o, pt, ptlen, out, NULL), 0);
}

/* Opens with kr; returns the code, the plaintext in pt (caller releases). */
static int open_with(const struct ss_keyring *kr, const struct ss_scope *expect, int unscoped,
		     const struct ss_buf *in, struct ss_buf *pt, struct ss_age_info *info,
		     struct ss_err *err)
{
	struct ss_age_open_opts o = {kr, expect, unscoped, NULL, NULL, NULL, NULL, NULL};

	ss_buf_init_secure(pt, 1u << 24);
	ss_err_clear(err);
	return ss_age_open(&o, in->data, in->len, pt, info, err);
}

static void assert_no_secret(const struct ss_err *err)
{
	char msg[1024];

	ss_err_format(err, msg, sizeof(msg));
	assert_null(strstr(msg, SECRET));
	assert_null(strstr(msg, "AGE-SECRET-KEY"));
}

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 200000};
	struct ss_keyring *kr = ring(1);
	struct ss_recipient r;
	struct ss_scope sc;
	struct ss_buf file, pt;
	struct ss_age_info info;
	struct ss_err err;
	unsigned char *big = malloc(200000);
	size_t i;

	(void)state;
	randombytes_buf(big, 200000);
	rcpt(kr, 0, &r);
	assert_int_equal(ss_scope_make(&sc, SS_SCOPE_CLUSTER, NULL, NULL, NULL, NULL), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		seal_to(&r, 1, &sc, big, sizes[i], &file);
		assert_int_equal(open_with(kr, &sc, 0, &file, &pt, &info, &err), 0);
		assert_int_equal(pt.len, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(pt.data, big, sizes[i]);
		assert_int_equal(info.has_scope, 1);
		assert_int_equal(info.n_x25519, 1);
		ss_buf_release(&pt);
		ss_buf_release(&file);
	}
	free(big);
	ss_keyring_free(kr);
}

static void test_scope_moves(void **state)
{
	struct ss_keyring *kr = ring(1);
	struct ss_recipient r;
	struct ss_scope sealed, used;
	struct ss_buf file, pt;
	struct ss_err err;
	static const char *moves[][3] = {{"prod", "db", "user"}, {"prod", "other", "password"},
					 {"staging", "db", "password"}};
	size_t i;

	(void)state;
	rcpt(kr, 0, &r);
	assert_int_equal(ss_scope_make(&sealed, SS_SCOPE_STRICT, "prod", "db", "password", NULL), 0);
	seal_to(&r, 1, &sealed, SECRET, strlen(SECRET), &file);
	/* the stanza exactly as docs/FORMAT.md specifies it */
	assert_non_null(memmem(file.data, file.len, "\n-> sealsync/scope strict prod db password\n\n-> sealsync/hint ", 61));
	assert_int_equal(open_with(kr, &sealed, 0, &file, &pt, NULL, &err), 0);
	assert_memory_equal(pt.data, SECRET, strlen(SECRET));
	ss_buf_release(&pt);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ss_scope_make(&used, SS_SCOPE_STRICT, moves[i][0], moves[i][1], moves[i][2], NULL), 0);
		assert_int_equal(open_with(kr, &used, 0, &file, &pt, NULL, &err), SS_E_SCOPE);
		assert_int_equal(pt.len, 0);
		assert_non_null(strstr(err.msg, "sealed for strict prod/db/password"));
		assert_non_null(strstr(err.msg, moves[i][0]));
		assert_no_secret(&err);
		ss_buf_release(&pt);
	}
	/* namespace scope: any name/key in the namespace; not another namespace or mode */
	ss_buf_release(&file);
	assert_int_equal(ss_scope_make(&sealed, SS_SCOPE_NAMESPACE, "prod", NULL, NULL, NULL), 0);
	seal_to(&r, 1, &sealed, SECRET, strlen(SECRET), &file);
	assert_int_equal(ss_scope_make(&used, SS_SCOPE_NAMESPACE, "staging", NULL, NULL, NULL), 0);
	assert_int_equal(open_with(kr, &used, 0, &file, &pt, NULL, &err), SS_E_SCOPE);
	ss_buf_release(&pt);
	assert_int_equal(ss_scope_make(&used, SS_SCOPE_CLUSTER, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(open_with(kr, &used, 0, &file, &pt, NULL, &err), SS_E_SCOPE);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

/* Editing the scope stanza to move a value is caught by the header MAC. */
static void test_tamper(void **state)
{
	struct ss_keyring *kr = ring(1), *other = ring(1);
	struct ss_recipient r;
	struct ss_scope sc;
	struct ss_buf file, pt;
	struct ss_err err;
	unsigned char *p;

	(void)state;
	rcpt(kr, 0, &r);
	assert_int_equal(ss_scope_make(&sc, SS_SCOPE_STRICT, "prod", "db", "password", NULL), 0);
	seal_to(&r, 1, &sc, SECRET, strlen(SECRET), &file);
	p = memmem(file.data, file.len, "prod db password", 16);
	assert_non_null(p);
	memcpy(p, "prod db username", 16);
	assert_int_equal(open_with(kr, NULL, 0, &file, &pt, NULL, &err), SS_E_AGE_MAC);
	assert_no_secret(&err);
	ss_buf_release(&pt);
	memcpy(p, "prod db password", 16);
	file.data[file.len - 1] ^= 1; /* payload */
	assert_int_equal(open_with(kr, NULL, 0, &file, &pt, NULL, &err), SS_E_AGE_PAYLOAD);
	assert_no_secret(&err);
	ss_buf_release(&pt);
	file.data[file.len - 1] ^= 1;
	assert_int_equal(open_with(other, NULL, 0, &file, &pt, NULL, &err), SS_E_NOMATCH);
	ss_buf_release(&pt);
	file.data[5] ^= 1; /* intro line */
	assert_int_equal(open_with(kr, NULL, 0, &file, &pt, NULL, &err), SS_E_AGE_HEADER);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
	ss_keyring_free(other);
}

static void test_truncation(void **state)
{
	struct ss_keyring *kr = ring(1);
	struct ss_recipient r;
	struct ss_buf file, pt;
	struct ss_err err;
	struct ss_age_info info;
	struct ss_buf cut;
	size_t n;

	(void)state;
	rcpt(kr, 0, &r);
	seal_to(&r, 1, NULL, SECRET, strlen(SECRET), &file);
	assert_int_equal(ss_age_inspect(file.data, file.len, &info, NULL), 0);
	for (n = 0; n < file.len; n++) {
		ss_buf_init(&cut, file.len);
		assert_int_equal(ss_buf_append(&cut, file.data, n), 0);
		int rc = open_with(kr, NULL, 1, &cut, &pt, NULL, &err);

		/* the header (or nonce) is cut: header failure; else the payload */
		assert_int_equal(rc, n < info.header_len + 16 ? SS_E_AGE_HEADER : SS_E_AGE_PAYLOAD);
		assert_int_equal(pt.len, 0);
		ss_buf_release(&pt);
		ss_buf_release(&cut);
	}
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

static void test_unscoped(void **state)
{
	struct ss_keyring *kr = ring(1);
	struct ss_recipient r;
	struct ss_scope sc;
	struct ss_buf file, pt;
	struct ss_err err;

	(void)state;
	rcpt(kr, 0, &r);
	assert_int_equal(ss_scope_make(&sc, SS_SCOPE_CLUSTER, NULL, NULL, NULL, NULL), 0);
	seal_to(&r, 1, NULL, SECRET, strlen(SECRET), &file);
	assert_int_equal(open_with(kr, &sc, 0, &file, &pt, NULL, &err), SS_E_UNSCOPED);
	assert_non_null(strstr(err.msg, "--allow-unscoped"));
	assert_int_equal(pt.len, 0);
	ss_buf_release(&pt);
	assert_int_equal(open_with(kr, &sc, 1, &file, &pt, NULL, &err), 0);
	assert_int_equal(pt.len, strlen(SECRET));
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

/* 50 retained identities: the hint finds the right one in one operation. */
static void test_hint_fast_path(void **state)
{
	struct ss_keyring *kr = ring(50);
	struct ss_recipient r[2];
	struct ss_buf file, pt;
	struct ss_age_info info;
	struct ss_err err;
	unsigned budget = 3;
	struct ss_age_open_opts o = {kr, NULL, 1, &budget, NULL, NULL, NULL, NULL};

	(void)state;
	rcpt(kr, 0, &r[0]); /* the oldest key: tried last without the hint */
	rcpt(kr, 7, &r[1]);
	seal_to(r, 2, NULL, SECRET, strlen(SECRET), &file);
	assert_int_equal(open_with(kr, NULL, 1, &file, &pt, &info, &err), 0);
	assert_int_equal(info.x25519_ops, 1);
	assert_int_equal(info.identity_index, 0);
	assert_int_equal(info.n_hints, 2);
	ss_buf_release(&pt);
	/* a shared budget is decremented per operation */
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(ss_age_open(&o, file.data, file.len, &pt, NULL, NULL), 0);
	assert_int_equal(budget, 2);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

/* A file built by hand: X25519 stanzas, then `extra` stanza text, MAC, payload. */
static void build_file(const struct ss_recipient *r, size_t n, const char *extra, struct ss_buf *out)
{
	unsigned char fk[16], nonce[16], pk[32], mac[32];
	size_t i;

	randombytes_buf(fk, sizeof(fk));
	randombytes_buf(nonce, sizeof(nonce));
	ss_buf_init(out, 1u << 20);
	assert_int_equal(ss_buf_puts(out, SS_AGE_INTRO), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(ss_age_x25519_wrap(&r[i % 2], fk, out), 0);
	assert_int_equal(ss_buf_puts(out, extra), 0);
	assert_int_equal(ss_buf_puts(out, "---"), 0);
	assert_int_equal(ss_age_header_mac(fk, out->data, out->len, mac), 0);
	assert_int_equal(ss_buf_puts(out, " "), 0);
	assert_int_equal(ss_age_b64_raw_append(out, mac, 32), 0);
	assert_int_equal(ss_buf_puts(out, "\n"), 0);
	assert_int_equal(ss_buf_append(out, nonce, 16), 0);
	assert_int_equal(ss_hkdf_sha256(nonce, 16, fk, 16, (const unsigned char *)"payload", 7, pk, 32), 0);
	assert_int_equal(ss_age_stream_seal(pk, (const unsigned char *)SECRET, strlen(SECRET), out), 0);
}

/* No hint stanza (as stock age writes): every identity is tried, within the budget. */
static void test_hint_fallback_and_budget(void **state)
{
	struct ss_keyring *kr = ring(50);
	struct ss_recipient r[2];
	struct ss_buf file, pt;
	struct ss_age_info info;
	struct ss_err err;
	unsigned budget = 10;
	struct ss_age_open_opts o = {kr, NULL, 1, &budget, NULL, NULL, NULL, NULL};

	(void)state;
	rcpt(kr, 0, &r[0]);
	rcpt(kr, 0, &r[1]);
	build_file(r, 1, "-> sealsync/scope cluster\n\n", &file);
	assert_int_equal(open_with(kr, NULL, 0, &file, &pt, &info, &err), 0);
	assert_int_equal(info.x25519_ops, 50); /* newest first, the oldest matches */
	assert_int_equal(pt.len, strlen(SECRET));
	ss_buf_release(&pt);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(ss_age_open(&o, file.data, file.len, &pt, NULL, &err), SS_E_LIMIT);
	assert_int_equal(budget, 0);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	/* A wrong hint tag (a buggy sealer; the MAC covers it): the fallback still finds the key. */
	build_file(r, 1, "-> sealsync/hint AAAAAA\n\n", &file);
	assert_int_equal(open_with(kr, NULL, 1, &file, &pt, &info, &err), 0);
	assert_int_equal(info.x25519_ops, 50);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

static void test_too_many_stanzas(void **state)
{
	struct ss_keyring *kr = ring(2);
	struct ss_recipient r[17];
	struct ss_buf file, pt;
	struct ss_err err;
	struct ss_age_seal_opts so = {r, 17, NULL};
	size_t i;

	(void)state;
	for (i = 0; i < 17; i++)
		rcpt(kr, i % 2, &r[i]);
	ss_buf_init(&file, 1 << 20);
	assert_int_equal(ss_age_seal(&so, (const unsigned char *)"x", 1, &file, NULL), SS_E_LIMIT);
	ss_buf_release(&file);
	build_file(r, 17, "", &file);
	assert_int_equal(open_with(kr, NULL, 1, &file, &pt, NULL, &err), SS_E_LIMIT);
	assert_non_null(strstr(err.msg, "X25519 stanzas"));
	ss_buf_release(&pt);
	ss_buf_release(&file);
	build_file(r, 16, "", &file);
	assert_int_equal(open_with(kr, NULL, 1, &file, &pt, NULL, &err), 0);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

static void test_malformed_own_stanzas(void **state)
{
	static const char *bad[] = {
		"-> sealsync/scope strict prod db\n\n",
		"-> sealsync/scope namespace\n\n",
		"-> sealsync/scope global\n\n",
		"-> sealsync/scope cluster\nAAAA\n",
		"-> sealsync/scope cluster\n\n-> sealsync/scope cluster\n\n",
		"-> sealsync/hint AAAAAA AAAAAA\n\n",
		"-> sealsync/hint AAAA\n\n",
	};
	struct ss_keyring *kr = ring(1);
	struct ss_recipient r[2];
	struct ss_buf file, pt;
	struct ss_err err;
	size_t i;

	(void)state;
	rcpt(kr, 0, &r[0]);
	r[1] = r[0];
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build_file(r, 1, bad[i], &file);
		assert_int_equal(open_with(kr, NULL, 1, &file, &pt, NULL, &err), SS_E_AGE_HEADER);
		ss_buf_release(&pt);
		ss_buf_release(&file);
	}
	ss_keyring_free(kr);
}

static void test_armor_value_reseal(void **state)
{
	struct ss_keyring *a = ring(1), *b = ring(1);
	struct ss_recipient ra, rb;
	struct ss_scope sc;
	struct ss_buf file, arm, b64, bin, out, pt;
	struct ss_age_info info;
	struct ss_err err;
	struct ss_age_open_opts oa = {a, NULL, 0, NULL, NULL, NULL, NULL, NULL};
	struct ss_age_seal_opts tob = {&rb, 1, NULL};

	(void)state;
	rcpt(a, 0, &ra);
	rcpt(b, 0, &rb);
	assert_int_equal(ss_scope_make(&sc, SS_SCOPE_NAMESPACE, "prod", NULL, NULL, NULL), 0);
	seal_to(&ra, 1, &sc, SECRET, strlen(SECRET), &file);
	ss_buf_init(&arm, 1 << 20);
	ss_buf_init(&b64, 1 << 20);
	ss_buf_init(&bin, 1 << 20);
	assert_int_equal(ss_age_armor_encode(file.data, file.len, &arm), 0);
	assert_int_equal(ss_age_is_armored(arm.data, arm.len), 1);
	/* open accepts armor directly */
	assert_int_equal(open_with(a, &sc, 0, &arm, &pt, NULL, &err), 0);
	ss_buf_release(&pt);
	/* a manifest value (base64 + newline) decodes to the same bytes */
	assert_int_equal(ss_base64_encode(file.data, file.len, &b64), 0);
	assert_int_equal(ss_buf_putc(&b64, '\n'), 0);
	assert_int_equal(ss_age_value_decode((const char *)b64.data, b64.len, &bin, NULL), 0);
	assert_int_equal(bin.len, file.len);
	assert_memory_equal(bin.data, file.data, file.len);
	/* reseal to b keeps the scope; a cannot open the result */
	ss_buf_init(&out, 1 << 20);
	assert_int_equal(ss_age_reseal(&oa, file.data, file.len, &tob, &out, &err), 0);
	assert_int_equal(open_with(b, &sc, 0, &out, &pt, &info, &err), 0);
	assert_memory_equal(pt.data, SECRET, strlen(SECRET));
	assert_int_equal(info.scope.mode, SS_SCOPE_NAMESPACE);
	ss_buf_release(&pt);
	assert_int_equal(open_with(a, &sc, 0, &out, &pt, NULL, &err), SS_E_NOMATCH);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_buf_release(&arm);
	ss_buf_release(&b64);
	ss_buf_release(&bin);
	ss_buf_release(&out);
	ss_keyring_free(a);
	ss_keyring_free(b);
}

/* A payload's offset: the byte after the MAC line. */
static size_t payload_off(const struct ss_buf *f)
{
	struct ss_age_info info;

	assert_int_equal(ss_age_inspect(f->data, f->len, &info, NULL), 0);
	return info.header_len;
}

/*
 * ss_age_reseal rewraps: scope stanza and payload byte-identical, so
 * ss_age_check_rewrap accepts it; a fresh seal of the same plaintext to the
 * same recipients (what a lying endpoint can make) is refused.
 */
static void test_reseal_rewraps(void **state)
{
	struct ss_keyring *a = ring(1), *b = ring(2);
	struct ss_recipient ra, rb[2];
	struct ss_scope sc;
	struct ss_buf file, out, forged, pt;
	struct ss_age_open_opts oa = {a, NULL, 0, NULL, NULL, NULL, NULL, NULL};
	struct ss_age_seal_opts tob = {rb, 2, NULL};
	struct ss_err err;

	(void)state;
	rcpt(a, 0, &ra);
	rcpt(b, 0, &rb[0]);
	rcpt(b, 1, &rb[1]);
	assert_int_equal(ss_scope_make(&sc, SS_SCOPE_STRICT, "prod", "db", "password", NULL), 0);
	seal_to(&ra, 1, &sc, SECRET, strlen(SECRET), &file);
	ss_buf_init(&out, 1 << 20);
	assert_int_equal(ss_age_reseal(&oa, file.data, file.len, &tob, &out, &err), 0);
	assert_int_equal(out.len - payload_off(&out), file.len - payload_off(&file));
	assert_memory_equal(out.data + payload_off(&out), file.data + payload_off(&file),
			    file.len - payload_off(&file));
	assert_int_equal(ss_age_check_rewrap(file.data, file.len, out.data, out.len, rb, 2, &err), 0);
	assert_int_equal(open_with(b, &sc, 0, &out, &pt, NULL, &err), 0);
	assert_memory_equal(pt.data, SECRET, strlen(SECRET));
	ss_buf_release(&pt);
	/* wrong recipient list, or in another order: the hint tags tell */
	assert_int_equal(ss_age_check_rewrap(file.data, file.len, out.data, out.len, rb, 1, &err),
			 SS_E_SIG);
	assert_int_equal(ss_age_check_rewrap(file.data, file.len, out.data, out.len, &ra, 1, &err),
			 SS_E_SIG);
	/* a new seal (other file key, so other payload) is not a rewrap */
	seal_to(rb, 2, &sc, SECRET, strlen(SECRET), &forged);
	assert_int_equal(ss_age_check_rewrap(file.data, file.len, forged.data, forged.len, rb, 2,
					     &err), SS_E_SIG);
	assert_non_null(strstr(err.msg, "payload differs"));
	ss_buf_release(&forged);
	/* same payload, the scope stanza names another key (same length) */
	{
		char *p = memmem(out.data, out.len, "db password\n", 12);

		assert_non_null(p);
		p[10] = 'e';
		assert_int_equal(ss_age_check_rewrap(file.data, file.len, out.data, out.len, rb, 2,
						     &err), SS_E_SIG);
		assert_non_null(strstr(err.msg, "scope stanza differs"));
	}
	ss_buf_release(&file);
	ss_buf_release(&out);
	ss_keyring_free(a);
	ss_keyring_free(b);
}

static void test_plaintext_limit(void **state)
{
	struct ss_keyring *kr = ring(1);
	struct ss_recipient r;
	struct ss_buf file, pt;
	struct ss_age_open_opts o = {kr, NULL, 1, NULL, NULL, NULL, NULL, NULL};

	(void)state;
	rcpt(kr, 0, &r);
	seal_to(&r, 1, NULL, SECRET, strlen(SECRET), &file);
	ss_buf_init_secure(&pt, 4);
	assert_int_equal(ss_age_open(&o, file.data, file.len, &pt, NULL, NULL), SS_E_LIMIT);
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_keyring_free(kr);
}

/* The header's unpadded base64 goes through the faster public decoder: it
 * must accept exactly what libsodium's NO_PADDING decoder accepts. */
static void test_b64_unpadded_public_matches_sodium(void **state)
{
	static const char alpha[] = "AQgw+/=z9*";
	unsigned char a[16], b[16];
	char in[12];
	size_t i, k, len, na, nb;
	int ra, rb;

	(void)state;
	for (i = 0; i < 30000; i++) {
		len = randombytes_uniform(11);
		for (k = 0; k < len; k++)
			in[k] = alpha[randombytes_uniform(sizeof(alpha) - 1)];
		na = nb = 0;
		ra = ss_base64_decode_public(in, len, 0, a, sizeof(a), &na);
		rb = sodium_base642bin(b, sizeof(b), in, len, NULL, &nb, NULL,
				       sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		assert_int_equal(ra, rb);
		if (ra == 0) {
			assert_int_equal(na, nb);
			assert_memory_equal(a, b, na);
		}
	}
	assert_int_equal(ss_base64_decode_public("QUJD", 4, 0, a, 2, &na), -1); /* outmax */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_scope_moves),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unscoped),
		cmocka_unit_test(test_hint_fast_path),
		cmocka_unit_test(test_hint_fallback_and_budget),
		cmocka_unit_test(test_too_many_stanzas),
		cmocka_unit_test(test_malformed_own_stanzas),
		cmocka_unit_test(test_armor_value_reseal),
		cmocka_unit_test(test_plaintext_limit),
		cmocka_unit_test(test_reseal_rewraps),
		cmocka_unit_test(test_b64_unpadded_public_matches_sodium),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
