/* apply.c: a planned bundle onto the cluster, all or nothing (see apply.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sealsync/apply.h"
#include "sealsync/bundle.h"
#include "sealsync/inventory.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sync_notify.h"
#include "sealsync/object.h"

#define STAGE0_MAX_RANK 1 /* CRDs (0) and Namespaces (1) */
/* A batch thaws its items (bundle.h): a rank of 2,500 Deployments would
 * be 2,500 trees at once. 256 still keeps the most connections a batch
 * may use (64) busy; a later chunk waits for the one before it. */
#define APPLY_CHUNK 256

static void api_version_of(const struct ss_item *it, char *buf, size_t len)
{
	if (it->id.group[0] != '\0')
		snprintf(buf, len, "%s/%s", it->id.group, it->id.version);
	else
		snprintf(buf, len, "%s", it->id.version);
}

/* Names the item and the server's reason; never a value (kube redacts). */
static int item_fail(struct ss_err *err, const struct ss_item *it, const char *what,
		     const struct ss_kube_result *r)
{
	int missing_ns = r->http_status == 404 && strstr(r->message, "namespaces \"") != NULL &&
			 it->id.ns[0] != '\0';

	/* kube's message already names the object. A missing namespace is the
	 * usual first-day error: say how to fix it in Git. */
	ss_origin_err(err, &it->origin, NULL, NULL);
	return ss_err_set(err, r->code != 0 ? r->code : SS_E_NET, "%s: %s%s%s%s", what, r->message,
			  missing_ns ? "; add a Namespace object named " : "",
			  missing_ns ? it->id.ns : "",
			  missing_ns ? " to the unit (it is applied first), or create it" : "");
}

static int skipped(const unsigned char *skip, size_t i)
{
	return skip != NULL && skip[i];
}

/* A dry-run refused only for an immutable field, without the force
 * annotation: say which field, and the two ways out. */
static int immutable_fail(struct ss_err *err, const struct ss_item *it,
			  const struct ss_kube_result *r)
{
	char desc[600];

	ss_objid_describe(&it->id, desc, sizeof(desc));
	ss_origin_err(err, &it->origin, "metadata.annotations", NULL);
	return ss_err_set(err, SS_E_INVAL,
			  "%s: field %s is immutable and Git changes it; add the annotation "
			  "%s: \"true\" to the object in Git to have sealsync delete and "
			  "re-create it, or delete it yourself (kubectl delete %s %s%s%s)",
			  desc, r->immutable, SS_ANNOT_FORCE, it->id.kind, it->id.name,
			  it->id.ns[0] ? " -n " : "", it->id.ns);
}

/* The first failure of a batch as the unit's error, except (dry-run) the
 * objects marked for a forced re-create. */
static int batch_failures(struct ss_bundle *b, const size_t *at,
			  const struct ss_kube_result *res, size_t n, int dry_run,
			  unsigned char *recreate, struct ss_err *err)
{
	char desc[600];
	size_t i;

	ss_err_clear(err);
	for (i = 0; i < n; i++) {
		const struct ss_item *it = &b->items[at[i]];

		if (res[i].code == 0)
			continue;
		if (!dry_run || res[i].immutable[0] == '\0')
			return item_fail(err, it, dry_run ? "server dry-run rejected" : "apply failed",
					 &res[i]);
		if (recreate == NULL || !ss_force_wanted(it->obj))
			return immutable_fail(err, it, &res[i]);
		recreate[at[i]] = 1;
		ss_objid_describe(&it->id, desc, sizeof(desc));
		ss_log(SS_LOG_INFO, "an immutable field changed: deleting and re-creating the object",
		       "object", desc, "field", res[i].immutable, "annotation", SS_ANNOT_FORCE,
		       NULL);
	}
	return 0;
}

/* Before a real apply: the objects marked for a re-create are deleted
 * and gone. */
static int recreate_first(struct ss_kube *k, struct ss_bundle *b, const size_t *at, size_t n,
			  const unsigned char *recreate, struct ss_err *err)
{
	size_t i;
	int rc;

	for (i = 0; recreate != NULL && i < n; i++) {
		if (!recreate[at[i]])
			continue;
		rc = ss_force_delete(k, b->items[at[i]].obj, SS_FORCE_GONE_TIMEOUT_SEC, err);
		if (rc != 0) {
			ss_origin_err(err, &b->items[at[i]].origin, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

/* Applies (or dry-runs) the items of [from, to) not skipped in one
 * concurrent batch; *sent counts them. recreate (may be NULL): per item,
 * set by a dry-run, deleted first by the apply (force). */
static int batch(struct ss_kube *k, struct ss_bundle *b, size_t from, size_t to,
		 const unsigned char *skip, unsigned char *recreate, int dry_run, size_t *sent,
		 struct ss_err *err)
{
	size_t n = 0, i, *at = NULL;
	struct ss_kube_result *res = NULL;
	json_t **objs = NULL;
	int rc = 0;

	objs = calloc(to - from + 1, sizeof(*objs));
	res = calloc(to - from + 1, sizeof(*res));
	at = calloc(to - from + 1, sizeof(*at));
	if (objs == NULL || res == NULL || at == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = from; i < to && rc == 0; i++)
		if (!skipped(skip, i)) {
			at[n] = i;
			rc = ss_item_thaw(&b->items[i], err);
			objs[n++] = b->items[i].obj;
		}
	if (rc != 0)
		goto out;
	*sent = n;
	if (!dry_run && (rc = recreate_first(k, b, at, n, recreate, err)) != 0)
		goto out;
	if (n == 0 || (rc = ss_kube_apply_batch(k, objs, n, dry_run, res, err)) == 0)
		goto out;
	rc = batch_failures(b, at, res, n, dry_run, recreate, err);
out:
	for (i = 0; objs != NULL && i < n; i++)
		ss_item_freeze(&b->items[at[i]]);
	free(objs);
	free(res);
	free(at);
	return rc;
}

/* Applies items with rank in [lo, hi], one batch per rank (per chunk of
 * APPLY_CHUNK items). */
static int apply_ranks(struct ss_kube *k, struct ss_bundle *b, const unsigned char *skip,
		       unsigned char *recreate, int lo, int hi, int dry_run, size_t *applied,
		       struct ss_err *err)
{
	size_t i = 0, j, sent = 0;
	int rc;

	while (i < b->n) {
		if (b->items[i].rank < lo || b->items[i].rank > hi) {
			i++;
			continue;
		}
		for (j = i; j < b->n && j - i < APPLY_CHUNK && b->items[j].rank == b->items[i].rank;
		     j++)
			;
		rc = batch(k, b, i, j, skip, recreate, dry_run, &sent, err);
		if (rc != 0)
			return rc;
		if (!dry_run && applied != NULL)
			*applied += sent;
		i = j;
	}
	return 0;
}

static int crd_established(const json_t *crd)
{
	json_t *conds = json_object_get(json_object_get(crd, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *status = json_string_value(json_object_get(c, "status"));

		if (type != NULL && status != NULL && strcmp(type, "Established") == 0 &&
		    strcmp(status, "True") == 0)
			return 1;
	}
	return 0;
}

static int wait_established(struct ss_kube *k, const struct ss_item *it, unsigned timeout_sec,
			    struct ss_err *err)
{
	char api_version[400];
	time_t end = time(NULL) + (time_t)timeout_sec;
	json_t *crd = NULL;
	int rc, ok;

	api_version_of(it, api_version, sizeof(api_version));
	for (;;) {
		rc = ss_kube_get(k, api_version, it->id.kind, NULL, it->id.name, &crd, err);
		if (rc != 0 && rc != SS_E_NOTFOUND)
			return rc;
		ok = rc == 0 && crd_established(crd);
		json_decref(crd);
		crd = NULL;
		if (ok)
			return 0;
		if (time(NULL) >= end) {
			ss_origin_err(err, &it->origin, "status.conditions", NULL);
			return ss_err_set(err, SS_E_TIMEOUT,
					  "CustomResourceDefinition %s is not Established after %us",
					  it->id.name, timeout_sec);
		}
		usleep(200 * 1000);
	}
}

static int stage0(struct ss_kube *k, const struct ss_apply_opts *o, struct ss_bundle *b,
		  size_t *applied, struct ss_err *err)
{
	size_t i;
	int rc, any_crd = 0;

	rc = apply_ranks(k, b, o->skip, NULL, 0, STAGE0_MAX_RANK, 0, applied, err);
	for (i = 0; rc == 0 && i < b->n && b->items[i].rank == 0; i++) {
		if (skipped(o->skip, i))
			continue; /* unchanged: Established since its last apply */
		any_crd = 1;
		rc = wait_established(k, &b->items[i], o->establish_timeout_sec, err);
	}
	if (rc == 0 && any_crd)
		rc = ss_kube_discover(k, err);
	return rc;
}

/* Lists of existing objects, one per (apiVersion, kind, namespace). */
static json_t *existing_lookup(struct ss_kube *k, json_t *cache, const struct ss_item *it,
			       struct ss_err *err, int *rc)
{
	char api_version[400], key[800];
	json_t *list = NULL, *byname, *e;
	size_t i;

	api_version_of(it, api_version, sizeof(api_version));
	snprintf(key, sizeof(key), "%s|%s|%s", api_version, it->id.kind, it->id.ns);
	byname = json_object_get(cache, key);
	if (byname != NULL)
		return json_object_get(byname, it->id.name);
	*rc = ss_kube_list(k, api_version, it->id.kind, it->namespaced ? it->id.ns : NULL, NULL,
			   &list, err);
	if (*rc == SS_E_NOTFOUND) { /* kind or namespace not there yet */
		ss_err_clear(err);
		*rc = 0;
	}
	if (*rc != 0)
		return NULL;
	byname = json_object();
	json_array_foreach(json_object_get(list, "items"), i, e) {
		const char *name = json_string_value(
			json_object_get(json_object_get(e, "metadata"), "name"));

		if (name != NULL)
			json_object_set(byname, name, json_object_get(e, "metadata"));
	}
	json_decref(list);
	json_object_set_new(cache, key, byname);
	return json_object_get(byname, it->id.name);
}

/* Another unit of this agent owns it: most likely a renamed unit (the
 * owner label is "<agent>.<unit>"), so say how to hand the objects over. */
static int owned_elsewhere(const struct ss_item *it, const char *desc, const char *have,
			   const char *owner, struct ss_err *err)
{
	size_t agent = strcspn(owner, ".");

	if (strncmp(have, owner, agent + 1) != 0)
		return ss_err_set(err, SS_E_CONFLICT, "%s already belongs to %s, not %s", desc, have,
				  owner);
	return ss_err_set(err, SS_E_CONFLICT,
			  "%s already belongs to %s, not %s. If unit %s was renamed to %s, hand "
			  "its objects over: kubectl label %s %s%s%s %s=%s --overwrite (or per kind: "
			  "kubectl label KIND -A -l %s=%s %s=%s --overwrite), then delete its "
			  "inventory, the ConfigMap %.*s-inv-%s in the agent's namespace",
			  desc, have, owner, have + agent + 1, owner + agent + 1, it->id.kind,
			  it->id.name, it->id.ns[0] ? " -n " : "", it->id.ns, SS_LABEL_OWNER, owner,
			  SS_LABEL_OWNER, have, SS_LABEL_OWNER, owner, (int)agent, owner,
			  have + agent + 1);
}

static int check_takeover(const struct ss_item *it, const json_t *meta, const char *owner,
			  struct ss_err *err)
{
	const char *have = json_string_value(
		json_object_get(json_object_get(meta, "labels"), SS_LABEL_OWNER));
	const char *managed = json_string_value(
		json_object_get(json_object_get(meta, "annotations"), SS_ANNOT_MANAGED));
	char desc[600];

	if (meta == NULL || (have != NULL && strcmp(have, owner) == 0))
		return 0;
	ss_objid_describe(&it->id, desc, sizeof(desc));
	ss_origin_err(err, &it->origin, "metadata.name", NULL);
	if (have != NULL)
		return owned_elsewhere(it, desc, have, owner, err);
	if (managed != NULL && strcmp(managed, "true") == 0)
		return 0;
	return ss_err_set(err, SS_E_CONFLICT,
			  "%s exists and is not managed by sealsync; annotate it with "
			  "%s: \"true\" to let sealsync take it over",
			  desc, SS_ANNOT_MANAGED);
}

static int check_existing(struct ss_kube *k, const struct ss_apply_opts *o,
			  const struct ss_bundle *b, const struct ss_inventory *prev,
			  struct ss_err *err)
{
	char owner[256];
	struct ss_inv_ref r;
	json_t *cache = json_object(), *meta;
	size_t i;
	int rc = 0;

	if (cache == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	ss_owner_value(o->agent_name, o->unit_name, owner, sizeof(owner));
	for (i = 0; i < b->n && rc == 0; i++) {
		ss_inv_ref_from_id(&r, &b->items[i].id);
		/* Not pending: it is written before the dry-run of the rest, so
		 * it lists objects of a failed revision that we never created;
		 * those pass below only with our label or the adoption mark. */
		if (ss_inv_list_contains(&prev->objects, &r))
			continue;
		meta = existing_lookup(k, cache, &b->items[i], err, &rc);
		if (rc == 0)
			rc = check_takeover(&b->items[i], meta, owner, err);
	}
	json_decref(cache);
	return rc;
}

/* Records previous ∪ new as pending when the revision adds objects, and
 * the revision as pending when it is new: before the first write, so that
 * a revision that fails half-way is the unit's baseline (sync.c). */
static int record_pending(struct ss_kube *k, const struct ss_apply_opts *o,
			  struct ss_inventory *prev, const struct ss_inv_list *cur,
			  const char *revision, struct ss_err *err)
{
	struct ss_inv_list known = {0}, pend = {0};
	size_t i;
	int rc, adds = 0, newrev;

	rc = ss_inv_list_union(&known, &prev->objects, &prev->pending);
	for (i = 0; rc == 0 && i < cur->n; i++)
		adds |= !ss_inv_list_contains(&known, &cur->refs[i]);
	if (rc == 0 && adds)
		rc = ss_inv_list_union(&pend, &known, cur);
	ss_inv_list_release(&known);
	if (rc != 0) {
		ss_inv_list_release(&pend);
		return ss_err_set(err, rc, "inventory too large");
	}
	newrev = strcmp(revision, ss_inventory_baseline(prev)) != 0;
	if (!adds && !newrev)
		return 0;
	if (adds) {
		ss_inv_list_release(&prev->pending);
		prev->pending = pend;
	}
	if (newrev)
		snprintf(prev->pending_revision, sizeof(prev->pending_revision), "%s", revision);
	return ss_inventory_save(k, o->agent_ns, o->agent_name, o->unit_name, prev, err);
}

/* left (may be NULL): objects still to prune, kept as pending. A CAS on
 * prev's resourceVersion (and owner shard), which follows each write. */
static int commit_inventory(struct ss_kube *k, const struct ss_apply_opts *o,
			    struct ss_inventory *prev, const char *revision,
			    struct ss_inv_list *cur, const struct ss_inv_list *left,
			    struct ss_err *err)
{
	struct ss_inventory next;
	int rc;

	ss_inventory_init(&next);
	snprintf(next.revision, sizeof(next.revision), "%s", revision);
	memcpy(next.shard, prev->shard, sizeof(next.shard));
	memcpy(next.rv, prev->rv, sizeof(next.rv));
	next.exists = prev->exists;
	next.objects = *cur;
	if (left != NULL)
		next.pending = *left;
	rc = ss_inventory_save(k, o->agent_ns, o->agent_name, o->unit_name, &next, err);
	memcpy(prev->rv, next.rv, sizeof(prev->rv));
	prev->exists = next.exists;
	memset(&next.objects, 0, sizeof(next.objects)); /* still owned by cur */
	memset(&next.pending, 0, sizeof(next.pending)); /* and by left */
	ss_inventory_release(&next);
	return rc;
}

/* What prune is to delete: (previous ∪ pending) − current. */
static int prune_leftovers(const struct ss_inventory *prev, const struct ss_inv_list *cur,
			   struct ss_inv_list *out)
{
	struct ss_inv_list known = {0};
	size_t i;
	int rc = ss_inv_list_union(&known, &prev->objects, &prev->pending);

	for (i = 0; rc == 0 && i < known.n; i++)
		if (!ss_inv_list_contains(cur, &known.refs[i]))
			rc = ss_inv_list_add(out, &known.refs[i]);
	ss_inv_list_release(&known);
	return rc;
}

/*
 * Commits the revision, then prunes. Until the prune has finished, what it
 * is to delete stays listed as pending, so a prune that fails half-way is
 * retried by the next sync instead of leaving objects behind that no
 * inventory lists (found by the fault soak, t7040-soak).
 */
static int commit_and_prune(struct ss_kube *k, const struct ss_apply_opts *o,
			    const char *revision, struct ss_inventory *prev,
			    struct ss_inv_list *cur, const struct ss_bundle *b,
			    struct ss_apply_stats *st, struct ss_err *err)
{
	struct ss_inv_list left = {0};
	int rc = 0;

	st->stage = "inventory";
	if (o->prune && (rc = prune_leftovers(prev, cur, &left)) != 0)
		rc = ss_err_set(err, rc, "inventory too large");
	if (rc == 0)
		rc = commit_inventory(k, o, prev, revision, cur, &left, err);
	if (rc == 0 && o->prune) {
		st->stage = "prune";
		rc = ss_prune_unit(k, o, revision, prev, b, st, err);
	}
	if (rc == 0 && left.n > 0) {
		st->stage = "inventory";
		rc = commit_inventory(k, o, prev, revision, cur, NULL, err);
	}
	ss_inv_list_release(&left);
	return rc;
}

static int refuse_empty(const struct ss_apply_opts *o, const struct ss_bundle *b,
			const struct ss_inventory *prev, struct ss_err *err)
{
	if (b->n > 0 || !o->prune || o->allow_empty ||
	    prev->objects.n + prev->pending.n == 0)
		return 0;
	return ss_err_set(err, SS_E_INVAL,
			  "unit %s has no objects left in Git; refusing to prune all %zu of its "
			  "objects (set allowEmpty on the unit to allow it)",
			  o->unit_name, prev->objects.n);
}

/* Everything after stage 0: dry-run, then apply, rank by rank; objects
 * the dry-run marks for a forced re-create are deleted just before their
 * rank is applied. */
static int apply_rest(struct ss_kube *k, const struct ss_apply_opts *o, struct ss_bundle *b,
		      struct ss_apply_stats *st, struct ss_err *err)
{
	unsigned char *recreate = calloc(b->n + 1, 1);
	int rc;

	if (recreate == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	st->stage = "dry-run";
	rc = apply_ranks(k, b, o->skip, recreate, STAGE0_MAX_RANK + 1, 1 << 30, 1, NULL, err);
	if (rc == 0) {
		st->stage = "apply";
		rc = apply_ranks(k, b, o->skip, recreate, STAGE0_MAX_RANK + 1, 1 << 30, 0,
				 &st->applied, err);
	}
	free(recreate);
	return rc;
}

/* The unit's inventory, and (sharding) ours or handed over before any write. */
static int load_inventory(struct ss_kube *k, const struct ss_apply_opts *o,
			  struct ss_inventory *prev, struct ss_apply_stats *st, struct ss_err *err)
{
	int rc = ss_inventory_load(k, o->agent_ns, o->agent_name, o->unit_name, prev, err);

	snprintf(st->kept, sizeof(st->kept), "%s", prev->revision);
	if (rc == 0)
		rc = ss_inventory_claim(k, o->agent_ns, o->agent_name, o->unit_name, o->shard,
					prev, err);
	return rc;
}

int ss_apply_unit(struct ss_kube *k, const struct ss_apply_opts *o, struct ss_bundle *b,
		  const char *revision, struct ss_apply_stats *st, struct ss_err *err)
{
	struct ss_inventory prev;
	struct ss_inv_list cur = {0};
	int rc;

	memset(st, 0, sizeof(*st));
	ss_inventory_init(&prev);
	st->stage = "inventory";
	rc = load_inventory(k, o, &prev, st, err);
	if (rc == 0 && (rc = ss_inv_list_from_bundle(&cur, b)) != 0)
		rc = ss_err_set(err, rc, "inventory too large");
	if (rc == 0) {
		st->stage = "validate";
		rc = refuse_empty(o, b, &prev, err);
		if (rc != 0)
			sync_notify_refused(o->unit_name, revision, "allow-empty", &prev.objects);
	}
	if (rc == 0)
		rc = check_existing(k, o, b, &prev, err);
	if (rc == 0) {
		st->stage = "dry-run";
		rc = apply_ranks(k, b, o->skip, NULL, 0, STAGE0_MAX_RANK, 1, NULL, err);
	}
	if (rc == 0) {
		st->stage = "apply";
		rc = record_pending(k, o, &prev, &cur, revision, err);
		st->began = rc == 0 && strcmp(revision, ss_inventory_baseline(&prev)) == 0;
	}
	if (rc == 0) {
		st->stage = "stage0";
		rc = stage0(k, o, b, &st->applied, err);
	}
	if (rc == 0)
		rc = apply_rest(k, o, b, st, err);
	if (rc == 0)
		rc = commit_and_prune(k, o, revision, &prev, &cur, b, st, err);
	if (rc == 0)
		st->stage = "done";
	ss_inv_list_release(&cur);
	ss_inventory_release(&prev);
	return rc;
}

int ss_apply_repair(struct ss_kube *k, struct ss_bundle *b, size_t *applied, struct ss_err *err)
{
	int rc;

	*applied = 0;
	rc = apply_ranks(k, b, NULL, NULL, 0, 1 << 30, 1, NULL, err);
	if (rc == 0)
		rc = apply_ranks(k, b, NULL, NULL, 0, 1 << 30, 0, applied, err);
	return rc;
}
