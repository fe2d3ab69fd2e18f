/*
 * metrics.h: what the agent reports (Prometheus /metrics, /readyz), kept
 * apart from the sync state so that the HTTP thread never reads struct
 * ss_agent.
 *
 * The main thread copies the agent's results in after every sync
 * (ss_metrics_record_sync) and sets the flags it owns (keys, leader,
 * suspended); the HTTP thread renders from the copy. Every function takes
 * the object's own mutex, so any thread may call any of them.
 *
 * Nothing in here is secret: unit names, revisions, counts and public key
 * hints only.
 */
#ifndef SEALSYNC_METRICS_H
#define SEALSYNC_METRICS_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"
#include "sealsync/sync.h" /* struct ss_sync_hint: sync owns what it reports */

struct ss_agent;
struct ss_config;
struct ss_metrics;

/* Upper bounds of the sync duration histogram, in seconds (+Inf implied). */
#define SS_METRICS_NBUCKETS 11
extern const double ss_metrics_buckets[SS_METRICS_NBUCKETS];


int ss_metrics_new(struct ss_metrics **out) SS_MUST_CHECK;
void ss_metrics_free(struct ss_metrics *m); /* NULL accepted */

/*
 * Copies the agent's counters and unit statuses after a sync that took
 * duration seconds and returned rc (0: every unit in sync). Must be called
 * from the thread that runs ss_agent_sync.
 */
void ss_metrics_record_sync(struct ss_metrics *m, const struct ss_agent *a,
			    const struct ss_config *cfg, int rc, double duration);

/*
 * Copies each unit's state (sync.h: health, dependsOn, suspend, last error
 * and attempt, objects not Current) for /v1/status, /readyz's detail and
 * the sealsync_unit_* metrics; ss_metrics_record_sync does it too. For the
 * thread that runs ss_agent_sync, after a health change.
 */
void ss_metrics_record_units(struct ss_metrics *m, const struct ss_agent *a,
			     const struct ss_config *cfg);
/* The body of GET /v1/status (docs/SERVICE.md); NULL when out of memory.
 * Names, revisions, states and the controllers' status messages only. */
json_t *ss_metrics_status(struct ss_metrics *m);

/* Key store state: usable keys (active + retained), retired ones, and when
 * the active key was created (0: unknown). */
void ss_metrics_set_keys(struct ss_metrics *m, size_t usable, size_t retired, time_t active_created);
void ss_metrics_set_hints(struct ss_metrics *m, const struct ss_sync_hint *h, size_t n);
void ss_metrics_set_leader(struct ss_metrics *m, int leader);
void ss_metrics_set_suspended(struct ss_metrics *m, int suspended);

/* Appends the exposition (text format 0.0.4, HELP and TYPE on each family). */
int ss_metrics_render(struct ss_metrics *m, struct ss_buf *out) SS_MUST_CHECK;

/*
 * Readiness: 1 when ready. A leader (or a replica without election) is
 * ready after its first successful sync; a follower once its keys are
 * loaded. detail gets a short reason either way ("suspended: ..." when
 * suspended, which is never ready).
 */
int ss_metrics_ready(struct ss_metrics *m, char *detail, size_t len);

/* Sharding: every unit series and sealsync_leader carry shard="NAME"
 * (NULL or "": no label, as without sharding). */
void ss_metrics_set_shard(struct ss_metrics *m, const char *shard);

#endif
