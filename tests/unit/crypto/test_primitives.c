/* Unit tests for crypto/ primitives: bech32, HMAC/HKDF-SHA256, base64, scope. */
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
#include "sealsync/bech32.h"
#include "sealsync/hkdf.h"
#include "sealsync/keys.h"
#include "sealsync/scope.h"

static void hex2bin(const char *hex, unsigned char *out, size_t *len)
{
	assert_int_equal(sodium_hex2bin(out, 256, hex, strlen(hex), NULL, len, NULL), 0);
}

static int decode(const char *s, char *hrp, unsigned char *data, size_t *n)
{
	return ss_bech32_decode(s, strlen(s), hrp, 90, data, 100, n, NULL);
}

/* BIP 173 valid and invalid Bech32 strings. */
static void test_bech32_bip173(void **state)
{
	static const char *valid[] = {"A12UEL5L", "a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"};
	static const char *invalid[] = {"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "A1G7SGD8",
		"10a06t8", "1qzzfhee", "a12UEL5L", "A12uEL5L"};
	char hrp[91];
	unsigned char data[100];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		assert_int_equal(decode(valid[i], hrp, data, &n), 0);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_not_equal(decode(invalid[i], hrp, data, &n), 0);
}

static void test_bech32_roundtrip_and_case(void **state)
{
	unsigned char in[32], out[64];
	char s[SS_BECH32_MAX], hrp[32];
	size_t n, i;

	(void)state;
	randombytes_buf(in, sizeof(in));
	assert_int_equal(ss_bech32_encode("age", in, 32, 0, s, sizeof(s)), 0);
	assert_int_equal(strncmp(s, "age1", 4), 0);
	assert_int_equal(ss_bech32_decode(s, strlen(s), hrp, sizeof(hrp), out, sizeof(out), &n, NULL), 0);
	assert_string_equal(hrp, "age");
	assert_int_equal(n, 32);
	assert_memory_equal(in, out, 32);
	/* one flipped character breaks the checksum */
	s[10] = s[10] == 'q' ? 'p' : 'q';
	assert_int_equal(ss_bech32_decode(s, strlen(s), hrp, sizeof(hrp), out, sizeof(out), &n, NULL), SS_E_INVAL);
	/* uppercase encodes keep an uppercase hrp; mixed case is refused */
	assert_int_equal(ss_bech32_encode("age-secret-key-", in, 32, 1, s, sizeof(s)), 0);
	assert_int_equal(strncmp(s, "AGE-SECRET-KEY-1", 16), 0);
	assert_int_equal(ss_bech32_decode(s, strlen(s), hrp, sizeof(hrp), out, sizeof(out), &n, NULL), 0);
	assert_string_equal(hrp, "AGE-SECRET-KEY-");
	for (i = 17; i < strlen(s) && !(s[i] >= 'A' && s[i] <= 'Z'); i++)
		;
	s[i] = (char)(s[i] - 'A' + 'a');
	assert_int_equal(ss_bech32_decode(s, strlen(s), hrp, sizeof(hrp), out, sizeof(out), &n, NULL), SS_E_INVAL);
	/* too small an output buffer */
	assert_int_equal(ss_bech32_encode("age", in, 32, 0, s, 20), SS_E_LIMIT);
}

static void test_recipient_parse(void **state)
{
	/* A public key (age-keygen output, public only). */
	static const char pub[] = "age1umn6g7zru88cu98ucygs83pwhvrahxq5ehdq2gyf06uzslvf330qlnx9wf";
	struct ss_recipient r;
	struct ss_err err;
	char s[SS_RECIPIENT_STR_MAX], bad[sizeof(pub)];
	size_t i;

	(void)state;
	assert_int_equal(ss_recipient_parse(pub, &r, NULL), 0);
	assert_int_equal(ss_recipient_format(&r, s, sizeof(s)), 0);
	assert_string_equal(s, pub);
	for (i = 0; i < sizeof(pub) - 1; i++)
		bad[i] = (char)(pub[i] >= 'a' && pub[i] <= 'z' ? pub[i] - 32 : pub[i]);
	bad[sizeof(pub) - 1] = '\0';
	ss_err_clear(&err);
	assert_int_equal(ss_recipient_parse(bad, &r, &err), SS_E_INVAL); /* uppercase recipient */
	assert_int_equal(ss_recipient_parse("ssh-ed25519 AAAA", &r, &err), SS_E_INVAL);
	assert_non_null(strstr(err.msg, "age1"));
}

/* RFC 4231 test cases 2 and 6 and RFC 5869 test cases 1 and 3. */
static void test_hmac_hkdf_kat(void **state)
{
	unsigned char ikm[64], salt[64], info[64], okm[64], want[64], mac[32];
	size_t ikmlen, saltlen, infolen, wantlen;

	(void)state;
	assert_int_equal(ss_hmac_sha256((const unsigned char *)"Jefe", 4,
					(const unsigned char *)"what do ya want for nothing?", 28, mac), 0);
	hex2bin("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, &wantlen);
	assert_memory_equal(mac, want, 32);
	/* RFC 4231 test case 6: a key longer than the block is hashed first. */
	{
		unsigned char longkey[131];
		static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";

		memset(longkey, 0xaa, sizeof(longkey));
		assert_int_equal(ss_hmac_sha256(longkey, sizeof(longkey), (const unsigned char *)msg,
						sizeof(msg) - 1, mac), 0);
		hex2bin("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", want, &wantlen);
		assert_memory_equal(mac, want, 32);
	}

	hex2bin("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", ikm, &ikmlen);
	hex2bin("000102030405060708090a0b0c", salt, &saltlen);
	hex2bin("f0f1f2f3f4f5f6f7f8f9", info, &infolen);
	hex2bin("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", want, &wantlen);
	assert_int_equal(ss_hkdf_sha256(salt, saltlen, ikm, ikmlen, info, infolen, okm, 42), 0);
	assert_memory_equal(okm, want, 42);

	hex2bin("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", want, &wantlen);
	assert_int_equal(ss_hkdf_sha256(NULL, 0, ikm, ikmlen, NULL, 0, okm, 42), 0);
	assert_memory_equal(okm, want, 42);
	assert_int_equal(ss_hkdf_sha256(NULL, 0, ikm, ikmlen, NULL, 0, okm, 255 * 32 + 1), SS_E_INVAL);
}

static void test_base64_strict(void **state)
{
	struct ss_buf b;

	(void)state;
	ss_buf_init(&b, 64);
	assert_int_equal(ss_base64_encode((const unsigned char *)"hello", 5, &b), 0);
	assert_string_equal(ss_buf_str(&b), "aGVsbG8=");
	ss_buf_reset(&b);
	assert_int_equal(ss_base64_decode("aGVsbG8=", 8, &b, NULL), 0);
	assert_string_equal(ss_buf_str(&b), "hello");
	ss_buf_reset(&b);
	assert_int_equal(ss_base64_decode("aGVsbG9=", 8, &b, NULL), SS_E_INVAL); /* non-canonical */
	assert_int_equal(ss_base64_decode("aGVsbG8", 7, &b, NULL), SS_E_INVAL);  /* no padding */
	assert_int_equal(ss_base64_decode("aGVs bG8=", 9, &b, NULL), SS_E_INVAL);
	assert_int_equal(ss_base64_decode("aGVs\nbG8", 8, &b, NULL), SS_E_INVAL);
	assert_int_equal(b.len, 0);
	ss_buf_release(&b);
}

/* rc and bytes of the public (plain buffer) and the constant-time (secure
 * buffer) decoder for one input. */
static int decode_both(const char *in, size_t len, struct ss_buf *pub, struct ss_buf *sec)
{
	int a, b;

	ss_buf_reset(pub);
	ss_buf_reset(sec);
	a = ss_base64_decode(in, len, pub, NULL);
	b = ss_base64_decode(in, len, sec, NULL);
	assert_int_equal(a, b);
	assert_int_equal(pub->len, sec->len);
	if (pub->len > 0)
		assert_memory_equal(pub->data, sec->data, pub->len);
	return a;
}

/* The faster decoder for public bytes accepts exactly what libsodium's
 * does: listed edge cases, then random strings over a small alphabet with
 * '=' and a stray character, then every encoding of 0..40 random bytes. */
static void test_base64_public_matches_sodium(void **state)
{
	static const char *const cases[] = {"", "====", "A===", "AA==", "AB==", "AAA=", "AAB=",
		"AAAA", "A=A=", "AA=A", "=AAA", "AA==AAAA", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
		"Zm9vYh==", "Zm9vYmF=", "-_AA", "Zm9\v"};
	static const char alpha[] = "AQgw+/=z9*";
	unsigned char raw[40];
	struct ss_buf pub, sec, enc;
	char in[12];
	size_t i, k, ok = 0;

	(void)state;
	ss_buf_init(&pub, 256);
	ss_buf_init_secure(&sec, 256);
	ss_buf_init(&enc, 256);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok += decode_both(cases[i], strlen(cases[i]), &pub, &sec) == 0;
	assert_int_equal(ok, 8); /* "", AA==, AAA=, AAAA, and Zm9v with its 3 longer forms */
	for (i = 0; i < 20000; i++) {
		for (k = 0; k < 8; k++)
			in[k] = alpha[randombytes_uniform(sizeof(alpha) - 1)];
		(void)decode_both(in, 8, &pub, &sec);
	}
	for (i = 0; i <= sizeof(raw); i++) {
		randombytes_buf(raw, i);
		ss_buf_reset(&enc);
		assert_int_equal(ss_base64_encode(raw, i, &enc), 0);
		assert_int_equal(decode_both(ss_buf_str(&enc), enc.len, &pub, &sec), 0);
		assert_int_equal(pub.len, i);
		if (i > 0)
			assert_memory_equal(pub.data, raw, i);
	}
	ss_buf_release(&pub);
	ss_buf_release(&sec);
	ss_buf_release(&enc);
}

static void test_scope(void **state)
{
	struct ss_scope a, b;
	struct ss_err err;
	enum ss_scope_mode m;

	(void)state;
	assert_int_equal(ss_scope_parse_mode("namespace", &m), 0);
	assert_int_equal(m, SS_SCOPE_NAMESPACE);
	assert_int_equal(ss_scope_parse_mode("Strict", &m), SS_E_INVAL);
	assert_int_equal(ss_scope_make(&a, SS_SCOPE_STRICT, "prod", "db", "password", NULL), 0);
	assert_int_equal(ss_scope_make(&b, SS_SCOPE_STRICT, "prod", "db", "user", NULL), 0);
	ss_err_clear(&err);
	assert_int_equal(ss_scope_check(&a, &b, &err), SS_E_SCOPE);
	assert_string_equal(err.msg, "sealed for strict prod/db/password, used at strict prod/db/user");
	assert_int_equal(ss_scope_check(&a, &a, NULL), 0);
	/* namespace binds only the namespace; the mode itself must match */
	assert_int_equal(ss_scope_make(&a, SS_SCOPE_NAMESPACE, "prod", NULL, NULL, NULL), 0);
	assert_int_equal(ss_scope_make(&b, SS_SCOPE_NAMESPACE, "prod", "x", "y", NULL), 0);
	assert_int_equal(ss_scope_check(&a, &b, NULL), 0);
	assert_int_equal(ss_scope_make(&b, SS_SCOPE_STRICT, "prod", "db", "password", NULL), 0);
	assert_int_equal(ss_scope_check(&a, &b, NULL), SS_E_SCOPE);
	assert_int_equal(ss_scope_make(&a, SS_SCOPE_CLUSTER, "ignored", NULL, NULL, NULL), 0);
	assert_string_equal(a.ns, "");
	/* bad fields name the field */
	ss_err_clear(&err);
	assert_int_equal(ss_scope_make(&a, SS_SCOPE_STRICT, "prod", "db", NULL, &err), SS_E_INVAL);
	assert_non_null(strstr(err.msg, "key"));
	assert_int_equal(ss_scope_make(&a, SS_SCOPE_STRICT, "prod", "d b", "k", &err), SS_E_INVAL);
	assert_non_null(strstr(err.msg, "name"));
}

/* The hint tag is part of the format: SHA-256("sealsync.dev/v1/hint" || pk)[:4],
 * expected value computed independently (Python hashlib). */
static void test_hint_tag_kat(void **state)
{
	struct ss_recipient r;
	unsigned char tag[SS_AGE_HINT_LEN];
	char s[16];

	(void)state;
	assert_int_equal(ss_recipient_parse("age1umn6g7zru88cu98ucygs83pwhvrahxq5ehdq2gyf06uzslvf330qlnx9wf", &r, NULL), 0);
	assert_int_equal(ss_age_hint_for(&r, tag), 0);
	ss_age_hint_format(tag, s, sizeof(s));
	assert_string_equal(s, "7hEtlw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bech32_bip173),
		cmocka_unit_test(test_bech32_roundtrip_and_case),
		cmocka_unit_test(test_recipient_parse),
		cmocka_unit_test(test_hmac_hkdf_kat),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_base64_public_matches_sodium),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_hint_tag_kat),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
