/* waiter.c: non-blocking health waits per unit (see waiter.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sealsync/kube.h"
#include "sealsync/waiter.h"

#define BACKOFF_FIRST 1.0
#define BACKOFF_MAX 5.0
#define WHY_MAX 1024

struct wobj {
	char *api_version, *kind, *ns, *name;
	int applied;
	enum ss_health st;
	char msg[200];
};

struct wunit {
	enum ss_wait_state state;
	char revision[64];
	struct wobj *objs;
	size_t n;
	double started, deadline, next, backoff;
	unsigned timeout_sec;
	int rechecking; /* unhealthy, being checked again: stays unhealthy
			 * (no flapping to progressing) until the check ends */
	char why[WHY_MAX];
};

struct ss_waiter {
	struct wunit *units;
	size_t nunits;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ss_waiter_new(size_t nunits, struct ss_waiter **out, struct ss_err *err)
{
	struct ss_waiter *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL || (w->units = calloc(nunits + 1, sizeof(*w->units))) == NULL) {
		free(w);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	w->nunits = nunits;
	*out = w;
	return 0;
}

static void objs_free(struct wunit *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->objs[i].api_version);
		free(u->objs[i].kind);
		free(u->objs[i].ns);
		free(u->objs[i].name);
	}
	free(u->objs);
	u->objs = NULL;
	u->n = 0;
}

void ss_waiter_free(struct ss_waiter *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nunits; i++)
		objs_free(&w->units[i]);
	free(w->units);
	free(w);
}

/* ConfigMaps and Secrets are Current once applied (kstatus: always ready);
 * not reading them keeps Secret values out of this process's memory. */
static int applied_is_current(const struct wobj *o)
{
	return o->applied && strcmp(o->api_version, "v1") == 0 &&
	       (strcmp(o->kind, "ConfigMap") == 0 || strcmp(o->kind, "Secret") == 0);
}

static int obj_set(struct wobj *o, const struct ss_wait_ref *r)
{
	memset(o, 0, sizeof(*o));
	o->api_version = strdup(r->api_version);
	o->kind = strdup(r->kind);
	o->ns = strdup(r->ns != NULL ? r->ns : "");
	o->name = strdup(r->name);
	o->applied = r->applied;
	if (o->api_version == NULL || o->kind == NULL || o->ns == NULL || o->name == NULL)
		return SS_E_NOMEM;
	o->st = applied_is_current(o) ? SS_HEALTH_CURRENT : SS_HEALTH_UNKNOWN;
	snprintf(o->msg, sizeof(o->msg), "%s", o->st == SS_HEALTH_CURRENT ? "applied" : "not read yet");
	return 0;
}

/* Copies refs without duplicates into u->objs. */
static int objs_copy(struct wunit *u, const struct ss_wait_ref *refs, size_t n)
{
	json_t *seen = json_object();
	char key[1024];
	size_t i;
	int rc = seen != NULL ? 0 : SS_E_NOMEM;

	u->objs = calloc(n + 1, sizeof(*u->objs));
	if (u->objs == NULL)
		rc = SS_E_NOMEM;
	for (i = 0; rc == 0 && i < n; i++) {
		snprintf(key, sizeof(key), "%s|%s|%s|%s", refs[i].api_version, refs[i].kind,
			 refs[i].ns != NULL ? refs[i].ns : "", refs[i].name);
		if (json_object_get(seen, key) != NULL)
			continue;
		if (json_object_set_new(seen, key, json_true()) != 0)
			rc = SS_E_NOMEM;
		else {
			u->n++; /* freed whole by objs_free, even half set */
			rc = obj_set(&u->objs[u->n - 1], &refs[i]);
		}
	}
	json_decref(seen);
	return rc;
}

static void arm(struct wunit *u, unsigned timeout_sec)
{
	u->started = mono();
	u->deadline = u->started + timeout_sec;
	u->timeout_sec = timeout_sec;
	u->next = u->started; /* the first check at the next poll */
	u->backoff = BACKOFF_FIRST;
	u->rechecking = 0;
	u->state = SS_WAIT_PROGRESSING;
	snprintf(u->why, sizeof(u->why), "waiting for %zu object%s to become Current", u->n,
		 u->n == 1 ? "" : "s");
}

int ss_waiter_start(struct ss_waiter *w, size_t u, const char *revision,
		    const struct ss_wait_ref *refs, size_t n, unsigned timeout_sec)
{
	struct wunit *wu = &w->units[u];

	objs_free(wu);
	wu->state = SS_WAIT_NONE;
	if (objs_copy(wu, refs, n) != 0) {
		objs_free(wu);
		return SS_E_NOMEM;
	}
	snprintf(wu->revision, sizeof(wu->revision), "%s", revision);
	arm(wu, timeout_sec);
	return 0;
}

int ss_waiter_restart(struct ss_waiter *w, size_t u, unsigned timeout_sec)
{
	struct wunit *wu = &w->units[u];
	size_t i;

	if (wu->state == SS_WAIT_NONE)
		return 0;
	if (wu->rechecking)
		return 1; /* one check at a time */
	for (i = 0; i < wu->n; i++)
		if (!applied_is_current(&wu->objs[i]))
			wu->objs[i].st = SS_HEALTH_UNKNOWN;
	if (wu->state == SS_WAIT_UNHEALTHY) {
		char why[WHY_MAX];

		memcpy(why, wu->why, sizeof(why));
		arm(wu, timeout_sec);
		wu->state = SS_WAIT_UNHEALTHY; /* until this check says otherwise */
		wu->rechecking = 1;
		memcpy(wu->why, why, sizeof(why));
		return 1;
	}
	arm(wu, timeout_sec);
	return 1;
}

static void read_one(struct wobj *o, struct ss_kube *k)
{
	struct ss_err err;
	json_t *live = NULL;
	int rc;

	ss_err_clear(&err);
	rc = ss_kube_get(k, o->api_version, o->kind, o->ns[0] ? o->ns : NULL, o->name, &live,
			 &err);
	if (rc == SS_E_NOTFOUND) {
		o->st = SS_HEALTH_NOT_FOUND;
		snprintf(o->msg, sizeof(o->msg), "not found");
	} else if (rc != 0) {
		o->st = SS_HEALTH_UNKNOWN;
		snprintf(o->msg, sizeof(o->msg), "cannot read it: %.150s", err.msg);
	} else
		o->st = ss_health_compute(live, time(NULL), o->msg, sizeof(o->msg));
	json_decref(live);
}

static void describe(const struct wobj *o, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s%s%s is %s: %s", o->kind, o->ns, o->ns[0] ? "/" : "", o->name,
		 ss_health_name(o->st), o->msg);
}

/* "prefix" then the objects not Current, "; "-separated, bounded. */
static void why_list(struct wunit *u, const char *prefix)
{
	char one[700];
	size_t i, len, shown = 0, missing = 0;

	len = (size_t)snprintf(u->why, sizeof(u->why), "%s", prefix);
	for (i = 0; i < u->n; i++) {
		if (u->objs[i].st == SS_HEALTH_CURRENT)
			continue;
		describe(&u->objs[i], one, sizeof(one));
		if (len + strlen(one) + 40 < sizeof(u->why)) {
			len += (size_t)snprintf(u->why + len, sizeof(u->why) - len, "%s%s",
						shown ? "; " : "", one);
			shown++;
		} else
			missing++;
	}
	if (missing > 0)
		snprintf(u->why + len, sizeof(u->why) - len, "; and %zu more", missing);
}

/* After a check: healthy, unhealthy (Failed, or the deadline), or on. */
static size_t settle(struct wunit *u, double now)
{
	size_t i, current = 0, failed = 0;
	char prefix[128];

	for (i = 0; i < u->n; i++) {
		current += u->objs[i].st == SS_HEALTH_CURRENT;
		failed += u->objs[i].st == SS_HEALTH_FAILED;
	}
	if (current == u->n) {
		u->rechecking = 0;
		u->state = SS_WAIT_HEALTHY;
		snprintf(u->why, sizeof(u->why), "all %zu object%s Current after %.0fs", u->n,
			 u->n == 1 ? "" : "s", now - u->started);
		return 1;
	}
	if (failed > 0 || now >= u->deadline) {
		u->rechecking = 0;
		u->state = SS_WAIT_UNHEALTHY;
		if (failed > 0)
			snprintf(prefix, sizeof(prefix), "health check failed after %.0fs: ",
				 now - u->started);
		else
			snprintf(prefix, sizeof(prefix), "health check timed out after %us: ",
				 u->timeout_sec);
		why_list(u, prefix);
		return 1;
	}
	if (!u->rechecking)
		why_list(u, "waiting for: ");
	u->next = now + u->backoff;
	u->backoff = u->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : u->backoff * 2;
	return 0;
}

size_t ss_waiter_poll(struct ss_waiter *w, struct ss_kube *k)
{
	size_t i, j, ended = 0;
	double now = mono();

	for (i = 0; i < w->nunits; i++) {
		struct wunit *u = &w->units[i];

		if ((u->state != SS_WAIT_PROGRESSING && !u->rechecking) || now < u->next)
			continue;
		for (j = 0; j < u->n && k != NULL; j++)
			if (u->objs[j].st != SS_HEALTH_CURRENT)
				read_one(&u->objs[j], k);
		ended += settle(u, mono());
	}
	return ended;
}

int ss_waiter_busy(const struct ss_waiter *w)
{
	size_t i;

	for (i = 0; i < w->nunits; i++)
		if (w->units[i].state == SS_WAIT_PROGRESSING || w->units[i].rechecking)
			return 1;
	return 0;
}

enum ss_wait_state ss_waiter_state(const struct ss_waiter *w, size_t u, const char **revision,
				   char *why, size_t cap)
{
	const struct wunit *wu = &w->units[u];

	if (revision != NULL)
		*revision = wu->revision;
	if (why != NULL && cap > 0)
		snprintf(why, cap, "%s", wu->state == SS_WAIT_NONE ? "" : wu->why);
	return wu->state;
}

size_t ss_waiter_pending(const struct ss_waiter *w, size_t u, struct ss_wait_object *out,
			 size_t max, size_t *total, size_t *current)
{
	const struct wunit *wu = &w->units[u];
	size_t i, n = 0, cur = 0;

	for (i = 0; i < wu->n; i++) {
		const struct wobj *o = &wu->objs[i];

		if (o->st == SS_HEALTH_CURRENT) {
			cur++;
			continue;
		}
		if (n == max)
			continue;
		snprintf(out[n].api_version, sizeof(out[n].api_version), "%s", o->api_version);
		snprintf(out[n].kind, sizeof(out[n].kind), "%s", o->kind);
		snprintf(out[n].ns, sizeof(out[n].ns), "%s", o->ns);
		snprintf(out[n].name, sizeof(out[n].name), "%s", o->name);
		out[n].status = o->st;
		snprintf(out[n].message, sizeof(out[n].message), "%s", o->msg);
		n++;
	}
	if (total != NULL)
		*total = wu->n;
	if (current != NULL)
		*current = cur;
	return n;
}
