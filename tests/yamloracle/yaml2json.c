/*
 * yaml2json: sealsync's YAML loader on one file, for the oracle corpus test.
 *
 *   yaml2json FILE                   prints "<index>\t<json>" per document
 *                                    (sorted keys) or "error\t<message>"
 *   yaml2json --compare FILE ORACLE  compares our values with the oracle's
 *                                    output for FILE; exit 1 on a difference
 *   yaml2json --compare-dir DIR FILE...  the same for each FILE, the oracle's
 *                                    output being DIR/<base name>.oracle, which
 *                                    must also equal the recorded FILE.out;
 *                                    prints a summary line
 *
 * Values are compared, not text: numbers as Kubernetes reads Go's JSON
 * (an integer equals the float with the same value). A case whose name
 * starts with "limit-" is a documented limit: the oracle accepts it and we
 * must refuse it with SS_E_LIMIT. A case whose name starts with "stricter-"
 * is a documented corner where libyaml refuses what go-yaml reads: the
 * oracle accepts it and we must refuse it with SS_E_INVAL.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/yaml.h"

static int values_equal(const json_t *a, const json_t *b);

static int objects_equal(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;

	if (json_object_size(a) != json_object_size(b))
		return 0;
	json_object_foreach((json_t *)a, k, v) {
		json_t *w = json_object_get(b, k);

		if (w == NULL || !values_equal(v, w))
			return 0;
	}
	return 1;
}

static int values_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a))
		return objects_equal(a, b);
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

static int load(const char *path, struct ss_docset **ds, struct ss_err *err)
{
	struct ss_buf b;
	int rc;

	ss_buf_init(&b, 64u << 20);
	rc = ss_file_read(path, &b, err);
	if (rc == 0)
		rc = ss_yaml_load(path, b.data ? b.data : (const unsigned char *)"", b.len, NULL, ds,
				  err);
	ss_buf_release(&b);
	return rc;
}

static void print_doc(const struct ss_docset *ds, size_t i)
{
	char *s = json_dumps(ss_docset_get(ds, i), JSON_COMPACT | JSON_SORT_KEYS |
				 JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));

	printf("%d\t%s\n", ss_docset_index(ds, i), s ? s : "<dump failed>");
	ss_json_free(s);
}

static int cmd_print(const char *path)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	size_t i;

	ss_err_clear(&err);
	if (load(path, &ds, &err) != 0) {
		char msg[1024];

		ss_err_format(&err, msg, sizeof(msg));
		printf("error\t%s (%s)\n", msg, ss_strerror(err.code));
		return 0;
	}
	for (i = 0; i < ss_docset_count(ds); i++)
		print_doc(ds, i);
	ss_docset_free(ds);
	return 0;
}

/* One oracle line "<index>\t<json>"; huge integers are read as reals. */
static json_t *oracle_value(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	if (v == NULL)
		v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, NULL);
	return v;
}

static int compare_line(const struct ss_docset *ds, size_t i, const char *line, const char *file)
{
	const char *tab = strchr(line, '\t');
	json_t *want;
	int ok;

	if (i >= ss_docset_count(ds)) {
		fprintf(stderr, "%s: oracle has more documents than we do (ours: %zu)\n", file,
			ss_docset_count(ds));
		return 1;
	}
	if (tab == NULL || atoi(line) != ss_docset_index(ds, i)) {
		fprintf(stderr, "%s: document %zu: oracle index %d, ours %d\n", file, i, atoi(line),
			ss_docset_index(ds, i));
		return 1;
	}
	want = oracle_value(tab + 1);
	ok = want != NULL && values_equal(want, ss_docset_get(ds, i));
	json_decref(want);
	if (!ok) {
		fprintf(stderr, "%s: document %d differs\n  oracle: %s\n  ours:   ", file,
			ss_docset_index(ds, i), tab + 1);
		print_doc(ds, i);
		fflush(stdout);
		return 1;
	}
	return 0;
}

static int compare_docs(const char *file, const struct ss_docset *ds, FILE *oracle)
{
	char *line = NULL;
	size_t cap = 0, i = 0;
	ssize_t n;
	int bad = 0;

	while (!bad && (n = getline(&line, &cap, oracle)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		bad = compare_line(ds, i++, line, file);
	}
	free(line);
	if (!bad && i != ss_docset_count(ds)) {
		fprintf(stderr, "%s: oracle has %zu documents, we have %zu\n", file, i,
			ss_docset_count(ds));
		bad = 1;
	}
	return bad;
}

static int cmd_compare(const char *file, const char *oracle_path)
{
	struct ss_docset *ds = NULL;
	struct ss_err err;
	char first[64] = "", *base, *copy;
	int rc, limit_case, stricter_case, oracle_error, bad;
	FILE *oracle = fopen(oracle_path, "r");

	if (oracle == NULL || (copy = strdup(file)) == NULL) {
		perror(oracle_path);
		return 2;
	}
	base = basename(copy);
	limit_case = strncmp(base, "limit-", 6) == 0;
	stricter_case = strncmp(base, "stricter-", 9) == 0;
	free(copy);
	if (fgets(first, sizeof(first), oracle) == NULL)
		first[0] = '\0';
	oracle_error = strncmp(first, "error\t", 6) == 0;
	rewind(oracle);
	ss_err_clear(&err);
	rc = load(file, &ds, &err);
	if (limit_case || stricter_case) {
		bad = oracle_error || rc != (limit_case ? SS_E_LIMIT : SS_E_INVAL);
		if (bad)
			fprintf(stderr, "%s: documented difference: oracle %s, ours rc %d (%s)\n",
				file, oracle_error ? "refuses" : "accepts", rc, err.msg);
	} else if (rc != 0 || oracle_error) {
		bad = (rc != 0) != oracle_error;
		if (bad)
			fprintf(stderr, "%s: oracle %s, ours: %s\n", file,
				oracle_error ? first : "accepts", rc ? err.msg : "accepts");
	} else {
		bad = compare_docs(file, ds, oracle);
	}
	ss_docset_free(ds);
	fclose(oracle);
	return bad;
}

/* 1 when the two files have the same bytes. */
static int same_bytes(const char *a, const char *b)
{
	struct ss_buf x, y;
	int same;

	ss_buf_init(&x, 1u << 20);
	ss_buf_init(&y, 1u << 20);
	same = ss_file_read(a, &x, NULL) == 0 && ss_file_read(b, &y, NULL) == 0 && x.len == y.len &&
	       (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	ss_buf_release(&x);
	ss_buf_release(&y);
	return same;
}

/* The oracle's output must be the recorded one: the corpus pins what
 * Kubernetes makes of each case, so a changed case or a changed oracle
 * fails here even when our loader changes along with it. */
static int check_recorded(const char *file, const char *oracle_out)
{
	char rec[4096];

	snprintf(rec, sizeof(rec), "%s.out", file);
	if (same_bytes(rec, oracle_out))
		return 0;
	fprintf(stderr, "%s: the oracle's output differs from the recorded %s\n", file, rec);
	return 1;
}

static int cmd_compare_dir(const char *dir, int n, char **files)
{
	char path[4096];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		char *copy = strdup(files[i]);
		int rc;

		if (copy == NULL)
			return 2;
		snprintf(path, sizeof(path), "%s/%s.oracle", dir, basename(copy));
		free(copy);
		rc = check_recorded(files[i], path);
		if (rc == 0)
			rc = cmd_compare(files[i], path);
		if (rc == 2)
			return 2;
		if (rc != 0) {
			printf("FAIL %s\n", files[i]);
			bad++;
		}
	}
	printf("yaml corpus: %d cases, %d agree, %d differ\n", n, n - bad, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	ss_json_use_zeroing_alloc();
	if (argc == 2)
		return cmd_print(argv[1]);
	if (argc == 4 && strcmp(argv[1], "--compare") == 0)
		return cmd_compare(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "--compare-dir") == 0)
		return cmd_compare_dir(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: yaml2json FILE | yaml2json --compare FILE ORACLE_OUTPUT\n"
			"       yaml2json --compare-dir ORACLE_DIR FILE...\n");
	return 2;
}
