/*
 * ss-kubetool: the agent's Kubernetes client, for shell tests.
 *
 *   ss-kubetool [options] COMMAND ARGS...
 *     namespace                         the default namespace
 *     resource APIVERSION KIND          "<resource> namespaced|cluster"
 *     apply [--dry-run] FILE            server-side apply of each object
 *     batch [--dry-run] FILE            ss_kube_apply_batch of the array
 *     get APIVERSION KIND NS|- NAME     the object as JSON
 *     list APIVERSION KIND NS|- [SEL]   the List as JSON
 *     delete APIVERSION KIND NS|- NAME
 *     create FILE | update FILE         POST / PUT of one object
 *   options: --kubeconfig PATH (else in-cluster), --context NAME,
 *     --retries N, --timeout-ms N, --concurrency N, --max-response BYTES,
 *     --insecure, --field-manager NAME, --redact VALUE (repeatable)
 *
 * FILE holds one JSON object or an array of them. Output is JSON with
 * sorted keys; errors go to stderr as "error(<code name>): <message>".
 * Exit: 0 ok, 1 the client failed, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/kube.h"

#define MAX_REDACT 64

struct tool {
	struct ss_kube_opts o;
	const char *redact[MAX_REDACT];
	int nredact;
	int dry_run;
};

static int usage(void)
{
	fprintf(stderr, "usage: ss-kubetool [--kubeconfig P] [--context C] [--retries N] "
			"[--timeout-ms N] [--concurrency N] [--max-response N] [--insecure] "
			"[--field-manager M] [--redact V]... COMMAND ARGS...\n");
	return 2;
}

static int fail(const struct ss_err *e)
{
	char buf[2048];

	ss_err_format(e, buf, sizeof(buf));
	fprintf(stderr, "error(%s): %s\n", ss_strerror(e->code), buf);
	return 1;
}

static void print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
}

static json_t *load_objects(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je), *a;

	if (j == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
		return NULL;
	}
	if (json_is_array(j))
		return j;
	a = json_array();
	if (a == NULL || json_array_append_new(a, j) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int cmd_apply(struct ss_kube *k, struct tool *t, const char *path, struct ss_err *e)
{
	json_t *objs = load_objects(path), *obj, *res;
	size_t i;
	int rc = 0;

	if (objs == NULL)
		return 2;
	json_array_foreach (objs, i, obj) {
		rc = ss_kube_apply(k, obj, t->dry_run, &res, e);
		if (rc != 0)
			break;
		print_json(res);
		json_decref(res);
	}
	json_decref(objs);
	return rc != 0 ? fail(e) : 0;
}

static int cmd_batch(struct ss_kube *k, struct tool *t, const char *path, struct ss_err *e)
{
	json_t *objs = load_objects(path);
	struct ss_kube_result *res = NULL;
	json_t **v = NULL;
	size_t n, i;
	int rc = 1;

	if (objs == NULL)
		return 2;
	n = json_array_size(objs);
	res = calloc(n ? n : 1, sizeof(*res));
	v = calloc(n ? n : 1, sizeof(*v));
	if (res == NULL || v == NULL)
		goto out;
	/* The array's items, borrowed, as the agent passes its objects. */
	for (i = 0; i < n; i++)
		v[i] = json_array_get(objs, i);
	rc = ss_kube_apply_batch(k, v, n, t->dry_run, res, e);
	for (i = 0; i < n; i++)
		printf("%zu %s %ld %s\n", i, res[i].code ? ss_strerror(res[i].code) : "ok",
		       res[i].http_status, res[i].message);
	if (rc != 0)
		rc = fail(e);
out:
	free(v);
	free(res);
	json_decref(objs);
	return rc;
}

static int cmd_write(struct ss_kube *k, int update, const char *path, struct ss_err *e)
{
	json_t *objs = load_objects(path), *res = NULL;
	int rc;

	if (objs == NULL)
		return 2;
	rc = update ? ss_kube_update(k, json_array_get(objs, 0), &res, e)
		    : ss_kube_create(k, json_array_get(objs, 0), &res, e);
	if (rc == 0)
		print_json(res);
	json_decref(res);
	json_decref(objs);
	return rc != 0 ? fail(e) : 0;
}

static const char *ns_arg(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

static int cmd_object(struct ss_kube *k, int argc, char **argv, struct ss_err *e)
{
	const char *cmd = argv[0];
	json_t *out = NULL;
	int rc;

	if (strcmp(cmd, "get") == 0 && argc == 5)
		rc = ss_kube_get(k, argv[1], argv[2], ns_arg(argv[3]), argv[4], &out, e);
	else if (strcmp(cmd, "list") == 0 && (argc == 4 || argc == 5))
		rc = ss_kube_list(k, argv[1], argv[2], ns_arg(argv[3]), argc == 5 ? argv[4] : NULL,
				  &out, e);
	else if (strcmp(cmd, "delete") == 0 && argc == 5)
		rc = ss_kube_delete(k, argv[1], argv[2], ns_arg(argv[3]), argv[4], e);
	else
		return usage();
	if (rc != 0)
		return fail(e);
	if (out != NULL)
		print_json(out);
	json_decref(out);
	return 0;
}

static int run(struct ss_kube *k, struct tool *t, int argc, char **argv, struct ss_err *e)
{
	const char *cmd = argv[0], *res;
	int namespaced;

	if (argc >= 2 && strcmp(argv[1], "--dry-run") == 0) {
		t->dry_run = 1;
		argv++;
		argc--;
	}
	if (strcmp(cmd, "namespace") == 0 && argc == 1)
		return printf("%s\n", ss_kube_namespace(k)) < 0;
	if (strcmp(cmd, "resource") == 0 && argc == 3) {
		if (ss_kube_resource(k, argv[1], argv[2], &res, &namespaced, e) != 0)
			return fail(e);
		printf("%s %s\n", res, namespaced ? "namespaced" : "cluster");
		return 0;
	}
	if (strcmp(cmd, "apply") == 0 && argc == 2)
		return cmd_apply(k, t, argv[1], e);
	if (strcmp(cmd, "batch") == 0 && argc == 2)
		return cmd_batch(k, t, argv[1], e);
	if ((strcmp(cmd, "create") == 0 || strcmp(cmd, "update") == 0) && argc == 2)
		return cmd_write(k, cmd[0] == 'u', argv[1], e);
	return cmd_object(k, argc, argv, e);
}

static int parse_opts(struct tool *t, int argc, char **argv)
{
	static const struct option lo[] = {
		{"kubeconfig", required_argument, NULL, 'k'}, {"context", required_argument, NULL, 'c'},
		{"retries", required_argument, NULL, 'r'},    {"timeout-ms", required_argument, NULL, 't'},
		{"concurrency", required_argument, NULL, 'n'}, {"max-response", required_argument, NULL, 'm'},
		{"insecure", no_argument, NULL, 'i'},        {"field-manager", required_argument, NULL, 'f'},
		{"redact", required_argument, NULL, 'R'},    {NULL, 0, NULL, 0},
	};
	int c;

	ss_kube_opts_default(&t->o);
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'k': t->o.kubeconfig = optarg; break;
		case 'c': t->o.context = optarg; break;
		case 'r': t->o.max_retries = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': t->o.timeout_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': t->o.concurrency = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': t->o.max_response = strtoul(optarg, NULL, 10); break;
		case 'i': t->o.allow_insecure = 1; break;
		case 'f': t->o.field_manager = optarg; break;
		case 'R':
			if (t->nredact >= MAX_REDACT)
				return -1;
			t->redact[t->nredact++] = optarg;
			break;
		default: return -1;
		}
	}
	return optind < argc ? optind : -1;
}

int main(int argc, char **argv)
{
	struct tool t;
	struct ss_kube *k = NULL;
	struct ss_err e;
	int i, first, rc;

	memset(&t, 0, sizeof(t));
	first = parse_opts(&t, argc, argv);
	if (first < 0)
		return usage();
	ss_err_clear(&e);
	if (ss_kube_open(&t.o, &k, &e) != 0)
		return fail(&e);
	for (i = 0; i < t.nredact; i++)
		if (ss_kube_redact_add(k, (const unsigned char *)t.redact[i], strlen(t.redact[i])) != 0) {
			ss_kube_free(k);
			return 1;
		}
	rc = run(k, &t, argc - first, argv + first, &e);
	ss_kube_free(k);
	return rc;
}
