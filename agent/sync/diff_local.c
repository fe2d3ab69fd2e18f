/*
 * diff_local.c: --diff --local DIR, a pull request's working tree against
 * the cluster, with no private key (see diff.h and docs/OPERATIONS.md,
 * "Previewing a change").
 *
 * Plain objects go through ss_diff_unit as in --diff. A SealedSecret cannot
 * be opened here, so its values are compared as ciphertexts with the same
 * SealedSecret (namespace and name) at the revision the unit's inventory
 * last applied, read from the Git repository that DIR belongs to: the
 * inventory names that revision, and the repository a CI job checked out
 * holds it (given its history). A value re-sealed without a change of
 * plaintext shows as changed: ciphertexts are all this side can see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/inventory.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sealsync/source.h"

#include "diff_int.h"

struct local {
	const struct ss_config *cfg;
	struct ss_kube *k;
	struct ss_source *repo;
};

static int scope_lookup(void *ctx, const char *api_version, const char *kind, int *namespaced)
{
	const char *resource;
	struct ss_err err;

	ss_err_clear(&err);
	return ss_kube_resource(ctx, api_version, kind, &resource, namespaced, &err);
}

static void plan_opts(const struct local *L, const struct ss_unit_config *u,
		      struct ss_plan_opts *po)
{
	memset(po, 0, sizeof(*po));
	po->agent_name = L->cfg->name;
	po->unit_name = u->name;
	po->target_ns = u->namespace_;
	po->agent_ns = L->cfg->namespace_;
	po->lookup = scope_lookup;
	po->lookup_ctx = L->k;
}

static int load_unit(const struct local *L, const struct ss_unit_config *u,
		     const struct ss_tree *tree, struct ss_bundle *b, struct ss_err *err)
{
	struct ss_plan_opts po;
	int rc;

	plan_opts(L, u, &po);
	b->allow_sops = u->sops;
	rc = ss_bundle_load_tree(b, tree, u->path, err);
	if (rc == 0)
		rc = ss_bundle_resolve_namespaces(b, &po, err);
	return rc;
}

/* plain gets new references to the items that are neither sealed nor
 * SOPS (origins still point into all, which must outlive it). */
static int split_plain(const struct ss_bundle *all, struct ss_bundle *plain)
{
	size_t i;

	plain->items = calloc(all->n + 1, sizeof(*plain->items));
	if (plain->items == NULL)
		return SS_E_NOMEM;
	plain->cap = all->n + 1;
	for (i = 0; i < all->n; i++) {
		if (all->items[i].sealed || all->items[i].sops)
			continue;
		if (ss_item_obj(&all->items[i]) == NULL) /* both share the tree */
			return SS_E_NOMEM;
		plain->items[plain->n] = all->items[i];
		json_incref(plain->items[plain->n].obj);
		plain->n++;
	}
	return 0;
}

/* The unit's files at the revision its inventory last applied (none: an
 * empty bundle). A revision the repository lacks is an error that says
 * how to fetch it: guessing "all new" would hide every change. */
static int load_applied(const struct local *L, const struct ss_unit_config *u, const char *rev,
			struct ss_tree **tree, struct ss_bundle *old, struct ss_err *err)
{
	const char *paths[1] = {u->path};
	int rc;

	if (rev[0] == '\0')
		return 0;
	if (!ss_source_has_commit(L->repo, rev))
		return ss_err_set(err, SS_E_NOTFOUND,
				  "unit %s last applied revision %s, which the repository of %s does "
				  "not hold: fetch it (git fetch origin %s, or check out with the "
				  "whole history, e.g. actions/checkout's fetch-depth: 0)",
				  u->name, rev, L->cfg->diff_local, rev);
	rc = ss_source_read_tree(L->repo, rev, paths, 1, tree, err);
	if (rc == SS_E_NOTFOUND) { /* the unit's folder is new since then */
		ss_err_clear(err);
		return 0;
	}
	if (rc == 0)
		rc = load_unit(L, u, *tree, old, err);
	if (rc != 0)
		ss_err_prefix(err, "the applied revision %.12s", rev);
	return rc;
}

static const struct ss_item *find_applied(const struct ss_bundle *old, const struct ss_item *it)
{
	size_t i;

	for (i = 0; i < old->n; i++) {
		const struct ss_item *o = &old->items[i];

		if (o->sealed == it->sealed && o->sops == it->sops &&
		    (it->sealed ? strcmp(o->id.ns, it->id.ns) == 0 &&
				  strcmp(o->id.name, it->id.name) == 0
				: strcmp(o->origin.file, it->origin.file) == 0 &&
				  o->origin.doc == it->origin.doc))
			return o;
	}
	return NULL;
}

static json_t *copy_named(const json_t *obj, const char *ns)
{
	json_t *c = obj != NULL ? json_deep_copy(obj) : NULL;

	if (c != NULL && ns[0] != '\0')
		json_object_set_new(json_object_get(c, "metadata"), "namespace", json_string(ns));
	return c;
}

static json_t *encrypted(json_t *sealed)
{
	return json_object_get(json_object_get(sealed, "spec"), "encryptedData");
}

/* One SealedSecret: its values by ciphertext, the rest as a diff. */
static int diff_sealed(const char *unit, const struct ss_item *it, const struct ss_bundle *old,
		       struct ss_buf *out, struct ss_diff_stats *st)
{
	static const char *const sides[2] = {"applied", "local"};
	const struct ss_item *was = find_applied(old, it);
	json_t *a = copy_named(was != NULL ? ss_item_obj(was) : NULL, it->id.ns);
	json_t *b = copy_named(ss_item_obj(it), it->id.ns);
	char desc[700];
	struct ss_buf keys;
	int rc, changed = 0;

	snprintf(desc, sizeof(desc), "SealedSecret %s%s%s, values by ciphertext", it->id.ns,
		 it->id.ns[0] ? "/" : "", it->id.name);
	ss_buf_init(&keys, DIFF_MAX);
	rc = b == NULL || (was != NULL && a == NULL) ? SS_E_NOMEM : 0;
	if (rc == 0)
		rc = ss_diff_put_keys(desc, encrypted(a), encrypted(b), &keys);
	if (rc == 0)
		rc = diff_mask_values(encrypted(a), encrypted(b), "sealed");
	if (rc == 0)
		rc = diff_put_object(unit, sides, a, b,
				     was == NULL ? "new: not in the applied revision" : NULL, &keys,
				     out, &changed);
	if (rc == 0)
		diff_count(st, changed, was != NULL);
	ss_buf_release(&keys);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* A SOPS document: its values cannot be told apart without the key
 * either; the whole document is compared with the applied one. */
static int diff_sops(const struct ss_item *it, const struct ss_bundle *old, struct ss_buf *out,
		     struct ss_diff_stats *st)
{
	const struct ss_item *was = find_applied(old, it);

	int same = was != NULL && json_equal(ss_item_obj(was), ss_item_obj(it));

	diff_count(st, !same, was != NULL);
	if (same)
		return 0;
	return ss_buf_printf(out, "# SOPS document %s (document %d): %s since the applied "
			     "revision (values are not compared one by one)\n",
			     it->origin.file, it->origin.doc + 1, was != NULL ? "changed" : "new");
}

/*
 * The objects of the revision that ss_diff_unit does not see: each sealed
 * item as the Secret it becomes. A SOPS document names its Secret only
 * once decrypted, so with any in the unit every Secret of the inventory
 * counts as still in Git (none is reported as to be pruned).
 */
static int others(const struct ss_bundle *all, const struct ss_inventory *inv,
		  struct ss_inv_list *cur)
{
	struct ss_inv_ref r;
	struct ss_objid id;
	size_t i;
	int rc = 0, sops = 0;

	for (i = 0; i < all->n && rc == 0; i++) {
		sops |= all->items[i].sops;
		if (!all->items[i].sealed)
			continue;
		id = all->items[i].id;
		snprintf(id.group, sizeof(id.group), "%s", "");
		snprintf(id.version, sizeof(id.version), "%s", "v1");
		snprintf(id.kind, sizeof(id.kind), "%s", "Secret");
		ss_inv_ref_from_id(&r, &id);
		rc = ss_inv_list_add(cur, &r);
	}
	for (i = 0; sops && rc == 0 && i < inv->objects.n; i++)
		if (strcmp(inv->objects.refs[i].kind, "Secret") == 0)
			rc = ss_inv_list_add(cur, &inv->objects.refs[i]);
	return rc;
}

static int diff_encrypted(const char *unit, const struct ss_bundle *all,
			  const struct ss_bundle *old, struct ss_buf *out,
			  struct ss_diff_stats *st)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < all->n && rc == 0; i++) {
		if (all->items[i].sealed)
			rc = diff_sealed(unit, &all->items[i], old, out, st);
		else if (all->items[i].sops)
			rc = diff_sops(&all->items[i], old, out, st);
	}
	return rc;
}

/* The bundles of one unit: the working tree's and the applied one's. */
struct local_unit {
	struct ss_tree *tree, *old_tree;
	struct ss_bundle all, plain, old;
	struct ss_inventory inv;
	struct ss_inv_list cur;
};

static void local_unit_release(struct local_unit *lu)
{
	ss_bundle_release(&lu->plain);
	ss_bundle_release(&lu->all);
	ss_bundle_release(&lu->old);
	ss_tree_free(lu->tree);
	ss_tree_free(lu->old_tree);
	ss_inventory_release(&lu->inv);
	ss_inv_list_release(&lu->cur);
}

static int local_load(const struct local *L, const struct ss_unit_config *u,
		      struct local_unit *lu, struct ss_err *err)
{
	const char *paths[1] = {u->path};
	struct ss_plan_opts po;
	int rc;

	plan_opts(L, u, &po);
	rc = ss_tree_read_dir(L->cfg->diff_local, paths, 1, &lu->tree, err);
	if (rc == 0)
		rc = load_unit(L, u, lu->tree, &lu->all, err);
	if (rc == 0 && (rc = split_plain(&lu->all, &lu->plain)) != 0)
		rc = ss_err_set(err, rc, "out of memory");
	if (rc == 0)
		rc = ss_bundle_plan(&lu->plain, &po, err);
	if (rc == 0)
		rc = ss_inventory_load(L->k, L->cfg->namespace_, L->cfg->name, u->name, &lu->inv,
				       err);
	if (rc == 0)
		rc = load_applied(L, u, lu->inv.revision, &lu->old_tree, &lu->old, err);
	if (rc == 0 && (rc = others(&lu->all, &lu->inv, &lu->cur)) != 0)
		rc = ss_err_set(err, rc, "inventory too large");
	return rc;
}

static int local_unit_diff(const struct local *L, size_t i, int *changes, struct ss_err *err)
{
	const struct ss_unit_config *u = &L->cfg->units[i];
	struct ss_diff_stats st;
	struct ss_diff_opts o;
	struct local_unit lu;
	struct ss_buf out;
	int rc, frc;

	memset(&st, 0, sizeof(st));
	memset(&lu, 0, sizeof(lu));
	ss_bundle_init(&lu.all);
	ss_bundle_init(&lu.plain);
	ss_bundle_init(&lu.old);
	ss_inventory_init(&lu.inv);
	ss_buf_init(&out, DIFF_MAX);
	diff_unit_opts(L->cfg, u, &o);
	o.approximate_forbidden = 1;
	rc = local_load(L, u, &lu, err);
	if (rc == 0)
		rc = diff_encrypted(u->name, &lu.all, &lu.old, &out, &st);
	if (rc == 0)
		rc = ss_diff_unit(L->k, &o, &lu.plain, &lu.cur, &out, &st, err);
	frc = diff_flush(&out, rc == 0 ? err : NULL);
	rc = rc != 0 ? rc : frc;
	*changes = st.changed + st.added + st.pruned > 0;
	if (rc != 0)
		ss_log_err(SS_LOG_ERROR, "diff failed", err, "unit", u->name, "local",
			   L->cfg->diff_local, NULL);
	else
		diff_log_unit(u->name, &st, "(working tree)");
	ss_buf_release(&out);
	local_unit_release(&lu);
	return rc;
}

/* A read-only client: GET, LIST and PATCH ?dryRun=All only. */
static int open_cluster(const struct ss_config *cfg, struct ss_kube **k, struct ss_err *err)
{
	struct ss_kube_opts o;
	int rc;

	ss_kube_opts_default(&o);
	o.kubeconfig = cfg->kubeconfig;
	o.context = cfg->context;
	o.field_manager = cfg->field_manager;
	o.concurrency = cfg->concurrency;
	o.max_retries = cfg->max_retries;
	rc = ss_kube_open(&o, k, err);
	if (rc == 0)
		rc = ss_kube_discover(*k, err);
	if (rc != 0)
		ss_err_prefix(err, "--diff --local compares with the cluster and needs a kubeconfig "
				   "(--kubeconfig or KUBECONFIG) that may read it");
	return rc;
}

int ss_diff_local(const struct ss_config *cfg, struct ss_err *err)
{
	struct local L = {cfg, NULL, NULL};
	size_t i;
	int rc, any = 0, failed = 0;

	rc = ss_source_open_local(cfg->diff_local, &L.repo, err);
	if (rc == 0)
		rc = open_cluster(cfg, &L.k, err);
	for (i = 0; rc == 0 && i < cfg->nunits; i++) {
		struct ss_err uerr;
		int changes = 0, urc;

		ss_err_clear(&uerr);
		urc = local_unit_diff(&L, i, &changes, &uerr);
		any |= changes;
		if (urc != 0 && !failed && err != NULL)
			*err = uerr;
		failed |= urc != 0;
	}
	if (rc != 0)
		ss_log_err(SS_LOG_ERROR, "diff failed", err, "local", cfg->diff_local, NULL);
	ss_kube_free(L.k);
	ss_source_free(L.repo);
	return rc != 0 || failed ? SS_DIFF_ERROR : any ? SS_DIFF_CHANGES : SS_DIFF_SAME;
}
