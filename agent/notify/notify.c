/*
 * notify.c: the process's notifier (notify.h): targets, their queues, the
 * failure streaks, and the metrics.
 *
 * One instance per process (a static), like the log: sync/ and keys/ call
 * ss_notify_event without a handle, and nothing changes for them when no
 * target is configured. `mu` guards the instance pointer and the streaks;
 * each target's queue has its own mutex, so a send in flight (which holds
 * neither) never holds up an enqueue.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "notify_int.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/log.h"

/* Per unit: failing since the last success, and the prune refusal last sent. */
struct streak {
	char unit[64];
	int failing;
	char refused[SS_NOTIFY_REASON_MAX + 1];
};

struct notifier {
	char agent[256];
	char shard[64];
	int has_shard;
	struct notify_target targets[SS_CONFIG_MAX_NOTIFY];
	size_t n;
	struct streak streaks[SS_CONFIG_MAX_UNITS];
	size_t nstreaks;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct notifier *self;

static void target_free(struct notify_target *t)
{
	size_t i;

	if (t->started) {
		pthread_mutex_lock(&t->mu);
		t->stop = 1;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->thread, NULL);
	}
	for (i = 0; t->ring != NULL && i < t->cap; i++)
		ss_json_free(t->ring[i].body);
	ss_json_free(t->inflight.body);
	free(t->ring);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	notify_target_wipe(t);
}

static void notifier_free(struct notifier *nf)
{
	size_t i;

	if (nf == NULL)
		return;
	for (i = 0; i < nf->n; i++)
		target_free(&nf->targets[i]);
	free(nf);
}

static enum notify_type type_of(const char *s)
{
	return strcmp(s, "slack") == 0 ? NOTIFY_SLACK :
	       strcmp(s, "teams") == 0 ? NOTIFY_TEAMS : NOTIFY_WEBHOOK;
}

static int target_init(struct notify_target *t, const struct ss_notify_target_config *tc,
		       unsigned queue, struct ss_err *err)
{
	struct notify_entry *ring;

	memset(t, 0, sizeof(*t));
	t->tc = tc;
	t->type = type_of(tc->type);
	t->cap = tc->queue != 0 ? tc->queue : queue;
	if (pthread_mutex_init(&t->mu, NULL) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (pthread_cond_init(&t->cv, NULL) != 0) {
		pthread_mutex_destroy(&t->mu);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	ring = calloc(t->cap, sizeof(*ring));
	if (ring == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	t->ring = ring; /* freed by target_free from here on */
	return notify_target_load(t, err);
}

static int targets_open(struct notifier *nf, const struct ss_notify_opts *o, struct ss_err *err)
{
	const struct ss_config *c = o->cfg;
	size_t i;
	int rc;

	for (i = 0; i < c->nnotify; i++) {
		rc = target_init(&nf->targets[i], &c->notify[i], c->notify_queue, err);
		nf->n = i + 1; /* freed by notifier_free, even half made */
		if (rc != 0)
			return rc;
		if (c->notify[i].insecure)
			ss_log(SS_LOG_WARN, "notify target allows http:// (insecure: true)", "target",
			       c->notify[i].name, NULL);
	}
	return 0;
}

static int targets_run(struct notifier *nf, struct ss_err *err)
{
	size_t i;

	/* curl_global_init is reference counted; kube.c makes its own call. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ss_err_set(err, SS_E_INTERNAL, "cannot initialise libcurl");
	for (i = 0; i < nf->n; i++) {
		if (pthread_create(&nf->targets[i].thread, NULL, notify_thread, &nf->targets[i]))
			return ss_err_set(err, SS_E_INTERNAL, "cannot start a notification thread");
		nf->targets[i].started = 1;
	}
	return 0;
}

int ss_notify_start(const struct ss_notify_opts *o, struct ss_err *err)
{
	struct notifier *nf;
	int rc;

	if (o->cfg->nnotify == 0)
		return 0;
	nf = calloc(1, sizeof(*nf));
	if (nf == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(nf->agent, sizeof(nf->agent), "%s", o->cfg->name);
	nf->has_shard = o->shard != NULL;
	snprintf(nf->shard, sizeof(nf->shard), "%s", o->shard != NULL ? o->shard : "");
	rc = targets_open(nf, o, err);
	if (rc == 0 && !o->deliver) {
		notifier_free(nf); /* checked only */
		return 0;
	}
	if (rc == 0)
		rc = targets_run(nf, err);
	if (rc != 0) {
		notifier_free(nf);
		return rc;
	}
	pthread_mutex_lock(&mu);
	notifier_free(self);
	self = nf;
	pthread_mutex_unlock(&mu);
	return 0;
}

void ss_notify_stop(void)
{
	struct notifier *nf;

	pthread_mutex_lock(&mu);
	nf = self;
	self = NULL;
	pthread_mutex_unlock(&mu);
	notifier_free(nf);
}

/* Appends e to t's queue; when full, the oldest goes (the one in flight
 * first: it is the oldest). Takes e->body. */
static void enqueue(struct notify_target *t, struct notify_entry *e)
{
	pthread_mutex_lock(&t->mu);
	if (t->n + (t->inflight.body != NULL && !t->drop_inflight) >= t->cap) {
		t->counts.dropped_overflow++;
		if (t->inflight.body != NULL && !t->drop_inflight)
			t->drop_inflight = 1;
		else {
			ss_json_free(t->ring[t->head].body);
			t->ring[t->head].body = NULL;
			t->head = (t->head + 1) % t->cap;
			t->n--;
		}
	}
	t->ring[(t->head + t->n) % t->cap] = *e;
	t->n++;
	e->body = NULL;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* Under mu. */
static void event_locked(struct notifier *nf, const struct ss_notify_msg *m)
{
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < nf->n; i++) {
		struct notify_target *t = &nf->targets[i];
		struct notify_entry e;

		if ((unsigned)m->event >= SS_CONFIG_NOTIFY_EVENTS ||
		    !(t->tc->events & (1u << m->event)))
			continue;
		if (notify_render(t->type, m, nf->agent, nf->has_shard ? nf->shard : NULL, now,
				  &e) != 0) {
			ss_log(SS_LOG_WARN, "notification not queued: out of memory", "target",
			       t->tc->name, NULL);
			continue;
		}
		enqueue(t, &e);
	}
}

void ss_notify_event(const struct ss_notify_msg *m)
{
	pthread_mutex_lock(&mu);
	if (self != NULL)
		event_locked(self, m);
	pthread_mutex_unlock(&mu);
}

/* Under mu: unit's streak (a new one when there is room), or NULL. */
static struct streak *streak_of(struct notifier *nf, const char *unit)
{
	size_t i;

	for (i = 0; i < nf->nstreaks; i++)
		if (strcmp(nf->streaks[i].unit, unit) == 0)
			return &nf->streaks[i];
	if (nf->nstreaks >= SS_CONFIG_MAX_UNITS)
		return NULL;
	snprintf(nf->streaks[i].unit, sizeof(nf->streaks[i].unit), "%s", unit);
	return &nf->streaks[nf->nstreaks++];
}

void ss_notify_sync_result(const char *unit, const char *revision, int ok, const char *stage,
			   const struct ss_notify_object *failed)
{
	struct ss_notify_msg m;
	struct streak *s;

	memset(&m, 0, sizeof(m));
	m.unit = unit;
	m.revision = revision;
	pthread_mutex_lock(&mu);
	s = self != NULL && unit != NULL ? streak_of(self, unit) : NULL;
	if (s != NULL && ok && s->failing) {
		m.event = SS_NOTIFY_RECOVERY;
		m.reason = "recovered";
		event_locked(self, &m);
	} else if (s != NULL && !ok && !s->failing) {
		m.event = SS_NOTIFY_FAILURE;
		m.reason = stage;
		m.objects = failed;
		m.nobjects = failed != NULL;
		event_locked(self, &m);
	}
	if (s != NULL) {
		s->failing = !ok;
		if (ok)
			s->refused[0] = '\0';
	}
	pthread_mutex_unlock(&mu);
}

void ss_notify_prune_refused(const char *unit, const char *revision, const char *reason,
			     const struct ss_notify_object *objs, size_t n)
{
	struct ss_notify_msg m;
	struct streak *s;

	memset(&m, 0, sizeof(m));
	m.event = SS_NOTIFY_PRUNE_REFUSED;
	m.unit = unit;
	m.revision = revision;
	m.reason = notify_reason(reason);
	m.objects = objs;
	m.nobjects = n;
	pthread_mutex_lock(&mu);
	s = self != NULL && unit != NULL ? streak_of(self, unit) : NULL;
	if (s != NULL && strcmp(s->refused, m.reason) != 0) {
		snprintf(s->refused, sizeof(s->refused), "%s", m.reason);
		event_locked(self, &m);
	}
	pthread_mutex_unlock(&mu);
}

static int metric_family(struct ss_buf *b, const char *name, const char *type, const char *help)
{
	return ss_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Target names are [a-z0-9-] (config.c): no label escaping needed. */
static int metrics_locked(const struct notifier *nf, struct ss_buf *b)
{
	static const char *const names[] = {
		"sealsync_notifications_sent_total", "sealsync_notifications_failed_total",
		"sealsync_notifications_dropped_total", "sealsync_notifications_queued"};
	static const char *const help[] = {
		"Notifications delivered.", "Notification attempts that failed (retries too).",
		"Notifications dropped: queue overflow, or rejected by the receiver.",
		"Notifications waiting, in flight included."};
	int rc = 0;
	size_t f, i;

	for (f = 0; rc == 0 && f < 4; f++) {
		rc = metric_family(b, names[f], f == 3 ? "gauge" : "counter", help[f]);
		for (i = 0; rc == 0 && i < nf->n; i++) {
			struct notify_target *t = (struct notify_target *)&nf->targets[i];
			struct notify_counts c;
			size_t q;

			pthread_mutex_lock(&t->mu);
			c = t->counts;
			q = t->n + (t->inflight.body != NULL && !t->drop_inflight);
			pthread_mutex_unlock(&t->mu);
			if (f == 2)
				rc = ss_buf_printf(b, "%s{target=\"%s\",reason=\"overflow\"} %lu\n"
						   "%s{target=\"%s\",reason=\"rejected\"} %lu\n",
						   names[f], t->tc->name, c.dropped_overflow, names[f],
						   t->tc->name, c.dropped_rejected);
			else
				rc = ss_buf_printf(b, "%s{target=\"%s\"} %lu\n", names[f], t->tc->name,
						   f == 0 ? c.sent : f == 1 ? c.failed : (unsigned long)q);
		}
	}
	return rc;
}

int ss_notify_metrics(struct ss_buf *out)
{
	int rc = 0;

	pthread_mutex_lock(&mu);
	if (self != NULL)
		rc = metrics_locked(self, out);
	pthread_mutex_unlock(&mu);
	return rc;
}
