/*
 * Unit tests of ss-apiserver's core (no HTTP): YAML typing, body parsing,
 * label selectors, server-side apply and the store's verbs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apisrv.h"

static json_t *yaml(const char *text)
{
	json_t *v = NULL;

	assert_int_equal(apisrv_yaml_load(text, strlen(text), &v, NULL), 0);
	return v;
}

static void test_yaml_typing(void **state)
{
	json_t *v = yaml("a: yes\nb: off\nc: 0777\nd: 2001-01-01\ne: ~\nf: 1.5\ng: '12'\n"
			 "h: 0x1F\ni: -3\nj: [1, two]\n1: k\n");

	(void)state;
	assert_true(json_is_true(json_object_get(v, "a")));
	assert_true(json_is_false(json_object_get(v, "b")));
	assert_int_equal(json_integer_value(json_object_get(v, "c")), 511);
	assert_string_equal(json_string_value(json_object_get(v, "d")), "2001-01-01");
	assert_true(json_is_null(json_object_get(v, "e")));
	assert_true(json_real_value(json_object_get(v, "f")) == 1.5);
	assert_string_equal(json_string_value(json_object_get(v, "g")), "12");
	assert_int_equal(json_integer_value(json_object_get(v, "h")), 31);
	assert_int_equal(json_integer_value(json_object_get(v, "i")), -3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "j"), 1)), "two");
	assert_string_equal(json_string_value(json_object_get(v, "1")), "k");
	json_decref(v);
}

static void expect_bad(const char *ctype, const char *text, int code, const char *msg)
{
	struct ss_err err;
	json_t *v = NULL;

	ss_err_clear(&err);
	assert_int_equal(apisrv_body_parse(ctype, text, strlen(text), &v, &err), code);
	assert_null(v);
	assert_non_null(strstr(err.msg, msg));
}

static void test_body_errors(void **state)
{
	static const char *y = "application/apply-patch+yaml";
	char deep[300];

	(void)state;
	expect_bad(y, "a: &x [1]\nb: *x\n", SS_E_INVAL, "aliases");
	expect_bad(y, "a: 1\na: 2\n", SS_E_INVAL, "duplicate key");
	expect_bad(y, "a: 1\n---\nb: 2\n", SS_E_INVAL, "more than one document");
	expect_bad(y, "- 1\n", SS_E_INVAL, "must be an object");
	expect_bad(y, "a: .inf\n", SS_E_INVAL, "not representable");
	expect_bad(y, "? [a]\n: 1\n", SS_E_INVAL, "must be a scalar");
	expect_bad(y, "a: [b\n", SS_E_INVAL, "YAML line");
	expect_bad("application/json", "{\"a\":1,\"a\":2}", SS_E_INVAL, "invalid JSON");
	expect_bad("application/json", "", SS_E_INVAL, "empty body");
	expect_bad("text/plain", "{}", SS_E_UNSUPPORTED, "unsupported media type");
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	expect_bad(y, deep, SS_E_LIMIT, "nesting");
}

static int sel(const char *s, const char *labels_json)
{
	struct apisrv_selector *x = NULL;
	json_t *labels = json_loads(labels_json, 0, NULL);
	int m;

	assert_int_equal(apisrv_selector_parse(s, &x, NULL), 0);
	m = apisrv_selector_match(x, labels);
	apisrv_selector_free(x);
	json_decref(labels);
	return m;
}

static void test_selectors(void **state)
{
	struct apisrv_selector *x = NULL;

	(void)state;
	assert_true(sel("", "{}"));
	assert_true(sel("a=b", "{\"a\":\"b\"}"));
	assert_true(sel("a==b", "{\"a\":\"b\"}"));
	assert_false(sel("a=b", "{\"a\":\"c\"}"));
	assert_true(sel("a!=b", "{}"));
	assert_true(sel("a in (x, y),b", "{\"a\":\"y\",\"b\":\"\"}"));
	assert_false(sel("a notin (x,y)", "{\"a\":\"x\"}"));
	assert_true(sel("!a", "{\"b\":\"1\"}"));
	assert_false(sel("a", "{\"b\":\"1\"}"));
	assert_int_equal(apisrv_selector_parse("a in x", &x, NULL), SS_E_INVAL);
	assert_int_equal(apisrv_selector_parse("a>1", &x, NULL), SS_E_INVAL);
	assert_int_equal(apisrv_selector_parse("=b", &x, NULL), SS_E_INVAL);
	assert_null(x);
}

static json_t *cm(const char *data_json)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},"
		 "\"data\":%s}", data_json);
	return json_loads(buf, 0, NULL);
}

static void test_apply_conflict_and_removal(void **state)
{
	struct apisrv_apply_result r1, r2, r3, r4;
	json_t *a1 = cm("{\"x\":\"1\",\"y\":\"1\"}"), *b = cm("{\"x\":\"2\"}");
	json_t *a2 = cm("{\"x\":\"1\"}");

	(void)state;
	assert_int_equal(apisrv_fields_apply(NULL, a1, "m1", 0, "t", &r1, NULL), 0);
	assert_non_null(r1.obj);
	/* m2 sets x to another value: a conflict naming the field and manager */
	assert_int_equal(apisrv_fields_apply(r1.obj, b, "m2", 0, "t", &r2, NULL), 0);
	assert_int_equal(r2.nconflicts, 1);
	assert_null(r2.obj);
	assert_string_equal(r2.conflicts[0].field, ".data.x");
	assert_string_equal(r2.conflicts[0].manager, "m1");
	/* forced: m2 takes x */
	assert_int_equal(apisrv_fields_apply(r1.obj, b, "m2", 1, "t", &r3, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r3.obj, "data"),
							      "x")), "2");
	/* m1 drops y (it owned it alone) and keeps x, which it lost: y goes */
	assert_int_equal(apisrv_fields_apply(r3.obj, a2, "m1", 1, "t", &r4, NULL), 0);
	assert_null(json_object_get(json_object_get(r4.obj, "data"), "y"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r4.obj, "data"),
							      "x")), "1");
	assert_true(r4.changed);
	json_decref(r1.obj);
	json_decref(r3.obj);
	json_decref(r4.obj);
	json_decref(a1);
	json_decref(a2);
	json_decref(b);
}

static void test_apply_noop(void **state)
{
	struct apisrv_apply_result r1, r2;
	json_t *a = cm("{\"x\":\"1\"}");

	(void)state;
	assert_int_equal(apisrv_fields_apply(NULL, a, "m", 0, "t1", &r1, NULL), 0);
	assert_int_equal(apisrv_fields_apply(r1.obj, a, "m", 0, "t2", &r2, NULL), 0);
	assert_false(r2.changed);
	json_decref(r1.obj);
	json_decref(r2.obj);
	json_decref(a);
}

static void handle(struct apisrv_store *s, const char *method, const char *ns, const char *name,
		   const char *ctype, const char *body, struct apisrv_reply *rep)
{
	struct apisrv_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.group = "";
	rq.version = "v1";
	rq.plural = "secrets";
	rq.ns = ns;
	rq.name = name;
	rq.subres = "";
	rq.field_manager = "t";
	rq.ctype = ctype;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	apisrv_store_handle(s, &rq, rep);
}

static void test_store_secret(void **state)
{
	struct apisrv_store *s = NULL;
	struct apisrv_reply rep;
	static const char *y = "application/apply-patch+yaml";
	const json_t *item;
	char *dump;

	(void)state;
	assert_int_equal(apisrv_store_new(0, &s), 0);
	handle(s, "PATCH", "nope", "a", y,
	       "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n", &rep);
	assert_int_equal(rep.status, 404);
	assert_string_equal(json_string_value(json_object_get(rep.body, "message")),
			    "namespaces \"nope\" not found");
	json_decref(rep.body);
	handle(s, "PATCH", "default", "a", y,
	       "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {k: pw-value}\n",
	       &rep);
	assert_int_equal(rep.status, 201);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rep.body, "data"),
							      "k")), "cHctdmFsdWU=");
	assert_null(json_object_get(rep.body, "stringData"));
	json_decref(rep.body);
	handle(s, "PATCH", "default", "a", y,
	       "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: pw-value!}\n", &rep);
	assert_int_equal(rep.status, 400);
	dump = json_dumps(rep.body, 0);
	assert_null(strstr(dump, "pw-value"));
	free(dump);
	json_decref(rep.body);
	/* a built-in kind's List: kind on the List, none on its items (as the
	 * real kube-apiserver answers); GET of one object carries both */
	handle(s, "GET", "default", "", NULL, NULL, &rep);
	assert_int_equal(rep.status, 200);
	assert_string_equal(json_string_value(json_object_get(rep.body, "kind")), "SecretList");
	assert_int_equal(json_array_size(json_object_get(rep.body, "items")), 1);
	item = json_array_get(json_object_get(rep.body, "items"), 0);
	assert_null(json_object_get(item, "kind"));
	assert_null(json_object_get(item, "apiVersion"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(item, "metadata"),
							      "name")), "a");
	json_decref(rep.body);
	handle(s, "GET", "default", "a", NULL, NULL, &rep);
	assert_int_equal(rep.status, 200);
	assert_string_equal(json_string_value(json_object_get(rep.body, "kind")), "Secret");
	assert_string_equal(json_string_value(json_object_get(rep.body, "apiVersion")), "v1");
	json_decref(rep.body);
	handle(s, "DELETE", "default", "a", NULL, NULL, &rep);
	assert_int_equal(rep.status, 200);
	json_decref(rep.body);
	handle(s, "GET", "default", "a", NULL, NULL, &rep);
	assert_int_equal(rep.status, 404);
	json_decref(rep.body);
	apisrv_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_typing),
		cmocka_unit_test(test_body_errors),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_apply_conflict_and_removal),
		cmocka_unit_test(test_apply_noop),
		cmocka_unit_test(test_store_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
