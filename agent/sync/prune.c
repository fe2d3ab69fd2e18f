/* prune.c: delete what left Git, and only what is ours (see apply.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "sealsync/apply.h"
#include "sealsync/bundle.h"
#include "sealsync/inventory.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sync_notify.h"

static int cluster_kind(const struct ss_inv_ref *r)
{
	return strcmp(r->kind, "Namespace") == 0 || strcmp(r->kind, "CustomResourceDefinition") == 0;
}

/* 1 when the live object may be deleted: our label, pruning not disabled. */
static int prunable(const json_t *obj, const char *owner, const char **why)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *have = json_string_value(
		json_object_get(json_object_get(meta, "labels"), SS_LABEL_OWNER));
	const char *mode = json_string_value(
		json_object_get(json_object_get(meta, "annotations"), SS_ANNOT_PRUNE));

	if (have == NULL || strcmp(have, owner) != 0) {
		*why = "not labelled as ours";
		return 0;
	}
	if (mode != NULL && strcmp(mode, "disabled") == 0) {
		*why = "annotated sealsync.dev/prune: disabled";
		return 0;
	}
	return 1;
}

static void describe(const struct ss_inv_ref *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s%s%s", r->api_version, r->kind, r->ns, r->ns[0] ? "/" : "",
		 r->name);
}

/* refused: the Namespaces and CRDs kept for want of pruneClusterScoped,
 * told to the notifier once per prune. */
static int prune_one(struct ss_kube *k, const struct ss_inv_ref *r, const char *owner,
		     const struct ss_apply_opts *o, struct ss_apply_stats *st,
		     struct ss_inv_list *refused, struct ss_err *err)
{
	const char *why = NULL, *ns = r->ns[0] ? r->ns : NULL;
	json_t *live = NULL;
	char desc[700];
	int rc;

	describe(r, desc, sizeof(desc));
	if (cluster_kind(r) && !o->prune_cluster) {
		ss_log(SS_LOG_INFO, "prune skipped", "unit", o->unit_name, "object", desc, "reason",
		       "Namespaces and CRDs are pruned only with pruneClusterScoped", NULL);
		st->prune_skipped++;
		if (ss_inv_list_add(refused, r) != 0) /* only shortens the event */
			ss_log(SS_LOG_DEBUG, "refused prune left out of the notification", "unit",
			       o->unit_name, "object", desc, NULL);
		return 0;
	}
	rc = ss_kube_get(k, r->api_version, r->kind, ns, r->name, &live, err);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (!prunable(live, owner, &why)) {
		ss_log(SS_LOG_INFO, "prune skipped", "unit", o->unit_name, "object", desc, "reason",
		       why, NULL);
		st->prune_skipped++;
		json_decref(live);
		return 0;
	}
	json_decref(live);
	rc = ss_kube_delete(k, r->api_version, r->kind, ns, r->name, err);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		return 0;
	}
	if (rc == 0) {
		st->pruned++;
		ss_log(SS_LOG_INFO, "pruned", "unit", o->unit_name, "object", desc, NULL);
	}
	return rc;
}

int ss_prune_unit(struct ss_kube *k, const struct ss_apply_opts *o, const char *revision,
		  const struct ss_inventory *prev, const struct ss_bundle *b,
		  struct ss_apply_stats *st, struct ss_err *err)
{
	struct ss_inv_list known = {0}, cur = {0}, refused = {0};
	char owner[256];
	size_t i;
	int rc;

	ss_owner_value(o->agent_name, o->unit_name, owner, sizeof(owner));
	rc = ss_inv_list_union(&known, &prev->objects, &prev->pending);
	if (rc == 0)
		rc = ss_inv_list_from_bundle(&cur, b);
	if (rc != 0) {
		rc = ss_err_set(err, rc, "inventory too large");
		goto out;
	}
	/* Reverse order: workloads go before the Secrets and Namespaces they use. */
	for (i = known.n; i-- > 0;) {
		if (ss_inv_list_contains(&cur, &known.refs[i]))
			continue;
		rc = prune_one(k, &known.refs[i], owner, o, st, &refused, err);
		if (rc != 0)
			break;
	}
	if (refused.n > 0)
		sync_notify_refused(o->unit_name, revision, "prune-cluster-scoped", &refused);
out:
	ss_inv_list_release(&refused);
	ss_inv_list_release(&known);
	ss_inv_list_release(&cur);
	return rc;
}
