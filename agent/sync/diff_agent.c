/*
 * diff_agent.c: --diff over every unit of the agent, at the commit the
 * next sync would take, loaded, unsealed and planned as that sync would
 * (sync.h, ss_agent_prepare). See diff.h.
 */
#include <stdio.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sealsync/source.h"
#include "sealsync/sync.h"

#include "diff_int.h"

void diff_unit_opts(const struct ss_config *cfg, const struct ss_unit_config *u,
		    struct ss_diff_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->agent_name = cfg->name;
	o->agent_ns = cfg->namespace_;
	o->unit_name = u->name;
	o->prune = cfg->prune && u->prune;
	o->prune_cluster = u->prune_cluster;
	o->allow_empty = u->allow_empty;
}

/* One unit: its diff on stdout, *changes set when it has any. */
static int diff_unit_at(struct ss_agent *a, const struct ss_config *cfg, size_t i,
			const char *commit, int *changes, struct ss_err *err)
{
	struct ss_kube *k = ss_agent_kube(a);
	struct ss_diff_stats st;
	struct ss_diff_opts o;
	struct ss_tree *tree = NULL;
	struct ss_bundle b;
	struct ss_buf out;
	const char *stage = "load";
	int rc, frc;

	memset(&st, 0, sizeof(st));
	diff_unit_opts(cfg, &cfg->units[i], &o);
	ss_bundle_init(&b);
	ss_buf_init(&out, DIFF_MAX);
	rc = ss_agent_prepare(a, i, commit, &tree, &b, &stage, err);
	if (rc == 0) {
		stage = "diff";
		rc = ss_diff_unit(k, &o, &b, NULL, &out, &st, err);
	}
	frc = diff_flush(&out, rc == 0 ? err : NULL);
	rc = rc != 0 ? rc : frc;
	ss_buf_release(&out);
	ss_bundle_release(&b);
	ss_tree_free(tree);
	ss_kube_redact_clear(k);
	*changes = st.changed + st.added + st.pruned > 0;
	if (rc != 0)
		ss_log_err(SS_LOG_ERROR, "diff failed", err, "unit", o.unit_name, "revision", commit,
			   "stage", stage, NULL);
	else
		diff_log_unit(o.unit_name, &st, commit);
	return rc;
}

int ss_diff_agent(struct ss_agent *a, const struct ss_config *cfg, struct ss_err *err)
{
	char commit[41];
	size_t i;
	int rc, any = 0, failed = 0;

	if (ss_agent_kube(a) == NULL) {
		ss_err_set(err, SS_E_INTERNAL, "--diff needs the cluster client");
		return SS_DIFF_ERROR;
	}
	rc = ss_agent_poll(a, commit, err);
	if (rc != 0) {
		ss_log_err(SS_LOG_ERROR, "diff failed", err, "stage", "source", NULL);
		return SS_DIFF_ERROR;
	}
	for (i = 0; i < cfg->nunits; i++) {
		struct ss_err uerr;
		int changes = 0;

		ss_err_clear(&uerr);
		rc = diff_unit_at(a, cfg, i, commit, &changes, &uerr);
		any |= changes;
		if (rc != 0 && !failed && err != NULL)
			*err = uerr;
		failed |= rc != 0;
	}
	return failed ? SS_DIFF_ERROR : any ? SS_DIFF_CHANGES : SS_DIFF_SAME;
}
