/* Unit tests for sops.h on files the real sops wrote (tests/fuzz/corpus/sops,
 * gen.sh): decryption, stringData folding, tampering, refusals, and the key
 * holder's OPEN_SOPS_KEY (same key as the local path; a sealed value, scoped
 * or only hinted, is refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/file.h"
#include "sealsync/keyholder.h"
#include "sealsync/sops.h"
#include "sealsync/yaml.h"

/* The corpus' test identity (fuzz_sops.c), never a real key. */
static const char test_identity[] =
	"AGE-SECRET-KEY-19PWFC3LJVPPRDXE6RR800VW4RGUGJAJ276DV4ZF3QVC8N8HEA32SGE7K8T\n";

static struct ss_keyring *kr;

/* Loads corpus file name, with old replaced by new (once) when old != NULL. */
static json_t *load(const char *name, const char *old, const char *new)
{
	char path[512];
	struct ss_docset *ds = NULL;
	struct ss_buf b, t;
	const char *p;
	json_t *doc;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/sops/%s", SS_SOURCE_DIR, name);
	ss_buf_init(&b, 1 << 20);
	ss_buf_init(&t, 1 << 20);
	assert_int_equal(ss_file_read(path, &b, NULL), 0);
	p = old != NULL ? strstr(ss_buf_str(&b), old) : NULL;
	if (old != NULL) {
		assert_non_null(p);
		assert_int_equal(ss_buf_append(&t, b.data, (size_t)(p - (const char *)b.data)), 0);
		assert_int_equal(ss_buf_puts(&t, new), 0);
		assert_int_equal(ss_buf_puts(&t, p + strlen(old)), 0);
	} else {
		assert_int_equal(ss_buf_append(&t, b.data, b.len), 0);
	}
	assert_int_equal(ss_yaml_load(name, t.data, t.len, NULL, &ds, NULL), 0);
	doc = json_incref(ss_docset_get(ds, 0));
	ss_docset_free(ds);
	ss_buf_release(&b);
	ss_buf_release(&t);
	return doc;
}

static int decrypt(json_t *doc, json_t **out, struct ss_err *err)
{
	struct ss_age_open_opts o;

	memset(&o, 0, sizeof(o));
	o.kr = kr;
	ss_err_clear(err);
	return ss_sops_decrypt(doc, NULL, &o, out, err);
}

static void test_decrypts_and_folds(void **state)
{
	json_t *doc = load("ok.yaml", NULL, NULL), *sec = NULL;
	struct ss_err err;

	(void)state;
	assert_true(ss_sops_is(doc));
	assert_int_equal(decrypt(doc, &sec, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sec, "data"), "password")),
			    "aHVudGVyMg==");
	assert_string_equal(json_string_value(json_object_get(json_object_get(sec, "data"), "user")),
			    "YXBwLXVzZXI="); /* stringData folded */
	assert_null(json_object_get(sec, "stringData"));
	assert_null(json_object_get(sec, "sops"));
	json_decref(sec);
	json_decref(doc);
}

/* Typed leaves (int, bool, a list) pass the MAC; stringData then refuses them. */
static void test_typed_leaves_pass_mac(void **state)
{
	const char *files[] = {"full.yaml", "regex.yaml", "suffix.yaml", "mac-only.yaml"};
	struct ss_err err;
	json_t *doc, *sec = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		doc = load(files[i], NULL, NULL);
		assert_int_equal(decrypt(doc, &sec, &err), SS_E_INVAL);
		assert_non_null(strstr(err.msg, "stringData value must be a string"));
		json_decref(doc);
	}
}

static void test_tampering_fails(void **state)
{
	struct ss_err err;
	json_t *doc, *sec = NULL;

	(void)state;
	doc = load("bad-mac.yaml", NULL, NULL);
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_SIG);
	json_decref(doc);
	/* a clear leaf changed: only the MAC protects it */
	doc = load("regex.yaml", "namespace: shop", "namespace: shoq");
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_SIG);
	assert_non_null(strstr(err.msg, "MAC mismatch"));
	json_decref(doc);
	/* a value moved to another key does not decrypt (the path is the AAD) */
	doc = load("ok.yaml", "    user: ENC", "    usex: ENC");
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_SIG);
	assert_non_null(strstr(err.msg, "does not decrypt"));
	assert_null(sec);
	json_decref(doc);
}

static void test_refusals_by_name(void **state)
{
	struct ss_err err;
	json_t *doc, *sec = NULL;

	(void)state;
	doc = load("pgp.yaml", NULL, NULL);
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "pgp"));
	json_decref(doc);
	doc = load("ok.yaml", "\nsops:\n", "\nsops:\n    shamir_threshold: 2\n");
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "shamir"));
	json_decref(doc);
	doc = load("ok.yaml", "\nsops:\n", "\nsops:\n    kms:\n        - arn: x\n");
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "kms"));
	json_decref(doc);
	doc = load("no-ns.yaml", NULL, NULL);
	assert_int_equal(decrypt(doc, &sec, &err), SS_E_INVAL);
	assert_non_null(strstr(err.msg, "must name its namespace"));
	json_decref(doc);
}

static const char *first_enc(const json_t *doc)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(doc, "sops"), "age"), 0), "enc"));
}

/* The key holder's OPEN_SOPS_KEY gives the same key; sealed values never. */
static void test_keyholder_open_sops_key(void **state)
{
	unsigned char *a = sodium_malloc(32), *b = sodium_malloc(32);
	struct ss_keyholder *kh = NULL;
	struct ss_age_open_opts local, held;
	struct ss_age_seal_opts so;
	struct ss_recipient pub;
	struct ss_scope scope;
	struct ss_buf sealed;
	struct ss_err err;
	json_t *doc = load("ok.yaml", NULL, NULL);
	const char *enc = first_enc(doc);

	(void)state;
	assert_int_equal(ss_keyholder_start(0, NULL, &kh, &err), 0);
	assert_int_equal(ss_keyholder_load(kh, kr, &err), 0);
	memset(&local, 0, sizeof(local));
	local.kr = kr;
	memset(&held, 0, sizeof(held));
	ss_keyholder_bind(kh, &held);
	assert_int_equal(ss_sops_open_datakey(&local, (const unsigned char *)enc, strlen(enc), a, &err), 0);
	assert_int_equal(ss_sops_open_datakey(&held, (const unsigned char *)enc, strlen(enc), b, &err), 0);
	assert_int_equal(sodium_memcmp(a, b, 32), 0);
	/* 32 bytes sealed by us, scoped: refused by the holder as a sealed value */
	ss_identity_recipient(ss_keyring_get(kr, 0), &pub);
	assert_int_equal(ss_scope_make(&scope, SS_SCOPE_CLUSTER, NULL, NULL, NULL, &err), 0);
	memset(&so, 0, sizeof(so));
	so.recipients = &pub;
	so.nrecipients = 1;
	so.scope = &scope;
	ss_buf_init(&sealed, 1 << 16);
	assert_int_equal(ss_age_seal(&so, a, 32, &sealed, &err), 0);
	assert_int_equal(ss_sops_open_datakey(&held, sealed.data, sealed.len, b, &err), SS_E_SCOPE);
	assert_non_null(strstr(err.msg, "sealsync/scope"));
	/* unscoped but with our hint stanza: still one of ours, still refused */
	so.scope = NULL;
	ss_buf_reset(&sealed);
	assert_int_equal(ss_age_seal(&so, a, 32, &sealed, &err), 0);
	assert_int_equal(ss_sops_open_datakey(&held, sealed.data, sealed.len, b, &err), SS_E_SCOPE);
	assert_int_equal(ss_sops_open_datakey(&local, sealed.data, sealed.len, b, &err), SS_E_SCOPE);
	ss_buf_release(&sealed);
	ss_keyholder_stop(kh);
	sodium_free(a);
	sodium_free(b);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decrypts_and_folds),
		cmocka_unit_test(test_typed_leaves_pass_mac),
		cmocka_unit_test(test_tampering_fails),
		cmocka_unit_test(test_refusals_by_name),
		cmocka_unit_test(test_keyholder_open_sops_key),
	};
	int rc;

	if (sodium_init() < 0 || ss_keyring_new(&kr) != 0 ||
	    ss_keyring_parse(kr, test_identity, strlen(test_identity), "test", NULL) != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ss_keyring_free(kr);
	return rc;
}
