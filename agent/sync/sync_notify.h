/*
 * sync_notify.h: inside agent/sync/: what sync tells the notifier
 * (notify.h). Object identities and stage names only, never error text.
 */
#ifndef SEALSYNC_SYNC_NOTIFY_H
#define SEALSYNC_SYNC_NOTIFY_H

#include <stddef.h>

#include "sealsync/bundle.h"
#include "sealsync/config.h"
#include "sealsync/err.h"
#include "sealsync/inventory.h"

/* A unit's result (rc 0: ok; stage: where it stopped); b (or NULL) names
 * the object the error points at. */
void sync_notify_result(const char *unit, const char *revision, int rc, const char *stage,
			const struct ss_err *err, const struct ss_bundle *b);

/* The source failed before any unit ran: every unit fails with "source". */
void sync_notify_source_failed(const struct ss_config *cfg);

/* A refused prune of the objects in l (reason: allow-empty, prune-cluster-scoped). */
void sync_notify_refused(const char *unit, const char *revision, const char *reason,
			 const struct ss_inv_list *l);

#endif
