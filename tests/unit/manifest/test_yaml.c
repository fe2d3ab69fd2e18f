/* Unit tests for the YAML loader (manifest/yaml_*.c): typing, documents,
 * lines, every bound, and errors that name the place but not the value.
 * The typing itself is checked against the real Go library by the corpus
 * test (tests/yamloracle). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/jsonalloc.h"
#include "sealsync/yaml.h"

#define SECRET "hunter2-do-not-leak"

static int load(const char *text, const struct ss_yaml_limits *lim, struct ss_docset **ds,
		struct ss_err *err)
{
	ss_err_clear(err);
	return ss_yaml_load("apps/db.yaml", (const unsigned char *)text, strlen(text), lim, ds,
			    err);
}

/* Loads one document and returns it as compact sorted JSON (caller frees). */
static char *load_json(const char *text)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	char *s, *copy;

	assert_int_equal(load(text, NULL, &ds, &err), 0);
	assert_int_equal(ss_docset_count(ds), 1);
	s = json_dumps(ss_docset_get(ds, 0), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_non_null(s);
	copy = strdup(s);
	ss_json_free(s);
	ss_docset_free(ds);
	return copy;
}

static void assert_json(const char *yaml, const char *want)
{
	char *got = load_json(yaml);

	assert_string_equal(got, want);
	free(got);
}

/* The error is refused with code, names the file, and never the secret. */
static void assert_refused(const char *text, const struct ss_yaml_limits *lim, int code,
			   const char *must_mention)
{
	struct ss_docset *ds = (struct ss_docset *)1;
	struct ss_err err;
	char msg[1024];

	assert_int_equal(load(text, lim, &ds, &err), code);
	assert_null(ds);
	assert_int_equal(err.code, code);
	ss_err_format(&err, msg, sizeof(msg));
	assert_non_null(strstr(msg, "apps/db.yaml"));
	assert_string_equal(err.file, "apps/db.yaml");
	if (must_mention != NULL && strstr(msg, must_mention) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", msg, must_mention);
	if (strstr(msg, SECRET) != NULL || strstr(err.key, SECRET) != NULL)
		fail_msg("error leaks the value: %s", msg);
}

static void test_yaml_typing(void **state)
{
	(void)state;
	assert_json("a: yes\nb: on\nc: Off\nd: y\ne: yEs\n",
		    "{\"a\":true,\"b\":true,\"c\":false,\"d\":true,\"e\":\"yEs\"}");
	assert_json("a: 0777\nb: 0x1F\nc: 0o17\nd: 1_000\ne: 08\nf: -0b101\n",
		    "{\"a\":511,\"b\":31,\"c\":15,\"d\":1000,\"e\":8,\"f\":-5}");
	assert_json("a: ~\nb: null\nc:\nd: \"\"\ne: NULL\n",
		    "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"\",\"e\":null}");
	assert_json("a: 2001-01-01\nb: \"yes\"\nc: !!str 12\nd: !!int \"12\"\ne: 1.5\nf: 1e3\n",
		    "{\"a\":\"2001-01-01\",\"b\":\"yes\",\"c\":\"12\",\"d\":12,\"e\":1.5,\"f\":1000}");
	assert_json("yes: a\n1.5: b\n0x10: c\n1e6: d\n", "{\"1.5\":\"b\",\"16\":\"c\",\"1e+06\":\"d\",\"true\":\"a\"}");
	assert_json("b: &x {p: 1}\nm: {<<: *x, q: 2}\n", "{\"b\":{\"p\":1},\"m\":{\"p\":1,\"q\":2}}");
	assert_json("a: |\n  x\n  y\nb: >-\n  x\n  y\n", "{\"a\":\"x\\ny\\n\",\"b\":\"x y\"}");
	assert_json("a: !!binary aGk=\nb: 1e400\nc: 190:20:30\n",
		    "{\"a\":\"hi\",\"b\":\"1e400\",\"c\":\"190:20:30\"}");
	assert_json("{\"json\": [1, 2.5, true, null, \"s\"]}", "{\"json\":[1,2.5,true,null,\"s\"]}");
}

static void test_yaml_documents(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	const char *text = "# header\n---\na: 1\n---\n# only a comment\n--- # next\n~\n---\n"
			   "- x\n---\nb: 2\n";

	(void)state;
	assert_int_equal(load(text, NULL, &ds, &err), 0);
	assert_int_equal(ss_docset_count(ds), 3);
	/* Kubernetes counts documents before null ones are skipped. */
	assert_int_equal(ss_docset_index(ds, 0), 1);
	assert_int_equal(ss_docset_index(ds, 1), 4);
	assert_int_equal(ss_docset_index(ds, 2), 5);
	assert_int_equal(ss_docset_line(ds, 0), 3);
	assert_int_equal(ss_docset_line(ds, 1), 9);
	assert_int_equal(ss_docset_line(ds, 2), 11);
	assert_true(json_is_array(ss_docset_get(ds, 1)));
	assert_null(ss_docset_get(ds, 3));
	assert_int_equal(ss_docset_index(ds, 3), -1);
	assert_int_equal(ss_docset_line(ds, 3), 0);
	assert_string_equal(ss_docset_name(ds), "apps/db.yaml");
	ss_docset_free(ds);

	assert_int_equal(load("", NULL, &ds, &err), 0);
	assert_int_equal(ss_docset_count(ds), 0);
	ss_docset_free(ds);
	ss_docset_free(NULL);
}

static void test_yaml_separators(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	/* CRLF, trailing blanks and a comment after "---" separate documents. */
	assert_int_equal(load("a: 1\r\n---\r\nb: 2\r\n---  \nc: 3\n--- # d\nd: 4", NULL, &ds, &err), 0);
	assert_int_equal(ss_docset_count(ds), 4);
	assert_int_equal(ss_docset_line(ds, 3), 7);
	ss_docset_free(ds);
	/* "---" followed by content, or "----", is refused as YAMLReader does. */
	assert_refused("a: 1\n----\nb: 2\n", NULL, SS_E_INVAL, "apps/db.yaml:2: document 0: ");
	assert_refused("# x\n---\n~\n--- {password: " SECRET "}\n", NULL, SS_E_INVAL,
		       "separator");
	/* A later error names the document as Kubernetes numbers it. */
	assert_refused("a: 1\n---\n# none\n---\nb: [\n", NULL, SS_E_INVAL, "document 2: ");
}

static const char field_lines_text[] =
	"kind: ConfigMap\n---\n"
	"apiVersion: v1\n"                        /* 3 */
	"metadata:\n"                             /* 4 */
	"  annotations:\n"                        /* 5 */
	"    app.kubernetes.io/name: web\n"       /* 6 */
	"spec:\n"                                 /* 7 */
	"  encryptedData:\n"                      /* 8 */
	"    password: YWdl\n"                    /* 9 */
	"  containers:\n"                         /* 10 */
	"    - name: a\n"                         /* 11 */
	"      image: busybox\n"                  /* 12 */
	"    - {name: b,\n"                       /* 13 */
	"       image: nginx}\n";                 /* 14 */

static void check_field_lines(const struct ss_docset *ds)
{
	assert_int_equal(ss_docset_count(ds), 2);
	assert_int_equal(ss_docset_field_line(ds, 0, "kind"), 1);
	assert_int_equal(ss_docset_field_line(ds, 1, "apiVersion"), 3);
	assert_int_equal(ss_docset_field_line(ds, 1, "metadata.annotations.app.kubernetes.io/name"), 6);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.encryptedData.password"), 9);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.containers"), 10);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.containers.0"), 11);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.containers.0.image"), 12);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.containers[1].name"), 13);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.containers[1].image"), 14);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.containers.2"), 0);
	assert_int_equal(ss_docset_field_line(ds, 1, "spec.nope"), 0);
	assert_int_equal(ss_docset_field_line(ds, 1, ""), 0);
	assert_int_equal(ss_docset_field_line(ds, 7, "kind"), 0);
}

static void test_yaml_field_lines(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	assert_int_equal(load(field_lines_text, NULL, &ds, &err), 0);
	check_field_lines(ds);
	ss_docset_free(ds);
}

/* The agent drops line tables and documents after a file's load
 * (bundle.h); the lines are then found by parsing the kept text again. */
static void test_yaml_field_lines_after_drop(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	assert_int_equal(load(field_lines_text, NULL, &ds, &err), 0);
	ss_docset_drop_docs(ds); /* no kept source: nothing is dropped */
	assert_non_null(ss_docset_get(ds, 1));
	assert_int_equal(ss_docset_keep_source(ds, (const unsigned char *)field_lines_text,
					       strlen(field_lines_text)), 0);
	ss_docset_drop_docs(ds);
	assert_null(ss_docset_get(ds, 0));
	assert_null(ss_docset_get(ds, 1));
	assert_int_equal(ss_docset_line(ds, 1), 3);
	check_field_lines(ds);
	ss_docset_drop_lines(ds); /* frees the parse made for the lines */
	check_field_lines(ds);
	ss_docset_free(ds);
}

static void test_yaml_lines_after_merge_and_crlf(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	const char *text = "base: &b\r\n  x: 1\r\nm:\r\n  <<: *b\r\n  z: 2\r\n";

	(void)state;
	assert_int_equal(load(text, NULL, &ds, &err), 0);
	/* A merged member keeps the line where it is written. */
	assert_int_equal(ss_docset_field_line(ds, 0, "m.x"), 2);
	assert_int_equal(ss_docset_field_line(ds, 0, "m.z"), 5);
	ss_docset_free(ds);
}

/*
 * The names of the line table live in blocks that start small and double:
 * enough keys to fill many blocks (more than 64 KiB of names), then a key
 * longer than any block, and every key must still have its own line.
 */
static void test_yaml_lines_many_blocks(void **state)
{
	enum { NKEYS = 3000, LONGKEY = 100000 };
	size_t cap = LONGKEY + 16 + (size_t)NKEYS * 64, o = 0, i;
	char *text = malloc(cap), *longkey, path[64];
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < NKEYS; i++)
		o += (size_t)snprintf(text + o, cap - o,
				      "key-%05zu-padding-padding-padding-padding: %zu\n", i, i);
	/* An explicit key ("? "): plain keys stop at 1024 characters. */
	memcpy(text + o, "? ", 2);
	longkey = text + o + 2;
	memset(longkey, 'k', LONGKEY);
	o += 2 + LONGKEY;
	o += (size_t)snprintf(text + o, cap - o, "\n: 0\n");
	assert_true(o < cap);
	assert_int_equal(load(text, NULL, &ds, &err), 0);
	assert_int_equal(ss_docset_count(ds), 1);
	for (i = 0; i < NKEYS; i++) {
		snprintf(path, sizeof(path), "key-%05zu-padding-padding-padding-padding", i);
		assert_int_equal(ss_docset_field_line(ds, 0, path), i + 1);
	}
	assert_int_equal(ss_docset_field_line(ds, 0, "key-03000-padding-padding-padding-padding"), 0);
	longkey[LONGKEY] = '\0';
	assert_int_equal(ss_docset_field_line(ds, 0, longkey), NKEYS + 1);
	ss_docset_free(ds);
	free(text);
}

static void test_yaml_syntax_error_names_place(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	const char *text = "a: 1\n---\nstringData:\n  password: " SECRET "\n  x: [" SECRET "\n";

	(void)state;
	assert_refused(text, NULL, SS_E_INVAL, "document 1");
	assert_int_equal(load(text, NULL, &ds, &err), SS_E_INVAL);
	assert_int_equal(err.doc, 1);
	assert_true(err.line >= 5);
	assert_refused("a: 1\n--- b: " SECRET "\n", NULL, SS_E_INVAL, "apps/db.yaml:2: ");
	assert_refused("x: 1\na: \"\\/" SECRET "\"\n", NULL, SS_E_INVAL, "apps/db.yaml:2: ");
	assert_refused("a: !!int " SECRET "\n", NULL, SS_E_INVAL, "apps/db.yaml:1: document 0: ");
	assert_refused("a: !!binary " SECRET "\n", NULL, SS_E_INVAL, "base64");
	assert_refused("a: *nope\n", NULL, SS_E_INVAL, "anchor");
	assert_refused("a: &x [1, *x]\n", NULL, SS_E_INVAL, "itself");
	assert_refused("? [1]\n: " SECRET "\n", NULL, SS_E_INVAL, "map key");
	assert_refused("~: " SECRET "\n", NULL, SS_E_INVAL, "null mapping key");
	assert_refused("a: .inf\n", NULL, SS_E_INVAL, "JSON");
	assert_refused("m:\n  <<: " SECRET "\n", NULL, SS_E_INVAL, "merge");
}

static void test_yaml_duplicate_key(void **state)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	const char *text = "stringData:\n  password: " SECRET "\n  password: " SECRET "2\n";

	(void)state;
	assert_refused(text, NULL, SS_E_DUP, "password");
	assert_int_equal(load(text, NULL, &ds, &err), SS_E_DUP);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.doc, 0);
	assert_string_equal(err.key, "password");
	/* Through a merge, and as JSON names of different YAML keys. */
	assert_refused("b: &b {x: " SECRET "}\nm: {x: 1, <<: *b}\n", NULL, SS_E_DUP, "\"x\"");
	assert_refused("yes: 1\ntrue: 2\n", NULL, SS_E_DUP, "true");
	assert_refused("1: a\n\"1\": b\n", NULL, SS_E_DUP, "\"1\"");
}

static void test_yaml_limit_bytes(void **state)
{
	struct ss_yaml_limits lim = {.max_bytes = 16};
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	assert_refused("password: " SECRET "\n", &lim, SS_E_LIMIT, "max_bytes");
	assert_int_equal(load("a: 1234567890\n", &lim, &ds, &err), 0);
	ss_docset_free(ds);
}

static void test_yaml_limit_docs(void **state)
{
	struct ss_yaml_limits lim = {.max_docs = 3};
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	/* Null documents count: they are documents to Kubernetes too. */
	assert_refused("a: 1\n---\n# x\n---\nb: 2\n---\nc: 3\n", &lim, SS_E_LIMIT, "max_docs");
	assert_int_equal(load("a: 1\n---\n# x\n---\nb: 2\n", &lim, &ds, &err), 0);
	assert_int_equal(ss_docset_count(ds), 2);
	ss_docset_free(ds);
}

static void test_yaml_limit_depth(void **state)
{
	struct ss_yaml_limits lim = {.max_depth = 4};
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	assert_refused("a: [[[[[1]]]]]\n", &lim, SS_E_LIMIT, "max_depth");
	assert_int_equal(load("a: [[[1]]]\n", &lim, &ds, &err), 0);
	ss_docset_free(ds);
	/* Each alias is shallow; what they expand to is too deep. */
	assert_refused("a: &a [[1]]\nb: &b [[*a]]\nc: [*b]\n", &lim, SS_E_LIMIT, "max_depth");
	/* The default allows the depth of real CRD schemas. */
	{
		char text[2048] = "";
		int i;

		for (i = 0; i < 100; i++)
			strcat(text, "[");
		strcat(text, "1");
		for (i = 0; i < 100; i++)
			strcat(text, "]");
		assert_int_equal(load(text, NULL, &ds, &err), 0);
		ss_docset_free(ds);
	}
}

static void test_yaml_limit_nodes_billion_laughs(void **state)
{
	struct ss_yaml_limits lim = {.max_nodes = 50};
	char text[4096] = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
	char line[256];
	const char *names = "abcdefghi";
	int i;

	(void)state;
	for (i = 1; i < 9; i++) {
		snprintf(line, sizeof(line), "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", names[i],
			 names[i], names[i - 1], names[i - 1], names[i - 1], names[i - 1], names[i - 1],
			 names[i - 1], names[i - 1], names[i - 1], names[i - 1]);
		strcat(text, line);
	}
	/* 10^9 nodes once expanded: refused early, by go-yaml's alias ratio. */
	assert_refused(text, NULL, SS_E_LIMIT, "alias");
	/* A plain bound on nodes, with and without aliases. */
	assert_refused("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a]\n", &lim,
		       SS_E_LIMIT, "max_nodes");
	assert_refused("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5,"
		       " 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n",
		       &lim, SS_E_LIMIT, "max_nodes");
}

static void test_yaml_limit_scalar(void **state)
{
	struct ss_yaml_limits lim = {.max_scalar = 8};
	struct ss_docset *ds = NULL;
	struct ss_err err;

	(void)state;
	assert_refused("password: " SECRET "\n", &lim, SS_E_LIMIT, "max_scalar");
	assert_refused("password: |\n  " SECRET "\n", &lim, SS_E_LIMIT, "apps/db.yaml:1: ");
	assert_int_equal(load("a: 12345678\n", &lim, &ds, &err), 0);
	ss_docset_free(ds);
}

static void test_yaml_limit_uint64(void **state)
{
	(void)state;
	/* Documented limit: Go's uint64 range is refused, not rounded. */
	assert_refused("a: 9223372036854775808\n", NULL, SS_E_LIMIT, "64-bit");
	assert_refused("18446744073709551615: a\n", NULL, SS_E_LIMIT, "64-bit");
	assert_json("a: 9223372036854775807\nb: -9223372036854775808\n",
		    "{\"a\":9223372036854775807,\"b\":-9223372036854775808}");
}

static void test_yaml_limits_default(void **state)
{
	struct ss_yaml_limits l;

	(void)state;
	memset(&l, 0, sizeof(l));
	ss_yaml_limits_default(&l);
	assert_true(l.max_bytes >= 4u << 20);
	assert_true(l.max_docs >= 1000);
	assert_true(l.max_depth >= 64);
	assert_int_equal(l.max_nodes, 1000000);
	assert_true(l.max_scalar >= 1u << 20);
}

static void test_json_zeroing_alloc(void **state)
{
	json_t *v;
	char *s;

	(void)state;
	ss_json_use_zeroing_alloc(); /* again: harmless */
	v = json_pack("{s:s}", "k", SECRET);
	assert_non_null(v);
	s = json_dumps(v, JSON_COMPACT);
	assert_string_equal(s, "{\"k\":\"" SECRET "\"}");
	ss_json_free(s);
	ss_json_free(NULL);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_typing),
		cmocka_unit_test(test_yaml_documents),
		cmocka_unit_test(test_yaml_separators),
		cmocka_unit_test(test_yaml_field_lines),
		cmocka_unit_test(test_yaml_field_lines_after_drop),
		cmocka_unit_test(test_yaml_lines_after_merge_and_crlf),
		cmocka_unit_test(test_yaml_lines_many_blocks),
		cmocka_unit_test(test_yaml_syntax_error_names_place),
		cmocka_unit_test(test_yaml_duplicate_key),
		cmocka_unit_test(test_yaml_limit_bytes),
		cmocka_unit_test(test_yaml_limit_docs),
		cmocka_unit_test(test_yaml_limit_depth),
		cmocka_unit_test(test_yaml_limit_nodes_billion_laughs),
		cmocka_unit_test(test_yaml_limit_scalar),
		cmocka_unit_test(test_yaml_limit_uint64),
		cmocka_unit_test(test_yaml_limits_default),
		cmocka_unit_test(test_json_zeroing_alloc),
	};

	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
