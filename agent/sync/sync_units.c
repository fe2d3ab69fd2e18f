/*
 * sync_units.c: what decides whether and when a unit syncs, and whether it
 * is healthy, as a Flux Kustomization: suspend, dependsOn, its own
 * interval, and health checks (wait, healthChecks) waited for between
 * syncs (waiter.h), never by blocking the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sealsync/objstate.h"
#include "sealsync/waiter.h"
#include "sync_int.h"

enum logged { L_NONE, L_SUSPENDED, L_WAITING, L_HEALTHY, L_UNHEALTHY };

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sync_units_open(struct ss_agent *a, struct ss_err *err)
{
	int rc = ss_config_unit_order(a->cfg, a->order, err);

	if (rc == 0 && a->kube != NULL)
		rc = ss_waiter_new(a->cfg->nunits, &a->waiter, err);
	return rc;
}

void sync_units_free(struct ss_agent *a)
{
	ss_waiter_free(a->waiter);
	a->waiter = NULL;
}

static unsigned unit_timeout(const struct ss_unit_config *u)
{
	return u->timeout_sec ? u->timeout_sec : SS_UNIT_TIMEOUT_DEFAULT;
}

/* ---- health ---- */

static void ref_of_item(const struct ss_item *it, struct ss_wait_ref *r)
{
	json_t *obj = ss_item_obj(it); /* stays thawed: the bundle owns the strings */

	r->api_version = json_string_value(json_object_get(obj, "apiVersion"));
	r->kind = json_string_value(json_object_get(obj, "kind"));
	r->ns = it->namespaced ? it->id.ns : "";
	r->name = it->id.name;
	r->applied = 1;
}

/* healthChecks entry c: its namespace, the unit's for a namespaced kind
 * that names none, "" for a cluster-scoped kind. */
static void ref_of_check(struct ss_agent *a, const struct ss_unit_config *u,
			 const struct ss_unit_check *c, struct ss_wait_ref *r)
{
	const char *resource;
	struct ss_err err;
	int namespaced = 1;

	ss_err_clear(&err);
	if (ss_kube_resource(a->kube, c->api_version, c->kind, &resource, &namespaced, &err) != 0)
		namespaced = 1; /* unknown yet: read as given, reported NotFound */
	r->api_version = c->api_version;
	r->kind = c->kind;
	r->name = c->name;
	r->ns = !namespaced ? "" : c->namespace_ != NULL ? c->namespace_ : u->namespace_;
}

/* Starts unit i's wait for every object of b (wait: true) and its
 * healthChecks entries. */
static void health_start(struct ss_agent *a, size_t i, const char *commit,
			 const struct ss_bundle *b)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	size_t n = 0, j, cap = u->nchecks + (u->wait ? b->n : 0);
	struct ss_wait_ref *refs = calloc(cap + 1, sizeof(*refs));

	if (refs == NULL) {
		ss_log(SS_LOG_ERROR, "out of memory: the unit's health is not checked", "unit",
		       u->name, NULL);
		return;
	}
	for (j = 0; u->wait && j < b->n; j++)
		ref_of_item(&b->items[j], &refs[n++]);
	for (j = 0; j < u->nchecks; j++)
		ref_of_check(a, u, &u->checks[j], &refs[n++]);
	if (ss_waiter_start(a->waiter, i, commit, refs, n, unit_timeout(u)) != 0)
		ss_log(SS_LOG_ERROR, "out of memory: the unit's health is not checked", "unit",
		       u->name, NULL);
	free(refs);
	/* A unit of ConfigMaps is healthy now, and its dependents apply in this
	 * same pass; others cost one GET per object here. */
	(void)ss_waiter_poll(a->waiter, a->kube);
}

void sync_health_begin(struct ss_agent *a, size_t i, const char *commit,
		       const struct ss_bundle *b)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	const char *rev = "";
	enum ss_wait_state ws;

	if (a->waiter == NULL || !ss_unit_checked(u))
		return;
	ws = ss_waiter_state(a->waiter, i, &rev, NULL, 0);
	if (strcmp(rev, commit) == 0 && (ws == SS_WAIT_HEALTHY || ws == SS_WAIT_PROGRESSING))
		return; /* under way, or passed: a re-apply of the same commit keeps it */
	/* Unhealthy at this commit: look again (it stays unhealthy meanwhile). */
	if (strcmp(rev, commit) == 0 && ss_waiter_restart(a->waiter, i, unit_timeout(u)))
		(void)ss_waiter_poll(a->waiter, a->kube);
	else if (b != NULL)
		health_start(a, i, commit, b);
}

/* ---- dependsOn ---- */

/* Unit j applied commit and, with health checks, is healthy at it. */
static int unit_ready(const struct ss_agent *a, size_t j, const char *commit, const char **why)
{
	const struct ss_unit_status *st = &a->units[j];
	const char *rev = "";
	enum ss_wait_state ws;

	if (!st->ok || strcmp(st->revision, commit) != 0) {
		*why = st->attempted[0] == '\0' || strcmp(st->attempted, commit) != 0 ?
			       "not applied at this revision yet" :
			       "its sync failed";
		return 0;
	}
	if (!ss_unit_checked(&a->cfg->units[j]) || a->waiter == NULL)
		return 1;
	ws = ss_waiter_state(a->waiter, j, &rev, NULL, 0);
	if (ws == SS_WAIT_HEALTHY && strcmp(rev, commit) == 0)
		return 1;
	*why = ws == SS_WAIT_UNHEALTHY ? "unhealthy" : "not healthy yet";
	return 0;
}

/* 1 when every unit i depends on is ready at commit; else why says which. */
static int deps_ready(const struct ss_agent *a, size_t i, const char *commit, char *why,
		      size_t cap)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	const char *reason;
	size_t j, k;

	for (j = 0; j < u->ndepends; j++) {
		for (k = 0; k < a->cfg->nunits; k++)
			if (strcmp(a->cfg->units[k].name, u->depends_on[j]) == 0)
				break;
		if (k < a->cfg->nunits && !unit_ready(a, k, commit, &reason)) {
			snprintf(why, cap, "waiting for dependency %s (%s)", u->depends_on[j],
				 reason);
			return 0;
		}
	}
	return 1;
}

/* ---- state and its log ---- */

static void log_change(struct ss_agent *a, size_t i, enum logged now)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	const struct ss_unit_status *st = &a->units[i];

	if (a->logged[i] == now)
		return;
	a->logged[i] = (unsigned char)now;
	if (now == L_SUSPENDED)
		ss_log(SS_LOG_INFO, "unit suspended: not syncing it", "unit", u->name, NULL);
	else if (now == L_WAITING)
		ss_log(SS_LOG_INFO, "unit waits for a dependency", "unit", u->name, "reason",
		       st->why, NULL);
	else if (now == L_HEALTHY)
		ss_log(SS_LOG_INFO, "unit healthy", "unit", u->name, "revision",
		       st->health_revision, "detail", st->why, NULL);
	else if (now == L_UNHEALTHY)
		ss_log(SS_LOG_ERROR, "unit unhealthy", "unit", u->name, "revision",
		       st->health_revision, "reason", st->why, NULL);
}

/* st->state and st->why from the sync result and the health wait. */
static void refresh(struct ss_agent *a, size_t i)
{
	struct ss_unit_status *st = &a->units[i];
	const char *rev = "";
	enum ss_wait_state ws = SS_WAIT_NONE;
	enum logged l = L_NONE;

	if (a->waiter != NULL && ss_unit_checked(&a->cfg->units[i]))
		ws = ss_waiter_state(a->waiter, i, &rev, st->why, sizeof(st->why));
	snprintf(st->health_revision, sizeof(st->health_revision), "%s", rev);
	if (st->attempted[0] == '\0')
		st->state = "pending";
	else if (!st->ok) {
		st->state = "failed";
		/* same size; snprintf's restrict check cannot tell the fields apart */
		memcpy(st->why, st->error, sizeof(st->why));
		st->why[sizeof(st->why) - 1] = '\0';
	} else if (ws == SS_WAIT_NONE) {
		st->state = "applied";
		st->why[0] = '\0';
	} else {
		st->state = ws == SS_WAIT_HEALTHY ? "healthy" :
			    ws == SS_WAIT_UNHEALTHY ? "unhealthy" : "progressing";
		l = ws == SS_WAIT_HEALTHY ? L_HEALTHY : ws == SS_WAIT_UNHEALTHY ? L_UNHEALTHY : l;
	}
	if (l != L_NONE)
		log_change(a, i, l);
	else if (a->logged[i] != L_NONE && strcmp(st->state, "progressing") != 0)
		a->logged[i] = L_NONE; /* so the next outcome is logged again */
}

static void set_suspended(struct ss_agent *a, size_t i)
{
	a->units[i].state = "suspended";
	snprintf(a->units[i].why, sizeof(a->units[i].why), "suspended by configuration");
	log_change(a, i, L_SUSPENDED);
}

static void set_waiting(struct ss_agent *a, size_t i, const char *why)
{
	a->units[i].state = "waiting";
	snprintf(a->units[i].why, sizeof(a->units[i].why), "%s", why);
	a->dep_wait[i] = 1;
	log_change(a, i, L_WAITING);
}

/* ---- when a unit syncs ---- */

/* Due at commit: every source poll without an interval of its own, else
 * when its interval passed, its commit is new, it failed, drifted or
 * waited for a dependency that is ready now. */
static int unit_due(const struct ss_agent *a, size_t i, const char *commit, int poll)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	const struct ss_unit_status *st = &a->units[i];

	if (a->dep_wait[i])
		return 1;
	if (u->interval_sec == 0)
		return poll;
	if (!a->cfg->once && mono() >= a->next_due[i])
		return 1;
	return poll && (strcmp(st->attempted, commit) != 0 || !st->ok ||
			(a->os != NULL && ss_objstate_unit_drifted(a->os, i)));
}

int sync_unit_consider(struct ss_agent *a, size_t i, const char *commit, int poll,
		       struct ss_err *err)
{
	const struct ss_unit_config *u = &a->cfg->units[i];
	char why[512];
	int rc;

	if (a->kube == NULL) /* --render and -n: every unit, as it is in Git */
		return poll ? sync_or_skip(a, i, commit, err) : 0;
	if (u->suspend) {
		set_suspended(a, i);
		return 0;
	}
	if (!deps_ready(a, i, commit, why, sizeof(why))) {
		set_waiting(a, i, why);
		return 0;
	}
	if (!unit_due(a, i, commit, poll))
		return 0;
	a->dep_wait[i] = 0;
	if (a->logged[i] == L_WAITING || a->logged[i] == L_SUSPENDED)
		a->logged[i] = L_NONE;
	rc = sync_or_skip(a, i, commit, err);
	a->next_due[i] = mono() + (u->interval_sec ? u->interval_sec : a->cfg->interval_sec);
	if (rc == 0)
		sync_health_begin(a, i, commit, NULL);
	refresh(a, i);
	return rc;
}

/* ---- the service loop's side (sync.h) ---- */

int ss_agent_health(struct ss_agent *a)
{
	size_t i, ended;

	if (a->waiter == NULL || !ss_waiter_busy(a->waiter))
		return 0;
	ended = ss_waiter_poll(a->waiter, a->kube);
	for (i = 0; ended > 0 && i < a->cfg->nunits; i++) {
		struct ss_unit_status *st = &a->units[i];

		if (a->cfg->units[i].suspend)
			continue;
		if (a->dep_wait[i]) /* the reason may have changed: "unhealthy" */
			(void)deps_ready(a, i, a->polled, st->why, sizeof(st->why));
		else if (st->attempted[0] != '\0')
			refresh(a, i);
	}
	return ended > 0;
}

int ss_agent_units_due(const struct ss_agent *a)
{
	char why[512];
	size_t i;

	if (a->kube == NULL || a->polled[0] == '\0')
		return 0;
	for (i = 0; i < a->cfg->nunits; i++) {
		const struct ss_unit_config *u = &a->cfg->units[i];

		if (u->suspend)
			continue;
		if (a->dep_wait[i] && deps_ready(a, i, a->polled, why, sizeof(why)))
			return 1;
		if (!a->cfg->once && u->interval_sec != 0 && mono() >= a->next_due[i])
			return 1;
	}
	return 0;
}

int ss_agent_sync_due(struct ss_agent *a, struct ss_err *err)
{
	size_t i;
	int rc, first = 0;

	for (i = 0; i < a->cfg->nunits; i++) {
		struct ss_err uerr;

		ss_err_clear(&uerr);
		rc = sync_unit_consider(a, a->order[i], a->polled, 0, &uerr);
		if (rc != 0 && first == 0) {
			first = rc;
			if (err != NULL)
				*err = uerr;
		}
	}
	return first;
}

int ss_agent_busy(const struct ss_agent *a)
{
	return (a->waiter != NULL && ss_waiter_busy(a->waiter)) || ss_agent_units_due(a);
}

int ss_agent_units_ok(const struct ss_agent *a)
{
	size_t i;

	for (i = 0; i < a->cfg->nunits; i++) {
		const char *s = a->units[i].state;

		if (s == NULL || strcmp(s, "applied") == 0 || strcmp(s, "healthy") == 0 ||
		    strcmp(s, "suspended") == 0)
			continue;
		return strcmp(s, "failed") == 0 ? SS_E_INVAL : SS_E_TIMEOUT;
	}
	return 0;
}

size_t ss_agent_unit_pending(const struct ss_agent *a, size_t i, struct ss_wait_object *out,
			     size_t max, size_t *total, size_t *current)
{
	if (total != NULL)
		*total = 0;
	if (current != NULL)
		*current = 0;
	if (a->waiter == NULL || i >= a->cfg->nunits)
		return 0;
	return ss_waiter_pending(a->waiter, i, out, max, total, current);
}
