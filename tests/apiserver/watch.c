/*
 * watch.c: the change log and watches.
 *
 * Every committed write and delete appends an event (its resourceVersion,
 * type, store key and object) to a ring of the last STORE_EVENTS changes
 * and signals the store's condition variable. A watch replays the events
 * after its resourceVersion that match its resource, namespace and
 * selectors, so a create and a delete in quick succession are both seen.
 * Selectors are evaluated on the event's object only: an object that
 * leaves a selector by a label change is not reported as DELETED (the real
 * server does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

static const char *const ev_names[] = {"ADDED", "MODIFIED", "DELETED"};

void store_event_push(struct apisrv_store *s, enum store_ev_type type, const char *key,
		      json_t *obj, unsigned long long rv)
{
	struct store_event *e = &s->ev[s->ev_next];
	char *k = strdup(key);

	if (!k)
		return; /* the watch misses it; never the write */
	free(e->key);
	json_decref(e->obj);
	e->rv = rv;
	e->type = type;
	e->key = k;
	e->obj = json_incref(obj);
	s->ev_next = (s->ev_next + 1) % STORE_EVENTS;
	if (s->ev_count < STORE_EVENTS)
		s->ev_count++;
	pthread_cond_broadcast(&s->cond);
}

void store_events_clear(struct apisrv_store *s)
{
	for (size_t i = 0; i < STORE_EVENTS; i++) {
		free(s->ev[i].key);
		json_decref(s->ev[i].obj);
		memset(&s->ev[i], 0, sizeof(s->ev[i]));
	}
	s->ev_next = 0;
	s->ev_count = 0;
	pthread_cond_broadcast(&s->cond);
}

void apisrv_store_wake(struct apisrv_store *s)
{
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static const struct store_event *ev_at(const struct apisrv_store *s, size_t i)
{
	return &s->ev[(s->ev_next + STORE_EVENTS - s->ev_count + i) % STORE_EVENTS];
}

struct wfilter {
	char prefix[STORE_KEY_MAX];
	struct apisrv_selector *ls;
	struct field_sel fs;
};

static int wfilter_match(const struct wfilter *f, const char *key, const json_t *obj)
{
	return strncmp(key, f->prefix, strlen(f->prefix)) == 0 && field_sel_match(&f->fs, obj) &&
	       apisrv_selector_match(f->ls, json_object_get(json_object_get(obj, "metadata"),
							    "labels"));
}

static int push(json_t *events, const char *type, json_t *obj)
{
	return json_array_append_new(events, json_pack("{s:s, s:O}", "type", type, "object", obj));
}

/* First call without a resourceVersion: the current state as ADDED. */
static void initial_state(struct apisrv_store *s, const struct wfilter *f, json_t *events)
{
	const char *key;
	json_t *obj;

	json_object_foreach(s->objs, key, obj) {
		if (wfilter_match(f, key, obj))
			push(events, "ADDED", obj);
	}
}

static void collect(struct apisrv_store *s, const struct wfilter *f, unsigned long long *last,
		    json_t *events)
{
	for (size_t i = 0; i < s->ev_count; i++) {
		const struct store_event *e = ev_at(s, i);
		if (e->rv <= *last)
			continue;
		if (wfilter_match(f, e->key, e->obj))
			push(events, ev_names[e->type], e->obj);
	}
	*last = s->rv;
}

static int too_old(const struct apisrv_store *s, unsigned long long rv)
{
	return rv < s->compacted || (s->ev_count == STORE_EVENTS && rv + 1 < ev_at(s, 0)->rv);
}

void apisrv_store_compact(struct apisrv_store *s)
{
	pthread_mutex_lock(&s->mu);
	/* A revision of its own, as etcd's compaction: every watch open now
	 * is behind it (an in-stream 410), a list made after it is not. */
	s->rv++;
	s->compacted = s->rv;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

/* An ERROR event carrying a 410 Status, as the real server sends inside a
 * 200 stream when a watch's resourceVersion was compacted away. */
static json_t *expired_event(unsigned long long rv)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "too old resource version: %llu", rv);
	return json_pack("[{s:s, s:{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}}]", "type", "ERROR", "object",
			 "kind", "Status", "apiVersion", "v1", "metadata", "status", "Failure",
			 "message", msg, "reason", "Expired", "code", 410);
}

static int wfilter_init(struct apisrv_store *s, const struct apisrv_req *rq,
			struct wfilter *f, struct apisrv_reply *rep)
{
	const struct apisrv_res *res = NULL;
	struct ss_err err;

	ss_err_clear(&err);
	memset(f, 0, sizeof(*f));
	if (route_check(s, rq, &res, rep) != 0)
		return -1;
	if (*rq->name) {
		apisrv_reply_status(rep, 405, "MethodNotAllowed", res, rq->name,
				    "watch of a single object: use fieldSelector=metadata.name=NAME");
		return -1;
	}
	if (apisrv_selector_parse(rq->label_selector, &f->ls, &err) != 0 ||
	    field_sel_parse(rq->field_selector, &f->fs, &err) != 0) {
		apisrv_reply_status(rep, 400, "BadRequest", NULL, NULL, "%s", err.msg);
		return -1;
	}
	if (res->namespaced && *rq->ns)
		snprintf(f->prefix, sizeof(f->prefix), "%s|%s|%s|", res->group, res->plural, rq->ns);
	else
		snprintf(f->prefix, sizeof(f->prefix), "%s|%s|", res->group, res->plural);
	snprintf(rep->kind, sizeof(rep->kind), "%s", res->kind);
	return 0;
}

static void wait_change(struct apisrv_store *s, unsigned long long last, int wait_ms)
{
	struct timespec ts;

	if (s->rv > last || wait_ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	/* One wake-up is enough: the caller loops and checks its deadline. */
	(void)pthread_cond_timedwait(&s->cond, &s->mu, &ts);
}

json_t *apisrv_store_watch(struct apisrv_store *s, const struct apisrv_req *rq, int first,
			   unsigned long long *last_rv, int wait_ms, struct apisrv_reply *rep)
{
	struct wfilter f;
	json_t *events = NULL;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->verb, sizeof(rep->verb), "watch");
	pthread_mutex_lock(&s->mu);
	store_tick(s);
	if (wfilter_init(s, rq, &f, rep) != 0)
		goto out;
	if (first && *last_rv && too_old(s, *last_rv)) {
		apisrv_reply_status(rep, 410, "Expired", NULL, NULL,
				    "too old resource version: %llu", *last_rv);
		goto out;
	}
	events = json_array();
	if (!events)
		goto out;
	if (first && *last_rv == 0) {
		initial_state(s, &f, events);
		*last_rv = s->rv;
		goto out;
	}
	wait_change(s, *last_rv, wait_ms);
	if (too_old(s, *last_rv)) { /* compacted under an open watch */
		json_decref(events);
		events = expired_event(*last_rv);
		goto out;
	}
	store_tick(s);
	collect(s, &f, last_rv, events);
out:
	pthread_mutex_unlock(&s->mu);
	apisrv_selector_free(f.ls);
	if (!events && !rep->body)
		apisrv_reply_status(rep, 500, "InternalError", NULL, NULL, "out of memory");
	return events;
}
