/* sync.c: one sync of every unit at one revision (see sync.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sealsync/age.h"
#include "sealsync/apply.h"
#include "sealsync/bundle.h"
#include "sealsync/helm.h"
#include "sealsync/inventory.h"
#include "sealsync/keys.h"
#include "sealsync/keyholder.h"
#include "sealsync/kube.h"
#include "sealsync/kube_watch.h"
#include "sealsync/log.h"
#include "sealsync/objstate.h"
#include "sealsync/render.h"
#include "sealsync/sealed.h"
#include "sealsync/source.h"
#include "sealsync/sync.h"
#include "sync_notify.h"
#include "sealsync/waiter.h"
#include "sync_int.h"
#include "sealsync/tenancy.h"

/* A crafted revision cannot burn more X25519 operations than this. */
#define REVISION_X25519_BUDGET 100000u

const char *const ss_sync_stages[8] = {"source", "load", "unseal", "plan",
				       "dry-run", "apply", "prune", "other"};



static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void source_warn(void *ctx, const char *msg)
{
	(void)ctx;
	ss_log(SS_LOG_WARN, msg, "component", "source", NULL);
}

static int open_source(struct ss_agent *a, struct ss_err *err)
{
	const struct ss_config *c = a->cfg;
	struct ss_source_opts o;

	memset(&o, 0, sizeof(o));
	o.url = c->repo_url;
	o.ref = c->ref;
	o.cache_dir = c->cache_dir;
	o.timeout_sec = c->timeout_sec;
	o.token_file = c->token_file;
	o.username = c->username;
	o.password_file = c->password_file;
	o.ssh_key_file = c->ssh_key_file;
	o.known_hosts_file = c->known_hosts_file;
	o.ca_file = c->ca_file;
	o.insecure = c->insecure;
	o.allowed_signers_file = c->allowed_signers_file;
	o.allow_rewind = c->allow_rewind;
	o.warn = source_warn;
	return ss_source_open(&o, &a->src, err);
}

int ss_agent_reload_keys(struct ss_agent *a, struct ss_err *err)
{
	struct ss_keyring *kr = NULL;
	int rc;

	rc = ss_keyring_new(&kr);
	if (rc != 0)
		return ss_err_set(err, rc, "out of memory");
	if (a->cfg->identities_file != NULL)
		rc = ss_keyring_load_file(kr, a->cfg->identities_file, err);
	if (rc == 0 && a->cfg->identities_dir != NULL)
		rc = ss_keyring_load_dir(kr, a->cfg->identities_dir, err);
	if (rc == 0 && ss_keyring_count(kr) == 0)
		rc = ss_err_set(err, SS_E_NOTFOUND, "no identities found");
	if (rc != 0) {
		ss_keyring_free(kr);
		return rc;
	}
	ss_keyring_free(a->kr);
	a->kr = kr;
	return 0;
}

static void on_applied(void *ctx, const json_t *obj)
{
	ss_objstate_applied(ctx, obj);
}

static int open_kube(struct ss_agent *a, struct ss_err *err)
{
	struct ss_kube_opts o;
	int rc;

	ss_kube_opts_default(&o);
	o.kubeconfig = a->cfg->kubeconfig;
	o.context = a->cfg->context;
	o.field_manager = a->cfg->field_manager;
	o.concurrency = a->cfg->concurrency;
	o.max_retries = a->cfg->max_retries;
	rc = ss_kube_open(&o, &a->kube, err);
	if (rc == 0)
		rc = ss_kube_discover(a->kube, err);
	if (rc == 0)
		rc = ss_objstate_new(a->cfg->nunits, &a->os, err);
	if (rc == 0) {
		ss_objstate_set_manager(a->os, ss_kube_field_manager(a->kube));
		ss_kube_set_apply_observer(a->kube, on_applied, a->os);
	}
	return rc;
}

/*
 * Every unit's baseline from its inventory, so that ancestry checks survive
 * a restart and a failover: another replica may have applied newer commits
 * while we were not the leader. All or nothing: on error the old ones stay
 * and the sync does not run.
 */
static int load_bases(struct ss_agent *a, struct ss_err *err)
{
	char base[SS_CONFIG_MAX_UNITS][41], kept[SS_CONFIG_MAX_UNITS][64];
	struct ss_inventory inv;
	size_t i;
	int rc;

	for (i = 0; i < a->cfg->nunits; i++) {
		rc = ss_inventory_load(a->kube, a->cfg->namespace_, a->cfg->name,
				       a->cfg->units[i].name, &inv, err);
		if (rc != 0)
			return rc;
		snprintf(base[i], sizeof(base[i]), "%s", ss_inventory_baseline(&inv));
		snprintf(kept[i], sizeof(kept[i]), "%s", inv.revision);
		if (i == 0 && a->revision[0] == '\0') /* status after a restart */
			snprintf(a->revision, sizeof(a->revision), "%s", inv.revision);
		if (strlen(ss_inventory_baseline(&inv)) != 40)
			base[i][0] = '\0'; /* not a commit id: as if none */
		ss_inventory_release(&inv);
	}
	memcpy(a->base, base, a->cfg->nunits * sizeof(base[0]));
	/* What the cluster runs, for status and "kept=" in a failure's log:
	 * after a restart or a failover only the inventory knows it. */
	for (i = 0; i < a->cfg->nunits; i++)
		snprintf(a->units[i].revision, sizeof(a->units[i].revision), "%s", kept[i]);
	a->need_bases = 0;
	return 0;
}

void ss_agent_reload_baselines(struct ss_agent *a)
{
	a->need_bases = a->kube != NULL;
	/* Another leader may have applied meanwhile: apply everything once. */
	memset(a->applied, 0, sizeof(a->applied));
}

int ss_agent_open(const struct ss_config *cfg, struct ss_agent **out, struct ss_err *err)
{
	struct ss_agent *a;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	a->cfg = cfg;
	/* Managed keys live in a Secret: main loads them with the key store and
	 * hands them over with ss_agent_set_keyring. */
	rc = cfg->keys_managed ? 0 : ss_agent_reload_keys(a, err);
	if (rc == 0)
		rc = open_source(a, err);
	if (rc == 0)
		rc = ss_render_cache_open(cfg, &a->rc, err);
	if (rc == 0 && cfg->render == NULL && !cfg->check_only) {
		rc = open_kube(a, err);
		a->need_bases = 1;
	}
	if (rc == 0)
		rc = sync_units_open(a, err);
	if (rc != 0) {
		ss_agent_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void ss_agent_free(struct ss_agent *a)
{
	if (a == NULL)
		return;
	ss_source_free(a->src);
	ss_keyring_free(a->kr);
	ss_kube_watch_free(a->watch);
	ss_kube_free(a->kube);
	ss_objstate_free(a->os);
	sync_units_free(a);
	ss_render_cache_free(a->rc);
	free(a);
}

const struct ss_unit_status *ss_agent_unit_status(const struct ss_agent *a, size_t i)
{
	return i < a->cfg->nunits ? &a->units[i] : NULL;
}

const struct ss_agent_stats *ss_agent_stats(const struct ss_agent *a)
{
	return &a->stats;
}

const char *ss_agent_revision(const struct ss_agent *a)
{
	return a->revision;
}

static int scope_lookup(void *ctx, const char *api_version, const char *kind, int *namespaced)
{
	const char *resource;
	struct ss_err err;

	ss_err_clear(&err);
	return ss_kube_resource(ctx, api_version, kind, &resource, namespaced, &err);
}

static void redact_value(void *ctx, const unsigned char *v, size_t len)
{
	/* Failing to register leaves a value unredacted: refuse to go on. */
	if (ss_kube_redact_add(ctx, v, len) != 0)
		abort(); /* broken invariant: out of guarded memory */
}

static int stage_index(const char *stage)
{
	size_t i;

	for (i = 0; i < 7; i++)
		if (strcmp(ss_sync_stages[i], stage) == 0)
			return (int)i;
	return 7;
}

static void count_hints(struct ss_agent *a, const struct ss_unit_config *u,
			struct ss_bundle *b);

/* ---- tenancy (docs/RBAC.md "Tenancy") ---- */

static int unit_tenant(const struct ss_agent *a, const struct ss_unit_config *u)
{
	const char *ns, *name;

	return ss_unit_service_account(a->cfg, u, &ns, &name);
}

/* The unit's requests go out as its ServiceAccount from here on, the
 * inventory excepted (inventory.c suspends it): unit_identity_end. */
static int unit_identity_begin(struct ss_agent *a, const struct ss_unit_config *u,
			       struct ss_err *err)
{
	const char *ns, *name;

	if (!ss_unit_service_account(a->cfg, u, &ns, &name))
		return 0;
	return ss_kube_impersonate(a->kube, ns, name, err);
}

/* Back to the agent's identity; a refusal says which ServiceAccount the
 * server refused (its Forbidden message has the verb and resource). */
static void unit_identity_end(struct ss_agent *a, const struct ss_unit_config *u, int rc,
			      struct ss_err *err)
{
	const char *ns, *name;

	if (ss_kube_impersonate(a->kube, NULL, NULL, NULL) != 0 ||
	    !ss_unit_service_account(a->cfg, u, &ns, &name))
		return;
	if (rc == SS_E_PERM && err != NULL && strstr(err->msg, "forbidden") != NULL)
		ss_err_prefix(err, "requests as ServiceAccount %s/%s", ns, name);
}

/* A Helm unit's objects: helm template of its chart (helm_load.c). */
static int helm_load(struct ss_agent *a, const struct ss_unit_config *u,
		     const struct ss_tree *tree, struct ss_bundle *b, struct ss_err *err)
{
	struct ss_renderer_opts ro;
	struct ss_helm_unit hu;
	char tmp[1700], cwd[512] = "";

	/* the renderer wants an absolute folder; --cache-dir may be relative */
	if (a->cfg->cache_dir[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return ss_err_set(err, SS_E_IO, "the working folder is unknown");
	snprintf(tmp, sizeof(tmp), "%s%s%s/render", cwd, cwd[0] ? "/" : "", a->cfg->cache_dir);
	memset(&ro, 0, sizeof(ro));
	ro.unit = u->name;
	ro.tmp_dir = tmp;
	ro.server = a->cfg->render_socket;
	ro.timeout_sec = a->cfg->render_timeout_sec;
	ro.memory_mib = a->cfg->render_memory_mib;
	ro.no_sandbox = a->cfg->no_sandbox;
	hu.unit = u;
	hu.helm_bin = a->cfg->helm_bin;
	hu.kube = a->kube;
	hu.ro = &ro;
	hu.rc = a->rc;
	hu.index = (size_t)(u - a->cfg->units);
	return ss_bundle_load_helm(b, &hu, tree, err);
}

/* load → namespaces → unseal → plan; stage names where it stopped. */
static int prepare_unit(struct ss_agent *a, const struct ss_unit_config *u,
			const struct ss_tree *tree, struct ss_bundle *b, const struct ss_plan_opts *po,
			int whole, const char **stage, struct ss_err *err)
{
	unsigned budget = REVISION_X25519_BUDGET;
	struct ss_age_open_opts open;
	int rc;

	*stage = "load";
	b->allow_sops = u->sops;
	rc = u->helm != NULL ? helm_load(a, u, tree, b, err)
			     : ss_bundle_load_unit(b, a->rc, (size_t)(u - a->cfg->units), u, a->src,
						   a->units[u - a->cfg->units].attempted, tree, err);
	if (rc == 0)
		rc = ss_bundle_resolve_namespaces(b, po, err);
	if (rc == 0) /* allowedNamespaces, allowedScopes: before any request */
		rc = ss_tenancy_check(b, u, unit_tenant(a, u), err);
	if (rc != 0)
		return rc;
	if (whole)
		ss_bundle_warn_plain_secrets(b, u);
	*stage = "unseal";
	if (a->kr == NULL && a->kh == NULL)
		return ss_err_set(err, SS_E_NOTFOUND, "no identities loaded yet");
	if (whole) /* a repair's few objects say nothing of the keys in use */
		count_hints(a, u, b);
	memset(&open, 0, sizeof(open));
	open.kr = a->kr;
	if (a->kh != NULL)
		ss_keyholder_bind(a->kh, &open);
	open.allow_unscoped = a->cfg->allow_unscoped;
	open.x25519_budget = &budget;
	rc = ss_bundle_unseal(b, &open, a->kube != NULL ? redact_value : NULL, a->kube, err);
	if (rc != 0) {
		a->stats.unseal_failures++;
		return rc;
	}
	*stage = "plan";
	rc = ss_tenancy_check(b, u, unit_tenant(a, u), err); /* SOPS items have ids now */
	if (rc == 0)
		rc = ss_bundle_plan(b, po, err);
	if (rc == 0) /* no field's line is asked for on the way from here */
		ss_bundle_drop_lines(b);
	return rc;
}

/* The watches would have told us of every drift: started, every kind
 * watched and streaming. */
static int watches_up(const struct ss_agent *a)
{
	return a->watch != NULL && !a->watch_incomplete && ss_kube_watch_healthy(a->watch);
}

/* Everything is applied: nothing yet by this process, the safety-net
 * timer (resync) is due, skipping is off, or a drift could go unseen. */
static int full_due(const struct ss_agent *a, size_t i)
{
	return a->cfg->resync_sec == 0 || a->applied[i][0] == '\0' || now_sec() >= a->full_due[i] ||
	       !watches_up(a);
}

/* Body digests of b's items (*dig), and which need no request (*skip). */
static int plan_skips(struct ss_agent *a, size_t i, struct ss_bundle *b,
		      unsigned char (**dig)[SS_OBJSTATE_DIGEST], unsigned char **skip,
		      struct ss_err *err)
{
	int full = full_due(a, i);
	size_t j;

	*dig = calloc(b->n + 1, sizeof(**dig));
	*skip = calloc(b->n + 1, 1);
	if (*dig == NULL || *skip == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (j = 0; j < b->n; j++) {
		if (ss_item_thaw(&b->items[j], err) != 0)
			return SS_E_NOMEM;
		ss_objstate_body_digest(a->os, b->items[j].obj, (*dig)[j]);
		(*skip)[j] = !full && ss_objstate_unchanged(a->os, i, b->items[j].obj, (*dig)[j]);
		ss_item_freeze(&b->items[j]);
	}
	return 0;
}

/* What objstate keys an object by (its identity, as plan left it), so
 * the items stay frozen (bundle.h). */
static json_t *id_stub(const struct ss_item *it)
{
	char av[SS_OBJ_NAME_MAX + SS_OBJ_LABEL_MAX + 2];

	if (it->id.group[0] != '\0')
		snprintf(av, sizeof(av), "%s/%s", it->id.group, it->id.version);
	else
		snprintf(av, sizeof(av), "%s", it->id.version);
	if (!it->namespaced)
		return json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", av, "kind", it->id.kind,
				 "metadata", "name", it->id.name);
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", av, "kind", it->id.kind,
			 "metadata", "name", it->id.name, "namespace", it->id.ns);
}

/* After unit i applied commit whole: what it holds now. */
static void remember_unit(struct ss_agent *a, size_t i, const struct ss_bundle *b,
			  unsigned char (*dig)[SS_OBJSTATE_DIGEST], const char *commit, int full)
{
	json_t **objs = calloc(b->n + 1, sizeof(*objs));
	const char **files = calloc(b->n + 1, sizeof(*files));
	size_t j;
	int rc = objs != NULL && files != NULL ? 0 : SS_E_NOMEM;

	for (j = 0; rc == 0 && j < b->n; j++) {
		objs[j] = id_stub(&b->items[j]);
		files[j] = b->items[j].origin.file;
		if (objs[j] == NULL)
			rc = SS_E_NOMEM;
	}
	if (rc == 0)
		rc = ss_objstate_commit(a->os, i, objs, dig, files, b->n);
	for (j = 0; objs != NULL && j < b->n; j++)
		json_decref(objs[j]);
	free(objs);
	free(files);
	if (rc != 0) {
		a->applied[i][0] = '\0'; /* out of memory: the next sync applies all */
		return;
	}
	snprintf(a->applied[i], sizeof(a->applied[i]), "%s", commit);
	if (full)
		a->full_due[i] = now_sec() + a->cfg->resync_sec;
}

static int apply_tracked(struct ss_agent *a, size_t i, struct ss_apply_opts *ao,
			 struct ss_bundle *b, const char *commit, struct ss_apply_stats *as,
			 struct ss_err *err)
{
	unsigned char (*dig)[SS_OBJSTATE_DIGEST] = NULL, *skip = NULL;
	int rc, full = full_due(a, i);

	memset(as, 0, sizeof(*as));
	as->stage = "apply";
	rc = plan_skips(a, i, b, &dig, &skip, err);
	ao->skip = skip;
	if (rc == 0)
		rc = ss_apply_unit(a->kube, ao, b, commit, as, err);
	if (rc == 0)
		remember_unit(a, i, b, dig, commit, full);
	else
		a->applied[i][0] = '\0';
	free(dig);
	free(skip);
	return rc;
}

static int deliver_unit(struct ss_agent *a, const struct ss_unit_config *u, struct ss_bundle *b,
			const char *commit, struct ss_unit_status *st, const char **stage,
			int *began, struct ss_err *err)
{
	struct ss_apply_stats as;
	struct ss_apply_opts ao;
	int rc;

	if (a->cfg->render != NULL) {
		*stage = "render";
		return ss_render_bundle(b, u->name, a->cfg->render, a->cfg->show_secrets, err);
	}
	if (a->cfg->check_only)
		return 0;
	memset(&ao, 0, sizeof(ao));
	ao.agent_name = a->cfg->name;
	ao.agent_ns = a->cfg->namespace_;
	ao.unit_name = u->name;
	ao.prune = a->cfg->prune && u->prune;
	ao.prune_cluster = u->prune_cluster;
	ao.allow_empty = u->allow_empty;
	ao.establish_timeout_sec = 60;
	ao.shard = a->cfg->shard;
	memset(&as, 0, sizeof(as));
	as.stage = "apply";
	rc = unit_identity_begin(a, u, err);
	if (rc == 0)
		rc = apply_tracked(a, (size_t)(u - a->cfg->units), &ao, b, commit, &as, err);
	unit_identity_end(a, u, rc, err);
	*began = as.began;
	*stage = strcmp(as.stage, "stage0") == 0 ? "apply" : as.stage;
	if (as.kept[0] != '\0')
		snprintf(st->revision, sizeof(st->revision), "%s", as.kept);
	st->applied = as.applied;
	st->pruned = as.pruned;
	a->stats.objects_applied += as.applied;
	a->stats.objects_pruned += as.pruned;
	return rc;
}

static void report_unit(struct ss_agent *a, const struct ss_unit_config *u,
			struct ss_unit_status *st, int rc, const char *stage, const struct ss_err *err)
{
	char applied[32], pruned[32], values[32], dur[32];

	snprintf(applied, sizeof(applied), "%zu", st->applied);
	snprintf(pruned, sizeof(pruned), "%zu", st->pruned);
	snprintf(values, sizeof(values), "%zu", st->values);
	snprintf(dur, sizeof(dur), "%.3f", st->duration_sec);
	st->ok = rc == 0;
	if (rc == 0) {
		snprintf(st->revision, sizeof(st->revision), "%s", st->attempted);
		st->error[0] = '\0';
		ss_log(SS_LOG_INFO,
		       a->cfg->render != NULL ? "unit rendered" :
		       a->cfg->check_only   ? "unit valid" : "sync succeeded",
		       "unit", u->name, "revision", st->attempted,
		       "applied", applied, "pruned", pruned, "values", values, "duration", dur,
		       NULL);
		return;
	}
	st->stage = stage;
	ss_err_format(err, st->error, sizeof(st->error));
	a->stats.failures_by_stage[stage_index(stage)]++;
	ss_log_err(SS_LOG_ERROR, "sync failed", err, "unit", u->name, "revision", st->attempted,
		   "stage", stage, "kept", st->revision[0] ? st->revision : "(none)", NULL);
}

/* commit does not descend from base (unit of's baseline): refused under a
 * policy, unless rewinds are allowed or this is the intended rollback. */
static int rewind_found(struct ss_agent *a, size_t i, const char *commit, const char *base,
			const char *of, struct ss_err *err)
{
	const struct ss_config *c = a->cfg;
	const char *unit = c->units[i].name, *why;

	if (c->allow_rewind_to != NULL && !a->rewind_to_done &&
	    strcmp(c->allow_rewind_to, commit) == 0)
		why = "--allow-rewind-to names this commit: an intended rollback";
	else if (c->allowed_signers_file == NULL)
		why = "no signature policy: a force push is followed";
	else if (c->allow_rewind)
		why = "--allow-rewind is on";
	else
		return ss_err_set(err, SS_E_SIG,
				  "commit %s does not descend from unit %s's baseline %s (the "
				  "commit it applied or began to apply%s); refused under the "
				  "signature policy unless --allow-rewind, or --allow-rewind-to %s "
				  "for an intended rollback",
				  commit, of, base,
				  strcmp(of, unit) != 0 ? "; this unit has none yet" : "", commit);
	ss_log(SS_LOG_WARN, "commit does not descend from the unit's baseline; using it", "unit",
	       unit, "revision", commit, "baseline", base, "baseline_of", of, "reason", why, NULL);
	return 0;
}

/*
 * Invariant 7 per unit: the commit must descend from the unit's baseline.
 * A unit without one (new, or never written) must descend from the others'
 * (the newest, on a linear history), so that adding a unit cannot roll
 * the branch back either.
 */
static int check_base(struct ss_agent *a, size_t i, const char *commit, struct ss_err *err)
{
	size_t j, from = i, to = i + 1;
	int rc;

	if (a->kube == NULL)
		return 0; /* render and -n write nothing */
	if (a->base[i][0] == '\0') {
		from = 0;
		to = a->cfg->nunits;
	}
	for (j = from; j < to; j++) {
		if (a->base[j][0] == '\0')
			continue;
		rc = ss_source_descends(a->src, commit, a->base[j], err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return rewind_found(a, i, commit, a->base[j], a->cfg->units[j].name, err);
	}
	return 0;
}

static int sync_unit(struct ss_agent *a, size_t i, const char *commit, struct ss_err *err)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	struct ss_unit_status *st = &a->units[i];
	/* a chart may use files beside it: a Helm unit reads the revision whole */
	const char *paths[1] = {u->helm != NULL ? "." : u->path}, *stage = "load";
	struct ss_tree *tree = NULL;
	struct ss_plan_opts po;
	struct ss_bundle b;
	double t0 = now_sec();
	int rc, began = 0;

	ss_bundle_init(&b);
	snprintf(st->attempted, sizeof(st->attempted), "%s", commit);
	st->applied = st->pruned = st->values = 0;
	st->last_attempt = time(NULL);
	memset(&po, 0, sizeof(po));
	po.agent_name = a->cfg->name;
	po.unit_name = u->name;
	po.target_ns = u->helm != NULL ? ss_helm_namespace(u->helm, u->namespace_) : u->namespace_;
	po.agent_ns = a->cfg->namespace_;
	po.lookup = a->kube != NULL ? scope_lookup : NULL;
	po.lookup_ctx = a->kube;
	stage = "source";
	rc = check_base(a, i, commit, err);
	if (rc == 0) {
		stage = "load";
		rc = ss_source_read_tree(a->src, commit, paths, 1, &tree, err);
	}
	if (rc == 0)
		rc = prepare_unit(a, u, tree, &b, &po, 1, &stage, err);
	st->values = b.nvalues;
	if (rc == 0)
		rc = deliver_unit(a, u, &b, commit, st, &stage, &began, err);
	if (rc == 0 && a->kube != NULL)
		sync_health_begin(a, i, commit, &b);
	if (a->kube != NULL && (rc == 0 || began))
		snprintf(a->base[i], sizeof(a->base[i]), "%s", commit);
	sync_notify_result(u->name, commit, rc, stage, err, &b);
	ss_bundle_release(&b);
	ss_tree_free(tree);
	if (a->kube != NULL)
		ss_kube_redact_clear(a->kube);
	st->duration_sec = now_sec() - t0;
	report_unit(a, u, st, rc, stage, err);
	return rc;
}

/* Unit i is at commit, none of its objects drifted, and the watches that
 * would have told are up: it costs no request (objstate.h). */
static int unit_steady(const struct ss_agent *a, size_t i, const char *commit)
{
	return a->os != NULL && !full_due(a, i) &&
	       strcmp(a->applied[i], commit) == 0 && !ss_objstate_unit_drifted(a->os, i);
}

static void steady_unit(struct ss_agent *a, size_t i, const char *commit)
{
	struct ss_unit_status *st = &a->units[i];

	snprintf(st->attempted, sizeof(st->attempted), "%s", commit);
	st->pruned = 0;
	st->last_attempt = time(NULL);
	sync_notify_result(a->cfg->units[i].name, commit, 0, "apply", NULL, NULL);
	report_unit(a, &a->cfg->units[i], st, 0, "apply", NULL);
}

#define REPAIR_MAX_FILES 256

/* Reads, unseals and plans only the files of unit i's drifted objects. */
static int load_drifted(struct ss_agent *a, size_t i, const char *commit, struct ss_bundle *b,
			struct ss_tree **tree, struct ss_err *err)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	const char *files[REPAIR_MAX_FILES], *stage;
	size_t n = ss_objstate_drifted_files(a->os, i, files, REPAIR_MAX_FILES);
	struct ss_plan_opts po;
	int rc;

	if (n == 0 || n == (size_t)-1)
		return ss_err_set(err, SS_E_NOTFOUND, "no files to repair");
	rc = ss_source_read_tree(a->src, commit, files, n, tree, err);
	memset(&po, 0, sizeof(po));
	po.agent_name = a->cfg->name;
	po.unit_name = u->name;
	po.target_ns = u->namespace_;
	po.agent_ns = a->cfg->namespace_;
	po.lookup = scope_lookup;
	po.lookup_ctx = a->kube;
	if (rc == 0)
		rc = prepare_unit(a, u, *tree, b, &po, 0, &stage, err);
	return rc;
}

/*
 * Unit i is at commit and only drifted: re-apply the drifted objects from
 * their files alone, not the whole unit (so a repair takes milliseconds at
 * thousands of objects). Nonzero: do a whole sync instead.
 */
static int repair_unit(struct ss_agent *a, size_t i, const char *commit)
{
	struct ss_tree *tree = NULL;
	struct ss_bundle b;
	struct ss_err err;
	size_t j, applied = 0;
	double t0 = now_sec();
	int rc;

	ss_bundle_init(&b);
	ss_err_clear(&err);
	rc = load_drifted(a, i, commit, &b, &tree, &err);
	if (rc == 0 && (rc = unit_identity_begin(a, &a->cfg->units[i], &err)) == 0) {
		rc = ss_apply_repair(a->kube, &b, &applied, &err);
		unit_identity_end(a, &a->cfg->units[i], rc, &err);
	}
	for (j = 0; rc == 0 && j < b.n; j++) {
		unsigned char d[SS_OBJSTATE_DIGEST];

		if (ss_item_obj(&b.items[j]) == NULL)
			continue; /* out of memory: stays drifted, repaired again */
		ss_objstate_body_digest(a->os, b.items[j].obj, d);
		ss_objstate_repaired(a->os, i, b.items[j].obj, d);
		ss_item_freeze(&b.items[j]);
	}
	ss_bundle_release(&b);
	ss_tree_free(tree);
	ss_kube_redact_clear(a->kube);
	if (rc != 0)
		ss_log_err(SS_LOG_WARN, "drift repair failed; syncing the whole unit", &err, "unit",
			   a->cfg->units[i].name, NULL);
	else
		ss_log(SS_LOG_INFO, "drift repaired", "unit", a->cfg->units[i].name, NULL);
	a->stats.objects_applied += applied;
	a->units[i].applied = applied;
	a->units[i].duration_sec = now_sec() - t0;
	return rc != 0 || ss_objstate_unit_drifted(a->os, i);
}

int sync_or_skip(struct ss_agent *a, size_t i, const char *commit, struct ss_err *err)
{
	/* a rendered unit's objects have no file of their own to re-read */
	if (a->os != NULL && !full_due(a, i) && strcmp(a->applied[i], commit) == 0 &&
	    a->cfg->units[i].helm == NULL &&
	    ss_objstate_unit_drifted(a->os, i) && !ss_render_cache_is_rendered(a->rc, i) &&
	    repair_unit(a, i, commit) == 0) {
		steady_unit(a, i, commit);
		return 0;
	}
	if (!unit_steady(a, i, commit))
		return sync_unit(a, i, commit, err);
	a->units[i].applied = 0;
	a->units[i].duration_sec = 0;
	steady_unit(a, i, commit);
	return 0;
}

int ss_agent_sync(struct ss_agent *a, struct ss_err *err)
{
	char commit[41];
	double t0 = now_sec();
	size_t i;
	int rc, first = 0, changed = 0;

	a->stats.syncs++;
	if (a->cfg->allow_unscoped)
		ss_log(SS_LOG_WARN, "--allow-unscoped is on: values without a scope stanza are accepted",
		       NULL);
	/* Ancestry is checked per unit (check_base), not against one revision. */
	rc = a->need_bases ? load_bases(a, err) : 0;
	if (rc != 0)
		ss_err_prefix(err, "reading the units' baselines");
	if (rc == 0)
		rc = ss_source_poll(a->src, NULL, commit, &changed, err);
	if (rc != 0) {
		a->stats.sync_failures++;
		a->stats.failures_by_stage[0]++;
		ss_log_err(SS_LOG_ERROR, "sync failed", err, "stage", "source", NULL);
		sync_notify_source_failed(a->cfg);
		return rc;
	}
	snprintf(a->polled, sizeof(a->polled), "%s", commit);
	for (i = 0; i < a->cfg->nunits; i++) {
		struct ss_err uerr;

		ss_err_clear(&uerr);
		rc = sync_unit_consider(a, a->order[i], commit, 1, &uerr);
		if (rc != 0 && first == 0) {
			first = rc;
			if (err != NULL)
				*err = uerr;
		}
	}
	if (first != 0)
		a->stats.sync_failures++;
	else if (!a->cfg->check_only && a->cfg->render == NULL)
		snprintf(a->revision, sizeof(a->revision), "%s", commit);
	/* One shot: once every unit is at the named commit, it is spent. */
	if (first == 0 && a->cfg->allow_rewind_to != NULL &&
	    strcmp(a->cfg->allow_rewind_to, commit) == 0)
		a->rewind_to_done = 1;
	a->stats.last_duration_sec = now_sec() - t0;
	return first;
}

/* ---- service additions (server, metrics, keystore; see sync.h) ---- */

static void hint_add(struct ss_agent *a, const unsigned char *tag, const unsigned char *ours,
		     const struct ss_recipient *rs, size_t nours)
{
	char h[16];
	size_t i;

	ss_age_hint_format(tag, h, sizeof(h));
	for (i = 0; i < a->nhints; i++)
		if (strcmp(a->hints[i].hint, h) == 0)
			break;
	if (i == a->nhints) {
		if (a->nhints >= SS_SYNC_MAX_HINTS)
			return;
		memset(&a->hints[i], 0, sizeof(a->hints[i]));
		snprintf(a->hints[i].hint, sizeof(a->hints[i].hint), "%s", h);
		for (size_t k = 0; k < nours; k++) {
			if (memcmp(ours + k * SS_AGE_HINT_LEN, tag, SS_AGE_HINT_LEN) != 0)
				continue;
			if (ss_recipient_format(&rs[k], a->hints[i].recipient,
						sizeof(a->hints[i].recipient)) != 0)
				a->hints[i].recipient[0] = '\0';
			break;
		}
		a->nhints++;
	}
	a->hints[i].values++;
}

static void count_sealed(struct ss_agent *a, const struct ss_sealed *s, const unsigned char *ours,
			 const struct ss_recipient *rs, size_t nours)
{
	size_t i, j;

	for (i = 0; i < ss_sealed_count(s); i++) {
		const struct ss_age_info *info = ss_sealed_info(s, i);

		for (j = 0; info != NULL && j < info->n_hints; j++)
			hint_add(a, info->hints[j], ours, rs, nours);
	}
}

/* Our public keys (keyring order), from the keyring or the key holder;
 * *out is malloc'd (NULL when out of memory). */
static size_t our_recipients(struct ss_agent *a, struct ss_recipient **out)
{
	size_t i, n = a->kh != NULL ? 64 : ss_keyring_count(a->kr);
	struct ss_err err;

	*out = calloc(n + 1, sizeof(**out));
	if (*out == NULL)
		return 0;
	if (a->kh != NULL)
		return ss_keyholder_recipients(a->kh, *out, n, &n, &err) == 0 ? n : 0;
	for (i = 0; i < n; i++)
		ss_identity_recipient(ss_keyring_get(a->kr, i), &(*out)[i]);
	return n;
}

/* Counts the unit's sealed values by hint tag: the header's claim, enough
 * for an operator to see when an old key no longer seals anything. */
static void count_hints(struct ss_agent *a, const struct ss_unit_config *u,
			struct ss_bundle *b)
{
	unsigned char *ours;
	struct ss_recipient *rs;
	size_t i, n;

	if (u == &a->cfg->units[a->order[0]]) /* the first unit of a sync */
		a->nhints = 0;
	n = our_recipients(a, &rs);
	ours = calloc(n + 1, SS_AGE_HINT_LEN);
	if (ours == NULL || rs == NULL) {
		free(ours);
		free(rs);
		return;
	}
	for (i = 0; i < n; i++) {
		if (ss_age_hint_for(&rs[i], ours + i * SS_AGE_HINT_LEN) != 0)
			memset(ours + i * SS_AGE_HINT_LEN, 0, SS_AGE_HINT_LEN);
	}
	for (i = 0; i < b->n; i++) {
		struct ss_sealed *s = NULL;

		if (!b->items[i].sealed)
			continue;
		if (ss_item_obj(&b->items[i]) != NULL &&
		    ss_sealed_parse(b->items[i].obj, &b->items[i].origin, &s, NULL) == 0) {
			count_sealed(a, s, ours, rs, n);
			ss_sealed_free(s);
		}
		ss_item_done(&b->items[i]);
	}
	free(ours);
	free(rs);
}

size_t ss_agent_key_hints(const struct ss_agent *a, struct ss_sync_hint *out, size_t max)
{
	size_t n = a->nhints < max ? a->nhints : max;

	if (n > 0)
		memcpy(out, a->hints, n * sizeof(*out));
	return n;
}

void ss_agent_set_keyring(struct ss_agent *a, struct ss_keyring *kr)
{
	ss_keyring_free(a->kr);
	a->kr = kr;
}

void ss_agent_set_holder(struct ss_agent *a, struct ss_keyholder *kh)
{
	a->kh = kh;
}

struct ss_kube *ss_agent_kube(struct ss_agent *a)
{
	return a->kube;
}

/* ---- watches (kube_watch.h): drift is seen, not polled for ---- */

static void on_watch(void *ctx, enum ss_watch_event ev, const char *api_version,
		     const char *kind, const json_t *obj)
{
	struct ss_objstate *os = ctx;

	if (ev == SS_WATCH_UPSERT)
		ss_objstate_seen(os, obj);
	else if (ev == SS_WATCH_DELETE)
		ss_objstate_deleted(os, obj);
	else
		ss_objstate_listed(os, api_version, kind, obj);
}

static void add_kind(void *ctx, const char *api_version, const char *kind)
{
	struct ss_agent *a = ctx;
	struct ss_err err;

	ss_err_clear(&err);
	if (ss_kube_watch_add(a->watch, api_version, kind, &err) == 0)
		return;
	/* Unwatched: every sync applies everything, as without watches. */
	a->watch_incomplete = 1;
	ss_log_err(SS_LOG_WARN, "cannot watch a kind; its units are re-applied every poll", &err,
		   "kind", kind, NULL);
}

/* One watch per kind for all units: owner label in (name.unit, ...). */
static int open_watch(struct ss_agent *a, struct ss_err *err)
{
	char sel[SS_CONFIG_MAX_UNITS * 300], owner[256];
	size_t i, len;

	len = (size_t)snprintf(sel, sizeof(sel), "%s in (", SS_LABEL_OWNER);
	for (i = 0; i < a->cfg->nunits && len < sizeof(sel); i++) {
		ss_owner_value(a->cfg->name, a->cfg->units[i].name, owner, sizeof(owner));
		len += (size_t)snprintf(sel + len, sizeof(sel) - len, "%s%s", i ? "," : "", owner);
	}
	if (len + 2 > sizeof(sel))
		return ss_err_set(err, SS_E_LIMIT, "owner label selector too long");
	memcpy(sel + len, ")", 2);
	return ss_kube_watch_new(a->kube, sel, on_watch, a->os, &a->watch, err);
}

int ss_agent_watch(struct ss_agent *a)
{
	struct ss_err err;

	if (a->os == NULL || a->cfg->resync_sec == 0 || a->cfg->nunits == 0 ||
	    (a->watch == NULL && a->watch_incomplete))
		return 0;
	ss_err_clear(&err);
	if (a->watch == NULL && open_watch(a, &err) != 0) {
		ss_log_err(SS_LOG_ERROR, "cannot start the watches; every poll applies everything",
			   &err, NULL);
		a->watch_incomplete = 1;
		return 0;
	}
	ss_objstate_new_kinds(a->os, add_kind, a);
	if (ss_kube_watch_poll(a->watch, &err) != 0)
		ss_log_err(SS_LOG_WARN, "watch failed; retrying (units are re-applied meanwhile)",
			   &err, NULL);
	return ss_objstate_take_drift(a->os);
}

/* ---- --diff (diff.h): a unit as the next sync would see it ---- */

int ss_agent_poll(struct ss_agent *a, char commit[41], struct ss_err *err)
{
	int changed = 0, rc = a->need_bases ? load_bases(a, err) : 0;

	if (rc != 0) {
		ss_err_prefix(err, "reading the units' baselines");
		return rc;
	}
	return ss_source_poll(a->src, NULL, commit, &changed, err);
}

int ss_agent_prepare(struct ss_agent *a, size_t i, const char *commit, struct ss_tree **tree,
		     struct ss_bundle *b, const char **stage, struct ss_err *err)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	const char *paths[1] = {u->path};
	struct ss_plan_opts po;
	int rc;

	*tree = NULL;
	memset(&po, 0, sizeof(po));
	po.agent_name = a->cfg->name;
	po.unit_name = u->name;
	po.target_ns = u->namespace_;
	po.agent_ns = a->cfg->namespace_;
	po.lookup = a->kube != NULL ? scope_lookup : NULL;
	po.lookup_ctx = a->kube;
	*stage = "source";
	rc = check_base(a, i, commit, err);
	if (rc == 0) {
		*stage = "load";
		rc = ss_source_read_tree(a->src, commit, paths, 1, tree, err);
	}
	if (rc == 0)
		rc = prepare_unit(a, u, *tree, b, &po, 0, stage, err);
	return rc;
}
