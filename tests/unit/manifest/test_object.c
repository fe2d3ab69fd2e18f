/* Unit tests for manifest/object*.c: identity, validation, duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sealsync/jsonalloc.h"
#include "sealsync/object.h"
#include "sealsync/yaml.h"

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	assert_non_null(v);
	return v;
}

static void formatted(const struct ss_err *e, char *buf, size_t len)
{
	ss_err_format(e, buf, len);
}

static void test_identity_ok(void **state)
{
	struct ss_origin o = {"apps/web.yaml", 2, 10, NULL, 0};
	struct ss_objid id;
	struct ss_err e;
	json_t *v = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
			  "\"metadata\":{\"name\":\"web.front-1\",\"namespace\":\"prod\"}}");

	(void)state;
	ss_err_clear(&e);
	assert_int_equal(ss_object_identity(v, &o, &id, &e), 0);
	assert_string_equal(id.group, "apps");
	assert_string_equal(id.version, "v1");
	assert_string_equal(id.kind, "Deployment");
	assert_string_equal(id.ns, "prod");
	assert_string_equal(id.name, "web.front-1");
	json_decref(v);

	v = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}");
	assert_int_equal(ss_object_identity(v, &o, &id, &e), 0);
	assert_string_equal(id.group, "");
	assert_string_equal(id.version, "v1");
	assert_string_equal(id.ns, "");
	json_decref(v);
}

struct bad_case {
	const char *json;
	const char *field;
	const char *msg;
};

static void test_identity_errors(void **state)
{
	static const struct bad_case cases[] = {
		{"{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}", "apiVersion", "missing"},
		{"{\"apiVersion\":1,\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}", "apiVersion",
		 "string"},
		{"{\"apiVersion\":\"a/b/c\",\"kind\":\"X\",\"metadata\":{\"name\":\"c\"}}", "apiVersion",
		 "group/version"},
		{"{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\"}}", "kind", "missing"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"Config Map\",\"metadata\":{\"name\":\"c\"}}", "kind",
		 "CamelCase"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", "metadata", "missing"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":[]}", "metadata", "mapping"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}", "metadata.name",
		 "missing"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":7}}",
		 "metadata.name", "string"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Bad_Name\"}}",
		 "metadata.name", "valid"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a..b\"}}",
		 "metadata.name", "valid"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a.b\"}}",
		 "metadata.name", "valid"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"system:x\"}}",
		 "metadata.name", "valid"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
		 "\"namespace\":\"Prod\"}}",
		 "metadata.namespace", "DNS label"},
		{"[1]", "", "mapping"},
	};
	struct ss_origin o = {"x.yaml", 3, 40, NULL, 0};
	struct ss_objid id;
	struct ss_err e;
	char out[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = parse(cases[i].json);

		ss_err_clear(&e);
		assert_int_equal(ss_object_identity(v, &o, &id, &e), SS_E_INVAL);
		assert_string_equal(e.field, cases[i].field);
		assert_string_equal(e.file, "x.yaml");
		assert_int_equal(e.doc, 3);
		assert_int_equal(e.line, 40);
		assert_non_null(strstr(e.msg, cases[i].msg));
		assert_string_equal(id.name, "");
		formatted(&e, out, sizeof(out));
		assert_non_null(strstr(out, "x.yaml:40: document 3: "));
		json_decref(v);
	}
}

static void test_rbac_names(void **state)
{
	struct ss_origin o = {"rbac.yaml", 0, 1, NULL, 0};
	struct ss_objid id;
	json_t *v = parse("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\","
			  "\"metadata\":{\"name\":\"system:auth-delegator\"}}");

	(void)state;
	assert_int_equal(ss_object_identity(v, &o, &id, NULL), 0);
	assert_string_equal(id.name, "system:auth-delegator");
	json_decref(v);
	v = parse("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\","
		  "\"metadata\":{\"name\":\"a/b\"}}");
	assert_int_equal(ss_object_identity(v, &o, &id, NULL), SS_E_INVAL);
	json_decref(v);
}

static void test_dns_checks(void **state)
{
	char long_label[80];

	(void)state;
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_int_equal(ss_object_check_label("prod-1"), 0);
	assert_int_not_equal(ss_object_check_label(long_label), 0);
	long_label[63] = '\0';
	assert_int_equal(ss_object_check_label(long_label), 0);
	assert_int_not_equal(ss_object_check_label("-a"), 0);
	assert_int_not_equal(ss_object_check_label("a-"), 0);
	assert_int_not_equal(ss_object_check_label(""), 0);
	assert_int_not_equal(ss_object_check_label("a.b"), 0);
	assert_int_equal(ss_object_check_subdomain("a.b-c.d"), 0);
	assert_int_not_equal(ss_object_check_subdomain("a.-b"), 0);
	assert_int_not_equal(ss_object_check_subdomain("A"), 0);
}

static void mkid(struct ss_objid *id, const char *g, const char *v, const char *k,
		 const char *ns, const char *n)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->group, sizeof(id->group), "%s", g);
	snprintf(id->version, sizeof(id->version), "%s", v);
	snprintf(id->kind, sizeof(id->kind), "%s", k);
	snprintf(id->ns, sizeof(id->ns), "%s", ns);
	snprintf(id->name, sizeof(id->name), "%s", n);
}

static void test_objset_duplicates(void **state)
{
	struct ss_origin a = {"a.yaml", 0, 1, NULL, 0}, b = {"b.yaml", 2, 17, NULL, 0};
	struct ss_objset *s = NULL;
	struct ss_objid id;
	struct ss_err e;
	char out[1024];

	(void)state;
	assert_int_equal(ss_objset_new(&s), 0);
	mkid(&id, "apps", "v1", "Deployment", "prod", "web");
	assert_int_equal(ss_objset_add(s, &id, &a, &e), 0);
	mkid(&id, "apps", "v1", "Deployment", "staging", "web");
	assert_int_equal(ss_objset_add(s, &id, &a, &e), 0);
	mkid(&id, "", "v1", "Service", "prod", "web");
	assert_int_equal(ss_objset_add(s, &id, &a, &e), 0);
	/* Another version of the same object is still the same object. */
	mkid(&id, "apps", "v1beta2", "Deployment", "prod", "web");
	ss_err_clear(&e);
	assert_int_equal(ss_objset_add(s, &id, &b, &e), SS_E_DUP);
	ss_err_format(&e, out, sizeof(out));
	assert_non_null(strstr(out, "b.yaml:17: document 2: "));
	assert_non_null(strstr(out, "a.yaml:1 (document 0)"));
	assert_non_null(strstr(out, "Deployment prod/web"));
	assert_int_equal(ss_objset_count(s), 3);
	assert_int_equal(ss_objset_contains(s, &id), 1);
	mkid(&id, "apps", "v1", "Deployment", "prod", "api");
	assert_int_equal(ss_objset_contains(s, &id), 0);
	ss_objset_free(s);
}

static void test_objset_grows(void **state)
{
	struct ss_origin o = {"many.yaml", 0, 1, NULL, 0};
	struct ss_objset *s = NULL;
	struct ss_objid id;
	char name[32];
	int i;

	(void)state;
	assert_int_equal(ss_objset_new(&s), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		mkid(&id, "", "v1", "ConfigMap", "prod", name);
		o.doc = i;
		assert_int_equal(ss_objset_add(s, &id, &o, NULL), 0);
	}
	assert_int_equal(ss_objset_count(s), 5000);
	mkid(&id, "", "v1", "ConfigMap", "prod", "cm-4321");
	assert_int_equal(ss_objset_add(s, &id, &o, NULL), SS_E_DUP);
	ss_objset_free(s);
}

/* With a docset, errors name the line of the offending field itself. */
static void test_field_lines(void **state)
{
	static const char text[] = "# header\n"
				   "apiVersion: v1\n"
				   "kind: ConfigMap\n"
				   "metadata:\n"
				   "  name: c\n"
				   "---\n"
				   "apiVersion: v1\n"
				   "kind: ConfigMap\n"
				   "metadata:\n"
				   "  namespace: prod\n"
				   "  name: Not_Valid\n";
	struct ss_docset *ds = NULL;
	struct ss_origin o;
	struct ss_objid id;
	struct ss_err e;

	(void)state;
	assert_int_equal(ss_yaml_load("f.yaml", (const unsigned char *)text, sizeof(text) - 1,
				      NULL, &ds, &e),
			 0);
	assert_int_equal(ss_docset_count(ds), 2);
	o.file = "f.yaml";
	o.ds = ds;
	o.ds_index = 1;
	o.doc = ss_docset_index(ds, 1);
	o.line = ss_docset_line(ds, 1);
	ss_err_clear(&e);
	assert_int_equal(ss_object_identity(ss_docset_get(ds, 1), &o, &id, &e), SS_E_INVAL);
	assert_int_equal(e.line, 11);
	assert_int_equal(e.doc, 1);
	assert_string_equal(e.field, "metadata.name");
	ss_docset_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_ok),
		cmocka_unit_test(test_identity_errors),
		cmocka_unit_test(test_rbac_names),
		cmocka_unit_test(test_dns_checks),
		cmocka_unit_test(test_objset_duplicates),
		cmocka_unit_test(test_objset_grows),
		cmocka_unit_test(test_field_lines),
	};

	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
