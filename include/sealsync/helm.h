/*
 * helm.h: a Helm unit rendered by `helm template` in the confined renderer
 * (renderer.h; docs/REPOSITORIES.md "Helm units").
 *
 * The agent never re-implements helm: it checks what helm would fetch
 * (chart dependencies that are not vendored in the chart's charts/ folder),
 * builds the command line, and runs the configured helm binary on a
 * ciphertext-only copy of the revision:
 *
 *   helm template RELEASE ./CHART --namespace NS --include-crds --skip-tests
 *        --no-hooks [-f ./VALUES]... [-f INLINE] [--kube-version V]
 *        [--api-versions A,B,...]...  (in pieces of at most 3500 bytes)
 *
 * never --repo, --dependency-update, --devel, --post-renderer or any
 * plugin; helm's HOME, XDG and HELM_*_HOME folders are the renderer's
 * private scratch folder, so helm reads no repositories.yaml, registry
 * login or plugin of the host.
 *
 * Errors: 0 or a negative SS_E_* code with err naming the file (Chart.yaml,
 * requirements.yaml, the values file) and the dependency or setting; helm's
 * own failure comes back as renderer.h says (its stderr, bounded).
 */
#ifndef SEALSYNC_HELM_H
#define SEALSYNC_HELM_H

#include <stddef.h>

#include "sealsync/config.h"
#include "sealsync/err.h"
#include "sealsync/renderer.h"

/* The name of the inline values in the copy (JSON text is YAML). A
 * revision holding a file of this name at its root is refused. */
#define SS_HELM_INLINE_VALUES ".sealsync-helm-inline-values.json"

/* What the chart's .Capabilities say (all borrowed; NULL: helm's default). */
struct ss_helm_caps {
	const char *kube_version;  /* "v1.32.3" */
	const char *api_versions;  /* comma-separated "apps/v1,apps/v1/Deployment,..." */
};

struct ss_helm_job {
	const struct ss_helm_config *h;
	const char *unit;          /* the unit's name (default release name) */
	const char *unit_ns;       /* the unit's namespace (default release namespace) */
	const char *helm_bin;      /* absolute path (ss_config_helm_resolve) */
	struct ss_helm_caps caps;
};

/* The release namespace of a helm unit: its helm.namespace or unit_ns. */
const char *ss_helm_namespace(const struct ss_helm_config *h, const char *unit_ns);

/*
 * Refuses what `helm template` would need the network or the outside of
 * the copy for, reading the chart's Chart.yaml (and a v1 chart's
 * requirements.yaml) from files (repository paths, as the copy will hold
 * them), recursively through vendored subchart folders:
 *  - no Chart.yaml in the chart folder (helm would look the name up in a
 *    chart repository): SS_E_NOTFOUND naming the chart folder;
 *  - a dependency that is not vendored (no charts/NAME folder, no chart
 *    folder under charts/ whose Chart.yaml is named NAME, no
 *    charts/NAME-*.tgz) and whose repository is not a file:// path:
 *    SS_E_UNSUPPORTED naming the Chart.yaml, the dependency and its
 *    repository;
 *  - a file:// repository that leaves the repository: SS_E_UNSUPPORTED.
 */
int ss_helm_check_chart(const char *chart, const struct ss_renderer_file *files, size_t nfiles,
			struct ss_err *err) SS_MUST_CHECK;

/*
 * Checks the chart, then runs helm template on files (+ the inline values)
 * through the renderer with ro. *out (malloc, NUL-terminated; the caller
 * frees) is helm's stdout: multi-document YAML, still sealed. *out is NULL
 * on error.
 */
int ss_helm_render(const struct ss_helm_job *job, const struct ss_renderer_file *files,
		   size_t nfiles, const struct ss_renderer_opts *ro, unsigned char **out,
		   size_t *len, struct ss_err *err) SS_MUST_CHECK;

/*
 * The argument vector after argv[0] (for tests and ss_helm_render):
 * NULL-terminated, into argv (cap entries); strings borrowed from job and
 * from buf (scratch, len bytes). SS_E_LIMIT when they do not fit.
 */
int ss_helm_args(const struct ss_helm_job *job, const char **argv, size_t cap, char *buf,
		 size_t len, struct ss_err *err) SS_MUST_CHECK;

#endif
