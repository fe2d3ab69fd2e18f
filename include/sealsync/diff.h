/*
 * diff.h: --diff, what the next sync of each unit would change, printed as
 * a unified diff as `kubectl diff` prints it (docs/OPERATIONS.md,
 * "Previewing a change").
 *
 * Per object of a unit's revision: the live object (GET) against the
 * server-side dry-run apply of what the sync would send (the same request
 * as the sync's dry-run stage: our field manager, force), both without the
 * fields the server sets (metadata.managedFields, resourceVersion, uid,
 * creationTimestamp, generation, selfLink, and status), each written as
 * YAML and compared line by line (udiff.h). Then the objects the sync
 * would prune: in the unit's inventory (objects or pending), no longer in
 * Git, still labelled as ours and not annotated prune: disabled.
 *
 * A v1 Secret is never shown: every data value, every stringData value and
 * the kubectl.kubernetes.io/last-applied-configuration annotation become
 * "(hidden)" on both sides, with a marker on the side that differs, and a
 * line per key says only changed, unchanged, added or removed: no digest
 * and no length (either would be a guessing oracle in a CI log).
 *
 * Nothing is written to the cluster: only GET, LIST and PATCH ?dryRun=All.
 * Output goes to stdout, one unit after the other; a unit with nothing to
 * change prints nothing. Errors and a per-unit summary go to the log.
 */
#ifndef SEALSYNC_DIFF_H
#define SEALSYNC_DIFF_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/buf.h"
#include "sealsync/config.h"
#include "sealsync/err.h"

struct ss_agent;
struct ss_bundle;
struct ss_inv_list;
struct ss_kube;

/* Exit codes of --diff, as kubectl diff and diff(1) use them. */
#define SS_DIFF_SAME 0
#define SS_DIFF_CHANGES 1
#define SS_DIFF_ERROR 2

struct ss_diff_opts {
	const char *agent_name;
	const char *agent_ns;
	const char *unit_name;
	int prune;           /* unit and global switch both on */
	int prune_cluster;   /* may prune Namespaces and CRDs */
	int allow_empty;     /* may prune every object */
	/* --local: a kubeconfig that may only read gets a client-side
	 * approximation where the dry-run is forbidden (403), marked as such;
	 * otherwise a 403 is an error, as it would fail the sync */
	int approximate_forbidden;
};

struct ss_diff_stats {
	size_t changed, added, pruned, unchanged, failed;
};

/*
 * Diffs the planned bundle b (Secrets unsealed, or none) of one unit into
 * out. cur (may be NULL) lists further objects of the revision that b does
 * not hold (--local: SealedSecrets, compared by sealed_diff), so they are
 * not taken for pruned. An object the server rejects is counted in
 * st->failed, logged with its origin, and the others still run; the return
 * is then its code. SS_E_NOMEM / SS_E_LIMIT (out's ceiling) stop at once.
 */
int ss_diff_unit(struct ss_kube *k, const struct ss_diff_opts *o, struct ss_bundle *b,
		 const struct ss_inv_list *cur, struct ss_buf *out, struct ss_diff_stats *st,
		 struct ss_err *err) SS_MUST_CHECK;

/*
 * Prints the per-key lines of a Secret's data into out, from the two data
 * maps (either may be NULL): "#   KEY: changed" and so on. For --local,
 * which compares ciphertexts, and for ss_diff_unit.
 */
int ss_diff_put_keys(const char *what, const json_t *live, const json_t *next,
		     struct ss_buf *out) SS_MUST_CHECK;

/*
 * --diff: every unit of the agent's configuration at the source's current
 * commit, loaded, unsealed and planned as a sync would (sync.c), then
 * ss_diff_unit. Returns SS_DIFF_SAME, SS_DIFF_CHANGES or SS_DIFF_ERROR
 * (the first error in err; the other units still run).
 */
int ss_diff_agent(struct ss_agent *a, const struct ss_config *cfg, struct ss_err *err);

/*
 * --diff --local DIR: the working tree DIR (the repository's root as
 * checked out, not the agent's Git source) against the cluster, with no
 * private key: plain objects as ss_diff_unit does; each SealedSecret's
 * values compared by ciphertext with the same SealedSecret (by namespace
 * and name) at the revision the unit's inventory last applied, read from
 * the Git repository DIR belongs to. Same return values.
 */
int ss_diff_local(const struct ss_config *cfg, struct ss_err *err);

#endif
