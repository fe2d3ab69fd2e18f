/*
 * kustomize.c: `kustomize build` of a unit's folder, on the files its
 * kustomization graph reaches (kustomize_scan.c), in the confined renderer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render_int.h"

int ss_renderer_find_tool(const char *name, char **out)
{
	const char *path = getenv("PATH"), *s;
	char full[4096];

	*out = NULL;
	for (s = path; s != NULL && *s != '\0';) {
		size_t n = strcspn(s, ":");

		if (n > 0 && s[0] == '/' &&
		    snprintf(full, sizeof(full), "%.*s/%s", (int)n, s, name) < (int)sizeof(full) &&
		    access(full, X_OK) == 0) {
			*out = realpath(full, NULL);
			return *out != NULL ? 0 : SS_E_NOMEM;
		}
		s += n + (s[n] == ':');
	}
	return SS_E_NOTFOUND;
}

/* Under folder dir of the repository ("" is the root). */
static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return n == 0 || (strncmp(path, dir, n) == 0 && path[n] == '/');
}

/* The files below any folder the scan visited: nothing else is copied. */
static int pick_files(const struct ss_renderer_file *files, size_t nfiles,
		      const struct ss_kustomize_scan *scan, struct ss_renderer_file **out,
		      size_t *n)
{
	size_t i, j;

	*n = 0;
	*out = calloc(nfiles ? nfiles : 1, sizeof(**out));
	if (*out == NULL)
		return SS_E_NOMEM;
	for (i = 0; i < nfiles; i++)
		for (j = 0; j < scan->n; j++)
			if (under_dir(files[i].path, scan->dirs[j])) {
				(*out)[(*n)++] = files[i];
				break;
			}
	return 0;
}

int ss_kustomize_build(const struct ss_renderer_opts *o, const char *kustomize,
		       const struct ss_renderer_file *files, size_t nfiles,
		       const struct ss_kustomize_scan *scan, unsigned char **out, size_t *len,
		       struct ss_err *err)
{
	/* The default restrictor, spelled out; never --enable-helm,
	 * --enable-exec, --enable-alpha-plugins or --load-restrictor none. */
	static const char *const args[] = {"build", "--load-restrictor",
					   "LoadRestrictionsRootOnly", ".", NULL};
	struct ss_renderer_file *pick = NULL;
	struct ss_renderer_job job;
	char what[1100];
	size_t n = 0;
	int rc;

	*out = NULL;
	*len = 0;
	if (kustomize == NULL || kustomize[0] == '\0')
		return ss_err_set(err, SS_E_NOTFOUND,
				  "no kustomize binary: install kustomize on PATH, or set render.kustomize (--kustomize PATH)");
	if (scan->n == 0)
		return ss_err_set(err, SS_E_INTERNAL, "nothing scanned to build");
	if (pick_files(files, nfiles, scan, &pick, &n) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(what, sizeof(what), "%s (kustomize build)",
		 scan->dirs[0][0] != '\0' ? scan->dirs[0] : ".");
	memset(&job, 0, sizeof(job));
	job.tool = kustomize;
	job.args = args;
	job.cwd = scan->dirs[0];
	job.what = what;
	rc = ss_renderer_run(o, pick, n, &job, out, len, err);
	free(pick);
	return rc;
}
