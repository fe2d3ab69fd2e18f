/* Unit tests for Helm units: the helm: settings (agent/config_helm.c), the
 * helm command line and the dependency check (agent/render/helm*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sealsync/config.h"
#include "sealsync/helm.h"
#include "sealsync/jsonalloc.h"

static void resolves(const char *base, const char *rel, int rc, const char *want)
{
	char *out = NULL;

	assert_int_equal(ss_config_path_resolve(base, rel, &out), rc);
	if (want != NULL)
		assert_string_equal(out, want);
	else
		assert_null(out);
	free(out);
}

static void test_path_resolve(void **state)
{
	(void)state;
	resolves("apps/web", "chart", 0, "apps/web/chart");
	resolves("apps/web", "/charts/web", 0, "charts/web");
	resolves("apps/web", "../../charts//web/./", 0, "charts/web");
	resolves(".", ".", 0, ".");
	resolves("apps", "..", 0, ".");
	resolves("apps", "../..", SS_E_INVAL, NULL);
	resolves(".", "/../etc", SS_E_INVAL, NULL);
}

/* Parses the JSON text as a unit's helm: mapping. */
static int parse(const char *text, struct ss_helm_config **h, char *field, struct ss_err *err)
{
	json_t *v = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(v);
	strcpy(field, "units[0].helm");
	ss_err_clear(err);
	rc = ss_config_helm_parse(v, "web", "apps/web", h, field, 128, err);
	json_decref(v);
	return rc;
}

static void test_parse_ok(void **state)
{
	struct ss_helm_config *h = NULL;
	struct ss_err err;
	char field[128];

	(void)state;
	assert_int_equal(parse("{\"chart\":\"/charts/web\",\"valuesFiles\":[\"/common.yaml\","
			       "\"env/prod.yaml\"],\"values\":{\"b\":1,\"a\":[true]},"
			       "\"kubeVersion\":\"v1.30.2\",\"releaseName\":\"web-1\"}",
			       &h, field, &err), 0);
	assert_string_equal(h->chart, "charts/web");
	assert_int_equal(h->nvalues_files, 2);
	assert_string_equal(h->values_files[0], "common.yaml");
	assert_string_equal(h->values_files[1], "apps/web/env/prod.yaml");
	assert_string_equal(h->values_json, "{\"a\":[true],\"b\":1}");
	assert_string_equal(h->kube_version, "v1.30.2");
	assert_null(h->namespace_);
	assert_string_equal(ss_helm_namespace(h, "unit-ns"), "unit-ns");
	ss_config_helm_free(h);
}

static void refused(const char *text, const char *want_field, const char *want_msg)
{
	struct ss_helm_config *h = NULL;
	struct ss_err err;
	char field[128];

	assert_int_not_equal(parse(text, &h, field, &err), 0);
	assert_null(h);
	assert_string_equal(field, want_field);
	if (strstr(err.msg, want_msg) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want_msg);
	assert_non_null(strstr(err.msg, "unit web"));
}

static void test_parse_refusals(void **state)
{
	(void)state;
	refused("{\"chart\":\"c\",\"valuesFiles\":[\"a.yaml\",\"https://u:tok@h/v.yaml\"]}",
		"units[0].helm.valuesFiles[1]", "is a URL");
	refused("{\"chart\":\"oci://registry/charts/web\"}", "units[0].helm.chart", "is a URL");
	refused("{\"chart\":\"../../../x\"}", "units[0].helm.chart", "leaves the repository");
	refused("{\"chart\":\"c\",\"valuesFile\":[]}", "units[0].helm.valuesFile",
		"unknown helm setting valuesFile");
	refused("{\"chart\":\"c\",\"releaseName\":\"Web_1\"}", "units[0].helm.releaseName",
		"release name");
	refused("{\"chart\":\"c\",\"namespace\":\"a.b\"}", "units[0].helm.namespace", "namespace");
	refused("{\"chart\":\"c\",\"kubeVersion\":\"latest\"}", "units[0].helm.kubeVersion",
		"version");
	refused("{\"chart\":\"c\",\"values\":[1]}", "units[0].helm.values", "mapping");
	refused("{\"values\":{}}", "units[0].helm", "needs a chart");
}

static void test_parse_url_not_repeated(void **state)
{
	struct ss_helm_config *h = NULL;
	struct ss_err err;
	char field[128];

	(void)state;
	assert_int_not_equal(parse("{\"chart\":\"c\",\"valuesFiles\":[\"https://u:tok@h/v\"]}",
				   &h, field, &err), 0);
	assert_null(strstr(err.msg, "tok"));
}

static void test_args(void **state)
{
	struct ss_helm_config h;
	struct ss_helm_job job;
	const char *argv[64];
	char buf[4096], all[4096] = "";
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.chart = "charts/web";
	h.values_files[0] = "common.yaml";
	h.values_files[1] = "apps/web/env/prod.yaml";
	h.nvalues_files = 2;
	h.values_json = "{}";
	memset(&job, 0, sizeof(job));
	job.h = &h;
	job.unit = "web";
	job.unit_ns = "shop";
	job.caps.kube_version = "v1.32.3";
	job.caps.api_versions = "apps/v1,apps/v1/Deployment";
	assert_int_equal(ss_helm_args(&job, argv, 64, buf, sizeof(buf), NULL), 0);
	for (i = 0; argv[i] != NULL; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? " " : "", argv[i]);
	assert_string_equal(all, "template web ./charts/web --namespace shop --include-crds "
				 "--skip-tests --no-hooks -f ./common.yaml -f "
				 "./apps/web/env/prod.yaml -f ./.sealsync-helm-inline-values.json "
				 "--kube-version v1.32.3 --api-versions apps/v1,apps/v1/Deployment");
	assert_int_equal(ss_helm_args(&job, argv, 8, buf, sizeof(buf), NULL), SS_E_LIMIT);
}

/* A long API list goes in pieces (the render server caps one string), cut
 * at commas, nothing lost. */
static void test_args_api_pieces(void **state)
{
	static char list[20000], buf[30000], joined[20000];
	struct ss_helm_config h;
	struct ss_helm_job job;
	const char *argv[64];
	size_t i, n = 0, pieces = 0;

	(void)state;
	for (i = 0; n + 40 < sizeof(list) - 100; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%sg%zu.example.com/v1/Kind%zu",
				      i ? "," : "", i, i);
	memset(&h, 0, sizeof(h));
	h.chart = ".";
	memset(&job, 0, sizeof(job));
	job.h = &h;
	job.unit = "web";
	job.unit_ns = "shop";
	job.caps.api_versions = list;
	assert_int_equal(ss_helm_args(&job, argv, 64, buf, sizeof(buf), NULL), 0);
	joined[0] = '\0';
	for (i = 0; argv[i] != NULL; i++) {
		if (strcmp(argv[i], "--api-versions") != 0)
			continue;
		assert_true(strlen(argv[i + 1]) <= 3500);
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 pieces++ ? "," : "", argv[i + 1]);
	}
	assert_true(pieces > 4);
	assert_string_equal(joined, list);
}

#define F(p, d) {p, (const unsigned char *)(d), sizeof(d) - 1, 0}
#define DEPS(repo) "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n" \
	"  - name: redis\n    version: 1.0.0\n    repository: " repo "\n"

static void test_chart_vendored(void **state)
{
	const struct ss_renderer_file folder[] = {
		F("c/Chart.yaml", DEPS("https://charts.example/")),
		F("c/charts/redis/Chart.yaml", "name: redis\n")};
	const struct ss_renderer_file renamed[] = {
		F("c/Chart.yaml", DEPS("oci://r.example/c")),
		F("c/charts/cache/Chart.yaml", "name: redis\n")};
	const struct ss_renderer_file tgz[] = {F("c/Chart.yaml", DEPS("https://charts.example/")),
					       F("c/charts/redis-1.0.0.tgz", "x")};
	const struct ss_renderer_file root[] = {F("Chart.yaml", DEPS("file://./sub")),
						F("charts/redis/Chart.yaml", "name: redis\n")};

	(void)state;
	assert_int_equal(ss_helm_check_chart("c", folder, 2, NULL), 0);
	assert_int_equal(ss_helm_check_chart("c", renamed, 2, NULL), 0);
	assert_int_equal(ss_helm_check_chart("c", tgz, 2, NULL), 0);
	assert_int_equal(ss_helm_check_chart(".", root, 2, NULL), 0);
}

static void test_chart_refused(void **state)
{
	const struct ss_renderer_file remote[] = {
		F("c/Chart.yaml", DEPS("https://user:pw@charts.example/")),
		F("c/charts/redisx/Chart.yaml", "name: redisx\n"),
		F("c/charts/redis-x.tar", "x")};
	const struct ss_renderer_file nested[] = {
		F("c/Chart.yaml", "name: top\n"),
		F("c/charts/sub/Chart.yaml", DEPS("https://charts.example/"))};
	const struct ss_renderer_file escape[] = {F("c/Chart.yaml", DEPS("file://../../x")),
						  F("c/charts/redis/Chart.yaml", "name: redis\n")};
	const struct ss_renderer_file v1[] = {
		F("c/Chart.yaml", "apiVersion: v1\nname: top\n"),
		F("c/requirements.yaml", "dependencies:\n  - name: pg\n    repository: '@stable'\n")};
	struct ss_err err;

	(void)state;
	ss_err_clear(&err);
	assert_int_equal(ss_helm_check_chart("c", remote, 3, &err), SS_E_UNSUPPORTED);
	assert_string_equal(err.file, "c/Chart.yaml");
	assert_int_equal(err.line, 5);
	assert_string_equal(err.field, "dependencies[0]");
	assert_non_null(strstr(err.msg, "dependency redis"));
	assert_non_null(strstr(err.msg, "https://charts.example/"));
	assert_null(strstr(err.msg, "pw"));
	ss_err_clear(&err);
	assert_int_equal(ss_helm_check_chart("c", nested, 2, &err), SS_E_UNSUPPORTED);
	assert_string_equal(err.file, "c/charts/sub/Chart.yaml");
	ss_err_clear(&err);
	assert_int_equal(ss_helm_check_chart("c", escape, 2, &err), SS_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "leaves the repository"));
	ss_err_clear(&err);
	assert_int_equal(ss_helm_check_chart("c", v1, 2, &err), SS_E_UNSUPPORTED);
	assert_string_equal(err.file, "c/requirements.yaml");
	ss_err_clear(&err);
	assert_int_equal(ss_helm_check_chart("d", v1, 2, &err), SS_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no Chart.yaml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_resolve),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_url_not_repeated),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_api_pieces),
		cmocka_unit_test(test_chart_vendored),
		cmocka_unit_test(test_chart_refused),
	};

	ss_json_use_zeroing_alloc(); /* as the agent runs: json_dumps text is jansson's */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
