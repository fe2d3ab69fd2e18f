/*
 * apply.h: a planned bundle onto the cluster, all or nothing (DESIGN §1).
 *
 *  1 read the inventory; refuse a prune of everything unless allowed; refuse
 *    to take over an existing object that lacks our owner label and the
 *    sealsync.dev/managed: "true" annotation (reads only);
 *  2 dry-run stage 0 (CRDs, Namespaces); record the pending inventory
 *    (previous ∪ new) when the revision adds objects; apply stage 0 and wait
 *    until its CRDs are Established; refresh discovery;
 *  3 server-side dry-run of every other object: one rejection stops here;
 *  4 apply rank by rank, each rank concurrently (retries live in kube.c);
 *  5 commit the inventory (revision, objects; pending cleared);
 *  6 prune what left Git (prune.c), in reverse order.
 * A failure in 1-5 leaves the inventory uncommitted and prunes nothing.
 */
#ifndef SEALSYNC_APPLY_H
#define SEALSYNC_APPLY_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/err.h"

struct ss_kube;
struct ss_bundle;
struct ss_inventory;

struct ss_apply_opts {
	const char *agent_name;
	const char *agent_ns;
	const char *unit_name;
	int prune;                 /* unit and global switch both on */
	int prune_cluster;         /* may prune Namespaces and CRDs */
	int allow_empty;           /* may prune every object */
	unsigned establish_timeout_sec;
	/* per bundle item, 1: unchanged since our last apply and not drifted
	 * (objstate.h): no dry-run, no apply; the inventory still lists it.
	 * NULL: every item is sent. */
	const unsigned char *skip;
	const char *shard;         /* this agent's shard (NULL none): the
				    * inventory's owner, claimed before any
				    * write (inventory.h ss_inventory_claim) */
};

struct ss_apply_stats {
	size_t applied;
	size_t pruned;
	size_t prune_skipped;      /* kept: disabled annotation, not ours, cluster kinds */
	const char *stage;         /* where it stopped: "validate", "dry-run", "apply", ... */
	char kept[64];             /* the revision the inventory held before ("" none) */
	int began;                 /* the inventory names this revision as pending:
				    * it may be partly in the cluster (a baseline) */
};

int ss_apply_unit(struct ss_kube *k, const struct ss_apply_opts *o, struct ss_bundle *b,
		  const char *revision, struct ss_apply_stats *st, struct ss_err *err) SS_MUST_CHECK;

/*
 * A repair: server-side dry-run, then apply, of every object of b (rank by
 * rank), and nothing else: no inventory, no prune. b holds only objects of
 * the revision the unit's inventory already commits (drifted ones, see
 * objstate.h); *applied counts the applies.
 */
int ss_apply_repair(struct ss_kube *k, struct ss_bundle *b, size_t *applied,
		    struct ss_err *err) SS_MUST_CHECK;

/*
 * Force (force.c), as Flux's: an object the server-side dry-run refuses
 * only because an immutable field changed (kube.h ss_kube_result
 * .immutable) is deleted (propagationPolicy=Background), waited for until
 * it is gone, and applied again, when it carries the annotation
 * sealsync.dev/force: "true"; without it the unit fails with an error that
 * names the object and the field and says what to do.
 */
#define SS_ANNOT_FORCE "sealsync.dev/force"
#define SS_FORCE_GONE_TIMEOUT_SEC 120
int ss_force_wanted(const json_t *obj);
/* DELETE obj (Background) and wait, polling GET, until it is gone (or a
 * new object with another uid took its place); SS_E_TIMEOUT after
 * timeout_sec. */
int ss_force_delete(struct ss_kube *k, const json_t *obj, unsigned timeout_sec,
		    struct ss_err *err) SS_MUST_CHECK;

/* Prunes (prev objects ∪ pending) − current; used by ss_apply_unit. */
int ss_prune_unit(struct ss_kube *k, const struct ss_apply_opts *o, const char *revision,
		  const struct ss_inventory *prev, const struct ss_bundle *b,
		  struct ss_apply_stats *st, struct ss_err *err) SS_MUST_CHECK;

#endif
