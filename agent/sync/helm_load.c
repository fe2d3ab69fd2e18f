/*
 * helm_load.c: a Helm unit's objects are what `helm template` prints for
 * its chart at the revision (helm.h), loaded like files: one origin per
 * "# Source:" block, named after the template's path in the repository, so
 * that an error points at the template that made the object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/config.h"
#include "sealsync/helm.h"
#include "sealsync/kube.h"
#include "sealsync/source.h"

#define HELM_SOURCE_MARK "---\n# Source: "
#define HELM_ORIGIN_MAX 1200

/* 1 when path lies in the chart folder (or the chart is the root). */
static int in_chart(const char *path, const char *chart)
{
	size_t n = strlen(chart);

	return strcmp(chart, ".") == 0 || (strncmp(path, chart, n) == 0 && path[n] == '/');
}

/*
 * The revision's files as the renderer takes them (borrowed from tree):
 * every file, so that a symlink in the chart may point at a file beside it,
 * but only the chart's own symlinks, so that a bad link elsewhere in the
 * repository (another unit's) does not fail this unit's copy.
 */
static int tree_files(const struct ss_tree *tree, const char *chart,
		      struct ss_renderer_file **out, size_t *n, struct ss_err *err)
{
	size_t i, total = ss_tree_count(tree);
	struct ss_renderer_file *f = calloc(total ? total : 1, sizeof(*f));

	*out = NULL;
	*n = 0;
	if (f == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; i < total; i++) {
		f[*n].path = ss_tree_path(tree, i);
		f[*n].symlink = ss_tree_is_symlink(tree, i);
		if (f[*n].symlink && !in_chart(f[*n].path, chart))
			continue;
		f[*n].data = ss_tree_data(tree, i, &f[*n].len);
		(*n)++;
	}
	*out = f;
	return 0;
}

/* "<chart>/<source minus the chart's name>": where the template lives. */
static void origin_name(const char *chart, const char *src, size_t len, char *buf, size_t cap)
{
	const char *slash = memchr(src, '/', len);
	size_t skip = slash != NULL ? (size_t)(slash - src) + 1 : 0;

	snprintf(buf, cap, "%s%s%.*s (helm template)", strcmp(chart, ".") == 0 ? "" : chart,
		 strcmp(chart, ".") == 0 ? "" : "/", (int)(len - skip), src + skip);
}

/* Loads one "# Source:" block (text up to end) under its origin name. */
static int load_block(struct ss_bundle *b, const char *chart, const unsigned char *text,
		      const unsigned char *end, struct ss_err *err)
{
	const unsigned char *src = text + strlen(HELM_SOURCE_MARK);
	const unsigned char *nl = memchr(src, '\n', (size_t)(end - src));
	char name[HELM_ORIGIN_MAX];

	if (nl == NULL)
		nl = end;
	origin_name(chart, (const char *)src, (size_t)(nl - src), name, sizeof(name));
	return ss_bundle_load_text(b, name, text, (size_t)(end - text), err);
}

/* helm's stdout, split at every "---\n# Source: " line pair. */
static int load_output(struct ss_bundle *b, const char *chart, const unsigned char *out,
		       size_t len, struct ss_err *err)
{
	const unsigned char *p = out, *end = out + len, *next;
	size_t mark = strlen(HELM_SOURCE_MARK), i;
	char name[HELM_ORIGIN_MAX];
	int rc;

	/* helm marks every document; anything before the first mark is
	 * loaded too, under the chart's name, so that nothing is dropped */
	next = memmem(out, len, HELM_SOURCE_MARK, mark);
	for (i = 0; i < (size_t)((next != NULL ? next : end) - out); i++)
		if (out[i] != ' ' && out[i] != '\n' && out[i] != '-')
			break;
	if (i < (size_t)((next != NULL ? next : end) - out)) {
		snprintf(name, sizeof(name), "%s (helm template)", chart);
		rc = ss_bundle_load_text(b, name, out, (size_t)((next ? next : end) - out), err);
		if (rc != 0)
			return rc;
	}
	while (p < end && (p = memmem(p, (size_t)(end - p), HELM_SOURCE_MARK, mark)) != NULL) {
		if (p != out && p[-1] != '\n') { /* inside a line: not a block start */
			p += mark;
			continue;
		}
		next = p + mark;
		while ((next = memmem(next, (size_t)(end - next), HELM_SOURCE_MARK, mark)) != NULL &&
		       next[-1] != '\n')
			next += mark;
		if (next == NULL)
			next = end;
		rc = load_block(b, chart, p, next, err);
		if (rc != 0)
			return rc;
		p = next;
	}
	return 0;
}

/* .Capabilities from the cluster; the unit's kubeVersion wins. */
static int caps_from(struct ss_kube *kube, const struct ss_helm_config *h, char *ver,
		     size_t vlen, char **apis, struct ss_helm_caps *caps, struct ss_err *err)
{
	int rc;

	*apis = NULL;
	memset(caps, 0, sizeof(*caps));
	caps->kube_version = h->kube_version;
	if (kube == NULL) /* --render, -n: helm's default unless kubeVersion */
		return 0;
	if (h->kube_version == NULL) {
		rc = ss_kube_server_version(kube, ver, vlen, err);
		if (rc != 0)
			return rc;
		caps->kube_version = ver;
	}
	rc = ss_kube_api_versions(kube, apis, err);
	caps->api_versions = *apis;
	return rc;
}

int ss_bundle_load_helm(struct ss_bundle *b, const struct ss_helm_unit *hu,
			const struct ss_tree *tree, struct ss_err *err)
{
	const struct ss_helm_config *h = hu->unit->helm;
	struct ss_renderer_file *files = NULL;
	struct ss_helm_job job;
	unsigned char *out = NULL;
	char ver[64], *apis = NULL;
	size_t len = 0, nfiles = 0;
	int rc;

	memset(&job, 0, sizeof(job));
	job.h = h;
	job.unit = hu->unit->name;
	job.unit_ns = hu->unit->namespace_;
	job.helm_bin = hu->helm_bin;
	rc = caps_from(hu->kube, h, ver, sizeof(ver), &apis, &job.caps, err);
	if (rc == 0)
		rc = tree_files(tree, h->chart, &files, &nfiles, err);
	if (rc == 0)
		rc = ss_helm_render(&job, files, nfiles, hu->ro, &out, &len, err);
	if (rc == 0)
		rc = load_output(b, h->chart, out, len, err);
	free(out);
	free(files);
	free(apis);
	return rc;
}
