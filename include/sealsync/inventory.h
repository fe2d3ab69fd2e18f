/*
 * inventory.h: what a unit has applied, kept in a ConfigMap
 * "<agent>-inv-<unit>" in the agent's namespace.
 *
 *   data.revision  the last commit applied whole
 *   data.objects   JSON list of [apiVersion, kind, namespace, name] applied by it
 *   data.pending   the same for a revision being applied: previous ∪ new,
 *                  recorded before its first write, so that objects of a
 *                  revision that fails half-way are still known and pruned
 *                  later. At commit it becomes what prune is still to
 *                  delete ((previous ∪ pending) − new), so a prune that
 *                  fails half-way is retried; empty once prune finished.
 *   data.pendingRevision  the commit whose writes began (recorded with
 *                  pending, before the first write); "" once committed.
 *                  With revision it gives the unit's baseline for the
 *                  ancestry check (docs/SOURCE.md): a commit that may be
 *                  partly in the cluster counts as applied.
 *   data.shard     the shard that owns the unit ("" or absent: the agent
 *                  without a shard). Every write is a compare-and-swap on
 *                  the ConfigMap's resourceVersion (PUT with it; POST when
 *                  absent), so two shards never both write it, and a shard
 *                  that lost the unit fails its next write before it
 *                  commits or prunes (docs/SHARDING.md).
 *
 * Inventories are the agent's own state: they are read and written with
 * the agent's identity, also in the middle of a unit that impersonates a
 * ServiceAccount (docs/RBAC.md "Tenancy").
 */
#ifndef SEALSYNC_INVENTORY_H
#define SEALSYNC_INVENTORY_H

#include <stddef.h>

#include "sealsync/err.h"
#include "sealsync/object.h"

struct ss_kube;
struct ss_bundle;

#define SS_INV_MAX_REFS 200000

struct ss_inv_ref {
	char api_version[SS_OBJ_NAME_MAX + SS_OBJ_LABEL_MAX + 2];
	char kind[SS_OBJ_LABEL_MAX + 1];
	char ns[SS_OBJ_LABEL_MAX + 1];
	char name[SS_OBJ_NAME_MAX + 1];
};

struct ss_inv_list {
	struct ss_inv_ref *refs;
	size_t n, cap;
};

struct ss_inventory {
	char revision[64];        /* "" when nothing was ever applied */
	char pending_revision[64]; /* writes of this commit began ("" none) */
	struct ss_inv_list objects;
	struct ss_inv_list pending;
	int exists;               /* the ConfigMap exists */
	char shard[64];           /* owning shard, "" the agent without one */
	char rv[64];              /* resourceVersion read or written last */
};

void ss_inventory_init(struct ss_inventory *inv);
void ss_inventory_release(struct ss_inventory *inv);

/* Reads the unit's inventory; a missing ConfigMap gives an empty one. */
int ss_inventory_load(struct ss_kube *k, const char *agent_ns, const char *agent,
		      const char *unit, struct ss_inventory *inv, struct ss_err *err) SS_MUST_CHECK;

/* The unit's baseline: pending_revision, else revision ("" none). */
const char *ss_inventory_baseline(const struct ss_inventory *inv);

/* Writes it as a compare-and-swap: PUT with inv->rv when it exists, else
 * POST; updates inv->rv and inv->exists. SS_E_CONFLICT when it changed
 * since it was read (another shard or replica wrote it). */
int ss_inventory_save(struct ss_kube *k, const char *agent_ns, const char *agent,
		      const char *unit, struct ss_inventory *inv, struct ss_err *err) SS_MUST_CHECK;

/*
 * Sharding: makes shard (NULL: none) the owner of the unit's inventory.
 * Nothing to do when it already is, or when there is none yet (the first
 * save records it). Another shard's inventory is taken by a CAS write,
 * unless a revision of it is still being applied (pendingRevision set):
 * then SS_E_CONFLICT naming the owner, so that two shards never apply
 * one unit; the move finishes once that shard has committed.
 */
int ss_inventory_claim(struct ss_kube *k, const char *agent_ns, const char *agent,
		       const char *unit, const char *shard, struct ss_inventory *inv,
		       struct ss_err *err) SS_MUST_CHECK;

/* List helpers. */
int ss_inv_list_add(struct ss_inv_list *l, const struct ss_inv_ref *r) SS_MUST_CHECK;
int ss_inv_list_contains(const struct ss_inv_list *l, const struct ss_inv_ref *r);
void ss_inv_list_release(struct ss_inv_list *l);
int ss_inv_list_from_bundle(struct ss_inv_list *l, const struct ss_bundle *b) SS_MUST_CHECK;
/* dst = a ∪ b (order: a, then what b adds). */
int ss_inv_list_union(struct ss_inv_list *dst, const struct ss_inv_list *a,
		      const struct ss_inv_list *b) SS_MUST_CHECK;
void ss_inv_ref_from_id(struct ss_inv_ref *r, const struct ss_objid *id);

#endif
