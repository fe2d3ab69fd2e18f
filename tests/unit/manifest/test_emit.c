/* Unit tests for manifest/emit*.c: YAML/JSON writers and their round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sealsync/emit.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/yaml.h"

/* Strings YAML 1.1 would retype, or that carry indicators or odd spaces. */
static const char *const tricky[] = {
	"yes", "Yes", "YES", "no", "on", "Off", "y", "N", "true", "False", "null", "Null", "~",
	"", " ", "0777", "0x1F", "0o17", "0b101", "1_000", "1e3", "1.5", ".5", "-1", "+1",
	".inf", "-.Inf", ".NaN", "2001-01-01", "2001-12-14t21:59:43.10-05:00", "1:20", "<<",
	"=", "- a", "a: b", "a #b", "#x", "key:", "@at", "`tick", "%p", "!bang", "&amp",
	"*star", "|", ">", "[x]", "{x}", "a,b", "?q", " lead", "trail ", "two  spaces",
	"multi\nline\n", "multi\nline", "multi\n\n\n", "\n lead", "\nx", "tab\there",
	"cr\r\n", "quote\"s", "it's", "back\\slash", "\xc3\xa9t\xc3\xa9 unicode",
	"\xe2\x80\xa8sep", "nel\xc2\x85", "bom\xef\xbb\xbf", "ctl\x01\x7f", "plain-word",
	"app.kubernetes.io/name", "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB=",
	"--- doc", "...", "line\n  indented\n", "trailing\nspace \n", "a\tb\nc\n",
	/* Noncharacters U+FFFE/U+FFFF: outside YAML's printable set, so libyaml
	 * refuses them raw (the fuzz_sealed round_trip abort). */
	"\xef\xbf\xbf", "nc\xef\xbf\xbe" "end", "multi\nnc\xef\xbf\xbf\n",
	"\xef\xbf\xbd replacement", "\xf0\x9f\x94\x91 key",
};

static json_t *build_tricky(void)
{
	json_t *root = json_object(), *arr = json_array(), *keys = json_object();
	size_t i;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		json_array_append_new(arr, json_string(tricky[i]));
		if (tricky[i][0] != '\0')
			json_object_set_new(keys, tricky[i], json_integer((json_int_t)i));
	}
	json_object_set_new(root, "strings", arr);
	json_object_set_new(root, "keys", keys);
	json_object_set_new(root, "nested", json_pack("[[1,[2,[]]],{},[{}],{\"a\":{\"b\":[\"c\"]}}]"));
	json_object_set_new(root, "numbers",
			    json_pack("[i, i, f, f, f, f, b, b, n]", 0, -42, 1.5, -0.25, 1.25e-5,
				      0.1, 1, 0));
	json_object_set_new(root, "seqmap",
			    json_pack("[{s:s, s:[s,s]}, {s:{s:s}}]", "name", "x", "args", "a",
				      "multi\nline\n", "deep", "k", "on"));
	return root;
}

static json_t *load_one(const struct ss_buf *b)
{
	struct ss_docset *ds = NULL;
	struct ss_err e;
	json_t *v;
	char msg[1024];

	ss_err_clear(&e);
	if (ss_yaml_load("emitted.yaml", b->data, b->len, NULL, &ds, &e) != 0) {
		ss_err_format(&e, msg, sizeof(msg));
		fail_msg("reload failed: %s\n%s", msg, ss_buf_str(b));
	}
	assert_int_equal(ss_docset_count(ds), 1);
	v = json_incref(ss_docset_get(ds, 0));
	ss_docset_free(ds);
	return v;
}

static void test_yaml_round_trip(void **state)
{
	json_t *in = build_tricky(), *back;
	struct ss_buf b;

	(void)state;
	ss_buf_init(&b, 1 << 20);
	assert_int_equal(ss_emit_yaml(in, &b, NULL), 0);
	back = load_one(&b);
	if (!json_equal(in, back)) {
		char *x = json_dumps(back, JSON_SORT_KEYS);

		fail_msg("round trip differs:\n%s\n%s", ss_buf_str(&b), x);
	}
	json_decref(back);
	json_decref(in);
	ss_buf_release(&b);
}

/* Every tricky string alone, as a value and as a key. */
static void test_yaml_each_string(void **state)
{
	struct ss_buf b;
	size_t i;

	(void)state;
	ss_buf_init(&b, 1 << 16);
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		json_t *in = json_pack("{s:s}", "v", tricky[i]), *back;

		if (tricky[i][0] != '\0')
			json_object_set_new(in, tricky[i], json_string("k"));
		ss_buf_reset(&b);
		assert_int_equal(ss_emit_yaml(in, &b, NULL), 0);
		back = load_one(&b);
		if (!json_equal(in, back))
			fail_msg("string %zu differs after round trip:\n%s", i, ss_buf_str(&b));
		json_decref(back);
		json_decref(in);
	}
	ss_buf_release(&b);
}

static void test_json_round_trip(void **state)
{
	json_t *in = build_tricky(), *back;
	json_error_t je;
	struct ss_buf b;

	(void)state;
	ss_buf_init(&b, 1 << 20);
	assert_int_equal(ss_emit_json(in, &b, NULL), 0);
	back = json_loads(ss_buf_str(&b), 0, &je);
	assert_non_null(back);
	assert_true(json_equal(in, back));
	/* And the JSON text is YAML too. */
	json_decref(back);
	back = load_one(&b);
	assert_true(json_equal(in, back));
	json_decref(back);
	json_decref(in);
	ss_buf_release(&b);
}

static void test_key_order_and_style(void **state)
{
	json_t *in = json_pack("{s:i, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:s, s:{s:s}, s:[s,s], s:{}}",
			       "zeta", 1, "kind", "Secret", "metadata", "namespace", "prod",
			       "name", "db", "labels", "app", "db", "apiVersion", "v1", "type",
			       "Opaque", "data", "b", "eA==", "list", "x", "line1\nline2\n",
			       "alpha");
	static const char want[] = "apiVersion: v1\n"
				   "kind: Secret\n"
				   "metadata:\n"
				   "  name: db\n"
				   "  namespace: prod\n"
				   "  labels:\n"
				   "    app: db\n"
				   "type: Opaque\n"
				   "data:\n"
				   "  b: eA==\n"
				   "alpha: {}\n"
				   "list:\n"
				   "  - x\n"
				   "  - |\n"
				   "    line1\n"
				   "    line2\n"
				   "zeta: 1\n";
	struct ss_buf b;

	(void)state;
	ss_buf_init(&b, 1 << 16);
	assert_int_equal(ss_emit_yaml(in, &b, NULL), 0);
	assert_string_equal(ss_buf_str(&b), want);
	json_decref(in);
	ss_buf_release(&b);
}

/*
 * A sealed value (base64 of an age file, "YWdl...") stays one plain word
 * however long: README's `grep | awk | base64 -d` recipe depends on it.
 * Values over 1024 bytes used to be double-quoted.
 */
static void test_long_value_plain(void **state)
{
	static char v[8192];
	json_t *in, *back;
	struct ss_docset *ds = NULL;
	struct ss_buf b;
	size_t i;

	(void)state;
	memcpy(v, "YWdl", 4);
	for (i = 4; i < sizeof(v) - 1; i++)
		v[i] = "AZaz09+/"[i % 8];
	in = json_pack("{s:s}", "k", v);
	ss_buf_init(&b, 1 << 16);
	assert_int_equal(ss_emit_yaml(in, &b, NULL), 0);
	assert_int_equal(b.len, strlen("k: ") + strlen(v) + 1);
	assert_memory_equal(b.data, "k: YWdl", 7);
	assert_int_equal(ss_yaml_load("t", b.data, b.len, NULL, &ds, NULL), 0);
	back = ss_docset_get(ds, 0);
	assert_true(json_equal(in, back));
	ss_docset_free(ds);
	json_decref(in);
	ss_buf_release(&b);
}

static void test_docs_and_limits(void **state)
{
	json_t *docs[2], *deep, *cur;
	struct ss_buf b;
	struct ss_err e;
	enum ss_emit_format f;
	int i;

	(void)state;
	docs[0] = json_pack("{s:s}", "a", "1");
	docs[1] = json_pack("{s:s}", "b", "2");
	ss_buf_init(&b, 1 << 16);
	assert_int_equal(ss_emit_docs(docs, 2, SS_EMIT_YAML, &b, NULL), 0);
	assert_string_equal(ss_buf_str(&b), "a: \"1\"\n---\nb: \"2\"\n");
	ss_buf_reset(&b);
	assert_int_equal(ss_emit_docs(docs, 2, SS_EMIT_JSON, &b, NULL), 0);
	assert_non_null(strstr(ss_buf_str(&b), "\"kind\": \"List\""));
	json_decref(docs[0]);
	json_decref(docs[1]);
	/* The ceiling is honoured. */
	ss_buf_release(&b);
	ss_buf_init(&b, 8);
	cur = json_pack("{s:s}", "key", "a long value that does not fit");
	ss_err_clear(&e);
	assert_int_equal(ss_emit_yaml(cur, &b, &e), SS_E_LIMIT);
	json_decref(cur);
	ss_buf_release(&b);
	/* So is the depth. */
	deep = json_array();
	cur = deep;
	for (i = 0; i < SS_EMIT_MAX_DEPTH + 5; i++) {
		json_t *next = json_array();

		json_array_append_new(cur, next);
		cur = next;
	}
	ss_buf_init(&b, 1 << 20);
	assert_int_equal(ss_emit_yaml(deep, &b, NULL), SS_E_LIMIT);
	json_decref(deep);
	ss_buf_release(&b);
	assert_int_equal(ss_emit_parse_format("json", &f), 0);
	assert_int_equal(f, SS_EMIT_JSON);
	assert_int_equal(ss_emit_parse_format("xml", &f), SS_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_round_trip),
		cmocka_unit_test(test_yaml_each_string),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_key_order_and_style),
		cmocka_unit_test(test_docs_and_limits),
		cmocka_unit_test(test_long_value_plain),
	};

	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
