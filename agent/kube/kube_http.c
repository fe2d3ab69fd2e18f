/*
 * kube_http.c: the libcurl transport of the Kubernetes client.
 *
 * Follows curl's libcurl-security.md: https only (also for redirects, which
 * are not followed anyway), peer and host verified unless the kubeconfig
 * said otherwise AND the caller allowed it, a per-attempt timeout, and a
 * response cap enforced in the write callback (MAXFILESIZE alone does not
 * hold when the server sends no Content-Length).
 *
 * Every request, single or batch, goes through kube_http_run: a curl multi
 * loop that keeps up to opts.concurrency transfers in flight over the
 * long-lived multi handle (its connection cache gives reuse across calls;
 * HTTP/2 multiplexing when the server offers it) and retries each request
 * on its own: 429/5xx and connection errors, exponential backoff with
 * jitter, Retry-After honoured within a bound. Request bodies are passed by
 * pointer (CURLOPT_POSTFIELDS, never COPYPOSTFIELDS), so the only copies we
 * make are in buffers the caller wipes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "kube_int.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint32_t kube_rand(struct ss_kube *k)
{
	uint32_t x = k->rnd ? k->rnd : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	k->rnd = x;
	return x;
}

int kube_retryable(CURLcode cc, long s)
{
	switch (cc) {
	case CURLE_OK:
		return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		/* TLS failures (verification above all) are never retried. */
		return 0;
	}
}

uint64_t kube_backoff_ms(unsigned attempt, uint64_t retry_after_ms, uint32_t rnd)
{
	uint64_t exp = KUBE_BACKOFF_BASE_MS, d;
	unsigned i;

	for (i = 1; i < attempt && exp < KUBE_BACKOFF_CAP_MS; i++)
		exp *= 2;
	if (exp > KUBE_BACKOFF_CAP_MS)
		exp = KUBE_BACKOFF_CAP_MS;
	/* "Equal jitter": at least half the step, so retries of a whole batch
	 * spread out without collapsing to zero. */
	d = exp / 2 + rnd % (exp / 2 + 1);
	if (retry_after_ms > KUBE_RETRY_AFTER_CAP_MS)
		retry_after_ms = KUBE_RETRY_AFTER_CAP_MS;
	return d > retry_after_ms ? d : retry_after_ms;
}

uint64_t kube_parse_retry_after(const char *v, size_t len)
{
	uint64_t s = 0;
	size_t i = 0, digits = 0;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		if (++digits <= 6)
			s = s * 10 + (uint64_t)(v[i] - '0');
	while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
		i++;
	/* An HTTP-date (or garbage) gives 0: plain backoff applies. */
	if (digits == 0 || i != len)
		return 0;
	s *= 1000;
	return s > KUBE_RETRY_AFTER_CAP_MS ? KUBE_RETRY_AFTER_CAP_MS : s;
}

void kube_req_init(struct ss_kube *k, struct kube_req *r, const char *method, char *url,
		   int secret)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = url;
	r->secret = secret;
	if (secret)
		kube_secbuf_take(k, &r->resp);
	else
		ss_buf_init(&r->resp, k->opts.max_response);
}

void kube_req_release(struct ss_kube *k, struct kube_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->url);
	kube_secbuf_give(k, &r->resp);
	memset(r, 0, sizeof(*r));
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct kube_req *r = ud;

	int rc;

	(void)size; /* always 1 */
	rc = ss_buf_append(&r->resp, p, n);
	if (rc != 0) {
		if (rc == SS_E_LIMIT)
			r->too_large = 1;
		else
			r->oom = 1;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct kube_req *r = ud;
	static const char ra[] = "Retry-After:";

	(void)size;
	if (n > sizeof(ra) - 1 && strncasecmp(p, ra, sizeof(ra) - 1) == 0)
		r->retry_after_ms = kube_parse_retry_after(p + sizeof(ra) - 1,
							   n - (sizeof(ra) - 1));
	return n;
}

static int req_headers(const struct ss_kube *k, struct kube_req *r)
{
	r->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (r->hdrs == NULL)
		return SS_E_NOMEM;
	/* Tenancy: only the user; the server derives the ServiceAccount's
	 * groups, and Impersonate-Group would need a wider grant. The name is
	 * checked when set (ss_kube_impersonate): no CR or LF reaches here. */
	if (k->impersonate != NULL) {
		char h[400];

		snprintf(h, sizeof(h), "Impersonate-User: %s", k->impersonate);
		if (curl_slist_append(r->hdrs, h) == NULL)
			return SS_E_NOMEM;
	}
	/* No "Expect: 100-continue" round trip before a body. Appending to a
	 * list returns its head, or NULL (the list is then unchanged). */
	if (curl_slist_append(r->hdrs, "Expect:") == NULL)
		return SS_E_NOMEM;
	if (r->content_type != NULL) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s", r->content_type);
		if (curl_slist_append(r->hdrs, ct) == NULL)
			return SS_E_NOMEM;
	}
	return 0;
}

int kube_easy_tls(struct ss_kube *k, CURL *e)
{
	const struct kube_conn *c = &k->conn;
	struct curl_blob b;
	CURLcode cc = CURLE_OK;

	cc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	cc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	/* NOCOPY: the blobs live in k->conn, which outlives every handle. */
	if (c->ca != NULL) {
		b = (struct curl_blob){c->ca, c->ca_len, CURL_BLOB_NOCOPY};
		cc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->cert != NULL) {
		b = (struct curl_blob){c->cert, c->cert_len, CURL_BLOB_NOCOPY};
		cc |= curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
		cc |= curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		b = (struct curl_blob){c->key, c->key_len, CURL_BLOB_NOCOPY};
		cc |= curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
		cc |= curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	return cc == CURLE_OK ? 0 : SS_E_INTERNAL;
}

static int easy_setup(struct ss_kube *k, struct kube_req *r)
{
	CURL *e = curl_easy_init();
	CURLcode cc = CURLE_OK;
	long timeout = (long)k->opts.timeout_ms;

	if (e == NULL || req_headers(k, r) != 0) {
		if (e != NULL)
			curl_easy_cleanup(e);
		return SS_E_NOMEM;
	}
	r->easy = e;
	cc |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	cc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	cc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	cc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	cc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	cc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
	cc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	cc |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	cc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->resp.max);
	cc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	cc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	cc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	cc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	cc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
	cc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	cc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "sealsync/0.1");
	cc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	if (strcmp(r->method, "GET") != 0)
		cc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body != NULL) {
		cc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		cc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	if (cc != CURLE_OK)
		return SS_E_INTERNAL;
	return kube_easy_tls(k, e);
}

static int req_start(struct ss_kube *k, struct kube_req *r)
{
	if (r->easy == NULL) {
		int rc = easy_setup(k, r);

		/* A Secret's response lands in guarded memory: start with room
		 * for a typical object instead of growing page by page. */
		if (rc == 0 && r->secret)
			rc = ss_buf_reserve(&r->resp, KUBE_SECRET_RESP_HINT < r->resp.max
							      ? KUBE_SECRET_RESP_HINT
							      : r->resp.max);
		if (rc != 0)
			return rc;
	}
	if (k->conn.token != NULL &&
	    (curl_easy_setopt(r->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) != CURLE_OK ||
	     curl_easy_setopt(r->easy, CURLOPT_XOAUTH2_BEARER, k->conn.token) != CURLE_OK))
		return SS_E_INTERNAL;
	ss_buf_reset(&r->resp);
	r->status = 0;
	r->too_large = 0;
	r->oom = 0;
	r->retry_after_ms = 0;
	r->curl_err[0] = '\0';
	r->attempts++;
	if (curl_multi_add_handle(k->multi, r->easy) != CURLM_OK)
		return SS_E_INTERNAL;
	r->active = 1;
	return 0;
}

static void req_finish(struct ss_kube *k, struct kube_req *r, CURLcode cc)
{
	long status = 0;

	curl_multi_remove_handle(k->multi, r->easy);
	r->active = 0;
	r->cc = cc;
	/* MAXFILESIZE stops a response whose Content-Length is too large
	 * before it is read; the write callback stops the others. */
	if (cc == CURLE_FILESIZE_EXCEEDED)
		r->too_large = 1;
	if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
		r->status = status;
	if (!r->too_large && !r->oom && kube_retryable(cc, r->status) &&
	    r->attempts <= k->opts.max_retries) {
		r->not_before = now_ms() + kube_backoff_ms(r->attempts, r->retry_after_ms,
							   kube_rand(k));
		return;
	}
	r->done = 1;
	/* The connection stays in the multi handle's cache; the easy handle
	 * (and its buffers) is not needed any more. */
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
}

/* The state of one kube_http_run: requests [fresh, n) were never
 * started; the others are in flight, waiting for a retry, or done. */
struct run {
	struct ss_kube *k;
	struct kube_req *reqs;
	size_t n, fresh, active, waiting, left;
	const struct kube_hooks *hooks;
};

static void run_done(struct run *ru, struct kube_req *r)
{
	ru->left--;
	if (ru->hooks != NULL && ru->hooks->done != NULL)
		ru->hooks->done(ru->hooks->ctx, (size_t)(r - ru->reqs), r);
	r->done = 1; /* the hook may have released (zeroed) r */
}

/* How long the loop may sleep: until the next retry is due, at most 1 s. */
static long run_wait_ms(const struct run *ru, uint64_t now)
{
	uint64_t wait = 1000;
	size_t i;

	if (ru->active >= ru->k->opts.concurrency)
		return (long)wait; /* a transfer ending wakes the poll */
	if (ru->fresh < ru->n)
		return 0;
	for (i = 0; ru->waiting > 0 && i < ru->fresh; i++) {
		const struct kube_req *r = &ru->reqs[i];

		if (r->done || r->active)
			continue;
		if (r->not_before <= now)
			return 0;
		if (r->not_before - now < wait)
			wait = r->not_before - now;
	}
	return (long)wait;
}

/* Starts due retries first (they waited longest), then fresh requests,
 * preparing each just before its first attempt. */
static int run_start(struct run *ru)
{
	unsigned conc = ru->k->opts.concurrency;
	uint64_t now = now_ms();
	struct kube_req *r;
	size_t i;
	int rc;

	for (i = 0; ru->waiting > 0 && i < ru->fresh && ru->active < conc; i++) {
		r = &ru->reqs[i];
		if (r->done || r->active || r->not_before > now)
			continue;
		ru->waiting--;
		rc = req_start(ru->k, r);
		if (rc != 0)
			return rc;
		ru->active++;
	}
	while (ru->fresh < ru->n && ru->active < conc) {
		i = ru->fresh++;
		r = &ru->reqs[i];
		if (r->done)
			continue; /* marked done by the caller: skipped */
		if (ru->hooks != NULL && ru->hooks->prepare != NULL &&
		    ru->hooks->prepare(ru->hooks->ctx, i, r) != 0) {
			r->done = 1; /* prepare recorded why */
			ru->left--;
			continue;
		}
		rc = req_start(ru->k, r);
		if (rc != 0)
			return rc;
		ru->active++;
	}
	return 0;
}

/* Collects the transfers that ended: done, or waiting for a retry. */
static void run_collect(struct run *ru)
{
	struct kube_req *r;
	CURLMsg *msg;
	int q;

	while ((msg = curl_multi_info_read(ru->k->multi, &q)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		req_finish(ru->k, r, msg->data.result);
		ru->active--;
		if (r->done)
			run_done(ru, r);
		else
			ru->waiting++;
	}
}

static void run_abort(struct run *ru)
{
	size_t i;

	for (i = 0; i < ru->n; i++) {
		if (ru->reqs[i].active)
			curl_multi_remove_handle(ru->k->multi, ru->reqs[i].easy);
		ru->reqs[i].active = 0;
	}
}

int kube_http_run_hooked(struct ss_kube *k, struct kube_req *reqs, size_t n,
			 const struct kube_hooks *hooks, struct ss_err *err)
{
	struct run ru = {k, reqs, n, 0, 0, 0, 0, hooks};
	int running, rc;
	size_t i;

	rc = kube_conn_refresh_token(&k->conn, err);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		reqs[i].not_before = 0;
		if (!reqs[i].done)
			ru.left++;
	}
	while (ru.left > 0) {
		rc = run_start(&ru);
		if (rc != 0)
			goto fail;
		if (curl_multi_perform(k->multi, &running) != CURLM_OK) {
			rc = SS_E_INTERNAL;
			goto fail;
		}
		run_collect(&ru);
		if (ru.left > 0 &&
		    curl_multi_poll(k->multi, NULL, 0, (int)run_wait_ms(&ru, now_ms()), NULL) !=
			    CURLM_OK) {
			rc = SS_E_INTERNAL;
			goto fail;
		}
	}
	return 0;
fail:
	run_abort(&ru);
	return ss_err_set(err, rc, "HTTP client failure: %s", ss_strerror(rc));
}

int kube_http_run(struct ss_kube *k, struct kube_req *reqs, size_t n, struct ss_err *err)
{
	return kube_http_run_hooked(k, reqs, n, NULL, err);
}

int kube_req_outcome(const struct ss_kube *k, const struct kube_req *r, const char *what,
		     char *msg, size_t cap)
{
	char head[600];
	int code;

	snprintf(head, sizeof(head), "%s", what);
	if (r->attempts > 1)
		snprintf(head, sizeof(head), "%s (after %u attempts)", what, r->attempts);
	if (r->oom) {
		snprintf(msg, cap, "%s: out of memory for the response", head);
		return SS_E_NOMEM;
	}
	if (r->too_large) {
		snprintf(msg, cap, "%s: the response is larger than the limit of %zu bytes", head,
			 r->resp.max);
		return SS_E_LIMIT;
	}
	if (r->cc != CURLE_OK) {
		snprintf(msg, cap, "%s: %s%s%s", head, curl_easy_strerror(r->cc),
			 r->curl_err[0] ? ": " : "", r->curl_err);
		if (r->cc == CURLE_OPERATION_TIMEDOUT)
			return SS_E_TIMEOUT;
		/* Our own client certificate or key is unusable: configuration. */
		return r->cc == CURLE_SSL_CERTPROBLEM ? SS_E_INVAL : SS_E_NET;
	}
	code = kube_status_code(r->status);
	if (code == 0) {
		msg[0] = '\0';
		return 0;
	}
	kube_status_message(head, r->status, r->resp.data, r->resp.len, &k->redact, r->secret, msg,
			    cap);
	return code;
}
