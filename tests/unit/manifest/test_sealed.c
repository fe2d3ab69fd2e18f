/* Unit tests for manifest/sealed*.c: parse, validate, seal, unseal, reseal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/sealed.h"
#include "sealsync/yaml.h"

#define PASSWORD "hunter2-very-secret"
#define USERNAME "admin-secret-user"

static struct ss_keyring *kr_a, *kr_b;
static struct ss_recipient rcp_a, rcp_b;

static int setup(void **state)
{
	struct ss_identity *id = NULL;

	(void)state;
	assert_int_equal(ss_keyring_new(&kr_a), 0);
	assert_int_equal(ss_identity_generate(&id), 0);
	ss_identity_recipient(id, &rcp_a);
	assert_int_equal(ss_keyring_add(kr_a, id), 0);
	assert_int_equal(ss_keyring_new(&kr_b), 0);
	assert_int_equal(ss_identity_generate(&id), 0);
	ss_identity_recipient(id, &rcp_b);
	assert_int_equal(ss_keyring_add(kr_b, id), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ss_keyring_free(kr_a);
	ss_keyring_free(kr_b);
	return 0;
}

static json_t *secret_json(void)
{
	json_error_t je;
	json_t *v = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
			       "\"metadata\":{\"name\":\"db\",\"namespace\":\"prod\","
			       "\"labels\":{\"app\":\"db\"}},\"type\":\"kubernetes.io/basic-auth\","
			       "\"immutable\":true,"
			       "\"data\":{\"password\":\"aHVudGVyMi12ZXJ5LXNlY3JldA==\"},"
			       "\"stringData\":{\"username\":\"" USERNAME "\"}}",
			       0, &je);

	assert_non_null(v);
	return v;
}

/* A sealed manifest (YAML text, malloc'd) of secret_json() for recipient A. */
static char *sealed_text(enum ss_scope_mode mode)
{
	struct ss_sealed_seal_opts so = {&rcp_a, 1, mode, NULL};
	struct ss_sealed *s = NULL;
	json_t *sec = secret_json();
	struct ss_buf b;
	char *text;

	ss_buf_init(&b, 1 << 20);
	assert_int_equal(ss_sealed_from_secret(sec, NULL, &so, &s, NULL), 0);
	assert_int_equal(ss_sealed_emit(s, SS_EMIT_YAML, &b, NULL), 0);
	text = strdup(ss_buf_str(&b));
	assert_non_null(text);
	assert_null(strstr(text, PASSWORD));
	assert_null(strstr(text, USERNAME));
	ss_sealed_free(s);
	json_decref(sec);
	ss_buf_release(&b);
	return text;
}

static char *replace(const char *src, const char *from, const char *to)
{
	const char *at = strstr(src, from);
	size_t n;
	char *out;

	assert_non_null(at);
	n = strlen(src) - strlen(from) + strlen(to) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
	return out;
}

static int parse_text(const char *text, struct ss_sealed **out, struct ss_err *e)
{
	struct ss_docset *ds = NULL;
	struct ss_origin o;
	int rc;

	ss_err_clear(e);
	rc = ss_yaml_load("s.yaml", (const unsigned char *)text, strlen(text), NULL, &ds, e);
	if (rc != 0)
		return rc;
	o.file = "s.yaml";
	o.doc = ss_docset_index(ds, 0);
	o.line = ss_docset_line(ds, 0);
	o.ds = ds;
	o.ds_index = 0;
	rc = ss_sealed_parse(ss_docset_get(ds, 0), &o, out, e);
	ss_docset_free(ds);
	return rc;
}

/* The error names the place and carries no value. */
static void assert_err_clean(const struct ss_err *e, const char *field, const char *text)
{
	char msg[2048];

	ss_err_format(e, msg, sizeof(msg));
	assert_non_null(strstr(msg, "s.yaml:"));
	assert_non_null(strstr(msg, "document 0"));
	assert_string_equal(e->field, field);
	assert_null(strstr(msg, PASSWORD));
	assert_null(strstr(msg, USERNAME));
	if (text != NULL)
		assert_null(strstr(msg, text));
}

static void open_opts(struct ss_age_open_opts *o, const struct ss_keyring *kr)
{
	memset(o, 0, sizeof(*o));
	o->kr = kr;
}

static void test_round_trip(void **state)
{
	char *text = sealed_text(SS_SCOPE_STRICT);
	struct ss_sealed *s = NULL;
	struct ss_age_open_opts o;
	struct ss_err e;
	json_t *sec = NULL, *data;

	(void)state;
	/* Stable key order: identity, then spec{scope, encryptedData (sorted), template}. */
	assert_int_equal(strncmp(text, "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
				       "metadata:\n  name: db\n  namespace: prod\n"
				       "spec:\n  scope: strict\n  encryptedData:\n    password: YWdl",
				 strlen("apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
					"metadata:\n  name: db\n  namespace: prod\n"
					"spec:\n  scope: strict\n  encryptedData:\n    password: YWdl")),
			 0);
	assert_non_null(strstr(text, "\n    username: YWdl"));
	assert_non_null(strstr(text, "\n  template:\n    metadata:\n      labels:\n        app: db\n"
				     "    type: kubernetes.io/basic-auth\n    immutable: true\n"));
	assert_int_equal(parse_text(text, &s, &e), 0);
	assert_string_equal(ss_sealed_name(s), "db");
	assert_string_equal(ss_sealed_namespace(s), "prod");
	assert_int_equal(ss_sealed_count(s), 2);
	assert_string_equal(ss_sealed_key(s, 0), "password");
	assert_int_equal(ss_sealed_info(s, 0)->scope.mode, SS_SCOPE_STRICT);
	assert_true(ss_sealed_value_has_recipients(s, 0, &rcp_a, 1));
	assert_false(ss_sealed_value_has_recipients(s, 0, &rcp_b, 1));
	open_opts(&o, kr_a);
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), 0);
	data = json_object_get(sec, "data");
	assert_string_equal(json_string_value(json_object_get(data, "password")),
			    "aHVudGVyMi12ZXJ5LXNlY3JldA==");
	assert_string_equal(json_string_value(json_object_get(data, "username")),
			    "YWRtaW4tc2VjcmV0LXVzZXI=");
	assert_string_equal(json_string_value(json_object_get(sec, "type")),
			    "kubernetes.io/basic-auth");
	assert_true(json_is_true(json_object_get(sec, "immutable")));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(sec, "metadata"), "labels"), "app")),
			    "db");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(sec, "metadata"), "namespace")),
		"prod");
	json_decref(sec);
	/* Not for this key. */
	open_opts(&o, kr_b);
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), SS_E_NOMATCH);
	assert_null(sec);
	assert_string_equal(e.field, "spec.encryptedData");
	assert_string_equal(e.key, "password");
	ss_sealed_free(s);
	free(text);
}

static void test_moved(void **state)
{
	char *text = sealed_text(SS_SCOPE_STRICT), *bad;
	struct ss_sealed *s = NULL;
	struct ss_err e;

	(void)state;
	bad = replace(text, "namespace: prod", "namespace: staging");
	assert_int_equal(parse_text(bad, &s, &e), SS_E_SCOPE);
	assert_null(s);
	assert_err_clean(&e, "spec.encryptedData", NULL);
	assert_non_null(strstr(e.msg, "strict prod/db/"));
	assert_non_null(strstr(e.msg, "staging"));
	assert_true(e.line > 0);
	free(bad);
	bad = replace(text, "name: db", "name: other");
	assert_int_equal(parse_text(bad, &s, &e), SS_E_SCOPE);
	assert_err_clean(&e, "spec.encryptedData", NULL);
	free(bad);
	/* Mode mismatch. */
	bad = replace(text, "scope: strict", "scope: namespace");
	assert_int_equal(parse_text(bad, &s, &e), SS_E_SCOPE);
	assert_non_null(strstr(e.msg, "spec.scope is namespace"));
	assert_err_clean(&e, "spec.encryptedData", NULL);
	free(bad);
	free(text);
}

/* No namespace in the manifest: the unit's target namespace decides. */
static void test_effective_namespace(void **state)
{
	char *text = sealed_text(SS_SCOPE_STRICT), *bare;
	struct ss_sealed *s = NULL;
	struct ss_age_open_opts o;
	struct ss_err e;
	json_t *sec = NULL;

	(void)state;
	bare = replace(text, "  namespace: prod\n", "");
	assert_int_equal(parse_text(bare, &s, &e), 0);
	open_opts(&o, kr_a);
	ss_err_clear(&e);
	assert_int_equal(ss_sealed_unseal(s, "staging", &o, &sec, &e), SS_E_SCOPE);
	assert_null(sec);
	assert_string_equal(e.file, "s.yaml");
	assert_string_equal(e.field, "spec.encryptedData");
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), SS_E_INVAL);
	assert_int_equal(ss_sealed_unseal(s, "prod", &o, &sec, &e), 0);
	json_decref(sec);
	ss_sealed_free(s);
	free(bare);
	free(text);
}

static void test_namespace_and_cluster_modes(void **state)
{
	char *text = sealed_text(SS_SCOPE_NAMESPACE), *moved;
	struct ss_sealed *s = NULL;
	struct ss_age_open_opts o;
	struct ss_err e;
	json_t *sec = NULL;

	(void)state;
	moved = replace(text, "name: db", "name: renamed");
	assert_int_equal(parse_text(moved, &s, &e), 0); /* the name is not bound */
	open_opts(&o, kr_a);
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), 0);
	json_decref(sec);
	ss_sealed_free(s);
	free(moved);
	free(text);
	text = sealed_text(SS_SCOPE_CLUSTER);
	moved = replace(text, "namespace: prod", "namespace: anywhere");
	assert_int_equal(parse_text(moved, &s, &e), 0);
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), 0);
	json_decref(sec);
	ss_sealed_free(s);
	free(moved);
	free(text);
}

static void test_bad_values(void **state)
{
	static const char head[] = "apiVersion: sealsync.dev/v1\n"
				   "kind: SealedSecret\n"
				   "metadata: {name: db, namespace: prod}\n"
				   "spec:\n";
	struct {
		const char *spec;
		int code;
		const char *field;
		const char *key;
		const char *value;
	} cases[] = {
		{"  encryptedData:\n    password: not*base64*at*all\n", SS_E_INVAL,
		 "spec.encryptedData", "password", "not*base64"},
		/* "hello world, not an age file" */
		{"  encryptedData:\n    password: aGVsbG8gd29ybGQsIG5vdCBhbiBhZ2UgZmlsZQ==\n",
		 SS_E_AGE_HEADER, "spec.encryptedData", "password", "aGVsbG8gd29y"},
		{"  encryptedData:\n    password: 12\n", SS_E_INVAL, "spec.encryptedData", "password",
		 NULL},
		{"  encryptedData:\n    bad/key: eA==\n", SS_E_INVAL, "spec.encryptedData", "bad/key",
		 NULL},
		{"  scope: galaxy\n  encryptedData: {}\n", SS_E_INVAL, "spec.scope", "", NULL},
		{"  encryptedDta: {}\n", SS_E_INVAL, "spec.encryptedDta", "", NULL},
		{"  scope: strict\n", SS_E_INVAL, "spec.encryptedData", "", NULL},
		{"  encryptedData: {}\n  template: {type: 3}\n", SS_E_INVAL, "spec.template.type", "",
		 NULL},
		{"  encryptedData: {}\n  template: {metadata: {labels: {a: [1]}}}\n", SS_E_INVAL,
		 "spec.template.metadata.labels", "a", NULL},
		{"  encryptedData: {}\n  template: {metadata: {name: x}}\n", SS_E_INVAL,
		 "spec.template.metadata.name", "", NULL},
	};
	struct ss_sealed *s = NULL;
	struct ss_err e;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, cases[i].spec);
		if (parse_text(text, &s, &e) != cases[i].code)
			fail_msg("case %zu: got %d (%s), want %d", i, e.code, e.msg, cases[i].code);
		assert_null(s);
		assert_err_clean(&e, cases[i].field, cases[i].value);
		assert_string_equal(e.key, cases[i].key);
	}
	/* Wrong kind, wrong apiVersion. */
	assert_int_equal(parse_text("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n", &s, &e),
			 SS_E_INVAL);
	assert_string_equal(e.field, "kind");
	assert_int_equal(parse_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
				    "metadata: {name: a}\nspec: {encryptedData: {}}\n",
				    &s, &e),
			 SS_E_INVAL);
	assert_string_equal(e.field, "apiVersion");
	assert_int_equal(parse_text("apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
				    "metadata: {namespace: a}\nspec: {encryptedData: {}}\n",
				    &s, &e),
			 SS_E_INVAL);
	assert_string_equal(e.field, "metadata.name");
	assert_int_equal(e.line, 3);
}

static void test_unscoped_and_armor(void **state)
{
	struct ss_age_seal_opts ao = {&rcp_a, 1, NULL};
	struct ss_sealed *s = NULL, *back = NULL;
	struct ss_age_open_opts o;
	struct ss_buf age, b, armor;
	struct ss_err e;
	json_t *sec = NULL;
	char *text;

	(void)state;
	ss_buf_init(&age, 1 << 16);
	ss_buf_init(&b, 1 << 16);
	ss_buf_init(&armor, 1 << 16);
	assert_int_equal(ss_age_seal(&ao, (const unsigned char *)PASSWORD, strlen(PASSWORD), &age, NULL), 0);
	assert_int_equal(ss_sealed_new("db", "prod", SS_SCOPE_STRICT, &s, &e), 0);
	assert_int_equal(ss_sealed_set_value(s, "password", age.data, age.len, &e), 0);
	assert_int_equal(ss_sealed_emit(s, SS_EMIT_YAML, &b, &e), 0);
	assert_int_equal(parse_text(ss_buf_str(&b), &back, &e), 0);
	assert_true(ss_sealed_unscoped(back));
	open_opts(&o, kr_a);
	assert_int_equal(ss_sealed_unseal(back, NULL, &o, &sec, &e), SS_E_UNSCOPED);
	assert_string_equal(e.key, "password");
	o.allow_unscoped = 1;
	assert_int_equal(ss_sealed_unseal(back, NULL, &o, &sec, &e), 0);
	json_decref(sec);
	ss_sealed_free(back);
	/* The same value as age armor in a literal block. */
	assert_int_equal(ss_age_armor_encode(age.data, age.len, &armor), 0);
	ss_buf_reset(&b);
	assert_int_equal(ss_buf_puts(&b, "apiVersion: sealsync.dev/v1\nkind: SealedSecret\n"
					 "metadata: {name: db, namespace: prod}\n"
					 "spec:\n  encryptedData:\n    password: |\n"), 0);
	text = strtok((char *)armor.data, "\n");
	for (; text != NULL; text = strtok(NULL, "\n"))
		assert_int_equal(ss_buf_printf(&b, "      %s\n", text), 0);
	assert_int_equal(parse_text(ss_buf_str(&b), &back, &e), 0);
	assert_int_equal(ss_sealed_unseal(back, NULL, &o, &sec, &e), 0);
	json_decref(sec);
	ss_sealed_free(back);
	ss_sealed_free(s);
	ss_buf_release(&age);
	ss_buf_release(&b);
	ss_buf_release(&armor);
}

static void test_secret_errors(void **state)
{
	struct ss_sealed_seal_opts so = {&rcp_a, 1, SS_SCOPE_STRICT, NULL};
	struct ss_age_open_opts ao;
	json_t *out = NULL;
	struct ss_origin o = {"in.yaml", 0, 1, NULL, 0};
	struct ss_sealed *s = NULL;
	struct ss_err e;
	json_t *sec = secret_json();
	char msg[1024];

	(void)state;
	json_object_set_new(json_object_get(sec, "stringData"), "password",
			    json_string(PASSWORD));
	ss_err_clear(&e);
	assert_int_equal(ss_sealed_from_secret(sec, &o, &so, &s, &e), SS_E_DUP);
	assert_null(s);
	assert_string_equal(e.key, "password");
	ss_err_format(&e, msg, sizeof(msg));
	assert_null(strstr(msg, PASSWORD));
	json_object_del(json_object_get(sec, "stringData"), "password");
	json_object_set_new(json_object_get(sec, "data"), "bad", json_string("***"));
	assert_int_equal(ss_sealed_from_secret(sec, &o, &so, &s, &e), SS_E_INVAL);
	assert_string_equal(e.field, "data");
	assert_string_equal(e.key, "bad");
	json_object_del(json_object_get(sec, "data"), "bad");
	/* Base64 wrapped over lines is what Kubernetes accepts too. */
	json_object_set_new(json_object_get(sec, "data"), "wrapped",
			    json_string("aHVudGVyMi12ZXJ5\nLXNlY3JldA==\n"));
	assert_int_equal(ss_sealed_from_secret(sec, &o, &so, &s, &e), 0);
	open_opts(&ao, kr_a);
	assert_int_equal(ss_sealed_unseal(s, NULL, &ao, &out, &e), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "wrapped")),
			    "aHVudGVyMi12ZXJ5LXNlY3JldA==");
	json_decref(out);
	ss_sealed_free(s);
	json_object_del(json_object_get(sec, "data"), "wrapped");
	json_object_del(json_object_get(sec, "metadata"), "namespace");
	assert_int_equal(ss_sealed_from_secret(sec, &o, &so, &s, &e), SS_E_INVAL);
	assert_string_equal(e.field, "metadata.namespace");
	so.ns = "prod";
	assert_int_equal(ss_sealed_from_secret(sec, &o, &so, &s, &e), 0);
	assert_string_equal(ss_sealed_namespace(s), "prod");
	ss_sealed_free(s);
	json_object_set_new(sec, "kind", json_string("ConfigMap"));
	assert_int_equal(ss_sealed_from_secret(sec, &o, &so, &s, &e), SS_E_INVAL);
	assert_string_equal(e.field, "kind");
	json_decref(sec);
}

static void test_reseal(void **state)
{
	char *text = sealed_text(SS_SCOPE_STRICT);
	struct ss_age_seal_opts to = {&rcp_b, 1, NULL};
	struct ss_keyring *both = NULL;
	struct ss_identity *id = NULL;
	struct ss_sealed *s = NULL;
	struct ss_age_open_opts o;
	struct ss_err e;
	json_t *sec = NULL;
	size_t i;

	(void)state;
	assert_int_equal(parse_text(text, &s, &e), 0);
	open_opts(&o, kr_a);
	for (i = 0; i < ss_sealed_count(s); i++)
		assert_int_equal(ss_sealed_reseal_value(s, i, &o, &to, &e), 0);
	assert_true(ss_sealed_value_has_recipients(s, 0, &rcp_b, 1));
	assert_int_equal(ss_sealed_info(s, 0)->scope.mode, SS_SCOPE_STRICT);
	assert_string_equal(ss_sealed_info(s, 1)->scope.key, "username");
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), SS_E_NOMATCH);
	open_opts(&o, kr_b);
	assert_int_equal(ss_sealed_unseal(s, NULL, &o, &sec, &e), 0);
	json_decref(sec);
	/* A keyring with both keys opens it too; the fresh one is unused. */
	assert_int_equal(ss_keyring_new(&both), 0);
	assert_int_equal(ss_identity_generate(&id), 0);
	assert_int_equal(ss_keyring_add(both, id), 0);
	ss_keyring_free(both);
	ss_sealed_free(s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_effective_namespace),
		cmocka_unit_test(test_namespace_and_cluster_modes),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unscoped_and_armor),
		cmocka_unit_test(test_secret_errors),
		cmocka_unit_test(test_reseal),
	};

	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, setup, teardown);
}
