/* Unit tests for manifest/splice.c: values changed in place, other bytes kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/jsonalloc.h"
#include "sealsync/sealed.h"
#include "sealsync/yaml.h"

static struct ss_recipient rcp;

static int setup(void **state)
{
	struct ss_identity *id = NULL;

	(void)state;
	assert_int_equal(ss_identity_generate(&id), 0);
	ss_identity_recipient(id, &rcp);
	ss_identity_free(id);
	return 0;
}

/* A SealedSecret prod/db holding the given keys (values: the key name). */
static struct ss_sealed *make(const char *name, const char *const *keys, size_t n)
{
	struct ss_sealed *s = NULL;
	struct ss_buf age;
	size_t i;

	assert_int_equal(ss_sealed_new(name, "prod", SS_SCOPE_STRICT, &s, NULL), 0);
	ss_buf_init(&age, 1 << 16);
	for (i = 0; i < n; i++) {
		struct ss_scope sc;
		struct ss_age_seal_opts o = {&rcp, 1, &sc};

		assert_int_equal(ss_scope_make(&sc, SS_SCOPE_STRICT, "prod", name, keys[i], NULL), 0);
		ss_buf_reset(&age);
		assert_int_equal(ss_age_seal(&o, (const unsigned char *)keys[i], strlen(keys[i]), &age,
					     NULL),
				 0);
		assert_int_equal(ss_sealed_set_value(s, keys[i], age.data, age.len, NULL), 0);
	}
	ss_buf_release(&age);
	return s;
}

static char *b64(const struct ss_sealed *s, const char *key)
{
	struct ss_buf b;
	size_t i;
	char *out;

	for (i = 0; i < ss_sealed_count(s); i++)
		if (strcmp(ss_sealed_key(s, i), key) == 0)
			break;
	assert_true(i < ss_sealed_count(s));
	ss_buf_init(&b, 1 << 16);
	assert_int_equal(ss_sealed_value_base64(s, i, &b), 0);
	out = strdup(ss_buf_str(&b));
	ss_buf_release(&b);
	return out;
}

/* The spliced text must load and parse as a SealedSecret again. */
static void assert_reparses(const char *text, size_t doc, size_t nkeys)
{
	struct ss_docset *ds = NULL;
	struct ss_sealed *s = NULL;
	struct ss_origin o = {"out.yaml", 0, 1, NULL, 0};
	struct ss_err e;

	ss_err_clear(&e);
	if (ss_yaml_load("out.yaml", (const unsigned char *)text, strlen(text), NULL, &ds, &e) != 0)
		fail_msg("reload: %s\n%s", e.msg, text);
	o.ds = ds;
	o.ds_index = doc;
	if (ss_sealed_parse(ss_docset_get(ds, doc), &o, &s, &e) != 0)
		fail_msg("reparse: %s (%s %s)\n%s", e.msg, e.field, e.key, text);
	assert_int_equal(ss_sealed_count(s), nkeys);
	ss_sealed_free(s);
	ss_docset_free(ds);
}

static char *splice(const char *text, const struct ss_sealed *s, const char *const *keys,
		    size_t nkeys, int want)
{
	struct ss_buf out;
	struct ss_err e;
	char *r;

	ss_buf_init(&out, 1 << 20);
	ss_err_clear(&e);
	assert_int_equal(ss_sealed_splice("in.yaml", text, strlen(text), s, keys, nkeys, &out, &e),
			 want);
	if (want != 0) {
		assert_string_equal(e.file, "in.yaml");
		ss_buf_release(&out);
		return NULL;
	}
	r = strdup(ss_buf_str(&out));
	ss_buf_release(&out);
	return r;
}

static void test_block_merge(void **state)
{
	static const char *const old_keys[] = {"password", "username"};
	static const char *const new_keys[] = {"apikey", "password"};
	struct ss_sealed *old = make("db", old_keys, 2), *upd = make("db", new_keys, 2);
	char *pw = b64(old, "password"), *user = b64(old, "username");
	char *npw = b64(upd, "password"), *key = b64(upd, "apikey");
	char in[16384], want[16384], *got;

	(void)state;
	snprintf(in, sizeof(in),
		 "# Sealed by ops \xe2\x80\x94 \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "de comment\n"
		 "apiVersion: sealsync.dev/v1\n"
		 "kind: SealedSecret\n"
		 "metadata:\n"
		 "  name: db   # the db\n"
		 "  namespace: prod\n"
		 "spec:\n"
		 "  scope: strict\n"
		 "  encryptedData:\n"
		 "    # the password, quoted on purpose\n"
		 "    password: \"%s\"   # keep me\n"
		 "    username: %s # last\n"
		 "  template:\n"
		 "    type: Opaque\n",
		 pw, user);
	snprintf(want, sizeof(want),
		 "# Sealed by ops \xe2\x80\x94 \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "de comment\n"
		 "apiVersion: sealsync.dev/v1\n"
		 "kind: SealedSecret\n"
		 "metadata:\n"
		 "  name: db   # the db\n"
		 "  namespace: prod\n"
		 "spec:\n"
		 "  scope: strict\n"
		 "  encryptedData:\n"
		 "    # the password, quoted on purpose\n"
		 "    password: %s   # keep me\n"
		 "    username: %s # last\n"
		 "    apikey: %s\n"
		 "  template:\n"
		 "    type: Opaque\n",
		 npw, user, key);
	got = splice(in, upd, NULL, 0, 0);
	assert_string_equal(got, want);
	assert_reparses(got, 0, 3);
	free(got);
	/* Only the keys asked for. */
	got = splice(in, upd, new_keys, 1, 0);
	assert_non_null(strstr(got, pw));
	assert_non_null(strstr(got, key));
	free(got);
	free(pw);
	free(user);
	free(npw);
	free(key);
	ss_sealed_free(old);
	ss_sealed_free(upd);
}

static void test_flow_and_edges(void **state)
{
	static const char *const keys[] = {"apikey"}, *const xkeys[] = {"x"};
	struct ss_sealed *upd = make("db", keys, 1), *xs = make("db", xkeys, 1);
	char *key = b64(upd, "apikey"), *x = b64(xs, "x");
	char in[8192], want[8192], *got;

	(void)state;
	snprintf(in, sizeof(in),
		 "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		 "metadata: {name: db, namespace: prod}\n"
		 "spec: {encryptedData: {}}  # empty\n");
	snprintf(want, sizeof(want),
		 "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		 "metadata: {name: db, namespace: prod}\n"
		 "spec: {encryptedData: {apikey: %s}}  # empty\n",
		 key);
	got = splice(in, upd, NULL, 0, 0);
	assert_string_equal(got, want);
	assert_reparses(got, 0, 1);
	free(got);
	/* A flow mapping that ends in a comma gets no second one. */
	got = splice("apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		     "metadata: {name: db, namespace: prod}\n"
		     "spec: {encryptedData: {\n  }}\n",
		     upd, NULL, 0, 0);
	assert_reparses(got, 0, 1);
	free(got);
	snprintf(in, sizeof(in),
		 "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		 "metadata: {name: db, namespace: prod}\n"
		 "spec: {encryptedData: {x: %s,\n  }}\n", x);
	got = splice(in, upd, NULL, 0, 0);
	assert_non_null(strstr(got, ",\n  apikey: "));
	assert_reparses(got, 0, 2);
	free(got);
	/* Several documents, no final newline; only the named one changes. */
	snprintf(in, sizeof(in),
		 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n---\n"
		 "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		 "metadata: {name: other, namespace: prod}\n"
		 "spec:\n  encryptedData: {}\n---\n"
		 "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		 "metadata:\n  name: db\nspec:\n  encryptedData:\n    x: |\n      %s\n"
		 "  scope: strict\n"
		 "---\n"
		 "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		 "metadata:\n  name: db\n  namespace: prod\nspec:\n  encryptedData:\n    x: %s",
		 x, x);
	got = splice(in, upd, NULL, 0, 0);
	assert_int_equal(strncmp(got, in, strlen(in) - strlen(key) - 30), 0);
	assert_non_null(strstr(got, "    x: |\n"));
	assert_non_null(strstr(got + strlen(in) - strlen(key) - 10, "\n    apikey: "));
	free(got);
	/* Without the exact one, the one that names no namespace; after a block. */
	*strstr(in, "---\napiVersion: sealsync.dev/v1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace") = '\0';
	got = splice(in, upd, NULL, 0, 0);
	snprintf(want, sizeof(want), "    x: |\n      %s\n    apikey: %s\n  scope: strict\n", x, key);
	assert_non_null(strstr(got, want));
	assert_reparses(got, 2, 2);
	free(got);
	/* No such SealedSecret. */
	assert_null(splice("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n", upd, NULL, 0,
			   SS_E_NOTFOUND));
	assert_null(splice("a: [\n", upd, NULL, 0, SS_E_INVAL));
	free(key);
	free(x);
	ss_sealed_free(upd);
	ss_sealed_free(xs);
}

/* A value with an anchor is not ours to replace. */
static void test_anchor_refused(void **state)
{
	static const char *const keys[] = {"x"};
	struct ss_sealed *upd = make("db", keys, 1);

	(void)state;
	assert_null(splice("apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
			   "metadata: {name: db, namespace: prod}\n"
			   "spec:\n  encryptedData:\n    x: &a eA==\n",
			   upd, NULL, 0, SS_E_UNSUPPORTED));
	ss_sealed_free(upd);
}

/* ss_sealed_splice_remove: one entry's line goes, every other byte stays. */
static void test_remove(void **state)
{
	static const char two_ns[] =
		"# head\n"
		"apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		"metadata: {name: db, namespace: dev}\n"
		"spec:\n  encryptedData:\n    a: YWdlAA\n    b: YWdlBB\n"
		"---\n"
		"apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
		"metadata: {name: db, namespace: prod}\n"
		"spec:\n  encryptedData:  # values\n    a: YWdlAA\n    b: YWdlBB  # note\n"
		"    c: |\n      YWdlCC\n# tail\n";
	static const char flow[] = "kind: SealedSecret\nmetadata: {name: db}\n"
				   "spec: {encryptedData: {a: x, b: y}}\n";
	static const char one[] = "kind: SealedSecret\nmetadata: {name: db}\n"
				  "spec:\n  encryptedData:\n    a: x\n";
	struct ss_buf out;
	char *want;

	(void)state;
	ss_buf_init(&out, 1 << 16);
	assert_int_equal(ss_sealed_splice_remove("f", two_ns, strlen(two_ns), "db", "prod", "b",
						 &out, NULL), 0);
	want = strdup(two_ns);
	assert_non_null(want);
	memmove(strstr(want, "    b: YWdlBB  # note\n"), strstr(want, "    c: |"),
		strlen(strstr(want, "    c: |")) + 1);
	assert_string_equal(ss_buf_str(&out), want);
	ss_buf_reset(&out);
	/* a block scalar goes whole; the other namespace's document is untouched */
	assert_int_equal(ss_sealed_splice_remove("f", two_ns, strlen(two_ns), "db", "prod", "c",
						 &out, NULL), 0);
	assert_non_null(strstr(ss_buf_str(&out), "b: YWdlBB  # note\n# tail\n"));
	assert_int_equal(out.len, strlen(two_ns) - strlen("    c: |\n      YWdlCC\n"));
	ss_buf_reset(&out);
	assert_int_equal(ss_sealed_splice_remove("f", two_ns, strlen(two_ns), "db", "prod", "zz",
						 &out, NULL), SS_E_NOTFOUND);
	assert_int_equal(ss_sealed_splice_remove("f", one, strlen(one), "db", "", "a", &out, NULL),
			 SS_E_INVAL);
	assert_int_equal(ss_sealed_splice_remove("f", flow, strlen(flow), "db", "", "a", &out,
						 NULL), SS_E_UNSUPPORTED);
	free(want);
	ss_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_merge),
		cmocka_unit_test(test_flow_and_edges),
		cmocka_unit_test(test_anchor_refused),
		cmocka_unit_test(test_remove),
	};

	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, setup, NULL);
}
