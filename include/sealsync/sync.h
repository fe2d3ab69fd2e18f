/*
 * sync.h: the agent's sync of all units at one revision, and its state.
 *
 * ss_agent_sync polls the source, and for each unit reads its files at the
 * revision, loads, unseals, plans and applies them (or renders them). A unit
 * that fails keeps its last good revision in the cluster and does not stop
 * the others. Results are logged as JSON lines and kept for metrics.
 */
#ifndef SEALSYNC_SYNC_H
#define SEALSYNC_SYNC_H

#include <stddef.h>
#include <time.h>

#include "sealsync/config.h"
#include "sealsync/err.h"

struct ss_agent;

struct ss_unit_status {
	char revision[64];      /* last revision applied whole ("" none) */
	char attempted[64];     /* last revision tried */
	int ok;                 /* last attempt succeeded */
	const char *stage;      /* where the last failure stopped */
	char error[1024];       /* formatted error of the last failure */
	size_t applied, pruned, values;
	double duration_sec;
	time_t last_attempt;
	/* Health and ordering (sync_units.c): one of "pending" (never tried),
	 * "applied" (no health checks), "progressing", "healthy", "unhealthy",
	 * "failed" (the last attempt failed), "waiting" (for a dependency),
	 * "suspended"; why says what and why for all but "applied". */
	const char *state;
	char why[1024];
	char health_revision[64]; /* the revision whose health it is */
};

struct ss_agent_stats {
	unsigned long syncs, sync_failures, unseal_failures;
	unsigned long failures_by_stage[8];
	unsigned long objects_applied, objects_pruned;
	double last_duration_sec;
};

/* Stage names for failures_by_stage, index order. */
extern const char *const ss_sync_stages[8];

/* Opens source, keys and (unless rendering) the cluster client. */
int ss_agent_open(const struct ss_config *cfg, struct ss_agent **out, struct ss_err *err) SS_MUST_CHECK;
void ss_agent_free(struct ss_agent *a);

/*
 * One sync of every unit. Returns 0 when every unit is in sync, else the
 * first failing unit's code (the others still ran). With check_only, stops
 * after plan (no cluster writes, no reads beyond discovery).
 */
int ss_agent_sync(struct ss_agent *a, struct ss_err *err) SS_MUST_CHECK;

/*
 * Re-reads every unit's baseline (inventory revision or pending revision)
 * before the next sync: call when this replica becomes leader, since the
 * old leader may have moved them. ss_agent_open does the same at start.
 */
void ss_agent_reload_baselines(struct ss_agent *a);

/*
 * The steady state (objstate.h, kube_watch.h): moves the watches of the
 * owned objects on, without blocking (a re-list after a 410 is a LIST);
 * starts them at the first call. Returns 1 when an object drifted since
 * the last call: sync now, which repairs only what drifted. For the
 * thread that syncs, between syncs; --once never calls it.
 */
int ss_agent_watch(struct ss_agent *a);

/*
 * Health checks and dependsOn between syncs (waiter.h), for the thread
 * that syncs, polled like ss_agent_watch: reads the objects of units whose
 * health is awaited (a few GETs, never a sleep). Returns 1 when a unit's
 * state changed (healthy, unhealthy): report it.
 */
int ss_agent_health(struct ss_agent *a);
/* 1 when a unit is due without a source poll: a dependency it waits for
 * became ready, or (not with --once) its own interval passed. */
int ss_agent_units_due(const struct ss_agent *a);
/* Syncs those units at the commit of the last source poll; returns 0 or
 * the first failing unit's code. */
int ss_agent_sync_due(struct ss_agent *a, struct ss_err *err) SS_MUST_CHECK;
/* 1 while a health wait is under way or a unit is due (--once waits). */
int ss_agent_busy(const struct ss_agent *a);
/* 0 when every unit is applied and, where it has checks, healthy (or is
 * suspended); otherwise SS_E_* of the first that is not (--once exit). */
int ss_agent_units_ok(const struct ss_agent *a);
/* Unit i's objects not Current in its last health wait (copies up to
 * max); *total and *current get the counts. */
struct ss_wait_object;
size_t ss_agent_unit_pending(const struct ss_agent *a, size_t i, struct ss_wait_object *out,
			     size_t max, size_t *total, size_t *current);

/* Reloads the keys (SIGHUP). */
int ss_agent_reload_keys(struct ss_agent *a, struct ss_err *err) SS_MUST_CHECK;

const struct ss_unit_status *ss_agent_unit_status(const struct ss_agent *a, size_t i);
const struct ss_agent_stats *ss_agent_stats(const struct ss_agent *a);
const char *ss_agent_revision(const struct ss_agent *a);

/*
 * Service additions. All are for the thread that runs ss_agent_sync (the
 * HTTP thread reads copies in struct ss_metrics, never the agent).
 */
struct ss_keyring;
struct ss_kube;
/*
 * Per key hint counts of sealed values in the last revision. Defined here,
 * not in metrics.h: sync reports through types it owns, and the service
 * (metrics.c, sealsync_sealed_values) reads them, never the other way.
 */
#define SS_SYNC_MAX_HINTS 64
struct ss_sync_hint {
	char hint[16];       /* the 6-character hint tag */
	char recipient[128]; /* "age1..." when it is one of our keys, else "" */
	unsigned long values;
};

/* Sealed values of the last sync per key hint tag; copies at most max. */
size_t ss_agent_key_hints(const struct ss_agent *a, struct ss_sync_hint *out, size_t max);

/* Replaces the keyring (takes ownership of kr; the old one is wiped).
 * With managed keys ss_agent_open loads none: call this before a sync. */
void ss_agent_set_keyring(struct ss_agent *a, struct ss_keyring *kr);

/* privsep (keyholder.h): values are opened by kh (borrowed, must outlive
 * the agent) and the agent may hold no keyring at all. NULL: the keyring. */
struct ss_keyholder;
void ss_agent_set_holder(struct ss_agent *a, struct ss_keyholder *kh);

/* The cluster client (NULL when rendering or checking), e.g. for Events. */
struct ss_kube *ss_agent_kube(struct ss_agent *a);

/*
 * --diff (diff.h) sees a unit exactly as a sync would. ss_agent_poll
 * reads the baselines and polls the source (*commit: 40 hex).
 * ss_agent_prepare checks unit i's baseline, reads its files at commit
 * and loads, unseals and plans them into b (initialised by the caller;
 * *tree is the caller's to free with ss_tree_free, also on error); *stage
 * names where it stopped. Values are registered for redaction: call
 * ss_kube_redact_clear after the unit. Neither writes to the cluster.
 */
struct ss_bundle;
struct ss_tree;
int ss_agent_poll(struct ss_agent *a, char commit[41], struct ss_err *err) SS_MUST_CHECK;
int ss_agent_prepare(struct ss_agent *a, size_t i, const char *commit, struct ss_tree **tree,
		     struct ss_bundle *b, const char **stage, struct ss_err *err) SS_MUST_CHECK;

#endif
