/*
 * helm_load.c: a Helm unit's objects are what `helm template` prints for
 * its chart at the revision (helm.h), loaded like files: one origin per
 * "# Source:" block, named after the template's path in the repository, so
 * that an error points at the template that made the object.
 *
 * The output is kept per unit (the render cache, bundle.h) under a key of
 * everything the command line is made of and the Git object ids of what
 * helm reads: the chart folder and the values files, or every file of the
 * revision when the chart holds a symlink (it may point anywhere in the
 * repository). A sync that changes none of it runs no helm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/bundle.h"
#include "sealsync/config.h"
#include "sealsync/helm.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
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

static void key_str(crypto_hash_sha256_state *st, const char *s)
{
	if (s == NULL)
		s = "";
	crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s) + 1);
}

/* 1 when helm reads path: in the chart, or one of the values files. */
static int helm_reads(const struct ss_helm_config *h, const char *path, int any_link)
{
	size_t i;

	if (any_link || in_chart(path, h->chart))
		return 1;
	for (i = 0; i < h->nvalues_files; i++)
		if (strcmp(path, h->values_files[i]) == 0)
			return 1;
	return 0;
}

static void input_key(const struct ss_helm_job *job, const struct ss_tree *tree,
		      unsigned char key[SS_RENDER_KEY_BYTES])
{
	const struct ss_helm_config *h = job->h;
	crypto_hash_sha256_state st;
	size_t i, n = ss_tree_count(tree);
	int any_link = 0;

	crypto_hash_sha256_init(&st);
	key_str(&st, job->helm_bin);
	key_str(&st, h->release_name != NULL ? h->release_name : job->unit);
	key_str(&st, h->chart);
	key_str(&st, ss_helm_namespace(h, job->unit_ns));
	for (i = 0; i < h->nvalues_files; i++)
		key_str(&st, h->values_files[i]);
	key_str(&st, h->values_json);
	key_str(&st, job->caps.kube_version);
	key_str(&st, job->caps.api_versions);
	for (i = 0; i < n; i++)
		any_link |= ss_tree_is_symlink(tree, i) && in_chart(ss_tree_path(tree, i), h->chart);
	for (i = 0; i < n; i++) {
		if (!helm_reads(h, ss_tree_path(tree, i), any_link))
			continue;
		key_str(&st, ss_tree_path(tree, i));
		key_str(&st, ss_tree_oid(tree, i));
		key_str(&st, ss_tree_is_symlink(tree, i) ? "l" : "f");
	}
	crypto_hash_sha256_final(&st, key);
}

/* helm template of the job, or its kept output when the key is the same. */
static int render_or_reuse(const struct ss_helm_unit *hu, const struct ss_helm_job *job,
			   const struct ss_tree *tree, const unsigned char **out, size_t *len,
			   struct ss_err *err)
{
	unsigned char key[SS_RENDER_KEY_BYTES], *fresh = NULL;
	struct ss_renderer_file *files = NULL;
	size_t nfiles = 0;
	char bytes[32];
	int rc;

	input_key(job, tree, key);
	*out = ss_render_cache_get(hu->rc, hu->index, key, len);
	if (*out != NULL) {
		ss_log(SS_LOG_DEBUG, "render skipped: what it reads is unchanged", "unit", job->unit, NULL);
		return 0;
	}
	rc = tree_files(tree, job->h->chart, &files, &nfiles, err);
	if (rc == 0)
		rc = ss_helm_render(job, files, nfiles, hu->ro, &fresh, len, err);
	free(files);
	if (rc != 0)
		return rc;
	snprintf(bytes, sizeof(bytes), "%zu", *len);
	ss_log(SS_LOG_INFO, "unit rendered", "unit", job->unit, "tool", "helm", "chart",
	       job->h->chart, "bytes", bytes, NULL);
	if (hu->rc == NULL) {
		*out = fresh; /* the caller frees it: no cache owns it */
		return 0;
	}
	ss_render_cache_put(hu->rc, hu->index, key, fresh, *len);
	*out = ss_render_cache_get(hu->rc, hu->index, key, len);
	if (*out == NULL) /* an index past the cache's slots: never the agent's */
		return ss_err_set(err, SS_E_LIMIT, "unit %s: no render cache slot", job->unit);
	return 0;
}

int ss_bundle_load_helm(struct ss_bundle *b, const struct ss_helm_unit *hu,
			const struct ss_tree *tree, struct ss_err *err)
{
	const struct ss_helm_config *h = hu->unit->helm;
	const unsigned char *out = NULL;
	struct ss_helm_job job;
	char ver[64], *apis = NULL;
	size_t len = 0;
	int rc;

	memset(&job, 0, sizeof(job));
	job.h = h;
	job.unit = hu->unit->name;
	job.unit_ns = hu->unit->namespace_;
	job.helm_bin = hu->helm_bin;
	rc = caps_from(hu->kube, h, ver, sizeof(ver), &apis, &job.caps, err);
	if (rc == 0)
		rc = render_or_reuse(hu, &job, tree, &out, &len, err);
	if (rc == 0)
		rc = load_output(b, h->chart, out, len, err);
	if (hu->rc == NULL)
		free((void *)out);
	free(apis);
	return rc;
}
