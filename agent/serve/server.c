/* server.c: libmicrohttpd glue, routing and limits (see server.h). */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "server_int.h"
#include "sealsync/file.h"
#include "sealsync/keys.h"
#include "sealsync/keystore.h"
#include "sealsync/log.h"
#include "sealsync/metrics.h"

#define TLS_FILE_MAX (256u * 1024)
#define HOOK_SECRET_MAX 4096
#define REPLY_MAX (64u * 1024 * 1024)
#define BUSY_RETRY_SEC 5u      /* a reservation lasts request_timeout at most */
#define MAIN_CONN_LIMIT 64u
#define PROBE_CONN_LIMIT 16u   /* kubelet probes one at a time per probe */
#define IDLE_TIMEOUT_SEC 30u   /* MHD's own, restarted by activity */

enum route_kind { R_HEALTHZ, R_READYZ, R_METRICS, R_RECIPIENTS, R_RESEAL, R_VERIFY, R_HOOK,
		  R_STATUS };

struct route {
	const char *path;
	const char *method;
	enum route_kind kind;
};

static const struct route routes[] = {
	{"/healthz", "GET", R_HEALTHZ},       {"/readyz", "GET", R_READYZ},
	{"/metrics", "GET", R_METRICS},       {"/v1/recipients", "GET", R_RECIPIENTS},
	{"/v1/reseal", "POST", R_RESEAL},     {"/v1/verify", "POST", R_VERIFY},
	{"/hook", "POST", R_HOOK},           {"/v1/status", "GET", R_STATUS},
};

static const struct route *route_find(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, url) == 0)
			return &routes[i];
	return NULL;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return ss_buf_append(data, buffer, size) == 0 ? 0 : -1;
}

/* json_dumps would allocate with jansson's (zeroing) allocator, which a
 * plain free() must not release: dump straight into the reply buffer. */
int srv_json(struct srv_reply *r, unsigned status, json_t *o)
{
	int rc;

	if (o == NULL)
		return SS_E_NOMEM;
	r->status = status;
	r->ctype = "application/json";
	ss_buf_reset(&r->body);
	rc = json_dump_callback(o, dump_cb, &r->body, JSON_COMPACT) == 0 ? 0 : SS_E_LIMIT;
	json_decref(o);
	if (rc == 0)
		rc = ss_buf_putc(&r->body, '\n');
	return rc;
}

int srv_json_error(struct srv_reply *r, unsigned status, const char *msg)
{
	return srv_json(r, status, json_pack("{s:s}", "error", msg));
}

const char *srv_header(const struct srv_req *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

int srv_keyring(struct ss_server *s, struct ss_err *err)
{
	unsigned long gen = ss_keystore_generation(s->o.keys);
	struct ss_keyring *kr = NULL;
	int rc;

	if (s->o.holder != NULL || (s->kr != NULL && gen == s->kr_gen))
		return 0; /* privsep: the key holder has the keys */
	rc = ss_keystore_keyring(s->o.keys, &kr, err);
	if (rc != 0)
		return rc;
	ss_keyring_free(s->kr);
	s->kr = kr;
	s->kr_gen = gen;
	return 0;
}

static int handle_get(struct ss_server *s, const struct route *rt, struct srv_req *q,
		      struct srv_reply *r)
{
	char detail[2048];
	int ready;

	switch (rt->kind) {
	case R_HEALTHZ:
		r->status = MHD_HTTP_OK;
		r->ctype = "text/plain; charset=utf-8";
		return ss_buf_puts(&r->body, "ok\n");
	case R_READYZ:
		ready = ss_metrics_ready(s->o.metrics, detail, sizeof(detail));
		return srv_json(r, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
				json_pack("{s:b,s:s}", "ready", ready, "detail", detail));
	case R_METRICS:
		r->status = MHD_HTTP_OK;
		r->ctype = "text/plain; version=0.0.4; charset=utf-8";
		return ss_metrics_render(s->o.metrics, &r->body);
	case R_RECIPIENTS:
		return srv_recipients(s, q, r);
	case R_STATUS: /* read-only; names, revisions and states, no secret */
		return srv_json(r, MHD_HTTP_OK, ss_metrics_status(s->o.metrics));
	default:
		return SS_E_INTERNAL;
	}
}

/* A POST's checks before its body is read: its bucket (a webhook's come
 * after the HMAC check, server_hook.c), its size, and a reservation from the
 * body budget, which bounds the memory all bodies can hold at once. */
static int precheck_post(struct ss_server *s, struct srv_req *q, const struct route *rt,
			 struct srv_reply *r)
{
	const char *cl = srv_header(q, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long want = cl != NULL ? strtoull(cl, NULL, 10) : s->o.max_body;
	unsigned wait;

	if (rt->kind != R_HOOK && (wait = srv_bucket_take(&s->api, s->o.posts_per_minute)) != 0) {
		r->retry_after = wait;
		return srv_json_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests") == 0;
	}
	if (want > s->o.max_body)
		return srv_json_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large") == 0;
	if (srv_body_reserve(s, (size_t)want) != 0) {
		r->retry_after = BUSY_RETRY_SEC;
		return srv_json_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
				      "busy: request bodies use their whole memory budget") == 0;
	}
	q->reserved = (size_t)want;
	ss_buf_init(&q->body, q->reserved); /* still empty: nothing to free */
	return 0;
}

/* Checks made before any body is read: route, method, rate, size, memory.
 * 1 when r holds the final answer already. */
static int precheck(struct ss_server *s, struct srv_req *q, const struct route *rt,
		    struct srv_reply *r)
{
	if (rt == NULL)
		return srv_json_error(r, MHD_HTTP_NOT_FOUND, "no such endpoint") == 0;
	if (strcmp(q->method, rt->method) != 0 &&
	    !(strcmp(q->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
		r->allow = rt->method;
		return srv_json_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed") == 0;
	}
	if (strcmp(rt->method, "POST") != 0)
		return 0;
	return precheck_post(s, q, rt, r);
}

static int dispatch(struct ss_server *s, const struct route *rt, struct srv_req *q,
		    struct srv_reply *r)
{
	if (q->too_big)
		return srv_json_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	/* precheck answers an unknown URL on the first call, but if that reply
	 * could not be built MHD calls again: answer 404 here too. */
	if (rt == NULL)
		return srv_json_error(r, MHD_HTTP_NOT_FOUND, "no such endpoint");
	switch (rt->kind) {
	case R_RESEAL:
		return srv_reseal(s, q, r);
	case R_VERIFY:
		return srv_verify(s, q, r);
	case R_HOOK:
		return srv_hook(s, q, r);
	default:
		return handle_get(s, rt, q, r);
	}
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct srv_req *q, struct srv_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char num[32];

	resp = MHD_create_response_from_buffer(r->body.len, r->body.data,
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->ctype != NULL ? r->ctype : "text/plain");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->retry_after != 0) {
		snprintf(num, sizeof(num), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	if (ss_log_enabled(SS_LOG_DEBUG)) {
		snprintf(num, sizeof(num), "%u", r->status);
		ss_log(SS_LOG_DEBUG, "http request", "method", q->method, "path", q->url, "status",
		       num, NULL);
	}
	return ret;
}

static enum MHD_Result answer(struct ss_server *s, struct srv_req *q, const struct route *rt)
{
	struct srv_reply r;
	enum MHD_Result ret;

	memset(&r, 0, sizeof(r));
	ss_buf_init(&r.body, REPLY_MAX);
	if (dispatch(s, rt, q, &r) != 0) {
		ss_buf_reset(&r.body);
		r.allow = NULL;
		r.retry_after = 0;
		if (srv_json_error(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error") != 0)
			r.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	ret = send_reply(q->conn, q, &r);
	ss_buf_release(&r.body);
	return ret;
}

/* First call for a request: only headers are known. Answers at once (no
 * body read) when a check fails; *answered says whether it did. */
static enum MHD_Result first_call(struct ss_server *s, struct srv_req *q, const struct route *rt,
				  int *answered)
{
	enum MHD_Result ret = MHD_YES;
	struct srv_reply r;

	/* Headers are in: body and reply are due within request_timeout. */
	srv_deadline(s, q->conn, s->o.request_timeout);
	memset(&r, 0, sizeof(r));
	ss_buf_init(&r.body, 4096);
	*answered = precheck(s, q, rt, &r);
	if (*answered)
		ret = send_reply(q->conn, q, &r);
	ss_buf_release(&r.body);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct ss_server *s = cls;
	const struct route *rt = route_find(url);
	struct srv_req *q = *con_cls;
	int answered;

	(void)version;
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		q->conn = c;
		q->method = method;
		q->url = url;
		ss_buf_init(&q->body, s->o.max_body);
		*con_cls = q;
		return first_call(s, q, rt, &answered);
	}
	if (*upload_size > 0) {
		if (!q->too_big && ss_buf_append(&q->body, upload, *upload_size) != 0) {
			q->too_big = 1;
			ss_buf_release(&q->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(s, q, rt);
}

/* The probe listener: GET/HEAD /healthz and /readyz, nothing else. Answers
 * on the first call; no request state, no body. */
static enum MHD_Result on_probe(void *cls, struct MHD_Connection *c, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	const struct route *rt = route_find(url);
	struct ss_server *s = cls;
	enum MHD_Result ret;
	struct srv_req q;
	int answered;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (rt != NULL && rt->kind != R_HEALTHZ && rt->kind != R_READYZ)
		rt = NULL;
	memset(&q, 0, sizeof(q));
	q.conn = c;
	q.method = method;
	q.url = url;
	ss_buf_init(&q.body, 0);
	ret = first_call(s, &q, rt, &answered);
	return answered ? ret : answer(s, &q, rt);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ss_server *s = cls;
	struct srv_req *q = *con_cls;

	(void)toe;
	/* Reply sent: the next request's headers are due within header_timeout
	 * (this also bounds an idle keep-alive connection). */
	srv_deadline(s, c, s->o.header_timeout);
	if (q == NULL)
		return;
	srv_body_release(s, q->reserved);
	ss_buf_release(&q->body);
	free(q);
	*con_cls = NULL;
}

static int read_file_to(const char *path, struct ss_buf *b, struct ss_err *err)
{
	int rc = ss_file_read(path, b, err);

	if (rc == 0 && b->len == 0)
		rc = ss_err_set(err, SS_E_INVAL, "%s is empty", path);
	return rc;
}

static int load_secrets(struct ss_server *s, struct ss_err *err)
{
	const struct ss_server_opts *o = &s->o;
	int rc = 0;

	if ((o->tls_cert_file == NULL) != (o->tls_key_file == NULL))
		return ss_err_set(err, SS_E_USAGE, "--tls-cert and --tls-key go together");
	if (o->tls_generate && o->tls_cert_file != NULL)
		return ss_err_set(err, SS_E_USAGE, "--tls-generate and --tls-cert: give one");
	if (o->tls_generate && !MHD_is_feature_supported(MHD_FEATURE_TLS))
		return ss_err_set(err, SS_E_UNSUPPORTED, "libmicrohttpd was built without TLS");
	if (o->tls_generate)
		rc = srv_tls_generate(s, err);
	if (o->tls_cert_file != NULL) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
			return ss_err_set(err, SS_E_UNSUPPORTED, "libmicrohttpd was built without TLS");
		rc = read_file_to(o->tls_cert_file, &s->tls_cert, err);
		if (rc == 0)
			rc = ss_keyfile_check_perms(o->tls_key_file, err);
		if (rc == 0)
			rc = read_file_to(o->tls_key_file, &s->tls_key, err);
	}
	if (rc == 0 && o->webhook_secret_file != NULL) {
		rc = ss_keyfile_check_perms(o->webhook_secret_file, err);
		if (rc == 0)
			rc = read_file_to(o->webhook_secret_file, &s->hook_secret, err);
		/* A trailing newline (echo > file) is not part of the secret. */
		s->hook_len = rc == 0 ? s->hook_secret.len : 0;
		while (s->hook_len > 0 && (s->hook_secret.data[s->hook_len - 1] == '\n' ||
					   s->hook_secret.data[s->hook_len - 1] == '\r'))
			s->hook_len--;
		if (rc == 0 && s->hook_len == 0)
			rc = ss_err_set(err, SS_E_INVAL, "%s: the webhook secret is empty",
					o->webhook_secret_file);
	}
	return rc;
}

static int resolve(const char *listen, struct addrinfo **ai, struct ss_err *err)
{
	char host[256], *colon;
	struct addrinfo hints;
	const char *h;

	*ai = NULL;
	if (snprintf(host, sizeof(host), "%s", listen) >= (int)sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL)
		return ss_err_set(err, SS_E_USAGE, "listen address %s: want host:port", listen);
	*colon = '\0';
	h = host;
	if (h[0] == '[' && colon > host && colon[-1] == ']') {
		colon[-1] = '\0';
		h++;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(*h != '\0' ? h : NULL, colon + 1, &hints, ai) != 0)
		return ss_err_set(err, SS_E_USAGE, "listen address %s: cannot resolve", listen);
	return 0;
}

/* One daemon on `listen`: the main one (TLS if configured, every route) or
 * the probe one (plain HTTP, on_probe). Both share the deadline sweeper. */
static int start_daemon(struct ss_server *s, const char *listen, int probe,
			struct MHD_Daemon **out, struct ss_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int tls = !probe && s->tls_cert.len > 0;
	struct addrinfo *ai = NULL;
	int rc;

	rc = resolve(listen, &ai, err);
	if (rc != 0)
		return rc;
	if (ai == NULL) /* getaddrinfo succeeds with at least one address */
		return ss_err_set(err, SS_E_USAGE, "listen address %s: cannot resolve", listen);
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	*out = MHD_start_daemon(
		flags, 0, NULL, NULL, probe ? on_probe : on_request, s, MHD_OPTION_SOCK_ADDR,
		ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, srv_on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT,
		IDLE_TIMEOUT_SEC, MHD_OPTION_CONNECTION_LIMIT,
		probe ? PROBE_CONN_LIMIT : MAIN_CONN_LIMIT,
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, (const char *)s->tls_cert.data,
		MHD_OPTION_HTTPS_MEM_KEY, (const char *)s->tls_key.data, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (*out == NULL)
		return ss_err_set(err, SS_E_IO, "cannot listen on %s (in use, or bad TLS files?)",
				  listen);
	return 0;
}

static int start_all(struct ss_server *s, struct ss_err *err)
{
	int rc;

	if (s->o.body_budget < s->o.max_body)
		return ss_err_set(err, SS_E_USAGE,
				  "http body budget (%zu KiB) is below the body cap (%zu KiB)",
				  s->o.body_budget / 1024, s->o.max_body / 1024);
	srv_bucket_init(&s->api, s->o.posts_per_minute);
	srv_bucket_init(&s->hook_ok, s->o.posts_per_minute);
	srv_bucket_init(&s->hook_bad, s->o.posts_per_minute);
	rc = srv_guard_start(s, err);
	if (rc == 0)
		rc = start_daemon(s, s->o.listen, 0, &s->mhd, err);
	if (rc == 0 && s->o.probe_listen != NULL && s->o.probe_listen[0] != '\0')
		rc = start_daemon(s, s->o.probe_listen, 1, &s->probe, err);
	return rc;
}

int ss_server_start(const struct ss_server_opts *o, struct ss_server **out, struct ss_err *err)
{
	struct ss_server *s;
	int rc;

	*out = NULL;
	if (o->nextra > SS_SERVER_MAX_EXTRA)
		return ss_err_set(err, SS_E_LIMIT, "too many extra recipients");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	s->o = *o;
	if (o->nextra > 0)
		memcpy(s->extra, o->extra, o->nextra * sizeof(*o->extra));
	s->o.extra = s->extra;
	if (s->o.body_budget == 0)
		s->o.body_budget = SS_SERVER_BODY_BUDGET;
	if (s->o.header_timeout == 0)
		s->o.header_timeout = SS_SERVER_HEADER_TIMEOUT;
	if (s->o.request_timeout == 0)
		s->o.request_timeout = SS_SERVER_REQUEST_TIMEOUT;
	ss_buf_init(&s->tls_cert, TLS_FILE_MAX);
	ss_buf_init_secure(&s->tls_key, TLS_FILE_MAX);
	ss_buf_init_secure(&s->hook_secret, HOOK_SECRET_MAX);
	rc = load_secrets(s, err);
	if (rc == 0)
		rc = start_all(s, err);
	if (rc != 0) {
		ss_server_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

const char *ss_server_tls_pin(const struct ss_server *s)
{
	return s != NULL && s->tls_pin[0] != '\0' ? s->tls_pin : NULL;
}

unsigned ss_server_port(const struct ss_server *s)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? info->port : 0;
}

void ss_server_stop(struct ss_server *s)
{
	if (s == NULL)
		return;
	if (s->probe != NULL)
		MHD_stop_daemon(s->probe);
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	srv_guard_stop(s); /* after the daemons: they unlinked every connection */
	ss_keyring_free(s->kr);
	ss_buf_release(&s->tls_cert);
	ss_buf_release(&s->tls_key);
	ss_buf_release(&s->hook_secret);
	free(s);
}
