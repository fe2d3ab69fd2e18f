/*
 * waiter.h: waiting for a unit's objects to become Current after an apply
 * (health.h rules), without ever blocking (agent/sync/waiter.c).
 *
 * A state machine per unit, moved on by ss_waiter_poll between syncs (as
 * the watches are): each poll GETs, for the units whose next check is due,
 * only the objects not Current yet, then backs off (1 s doubling to 5 s).
 * A unit is healthy when every object was seen Current (an object seen
 * Current is not read again during that wait), unhealthy as soon as one is
 * Failed (as a Deployment past its progress deadline or a failed Job stays)
 * or when its timeout passes first. ConfigMaps and Secrets the unit applied
 * are Current once applied and are never read (no Secret comes back into
 * memory for this); those named only by healthChecks are read.
 *
 * Not thread-safe: the sync thread owns it. The struct ss_kube passed to
 * poll is borrowed for the call.
 */
#ifndef SEALSYNC_WAITER_H
#define SEALSYNC_WAITER_H

#include <stddef.h>

#include "sealsync/err.h"
#include "sealsync/health.h"

struct ss_kube;
struct ss_waiter;

enum ss_wait_state {
	SS_WAIT_NONE,        /* never started for this unit */
	SS_WAIT_PROGRESSING, /* objects not Current yet, before the timeout */
	SS_WAIT_HEALTHY,     /* every object Current */
	SS_WAIT_UNHEALTHY    /* one Failed, or the timeout passed */
};

/* An object to wait for; strings are copied by ss_waiter_start. */
struct ss_wait_ref {
	const char *api_version, *kind, *ns, *name; /* ns "" or NULL: cluster-scoped */
	int applied; /* the unit applied it just now (a ConfigMap or Secret is
		      * then Current without a read) */
};

/* An object of a wait and its last status, for reports. */
struct ss_wait_object {
	char api_version[128], kind[64], ns[64], name[254];
	enum ss_health status;
	char message[200];
};

int ss_waiter_new(size_t nunits, struct ss_waiter **out, struct ss_err *err) SS_MUST_CHECK;
void ss_waiter_free(struct ss_waiter *w); /* NULL accepted */

/*
 * (Re)starts unit u's wait for refs[0..n) after it applied revision; it
 * ends timeout_sec from now. Duplicate refs count once. n == 0 is healthy
 * at once. SS_E_NOMEM leaves the unit SS_WAIT_NONE.
 */
int ss_waiter_start(struct ss_waiter *w, size_t u, const char *revision,
		    const struct ss_wait_ref *refs, size_t n, unsigned timeout_sec) SS_MUST_CHECK;
/* Restarts unit u's last wait (same objects and revision) with a new
 * deadline; 0 when there was none to restart. An unhealthy unit stays
 * SS_WAIT_UNHEALTHY (with its reason) until that check ends. */
int ss_waiter_restart(struct ss_waiter *w, size_t u, unsigned timeout_sec);

/*
 * Reads the due objects of every progressing unit (GET with k) and moves
 * the states on; never sleeps. Returns how many units left
 * SS_WAIT_PROGRESSING in this call.
 */
size_t ss_waiter_poll(struct ss_waiter *w, struct ss_kube *k);

/* 1 when a unit is progressing or being checked again. */
int ss_waiter_busy(const struct ss_waiter *w);

/*
 * Unit u's state; revision (may be NULL) gets the revision of its wait,
 * why (may be NULL, cap bytes) a sentence naming the objects not Current
 * with their status ("Deployment shop/web is Failed: progress deadline
 * exceeded: ..."), or how long it took when healthy.
 */
enum ss_wait_state ss_waiter_state(const struct ss_waiter *w, size_t u, const char **revision,
				   char *why, size_t cap);

/* Copies up to max of unit u's objects that are not Current (all of them
 * while none was read yet); returns the number copied. *total and
 * *current (may be NULL) get the counts. */
size_t ss_waiter_pending(const struct ss_waiter *w, size_t u, struct ss_wait_object *out,
			 size_t max, size_t *total, size_t *current);

#endif
