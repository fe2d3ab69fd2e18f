/*
 * helm.c: `helm template` for a Helm unit, through the confined renderer
 * (helm.h). The command line is built only from checked settings: the
 * release name and namespace are DNS names, and every path is a normalised
 * repository path given as "./PATH", so nothing from the configuration or
 * the repository can become a helm flag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/helm.h"

#define HELM_ARGS_MAX SS_RENDERER_MAX_ARGS
#define HELM_ARGBUF ((SS_HELM_MAX_VALUES_FILES + 2) * 1100)
#define HELM_API_CHUNK 3500u

const char *ss_helm_namespace(const struct ss_helm_config *h, const char *unit_ns)
{
	return h->namespace_ != NULL ? h->namespace_ : unit_ns;
}

struct argv_b {
	const char **argv;
	size_t n, cap;
	char *buf;
	size_t used, len;
	int full;
};

static void arg_add(struct argv_b *a, const char *s)
{
	if (a->n + 1 >= a->cap) {
		a->full = 1;
		return;
	}
	a->argv[a->n++] = s;
	a->argv[a->n] = NULL;
}

/* "./path" (or "." for the root) copied into the scratch buffer. */
static void arg_path(struct argv_b *a, const char *path)
{
	int w;

	if (a->full)
		return;
	w = snprintf(a->buf + a->used, a->len - a->used, "%s%s",
		     strcmp(path, ".") == 0 ? "" : "./", path);
	if (w < 0 || (size_t)w >= a->len - a->used) {
		a->full = 1;
		return;
	}
	arg_add(a, a->buf + a->used);
	a->used += (size_t)w + 1;
}

/*
 * --api-versions in pieces of at most HELM_API_CHUNK bytes, each its own
 * flag (helm appends repeated ones): the render server's wire format caps
 * one string, and a cluster with many CRDs lists kilobytes of them.
 */
static void arg_api_versions(struct argv_b *a, const char *list)
{
	const char *p = list, *cut, *c;
	int w;

	while (*p != '\0' && !a->full) {
		cut = p + strlen(p);
		if ((size_t)(cut - p) > HELM_API_CHUNK) {
			for (cut = p, c = p; *c != '\0' && (size_t)(c - p) <= HELM_API_CHUNK; c++)
				if (*c == ',')
					cut = c;
			if (cut == p) { /* one entry longer than a piece: cannot be sent */
				a->full = 1;
				return;
			}
		}
		w = snprintf(a->buf + a->used, a->len - a->used, "%.*s", (int)(cut - p), p);
		if (w < 0 || (size_t)w >= a->len - a->used) {
			a->full = 1;
			return;
		}
		arg_add(a, "--api-versions");
		arg_add(a, a->buf + a->used);
		a->used += (size_t)w + 1;
		p = *cut == ',' ? cut + 1 : cut;
	}
}

int ss_helm_args(const struct ss_helm_job *job, const char **argv, size_t cap, char *buf,
		 size_t len, struct ss_err *err)
{
	const struct ss_helm_config *h = job->h;
	struct argv_b a = {argv, 0, cap, buf, 0, len, cap == 0};
	size_t i;

	arg_add(&a, "template");
	arg_add(&a, h->release_name != NULL ? h->release_name : job->unit);
	arg_path(&a, h->chart);
	arg_add(&a, "--namespace");
	arg_add(&a, ss_helm_namespace(h, job->unit_ns));
	/* Flux and Argo CD apply CRDs from crds/ too; hooks and tests are
	 * release-lifecycle steps that a GitOps apply has no moment for. */
	arg_add(&a, "--include-crds");
	arg_add(&a, "--skip-tests");
	arg_add(&a, "--no-hooks");
	for (i = 0; i < h->nvalues_files; i++) {
		arg_add(&a, "-f");
		arg_path(&a, h->values_files[i]);
	}
	if (h->values_json != NULL) { /* last: inline values win, as in Flux */
		arg_add(&a, "-f");
		arg_path(&a, SS_HELM_INLINE_VALUES);
	}
	if (job->caps.kube_version != NULL) {
		arg_add(&a, "--kube-version");
		arg_add(&a, job->caps.kube_version);
	}
	if (job->caps.api_versions != NULL)
		arg_api_versions(&a, job->caps.api_versions);
	if (a.full)
		return ss_err_set(err, SS_E_LIMIT, "unit %s: the helm command line is too long",
				  job->unit);
	return 0;
}

/* files plus the inline values file, in *out (malloc). */
static int with_inline(const struct ss_helm_job *job, const struct ss_renderer_file *files,
		       size_t n, struct ss_renderer_file **out, struct ss_err *err)
{
	struct ss_renderer_file *all;
	size_t i;

	*out = NULL;
	for (i = 0; i < n; i++)
		if (strcmp(files[i].path, SS_HELM_INLINE_VALUES) == 0) {
			ss_err_at(err, files[i].path, 0, -1);
			return ss_err_set(err, SS_E_UNSUPPORTED,
					  "unit %s: this file name is where the agent puts the "
					  "unit's inline helm values; rename it", job->unit);
		}
	all = calloc(n + 1, sizeof(*all));
	if (all == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (n > 0)
		memcpy(all, files, n * sizeof(*all));
	all[n].path = SS_HELM_INLINE_VALUES;
	all[n].data = (const unsigned char *)job->h->values_json;
	all[n].len = strlen(job->h->values_json);
	*out = all;
	return 0;
}

int ss_helm_render(const struct ss_helm_job *job, const struct ss_renderer_file *files,
		   size_t nfiles, const struct ss_renderer_opts *ro, unsigned char **out,
		   size_t *len, struct ss_err *err)
{
	const char *argv[HELM_ARGS_MAX + 1];
	struct ss_renderer_file *all = NULL;
	struct ss_renderer_job rj;
	char *buf = NULL, what[1200];
	size_t blen;
	int rc;

	*out = NULL;
	*len = 0;
	rc = ss_helm_check_chart(job->h->chart, files, nfiles, err);
	if (rc != 0)
		return rc;
	if (job->h->values_json != NULL && (rc = with_inline(job, files, nfiles, &all, err)) != 0)
		return rc;
	blen = HELM_ARGBUF + (job->caps.api_versions ? strlen(job->caps.api_versions) : 0);
	if ((buf = malloc(blen)) == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = ss_helm_args(job, argv, HELM_ARGS_MAX + 1, buf, blen, err);
	if (rc != 0)
		goto out;
	snprintf(what, sizeof(what), "%s (helm template)", job->h->chart);
	memset(&rj, 0, sizeof(rj));
	rj.tool = job->helm_bin;
	rj.args = argv;
	rj.cwd = ".";
	rj.what = what;
	rc = ss_renderer_run(ro, all != NULL ? all : files, all != NULL ? nfiles + 1 : nfiles,
			     &rj, out, len, err);
out:
	free(all);
	free(buf);
	return rc;
}
