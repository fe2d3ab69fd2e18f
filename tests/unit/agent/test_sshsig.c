/* test_sshsig.c: SSHSIG parsing/verification and allowed-signers parsing.
 * The signatures are real ssh-keygen -Y sign output (public data) kept in
 * tests/fuzz/corpus/sshsig/, also the fuzzer's seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/sshsig.h"

#define CORPUS SS_SOURCE_DIR "/tests/fuzz/corpus/sshsig/"
#define FP1 "SHA256:vE/0o5hMfmrgiVJ+g1hm1/RqQyKdleBQfgdSZURn+FI"
#define PK1 "AAAAC3NzaC1lZDI1NTE5AAAAIL2T4yXVM9p0iLKDaQs978U6LakmiWtFpP1JkjJr5Xz5"
#define PK2 "AAAAC3NzaC1lZDI1NTE5AAAAIEJT015sldu5mjhbItIE/d5lqMbdsXGbbIYigfcKdh6s"

static void slurp(const char *name, struct ss_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), CORPUS "%s", name);
	ss_buf_init(b, 1 << 20);
	assert_int_equal(ss_file_read(path, b, NULL), 0);
}

static struct ss_sshsig *sig_load(const char *name)
{
	struct ss_buf b;
	struct ss_sshsig *sig = NULL;
	struct ss_err e;

	slurp(name, &b);
	ss_err_clear(&e);
	assert_int_equal(ss_sshsig_parse(ss_buf_str(&b), b.len, &sig, &e), 0);
	ss_buf_release(&b);
	return sig;
}

static struct ss_signers *signers_of(const char *text)
{
	struct ss_signers *s = NULL;
	struct ss_err e;

	ss_err_clear(&e);
	assert_int_equal(ss_signers_parse(text, strlen(text), "allowed", &s, &e), 0);
	return s;
}

static int verify_msg(const char *signame, const char *signers_text, const char *ns,
		      struct ss_err *e, char *principal, size_t cap)
{
	struct ss_sshsig *sig = sig_load(signame);
	struct ss_signers *s = signers_of(signers_text);
	struct ss_buf msg;
	int rc;

	slurp("message", &msg);
	ss_err_clear(e);
	rc = ss_sshsig_verify(sig, msg.data, msg.len, ns, s, principal, cap, e);
	ss_buf_release(&msg);
	ss_signers_free(s);
	ss_sshsig_free(sig);
	return rc;
}

static void test_good_signature(void **state)
{
	struct ss_signers *s = NULL;
	struct ss_buf b;
	struct ss_err e;
	char principal[128], fp[64];
	struct ss_sshsig *sig = sig_load("ed25519-git.sig");

	(void)state;
	ss_sshsig_fingerprint(sig, fp);
	assert_string_equal(fp, FP1);
	assert_string_equal(ss_sshsig_namespace(sig), "git");
	ss_sshsig_free(sig);
	slurp("allowed_signers", &b);
	assert_int_equal(ss_signers_parse(ss_buf_str(&b), b.len, "allowed_signers", &s, &e), 0);
	assert_int_equal(ss_signers_count(s), 2);
	ss_signers_free(s);
	ss_buf_release(&b);
	assert_int_equal(verify_msg("ed25519-git.sig", "a@x,b@x ssh-ed25519 " PK1 " c\n", "git",
				    &e, principal, sizeof(principal)),
			 0);
	assert_string_equal(principal, "a@x,b@x");
	assert_int_equal(verify_msg("ed25519-git-signer2.sig", "s2 ssh-ed25519 " PK2 "\n", "git",
				    &e, NULL, 0),
			 0);
	/* ssh-keygen -Y sign -O hashalg=sha256 */
	assert_int_equal(verify_msg("ed25519-git-sha256.sig", "a ssh-ed25519 " PK1 "\n", "git", &e,
				    NULL, 0),
			 0);
}

static void test_changed_message_refused(void **state)
{
	struct ss_sshsig *sig = sig_load("ed25519-git.sig");
	struct ss_signers *s = signers_of("a ssh-ed25519 " PK1 "\n");
	struct ss_buf msg;
	struct ss_err e;

	(void)state;
	slurp("message", &msg);
	msg.data[msg.len - 2] ^= 1;
	ss_err_clear(&e);
	assert_int_equal(ss_sshsig_verify(sig, msg.data, msg.len, "git", s, NULL, 0, &e), SS_E_SIG);
	assert_non_null(strstr(e.msg, "does not verify"));
	assert_non_null(strstr(e.msg, FP1));
	ss_buf_release(&msg);
	ss_signers_free(s);
	ss_sshsig_free(sig);
}

static void test_namespace_refused(void **state)
{
	struct ss_err e;

	(void)state;
	/* signed for "file", verified for "git" */
	assert_int_equal(verify_msg("ed25519-file.sig", "s2 ssh-ed25519 " PK2 "\n", "git", &e,
				    NULL, 0),
			 SS_E_SIG);
	assert_non_null(strstr(e.msg, "namespace \"file\""));
	/* the key may only sign for "file" */
	assert_int_equal(verify_msg("ed25519-git.sig",
				    "a namespaces=\"file,x*\" ssh-ed25519 " PK1 "\n", "git", &e,
				    NULL, 0),
			 SS_E_SIG);
	assert_non_null(strstr(e.msg, "not allowed to sign for namespace"));
	/* negation wins */
	assert_int_equal(verify_msg("ed25519-git.sig", "a namespaces=\"*,!g?t\" ssh-ed25519 " PK1,
				    "git", &e, NULL, 0),
			 SS_E_SIG);
	assert_int_equal(verify_msg("ed25519-git.sig", "a namespaces=\"fi*,git\" ssh-ed25519 " PK1,
				    "git", &e, NULL, 0),
			 0);
}

static void test_unknown_key_refused(void **state)
{
	struct ss_err e;

	(void)state;
	assert_int_equal(verify_msg("ed25519-git.sig", "s2 ssh-ed25519 " PK2 "\n", "git", &e,
				    NULL, 0),
			 SS_E_SIG);
	assert_non_null(strstr(e.msg, "not an allowed signer"));
	assert_non_null(strstr(e.msg, FP1));
	assert_int_equal(verify_msg("ed25519-git.sig", "# nobody\n", "git", &e, NULL, 0), SS_E_SIG);
}

static void test_ecdsa_unsupported(void **state)
{
	struct ss_buf b;
	struct ss_sshsig *sig = NULL;
	struct ss_err e;

	(void)state;
	slurp("ecdsa-git.sig", &b);
	ss_err_clear(&e);
	assert_int_equal(ss_sshsig_parse(ss_buf_str(&b), b.len, &sig, &e), SS_E_UNSUPPORTED);
	assert_null(sig);
	assert_non_null(strstr(e.msg, "ecdsa-sha2-nistp256"));
	ss_buf_release(&b);
}

/* The binary blob of the good signature, to mutate and re-armor. */
static size_t blob_of(unsigned char *bin, size_t cap)
{
	struct ss_buf b;
	const char *p, *q;
	size_t n = 0;

	slurp("ed25519-git.sig", &b);
	p = strchr(ss_buf_str(&b), '\n') + 1;
	q = strstr(p, "-----END");
	assert_int_equal(sodium_base642bin(bin, cap, p, (size_t)(q - p), "\n", &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	ss_buf_release(&b);
	return n;
}

static int parse_blob(const unsigned char *bin, size_t n, struct ss_err *e)
{
	char armor[1024], b64[800];
	struct ss_sshsig *sig = NULL;
	int rc;

	sodium_bin2base64(b64, sizeof(b64), bin, n, sodium_base64_VARIANT_ORIGINAL);
	snprintf(armor, sizeof(armor),
		 "-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n", b64);
	ss_err_clear(e);
	rc = ss_sshsig_parse(armor, strlen(armor), &sig, e);
	if (rc != 0)
		assert_null(sig);
	ss_sshsig_free(sig);
	return rc;
}

static void test_bad_blobs(void **state)
{
	unsigned char bin[512];
	size_t n = blob_of(bin, sizeof(bin)), i;
	struct ss_err e;

	(void)state;
	assert_int_equal(parse_blob(bin, n, &e), 0);
	bin[0] = 'X';
	assert_int_equal(parse_blob(bin, n, &e), SS_E_INVAL);
	assert_non_null(strstr(e.msg, "magic"));
	bin[0] = 'S';
	bin[9] = 2;
	assert_int_equal(parse_blob(bin, n, &e), SS_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "version 2"));
	bin[9] = 1;
	for (i = 0; i < n; i++)
		assert_int_equal(parse_blob(bin, i, &e), SS_E_INVAL);
	bin[n] = 0;
	assert_int_equal(parse_blob(bin, n + 1, &e), SS_E_INVAL);
	assert_non_null(strstr(e.msg, "trailing"));
}

static void test_bad_armor(void **state)
{
	static const char *bad[] = {
		"",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n",
		"-----BEGIN SSH SIGNATURE-----\nU1N*U0lH\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN PGP SIGNATURE-----\nU1NIU0lH\n-----END PGP SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\nX",
	};
	struct ss_sshsig *sig = NULL;
	struct ss_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ss_err_clear(&e);
		assert_int_equal(ss_sshsig_parse(bad[i], strlen(bad[i]), &sig, &e), SS_E_INVAL);
		assert_null(sig);
		assert_non_null(strstr(e.msg, "SSH signature"));
	}
}

static void expect_signers_error(const char *text, int code, const char *msg, unsigned line)
{
	struct ss_signers *s = NULL;
	struct ss_err e;

	ss_err_clear(&e);
	assert_int_equal(ss_signers_parse(text, strlen(text), "signers.txt", &s, &e), code);
	assert_null(s);
	assert_string_equal(e.file, "signers.txt");
	assert_int_equal(e.line, line);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("'%s' not in '%s'", msg, e.msg);
}

static void test_signers_errors(void **state)
{
	(void)state;
	expect_signers_error("# c\na ssh-ed25519 AAAA*AAA\n", SS_E_INVAL, "bad base64", 2);
	expect_signers_error("a ssh-ed25519\n", SS_E_INVAL, "missing key", 1);
	expect_signers_error("\n\na\n", SS_E_INVAL, "missing key", 3);
	expect_signers_error("a cert-authority ssh-ed25519 " PK1 "\n", SS_E_UNSUPPORTED,
			     "cert-authority", 1);
	expect_signers_error("a valid-before=\"20300101\" ssh-ed25519 " PK1 "\n",
			     SS_E_UNSUPPORTED, "valid-before", 1);
	expect_signers_error("a bogus ssh-ed25519 " PK1 "\n", SS_E_INVAL, "unknown option", 1);
	expect_signers_error("a namespaces=\"git ssh-ed25519 " PK1 "\n", SS_E_INVAL,
			     "unterminated", 1);
	/* a key of another type in an ed25519 line: wrong inner type */
	expect_signers_error("a ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB\n", SS_E_INVAL, "malformed",
			     1);
	expect_signers_error("a ssh-ed25519 " PK1 "\nb foo-bar " PK2 "\n", SS_E_INVAL,
			     "unknown option", 2);
}

static void test_signers_forms(void **state)
{
	struct ss_signers *s;

	(void)state;
	s = signers_of("# comment\n\n  \"a b\" ssh-ed25519 " PK1 "\r\n"
		       "x@y,z@w namespaces=\"git,file\" ssh-ed25519 " PK2 " comment here\n"
		       "r ecdsa-sha2-nistp256 AAAAE2VjZHNh\n");
	assert_int_equal(ss_signers_count(s), 3);
	ss_signers_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_signature),
		cmocka_unit_test(test_changed_message_refused),
		cmocka_unit_test(test_namespace_refused),
		cmocka_unit_test(test_unknown_key_refused),
		cmocka_unit_test(test_ecdsa_unsupported),
		cmocka_unit_test(test_bad_blobs),
		cmocka_unit_test(test_bad_armor),
		cmocka_unit_test(test_signers_errors),
		cmocka_unit_test(test_signers_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
