/*
 * events.h: Kubernetes Events (v1) for sync results, as Flux posts them.
 *
 * One Event per unit result: type Normal / reason SyncSucceeded, or type
 * Warning / reason SyncFailed with the (already value-free) error text. The
 * involved object is the unit's inventory ConfigMap "<agent>-inv-<unit>" in
 * the agent's namespace, so `kubectl describe configmap` shows the history.
 * Posting is best effort: a failure is logged, never fatal.
 */
#ifndef SEALSYNC_EVENTS_H
#define SEALSYNC_EVENTS_H

#include "sealsync/err.h"

struct ss_kube;

struct ss_event {
	const char *agent_name;
	const char *agent_ns;
	const char *unit;
	int ok;
	const char *revision;  /* may be "" */
	const char *message;   /* error text for a failure; NULL for success */
	/* Health (sync_units.c): reason HealthCheckFailed (ok 0, Warning) or
	 * Healthy (ok 1, Normal), message the health detail naming the objects.
	 * NULL: a sync result as above. */
	const char *reason;
};

/* POSTs the Event with k (not thread-safe: the caller's own client). */
int ss_event_post(struct ss_kube *k, const struct ss_event *ev, struct ss_err *err) SS_MUST_CHECK;

#endif
