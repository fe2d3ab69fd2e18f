/*
 * helm_chart.c: what `helm template` would fetch, refused before it runs
 * (helm.h ss_helm_check_chart).
 *
 * helm template itself only reads charts/ (it never resolves a dependency
 * without --dependency-update, which we never pass), so a chart whose
 * dependency is missing there would fail anyway; checking first lets the
 * error name the Chart.yaml line, the dependency and its repository, and
 * say what to do: vendor it (`helm dependency build`, commit charts/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sealsync/helm.h"
#include "sealsync/yaml.h"

#define HELM_MAX_DEPTH 8 /* subcharts of subcharts... */
#define HELM_NAME_MAX 1024

/* chart/rest, or rest alone for the chart at the repository root (""). */
static void join(char *buf, size_t len, const char *chart, const char *rest)
{
	snprintf(buf, len, "%s%s%s", chart, *chart ? "/" : "", rest);
}

/* Index of the file at path in files, or -1. */
static long file_find(const struct ss_renderer_file *files, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(files[i].path, path) == 0)
			return (long)i;
	return -1;
}

/* The chart name in a Chart.yaml's text, compared with name. */
static int chart_named(const struct ss_renderer_file *f, const char *name)
{
	struct ss_docset *ds = NULL;
	const char *got;
	int same;

	if (f->symlink || ss_yaml_load(f->path, f->data, f->len, NULL, &ds, NULL) != 0)
		return 0;
	got = json_string_value(json_object_get(ss_docset_get(ds, 0), "name"));
	same = got != NULL && strcmp(got, name) == 0;
	ss_docset_free(ds);
	return same;
}

/* 1 when p is DIR/X/Chart.yaml for one folder X right below dir. */
static int is_sub_chart_yaml(const char *p, const char *dir, size_t dlen)
{
	const char *rest;

	if (strncmp(p, dir, dlen) != 0 || p[dlen] != '/')
		return 0;
	rest = strchr(p + dlen + 1, '/');
	return rest != NULL && strcmp(rest, "/Chart.yaml") == 0;
}

/* 1 when p is DIR/NAME-*.tgz (helm dependency build's file name). */
static int is_vendored_tgz(const char *p, const char *dir, size_t dlen, const char *name)
{
	size_t nl = strlen(name), pl = strlen(p);

	return strncmp(p, dir, dlen) == 0 && p[dlen] == '/' && strchr(p + dlen + 1, '/') == NULL &&
	       strncmp(p + dlen + 1, name, nl) == 0 && p[dlen + 1 + nl] == '-' && pl > 4 &&
	       strcmp(p + pl - 4, ".tgz") == 0;
}

/* The dependency name is present under chart/charts (folder, symlink, tgz). */
static int dep_vendored(const struct ss_renderer_file *files, size_t n, const char *chart,
			const char *name)
{
	char dir[HELM_NAME_MAX], p[HELM_NAME_MAX + 64];
	size_t i, dlen;

	join(dir, sizeof(dir), chart, "charts");
	dlen = strlen(dir);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (file_find(files, n, p) >= 0) /* a symlinked subchart: the copy checks it */
		return 1;
	snprintf(p, sizeof(p), "%s/%s/Chart.yaml", dir, name);
	if (file_find(files, n, p) >= 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (is_vendored_tgz(files[i].path, dir, dlen, name))
			return 1;
		if (is_sub_chart_yaml(files[i].path, dir, dlen) && chart_named(&files[i], name))
			return 1;
	}
	return 0;
}

/* The repository without user:password@ (it is named in errors). */
static void repo_public(const char *repo, char *buf, size_t len)
{
	const char *scheme = strstr(repo, "://"), *at, *slash;

	if (scheme != NULL) {
		at = strchr(scheme + 3, '@');
		slash = strchr(scheme + 3, '/');
		if (at != NULL && (slash == NULL || at < slash)) {
			snprintf(buf, len, "%.*s%s", (int)(scheme + 3 - repo), repo, at + 1);
			return;
		}
	}
	snprintf(buf, len, "%s", repo);
}

static void dep_where(const char *file, const struct ss_docset *ds, size_t i, const char *sub,
		      struct ss_err *err)
{
	char field[96];

	snprintf(field, sizeof(field), "dependencies[%zu]%s%s", i, sub ? "." : "", sub ? sub : "");
	ss_err_at(err, file, ss_docset_field_line(ds, 0, field), 0);
	ss_err_field(err, field, NULL);
}

/* A file:// repository must name a folder of the repository. */
static int dep_file_repo(const char *chart, const char *file, const struct ss_docset *ds,
			 size_t i, const char *name, const char *repo, struct ss_err *err)
{
	char *resolved = NULL;
	int rc;

	if (repo[7] == '/' || (rc = ss_config_path_resolve(chart, repo + 7, &resolved)) != 0) {
		dep_where(file, ds, i, "repository", err);
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "dependency %s: repository %s leaves the repository; a chart may "
				  "only use charts committed beside it", name, repo);
	}
	free(resolved);
	return 0;
}

static int dep_check(const struct ss_renderer_file *files, size_t n, const char *chart,
		     const char *file, const struct ss_docset *ds, size_t i, const json_t *dep,
		     struct ss_err *err)
{
	const char *name = json_string_value(json_object_get(dep, "name"));
	const char *repo = json_string_value(json_object_get(dep, "repository"));
	char pub[512];
	int rc;

	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
		dep_where(file, ds, i, "name", err);
		return ss_err_set(err, SS_E_INVAL, "a dependency needs a name (no '/')");
	}
	if (repo != NULL && strncmp(repo, "file://", 7) == 0 &&
	    (rc = dep_file_repo(chart, file, ds, i, name, repo, err)) != 0)
		return rc;
	if (dep_vendored(files, n, chart, name))
		return 0;
	dep_where(file, ds, i, NULL, err);
	if (repo == NULL || *repo == '\0' || strncmp(repo, "file://", 7) == 0)
		return ss_err_set(err, SS_E_NOTFOUND,
				  "dependency %s is not in the chart's charts/ folder; run `helm "
				  "dependency build` and commit charts/", name);
	repo_public(repo, pub, sizeof(pub));
	return ss_err_set(err, SS_E_UNSUPPORTED,
			  "dependency %s comes from the chart repository %s, which the agent never "
			  "contacts; vendor it: run `helm dependency build` and commit charts/",
			  name, pub);
}

/* Checks the dependencies listed in chart/FILE_NAME, if that file exists. */
static int deps_in(const struct ss_renderer_file *files, size_t n, const char *chart,
		   const char *file_name, struct ss_err *err)
{
	char file[HELM_NAME_MAX + 32];
	struct ss_docset *ds = NULL;
	const json_t *deps, *dep;
	long at;
	size_t i;
	int rc = 0;

	join(file, sizeof(file), chart, file_name);
	if ((at = file_find(files, n, file)) < 0)
		return 0;
	if (files[at].symlink) {
		ss_err_at(err, file, 0, -1);
		return ss_err_set(err, SS_E_UNSUPPORTED, "a symlink; commit the file itself");
	}
	rc = ss_yaml_load(file, files[at].data, files[at].len, NULL, &ds, err);
	if (rc != 0)
		return rc;
	deps = json_object_get(ss_docset_get(ds, 0), "dependencies");
	if (deps != NULL && !json_is_array(deps)) {
		dep_where(file, ds, 0, NULL, err);
		rc = ss_err_set(err, SS_E_INVAL, "dependencies must be a list");
	}
	json_array_foreach(deps, i, dep)
		if (rc == 0)
			rc = dep_check(files, n, chart, file, ds, i, dep, err);
	ss_docset_free(ds);
	return rc;
}

static int chart_check(const char *chart, const struct ss_renderer_file *files, size_t n,
		       int depth, struct ss_err *err);

/* Every vendored subchart folder (chart/charts/X/Chart.yaml) in turn. */
static int subcharts_check(const char *chart, const struct ss_renderer_file *files, size_t n,
			   int depth, struct ss_err *err)
{
	char dir[HELM_NAME_MAX], sub[HELM_NAME_MAX];
	size_t i, dlen;
	int rc;

	join(dir, sizeof(dir), chart, "charts");
	dlen = strlen(dir);
	for (i = 0; i < n; i++) {
		if (!is_sub_chart_yaml(files[i].path, dir, dlen))
			continue;
		snprintf(sub, sizeof(sub), "%.*s", (int)(strlen(files[i].path) - 11),
			 files[i].path);
		rc = chart_check(sub, files, n, depth + 1, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int chart_check(const char *chart, const struct ss_renderer_file *files, size_t n,
		       int depth, struct ss_err *err)
{
	int rc;

	if (strlen(chart) > HELM_NAME_MAX - 64)
		return ss_err_set(err, SS_E_LIMIT, "chart path %s is too long", chart);
	if (depth > HELM_MAX_DEPTH) {
		ss_err_at(err, chart, 0, -1);
		return ss_err_set(err, SS_E_LIMIT, "subcharts nest deeper than %d", HELM_MAX_DEPTH);
	}
	rc = deps_in(files, n, chart, "Chart.yaml", err);
	if (rc == 0) /* apiVersion v1 charts list them here */
		rc = deps_in(files, n, chart, "requirements.yaml", err);
	if (rc == 0)
		rc = subcharts_check(chart, files, n, depth, err);
	return rc;
}

int ss_helm_check_chart(const char *chart, const struct ss_renderer_file *files, size_t nfiles,
			struct ss_err *err)
{
	const char *c = strcmp(chart, ".") == 0 ? "" : chart;
	char path[HELM_NAME_MAX + 16];
	long at;

	join(path, sizeof(path), c, "Chart.yaml");
	at = file_find(files, nfiles, path);
	if (at < 0 || files[at].symlink) {
		ss_err_at(err, chart, 0, -1);
		return ss_err_set(err, SS_E_NOTFOUND,
				  "no Chart.yaml in the chart folder %s at this revision (a chart "
				  "must be a folder committed to the repository)", chart);
	}
	return chart_check(c, files, nfiles, 0, err);
}
