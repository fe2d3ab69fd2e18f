/*
 * Unit tests for import/ (bitnami.h) against the real kubeseal's output in
 * tests/vectors/bitnami (gen.sh made it): every value opens to its bytes in
 * each of their scopes; a wrong label, a changed byte, a cut value and a
 * wrong key fail with their own codes; the document parser maps scopes,
 * keeps the template and refuses what it cannot convert by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sealsync/bitnami.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/secmem.h"
#include "sealsync/yaml.h"

#define VEC SS_SOURCE_DIR "/tests/vectors/bitnami/"

static struct ss_bitnami_keys *keys;

static int setup(void **state)
{
	struct ss_err e;

	(void)state;
	ss_json_use_zeroing_alloc();
	ss_err_clear(&e);
	if (ss_bitnami_crypto_init(&e) != 0 || ss_bitnami_keys_new(&keys, &e) != 0 ||
	    ss_bitnami_keys_add_file(keys, VEC "key.pem", &e) != 0) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ss_bitnami_keys_free(keys);
	return 0;
}

/* Loads the one document of a file (or text) and parses it. */
static int parse_text(const char *text, size_t len, struct ss_bitnami **out, struct ss_err *e)
{
	struct ss_docset *ds = NULL;
	int rc;

	*out = NULL;
	ss_err_clear(e);
	rc = ss_yaml_load("t.yaml", (const unsigned char *)text, len, NULL, &ds, e);
	if (rc == 0) {
		struct ss_origin o = {"t.yaml", ss_docset_index(ds, 0), ss_docset_line(ds, 0), ds, 0};

		rc = ss_bitnami_parse(ss_docset_get(ds, 0), &o, out, e);
	}
	ss_docset_free(ds);
	return rc;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, (1 << 16) - 1, f);
	fclose(f);
	return b;
}

static struct ss_bitnami *parse_file(const char *name)
{
	struct ss_bitnami *b = NULL;
	struct ss_err e;
	size_t len;
	char path[512], *t;

	snprintf(path, sizeof(path), VEC "%s", name);
	t = slurp(path, &len);
	assert_int_equal(parse_text(t, len, &b, &e), 0);
	free(t);
	return b;
}

static long find(const struct ss_bitnami *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->items[i].key, key) == 0)
			return (long)i;
	fail_msg("no key %s", key);
	return -1;
}

static void expect_plain(const struct ss_bitnami *b, const char *key, const void *want,
			 size_t wlen)
{
	unsigned char *pt = NULL;
	size_t len = 99;
	struct ss_err e;

	ss_err_clear(&e);
	assert_int_equal(ss_bitnami_open_item(keys, b, (size_t)find(b, key), &pt, &len, &e), 0);
	assert_int_equal(len, wlen);
	if (wlen > 0)
		assert_memory_equal(pt, want, wlen);
	else
		assert_null(pt);
	ss_secmem_free(pt);
}

static void test_vectors_open(void **state)
{
	static const char *const files[] = {"strict.yaml", "namespace-wide.yaml", "cluster-wide.yaml"};
	static const enum ss_scope_mode modes[] = {SS_SCOPE_STRICT, SS_SCOPE_NAMESPACE, SS_SCOPE_CLUSTER};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct ss_bitnami *b = parse_file(files[i]);

		assert_int_equal(b->mode, modes[i]);
		assert_string_equal(b->name, "db");
		assert_string_equal(b->ns, "shop");
		assert_int_equal(b->n, 3);
		expect_plain(b, "hello", "hello", 5);
		expect_plain(b, "empty", "", 0);
		expect_plain(b, "bytes", "\x00\x01\xfe\xff", 4);
		ss_bitnami_free(b);
	}
}

static void test_labels(void **state)
{
	struct ss_bitnami *b = parse_file("strict.yaml");
	char l[SS_BITNAMI_LABEL_MAX];

	(void)state;
	ss_bitnami_label(b, SS_SCOPE_STRICT, l, sizeof(l));
	assert_string_equal(l, "shop/db");
	ss_bitnami_label(b, SS_SCOPE_NAMESPACE, l, sizeof(l));
	assert_string_equal(l, "shop");
	ss_bitnami_label(b, SS_SCOPE_CLUSTER, l, sizeof(l));
	assert_string_equal(l, "");
	ss_bitnami_free(b);
}

/* A wrong label, a changed tag byte, a cut value: their own codes. */
static void test_open_failures(void **state)
{
	struct ss_bitnami *b = parse_file("strict.yaml");
	const struct ss_bitnami_item *it = &b->items[find(b, "hello")];
	unsigned char *pt = NULL, *copy = malloc(it->len);
	size_t len = 0, rl = 0;
	struct ss_err e;

	(void)state;
	assert_non_null(copy);
	assert_int_equal(ss_bitnami_open(keys, it->ct, it->len, "shop/other", &pt, &len, &e),
			 SS_E_NOMATCH);
	assert_null(pt);
	memcpy(copy, it->ct, it->len);
	copy[it->len - 1] ^= 0x80;
	assert_int_equal(ss_bitnami_open(keys, copy, it->len, "shop/db", &pt, &len, &e), SS_E_SIG);
	assert_null(pt);
	assert_int_equal(ss_bitnami_split(it->ct, it->len, &rl, &e), 0);
	assert_int_equal(rl, 256); /* RSA-2048 */
	assert_int_equal(ss_bitnami_open(keys, it->ct, 2 + rl + 15, "shop/db", &pt, &len, &e),
			 SS_E_INVAL);
	assert_int_equal(ss_bitnami_split(it->ct, 1, &rl, &e), SS_E_INVAL);
	copy[0] = 0, copy[1] = 0;
	assert_int_equal(ss_bitnami_split(copy, it->len, &rl, &e), SS_E_INVAL);
	free(copy);
	ss_bitnami_free(b);
}

/* Opening under another scope names the one it was sealed for. */
static void test_scope_diagnosis(void **state)
{
	struct ss_bitnami *b = parse_file("namespace-wide.yaml");
	unsigned char *pt = NULL;
	size_t len = 0;
	struct ss_err e;

	(void)state;
	b->mode = SS_SCOPE_STRICT; /* as if the annotation had been removed */
	ss_err_clear(&e);
	assert_int_equal(ss_bitnami_open_item(keys, b, (size_t)find(b, "hello"), &pt, &len, &e),
			 SS_E_SCOPE);
	assert_non_null(strstr(e.msg, "SealedSecret shop/db"));
	assert_non_null(strstr(e.msg, "sealed namespace-wide shop"));
	assert_string_equal(e.key, "hello");
	assert_string_equal(e.field, "spec.encryptedData");
	assert_string_equal(e.file, "t.yaml");
	assert_true(e.line > 0);
	ss_bitnami_free(b);
}

static void test_wrong_key(void **state)
{
	struct ss_bitnami_keys *none = NULL;
	struct ss_bitnami *b = parse_file("cluster-wide.yaml");
	unsigned char *pt = NULL;
	size_t len = 0;
	struct ss_err e;

	(void)state;
	ss_err_clear(&e);
	assert_int_equal(ss_bitnami_keys_new(&none, &e), 0);
	assert_int_equal(ss_bitnami_open_item(none, b, 0, &pt, &len, &e), SS_E_NOMATCH);
	assert_non_null(strstr(e.msg, "under their scope cluster-wide"));
	/* An EC key is not a controller key. */
	assert_int_equal(ss_bitnami_keys_add_file(none, VEC "ec.pem", &e), SS_E_INVAL);
	assert_non_null(strstr(e.msg, "not an RSA key"));
	assert_int_equal(ss_bitnami_keys_add_file(none, VEC "secret.yaml", &e), SS_E_INVAL);
	assert_int_equal(ss_bitnami_keys_count(none), 0);
	ss_bitnami_keys_free(none);
	ss_bitnami_free(b);
}

/* Template kept (labels, annotations without theirs, type); scope from metadata. */
static void test_template(void **state)
{
	struct ss_bitnami *b = parse_file("namespace-wide.yaml");
	const json_t *meta = json_object_get(b->secret, "metadata");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(b->secret, "type")), "Opaque");
	assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "labels"), "app")), "db");
	assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "annotations"), "team")),
			    "payments");
	assert_int_equal(json_object_size(json_object_get(meta, "annotations")), 1);
	assert_string_equal(json_string_value(json_object_get(meta, "namespace")), "shop");
	ss_bitnami_free(b);
}

static int parse_str(const char *s, struct ss_err *e)
{
	struct ss_bitnami *b = NULL;
	int rc = parse_text(s, strlen(s), &b, e);

	if (rc == 0)
		assert_non_null(b);
	else
		assert_null(b);
	ss_bitnami_free(b);
	return rc;
}

#define HEAD "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db, namespace: shop}\n"

static void test_refusals(void **state)
{
	struct ss_err e;

	(void)state;
	assert_int_equal(parse_str(HEAD "spec:\n  encryptedData: {}\n  template:\n    data:\n"
				   "      dsn: '{{ .user }}@db'\n", &e), SS_E_UNSUPPORTED);
	assert_string_equal(e.field, "spec.template.data");
	assert_string_equal(e.key, "dsn");
	assert_int_equal(parse_str(HEAD "spec:\n  template:\n    data:\n      gone: null\n", &e),
			 SS_E_UNSUPPORTED);
	assert_string_equal(e.key, "gone");
	assert_int_equal(parse_str(HEAD "spec:\n  data: AgBs\n", &e), SS_E_UNSUPPORTED);
	assert_string_equal(e.field, "spec.data");
	assert_int_equal(parse_str(HEAD "spec:\n  encryptedData: {a: AAAA}\n", &e), SS_E_INVAL);
	assert_string_equal(e.key, "a");
	assert_int_equal(parse_str(HEAD "spec:\n  encryptedData: {'a/b': AAAA}\n", &e), SS_E_INVAL);
	assert_int_equal(parse_str("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
				   "metadata: {name: db}\nspec: {}\n", &e), SS_E_INVAL);
	assert_string_equal(e.field, "metadata.namespace");
	assert_int_equal(parse_str("apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
				   "metadata: {name: db}\nspec: {}\n", &e), SS_E_INVAL);
	/* A literal is a value; a key in both places is refused. */
	assert_int_equal(parse_str(HEAD "spec:\n  template:\n    data: {host: db.svc}\n", &e), 0);
	assert_int_equal(parse_str("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
				   "metadata: {name: db, annotations: "
				   "{sealedsecrets.bitnami.com/cluster-wide: 'true'}}\nspec: {}\n", &e), 0);
}

/* The controller key's private numbers went to OpenSSL's secure heap. */
static void test_secure_heap(void **state)
{
	struct ss_bitnami_keys *k = NULL;
	struct ss_err e;
	size_t before;

	(void)state;
	assert_true(CRYPTO_secure_malloc_initialized());
	before = CRYPTO_secure_used();
	assert_int_equal(ss_bitnami_keys_new(&k, &e), 0);
	assert_int_equal(ss_bitnami_keys_add_file(k, VEC "key.pem", &e), 0);
	/* d, p, q, dP, dQ, qInv of RSA-2048: at least 5 * 128 + 256 bytes. */
	assert_true(CRYPTO_secure_used() >= before + 5 * 128 + 256);
	ss_bitnami_keys_free(k);
	assert_int_equal(CRYPTO_secure_used(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_open),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_open_failures),
		cmocka_unit_test(test_scope_diagnosis),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_secure_heap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
