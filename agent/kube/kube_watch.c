/*
 * kube_watch.c: one watch per owned kind, driven from the caller's loop
 * (see sealsync/kube_watch.h).
 *
 * Each kind is a small state machine: LIST (blocking, through k) → stream
 * from the list's resourceVersion (a curl easy handle in the set's own
 * multi handle, so nothing here waits) → at the end of the stream resume
 * from the last resourceVersion, or re-list when the server said 410.
 * Stream bytes are cut into lines; each line is one event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sealsync/kube_watch.h"

#include "kube_int.h"

#define WATCH_MAX 64             /* kinds */
#define WATCH_TIMEOUT_S 300      /* the server ends a stream after this; we resume */
#define WATCH_BACKOFF_MAX_MS 30000u

struct wkind {
	char *api_version, *kind;
	char rv[64];                 /* "" → the next start lists first */
	struct kube_req req;         /* the stream; req.resp holds a partial line */
	int streaming, expired, healthy;
	unsigned fails;
	uint64_t not_before;         /* monotonic ms */
	struct ss_kube_watch *w;
};

struct ss_kube_watch {
	struct ss_kube *k;
	char *selector;
	ss_watch_fn fn;
	void *ctx;
	CURLM *multi;
	struct wkind kinds[WATCH_MAX];
	size_t n;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *ss_kube_field_manager(const struct ss_kube *k)
{
	return k->field_manager;
}

void ss_kube_set_apply_observer(struct ss_kube *k, ss_apply_observer fn, void *ctx)
{
	k->observer = fn;
	k->observer_ctx = ctx;
}

void kube_observe_apply(struct ss_kube *k, const struct kube_req *r)
{
	json_t *j;

	if (k->observer == NULL)
		return;
	j = json_loadb((const char *)r->resp.data, r->resp.len, 0, NULL);
	if (json_is_object(j))
		k->observer(k->observer_ctx, j);
	json_decref(j);
}

int ss_kube_watch_new(struct ss_kube *k, const char *selector, ss_watch_fn fn, void *ctx,
		      struct ss_kube_watch **out, struct ss_err *err)
{
	struct ss_kube_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL || (w->selector = strdup(selector)) == NULL ||
	    (w->multi = curl_multi_init()) == NULL) {
		ss_kube_watch_free(w);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	w->k = k;
	w->fn = fn;
	w->ctx = ctx;
	*out = w;
	return 0;
}

static void stream_stop(struct ss_kube_watch *w, struct wkind *wk)
{
	if (wk->req.easy != NULL)
		curl_multi_remove_handle(w->multi, wk->req.easy);
	kube_req_release(w->k, &wk->req);
	wk->streaming = 0;
}

void ss_kube_watch_free(struct ss_kube_watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		stream_stop(w, &w->kinds[i]);
		free(w->kinds[i].api_version);
		free(w->kinds[i].kind);
	}
	if (w->multi != NULL)
		curl_multi_cleanup(w->multi);
	free(w->selector);
	free(w);
}

int ss_kube_watch_add(struct ss_kube_watch *w, const char *api_version, const char *kind,
		      struct ss_err *err)
{
	const char *resource;
	struct wkind *wk;
	size_t i;
	int rc, namespaced;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->kinds[i].api_version, api_version) == 0 &&
		    strcmp(w->kinds[i].kind, kind) == 0)
			return 0;
	rc = ss_kube_resource(w->k, api_version, kind, &resource, &namespaced, err);
	if (rc != 0)
		return rc;
	if (w->n >= WATCH_MAX)
		return ss_err_set(err, SS_E_LIMIT, "more than %d kinds to watch", WATCH_MAX);
	wk = &w->kinds[w->n];
	memset(wk, 0, sizeof(*wk));
	wk->w = w;
	wk->api_version = strdup(api_version);
	wk->kind = strdup(kind);
	if (wk->api_version == NULL || wk->kind == NULL) {
		free(wk->api_version);
		free(wk->kind);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	w->n++;
	return 0;
}

static void note_rv(struct wkind *wk, const json_t *obj)
{
	const char *rv = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

	if (rv != NULL && *rv != '\0' && strlen(rv) < sizeof(wk->rv))
		snprintf(wk->rv, sizeof(wk->rv), "%s", rv);
}

/* One event line of the stream. */
static void on_event(struct wkind *wk, const char *line, size_t len)
{
	json_t *e = json_loadb(line, len, 0, NULL), *obj = json_object_get(e, "object");
	const char *type = json_string_value(json_object_get(e, "type"));
	struct ss_kube_watch *w = wk->w;

	if (type == NULL || !json_is_object(obj)) {
		json_decref(e);
		return;
	}
	if (strcmp(type, "ERROR") == 0) {
		/* 410: the resourceVersion is gone, a re-list is due; other
		 * errors: resume from where we are. Either way the stream ends. */
		if (json_integer_value(json_object_get(obj, "code")) == 410)
			wk->expired = 1;
		json_decref(e);
		return;
	}
	note_rv(wk, obj);
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0)
		w->fn(w->ctx, SS_WATCH_UPSERT, wk->api_version, wk->kind, obj);
	else if (strcmp(type, "DELETED") == 0)
		w->fn(w->ctx, SS_WATCH_DELETE, wk->api_version, wk->kind, obj);
	json_decref(e); /* BOOKMARK: only its resourceVersion counts */
}

/* Stream bytes: complete lines are events, the rest waits in resp. */
static size_t on_stream(char *p, size_t size, size_t n, void *ud)
{
	struct wkind *wk = ud;
	struct ss_buf *b = &wk->req.resp;
	size_t start = 0, i;
	long status = 0;

	(void)size;
	if (ss_buf_append(b, p, n) != 0)
		return 0; /* one event over the cap: the stream fails, we resume */
	curl_easy_getinfo(wk->req.easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return n; /* a Status body: read at the end */
	for (i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		if (i > start)
			on_event(wk, (const char *)b->data + start, i - start);
		start = i + 1;
	}
	if (start > 0) {
		memmove(b->data, b->data + start, b->len - start);
		sodium_memzero(b->data + b->len - start, start);
		b->len -= start;
	}
	return n;
}

static int watch_url(struct ss_kube_watch *w, struct wkind *wk, char **url, struct ss_err *err)
{
	struct kube_ref ref;
	struct ss_buf q;
	int rc;

	rc = kube_ref_from(w->k, wk->api_version, wk->kind, NULL, NULL, &ref, err);
	if (rc != 0)
		return rc;
	ss_buf_init(&q, 8192);
	rc = ss_buf_printf(&q, "?watch=true&allowWatchBookmarks=true&timeoutSeconds=%d"
			   "&resourceVersion=%s&labelSelector=", WATCH_TIMEOUT_S, wk->rv);
	if (rc == 0)
		rc = kube_url_escape(&q, w->selector);
	if (rc != 0)
		rc = ss_err_set(err, rc, "watch %s: label selector too long", ref.what);
	else
		rc = kube_ref_url(w->k, &ref, 0, ss_buf_str(&q), url, err);
	ss_buf_release(&q);
	return rc;
}

static int stream_setopts(struct ss_kube_watch *w, struct wkind *wk)
{
	CURL *e = wk->req.easy;
	CURLcode cc = CURLE_OK;

	cc |= curl_easy_setopt(e, CURLOPT_URL, wk->req.url);
	cc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	cc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	cc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* The server ends the stream after timeoutSeconds; this is a backstop. */
	cc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(WATCH_TIMEOUT_S + 30) * 1000L);
	cc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	cc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream);
	cc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, wk);
	cc |= curl_easy_setopt(e, CURLOPT_PRIVATE, wk);
	cc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "sealsync/0.1");
	cc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, wk->req.hdrs);
	if (w->k->conn.token != NULL) {
		cc |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		cc |= curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, w->k->conn.token);
	}
	if (cc != CURLE_OK)
		return SS_E_INTERNAL;
	return kube_easy_tls(w->k, e);
}

static int stream_start(struct ss_kube_watch *w, struct wkind *wk, struct ss_err *err)
{
	char *url = NULL;
	int rc = watch_url(w, wk, &url, err);

	if (rc != 0)
		return rc;
	kube_req_init(w->k, &wk->req, "GET", url, kube_is_secret(wk->kind));
	wk->req.easy = curl_easy_init();
	wk->req.hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (wk->req.easy == NULL || wk->req.hdrs == NULL)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	else if (stream_setopts(w, wk) != 0 ||
		 curl_multi_add_handle(w->multi, wk->req.easy) != CURLM_OK)
		rc = ss_err_set(err, SS_E_INTERNAL, "watch %s %s: cannot start", wk->api_version,
				wk->kind);
	if (rc != 0) {
		kube_req_release(w->k, &wk->req);
		return rc;
	}
	wk->streaming = 1;
	return 0;
}

/* LIST with the selector: every item as UPSERT, then the List as LISTED. */
static int relist(struct ss_kube_watch *w, struct wkind *wk, struct ss_err *err)
{
	json_t *list = NULL, *it;
	size_t i;
	int rc;

	rc = ss_kube_list(w->k, wk->api_version, wk->kind, NULL, w->selector, &list, err);
	if (rc != 0)
		return rc;
	json_array_foreach(json_object_get(list, "items"), i, it) {
		/* A real server's list items carry no apiVersion and kind. */
		if (json_object_set_new(it, "apiVersion", json_string(wk->api_version)) != 0 ||
		    json_object_set_new(it, "kind", json_string(wk->kind)) != 0) {
			json_decref(list);
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		}
		w->fn(w->ctx, SS_WATCH_UPSERT, wk->api_version, wk->kind, it);
	}
	w->fn(w->ctx, SS_WATCH_LISTED, wk->api_version, wk->kind, list);
	wk->rv[0] = '\0';
	note_rv(wk, list);
	json_decref(list);
	return wk->rv[0] != '\0' ? 0
				 : ss_err_set(err, SS_E_INVAL, "list %s %s: no resourceVersion",
					      wk->api_version, wk->kind);
}

static void backoff(struct wkind *wk)
{
	uint64_t ms = 1000u << (wk->fails < 5 ? wk->fails : 5);

	wk->fails++;
	wk->healthy = 0;
	wk->not_before = mono_ms() + (ms < WATCH_BACKOFF_MAX_MS ? ms : WATCH_BACKOFF_MAX_MS);
}

/* A kind that is not streaming and is due: (re-)list if needed, stream. */
static int kind_start(struct ss_kube_watch *w, struct wkind *wk, struct ss_err *err)
{
	int rc = 0;

	if (wk->streaming || mono_ms() < wk->not_before)
		return 0;
	if (wk->rv[0] == '\0')
		rc = relist(w, wk, err);
	if (rc == 0)
		rc = stream_start(w, wk, err);
	if (rc != 0) {
		backoff(wk);
		return rc;
	}
	wk->healthy = 1;
	return 0;
}

/* A stream ended: 410 (reply or ERROR event) → re-list now; a clean end
 * (timeoutSeconds) → resume at once; anything else → back off, resume. */
static void kind_ended(struct ss_kube_watch *w, struct wkind *wk, CURLcode cc)
{
	long status = 0;

	curl_easy_getinfo(wk->req.easy, CURLINFO_RESPONSE_CODE, &status);
	stream_stop(w, wk);
	if (status == 410 || wk->expired) {
		wk->expired = 0;
		wk->rv[0] = '\0';
		wk->healthy = 0;
		wk->not_before = 0;
	} else if (cc == CURLE_OK && status == 200) {
		wk->fails = 0;
		wk->not_before = 0;
	} else {
		backoff(wk);
	}
}

int ss_kube_watch_poll(struct ss_kube_watch *w, struct ss_err *err)
{
	struct wkind *wk;
	CURLMsg *m;
	size_t i;
	int running, left, rc, first = 0;

	curl_multi_perform(w->multi, &running);
	while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE ||
		    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&wk) != CURLE_OK)
			continue;
		kind_ended(w, wk, m->data.result);
	}
	for (i = 0; i < w->n; i++) {
		rc = kind_start(w, &w->kinds[i], err);
		if (rc != 0 && first == 0)
			first = rc;
	}
	if (first == 0)
		curl_multi_perform(w->multi, &running);
	return first;
}

int ss_kube_watch_healthy(const struct ss_kube_watch *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!w->kinds[i].healthy)
			return 0;
	return 1;
}
