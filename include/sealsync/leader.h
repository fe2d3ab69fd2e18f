/*
 * leader.h: leader election on a coordination.k8s.io/v1 Lease, as
 * client-go's leaderelection package does it.
 *
 * The Lease is "<name>-leader" in the agent's namespace ("<name>-leader-
 * <shard>" for an agent with a shard: one leader per shard); the key
 * rotation has its own, "<name>-keys", shared by every shard, so that
 * shards never race to rotate (keystore.h). holderIdentity is
 * "<hostname>_<pid>". A thread of its own (with its own cluster client, so
 * a long sync never delays a renewal) tries to acquire or renew every
 * retry period (2 s). A Lease held by another identity counts as expired
 * when its record has not changed for leaseDurationSeconds (15 s) by OUR
 * clock (client-go's "observed time": no trust in clock sync). Writes are
 * PUTs with the resourceVersion read (a 409 means someone else won the
 * round); a missing Lease is created with POST. A leader that cannot renew
 * for the renew deadline (10 s) steps down. ss_leader_stop releases a held
 * Lease (holderIdentity "", leaseDurationSeconds 1), as ReleaseOnCancel
 * does, so another replica takes over within one retry period.
 *
 * Only the leader syncs and rotates keys; every replica serves the HTTP
 * endpoints. Leadership can end in the middle of a sync: that sync
 * finishes (server-side apply is idempotent and the next leader re-applies
 * the same revision whole).
 */
#ifndef SEALSYNC_LEADER_H
#define SEALSYNC_LEADER_H

#include "sealsync/err.h"

struct ss_config;
struct ss_leader;

#define SS_LEASE_DURATION_SEC 15
#define SS_LEASE_RENEW_DEADLINE_SEC 10
#define SS_LEASE_RETRY_SEC 2

/* Opens a cluster client from cfg and starts the election thread. */
int ss_leader_start(const struct ss_config *cfg, struct ss_leader **out,
		    struct ss_err *err) SS_MUST_CHECK;

/* The same on the Lease named lease (e.g. the key rotation's). */
int ss_leader_start_named(const struct ss_config *cfg, const char *lease,
			  struct ss_leader **out, struct ss_err *err) SS_MUST_CHECK;

/* 1 while this replica holds the Lease (any thread). */
int ss_leader_is_leader(struct ss_leader *l);

/* Our holderIdentity. */
const char *ss_leader_identity(const struct ss_leader *l);

/* Stops the thread, releases the Lease if held, frees. NULL accepted. */
void ss_leader_stop(struct ss_leader *l);

#endif
