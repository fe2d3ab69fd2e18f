/*
 * sync_int.h: the agent's sync state, shared by sync.c (one unit's sync)
 * and sync_units.c (health waits, dependsOn, per-unit interval and
 * suspend). Not a public interface: see sealsync/sync.h.
 */
#ifndef SEALSYNC_SYNC_INT_H
#define SEALSYNC_SYNC_INT_H

#include "sealsync/apply.h"
#include "sealsync/bundle.h"
#include "sealsync/config.h"
#include "sealsync/sync.h"

struct ss_source;
struct ss_keyring;
struct ss_keyholder;
struct ss_kube;
struct ss_objstate;
struct ss_kube_watch;
struct ss_waiter;

struct ss_agent {
	const struct ss_config *cfg;
	struct ss_source *src;
	struct ss_keyring *kr;
	struct ss_keyholder *kh; /* privsep: opens values instead of kr */
	struct ss_kube *kube;
	char revision[64];
	/* Per unit: the commit it applied, or began to write ("" none). A new
	 * commit must descend from it under a signature policy (invariant 7). */
	char base[SS_CONFIG_MAX_UNITS][41];
	int need_bases;     /* re-read them from the inventories before syncing */
	int rewind_to_done; /* --allow-rewind-to was applied by every unit */
	struct ss_unit_status units[SS_CONFIG_MAX_UNITS];
	struct ss_agent_stats stats;
	/* sealed values of the revision per key hint (sealsync_sealed_values) */
	struct ss_sync_hint hints[SS_SYNC_MAX_HINTS];
	size_t nhints;
	/* The steady state (objstate.h, kube_watch.h): per unit the commit
	 * applied whole by this process ("" none: apply everything) and when
	 * its next full re-apply is due (monotonic seconds). */
	struct ss_objstate *os;
	struct ss_kube_watch *watch; /* started by ss_agent_watch */
	int watch_incomplete;        /* a kind could not be watched */
	char applied[SS_CONFIG_MAX_UNITS][41];
	double full_due[SS_CONFIG_MAX_UNITS];
	struct ss_render_cache *rc; /* kustomize units (load_render.c) */
	/* Health checks and ordering (sync_units.c, waiter.h): units in
	 * dependency order, the health waits, per unit when its own interval
	 * is next due (monotonic) and whether it waits for a dependency; the
	 * commit of the last source poll (a sync of due units reuses it). */
	size_t order[SS_CONFIG_MAX_UNITS];
	struct ss_waiter *waiter;
	double next_due[SS_CONFIG_MAX_UNITS];
	unsigned char dep_wait[SS_CONFIG_MAX_UNITS];
	unsigned char logged[SS_CONFIG_MAX_UNITS]; /* last state logged (sync_units.c) */
	char polled[41];
};

/* sync.c: unit i's sync at commit (load, apply; or skip when steady). */
int sync_or_skip(struct ss_agent *a, size_t i, const char *commit, struct ss_err *err);

/* sync_units.c */
/* Opens the waiter and the unit order (ss_agent_open). */
int sync_units_open(struct ss_agent *a, struct ss_err *err);
void sync_units_free(struct ss_agent *a);
/* After unit i applied commit (b: what it applied, NULL when it was not
 * loaded): starts its health wait unless one is under way or passed at
 * this commit. */
void sync_health_begin(struct ss_agent *a, size_t i, const char *commit,
		       const struct ss_bundle *b);
/* Unit i considered at commit (poll: a source poll, not only due units):
 * suspend, dependsOn and its interval decide; then sync_or_skip. */
int sync_unit_consider(struct ss_agent *a, size_t i, const char *commit, int poll,
		       struct ss_err *err);

#endif
