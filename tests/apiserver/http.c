/*
 * http.c: libmicrohttpd glue: TLS, bearer-token auth, routing, fault
 * injection, the admin endpoints and the request log.
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION), so injected
 * latency delays only its own connection; the store has its own lock.
 * Request bodies are never logged: they can hold Secret values.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "sealsync/buf.h"
#include "sealsync/file.h"

#define SEG_MAX 8
#define SEG_LEN 256

struct conn {
	struct ss_buf body;
	int too_large;
};

struct route {
	char seg[SEG_MAX][SEG_LEN];
	int n;
};

/* What one request turned into, for the reply and the log. */
struct served {
	struct apisrv_reply rep;
	const char *ns;
	char fault[16];
	long retry_after;
	const char *raw;      /* a non-JSON body (admin), borrowed */
	size_t raw_len;
	const char *raw_type;
	struct watch *watch; /* a streaming watch response, owned */
};

/* An open watch: the request, copied, and what the client was told. */
struct watch {
	struct apisrv_http *h;
	struct route r;
	struct apisrv_req rq;
	char *label_selector, *field_selector;
	unsigned long long last_rv;
	time_t deadline;
	struct ss_buf out;
	size_t off;
	int expired; /* an ERROR 410 event is the last one */
};

static const char *qarg(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

static const char *header(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, k);
}

static int split_path(const char *url, struct route *r)
{
	const char *p = url;

	memset(r, 0, sizeof(*r));
	while (*p == '/')
		p++;
	while (*p) {
		size_t l = strcspn(p, "/");
		if (r->n >= SEG_MAX || l >= SEG_LEN)
			return -1;
		memcpy(r->seg[r->n++], p, l);
		p += l;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* /api/v1/... or /apis/g/v/... into the request's resource fields. */
static int route_resource(struct route *r, struct apisrv_req *rq)
{
	int b, m;

	if (r->n >= 3 && strcmp(r->seg[0], "api") == 0) {
		rq->group = "";
		rq->version = r->seg[1];
		b = 2;
	} else if (r->n >= 4 && strcmp(r->seg[0], "apis") == 0) {
		rq->group = r->seg[1];
		rq->version = r->seg[2];
		b = 3;
	} else {
		return -1;
	}
	m = r->n - b;
	rq->ns = rq->name = rq->subres = "";
	if (strcmp(r->seg[b], "namespaces") == 0 && m >= 3 &&
	    !(m == 3 && (strcmp(r->seg[b + 2], "status") == 0 ||
			 strcmp(r->seg[b + 2], "finalize") == 0))) {
		if (m > 5)
			return -1;
		rq->ns = r->seg[b + 1];
		rq->plural = r->seg[b + 2];
		rq->name = m > 3 ? r->seg[b + 3] : "";
		rq->subres = m > 4 ? r->seg[b + 4] : "";
		return 0;
	}
	if (m > 3)
		return -1;
	rq->plural = r->seg[b];
	rq->name = m > 1 ? r->seg[b + 1] : "";
	rq->subres = m > 2 ? r->seg[b + 2] : "";
	return 0;
}

static int auth_check(struct apisrv_http *h, struct MHD_Connection *c, const char *method,
		      struct served *sv)
{
	const char *a = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t tl = strlen(h->token), rl = strlen(h->token_ro), gl;

	if (a && strncasecmp(a, "Bearer ", 7) == 0) {
		a += 7;
		gl = strlen(a);
		if (gl == tl && tl > 0 && sodium_memcmp(a, h->token, tl) == 0)
			return 0;
		if (gl == rl && rl > 0 && sodium_memcmp(a, h->token_ro, rl) == 0) {
			if (strcmp(method, "GET") == 0)
				return 0;
			apisrv_reply_status(&sv->rep, 403, "Forbidden", NULL, NULL,
					    "forbidden: the read-only token may not %s", method);
			return -1;
		}
	}
	apisrv_reply_status(&sv->rep, 401, "Unauthorized", NULL, NULL, "Unauthorized");
	return -1;
}

static json_t *version_doc(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1", "minor",
			 "32", "gitVersion", "v1.32.0", "gitCommit",
			 "70d3cc986aa8221cd1dfb1121852688902d3bf53", "gitTreeState", "clean",
			 "buildDate", "2024-12-11T17:57:11Z", "goVersion", "go1.23.3", "compiler",
			 "gc", "platform", "linux/amd64");
}

static int serve_public(const char *url, struct served *sv)
{
	if (strcmp(url, "/version") == 0) {
		sv->rep.status = 200;
		sv->rep.body = version_doc();
		return 1;
	}
	if (!strcmp(url, "/healthz") || !strcmp(url, "/livez") || !strcmp(url, "/readyz")) {
		sv->rep.status = 200;
		sv->raw = "ok";
		sv->raw_len = 2;
		sv->raw_type = "text/plain";
		return 1;
	}
	return 0;
}

static long rss_kib(void)
{
	struct ss_buf b;
	const char *p;
	long kib = -1;

	ss_buf_init(&b, 1 << 16);
	if (ss_file_read("/proc/self/status", &b, NULL) == 0) {
		p = strstr(ss_buf_str(&b), "VmRSS:");
		if (p)
			kib = strtol(p + 6, NULL, 10);
	}
	ss_buf_release(&b);
	return kib;
}

static void admin_faults(struct apisrv_http *h, const char *method, struct conn *cn,
			 struct served *sv)
{
	struct ss_err err;
	json_t *j;

	ss_err_clear(&err);
	if (strcmp(method, "DELETE") == 0)
		faults_clear(&h->faults);
	if (strcmp(method, "POST") == 0) {
		j = json_loadb((const char *)cn->body.data, cn->body.len, 0, NULL);
		if (!j || faults_add_json(&h->faults, j, &err) != 0) {
			json_decref(j);
			apisrv_reply_status(&sv->rep, 400, "BadRequest", NULL, NULL, "%s",
					    err.msg[0] ? err.msg : "invalid JSON");
			return;
		}
		json_decref(j);
	}
	sv->rep.status = 200;
	sv->rep.body = json_pack("{s:o}", "faults", faults_to_json(&h->faults));
}

static void admin_requests(struct apisrv_http *h, const char *method, struct served *sv,
			   struct ss_buf *tmp)
{
	pthread_mutex_lock(&h->log_mu);
	if (strcmp(method, "DELETE") == 0) {
		if (ftruncate(fileno(h->log), 0) != 0)
			sv->rep.status = 500;
		rewind(h->log);
	} else if (ss_file_read(h->log_path, tmp, NULL) != 0) {
		sv->rep.status = 500;
	}
	pthread_mutex_unlock(&h->log_mu);
	if (sv->rep.status == 500) {
		apisrv_reply_status(&sv->rep, 500, "InternalError", NULL, NULL, "request log");
		return;
	}
	sv->rep.status = 200;
	sv->raw = ss_buf_str(tmp);
	sv->raw_len = tmp->len;
	sv->raw_type = "application/x-ndjson";
}

/* /_admin/{faults,requests,objects,stats}. */
static void serve_admin(struct apisrv_http *h, const char *url, const char *method,
			struct conn *cn, struct served *sv, struct ss_buf *tmp)
{
	if (strcmp(url, "/_admin/faults") == 0) {
		admin_faults(h, method, cn, sv);
	} else if (strcmp(url, "/_admin/requests") == 0) {
		admin_requests(h, method, sv, tmp);
	} else if (strcmp(url, "/_admin/objects") == 0 && strcmp(method, "DELETE") == 0) {
		apisrv_store_reset(h->store);
		sv->rep.status = 200;
		sv->rep.body = apisrv_status(200, "", "reset");
	} else if (strcmp(url, "/_admin/compact") == 0 && strcmp(method, "POST") == 0) {
		apisrv_store_compact(h->store);
		sv->rep.status = 200;
		sv->rep.body = apisrv_status(200, "", "compacted");
	} else if (strcmp(url, "/_admin/stats") == 0) {
		sv->rep.status = 200;
		sv->rep.body = json_pack("{s:I, s:I}", "objects",
					 (json_int_t)apisrv_store_count(h->store), "rssKiB",
					 (json_int_t)rss_kib());
	} else {
		apisrv_reply_status(&sv->rep, 404, "NotFound", NULL, NULL, "no such admin endpoint");
	}
}

static int is_discovery(const struct route *r)
{
	if (r->n >= 1 && strcmp(r->seg[0], "openapi") == 0)
		return 1;
	if (r->n >= 1 && r->n <= 2 && strcmp(r->seg[0], "api") == 0)
		return 1;
	return r->n >= 1 && r->n <= 3 && strcmp(r->seg[0], "apis") == 0;
}

/* ---- watch ------------------------------------------------------------ */

static void watch_free(void *cls)
{
	struct watch *w = cls;

	if (!w)
		return;
	free(w->label_selector);
	free(w->field_selector);
	ss_buf_release(&w->out);
	free(w);
}

/* Re-points the request's strings at the watch's own copies. */
static int watch_copy_req(struct watch *w, const struct route *r, const struct apisrv_req *rq)
{
	w->r = *r;
	w->rq = *rq;
	if (route_resource(&w->r, &w->rq) != 0)
		return -1;
	w->rq.body = "";
	w->rq.body_len = 0;
	w->rq.ctype = w->rq.user_agent = w->rq.field_manager = NULL;
	w->rq.limit = w->rq.continue_tok = NULL;
	w->label_selector = rq->label_selector ? strdup(rq->label_selector) : NULL;
	w->field_selector = rq->field_selector ? strdup(rq->field_selector) : NULL;
	w->rq.label_selector = w->label_selector;
	w->rq.field_selector = w->field_selector;
	return (rq->label_selector && !w->label_selector) ||
	       (rq->field_selector && !w->field_selector) ? -1 : 0;
}

/* Appends the events as JSON lines; 1 when there were any. */
static int watch_emit(struct watch *w, json_t *events)
{
	size_t i;
	json_t *e;
	char *line;

	json_array_foreach(events, i, e) {
		line = json_dumps(e, JSON_COMPACT);
		if (!line || ss_buf_puts(&w->out, line) != 0 || ss_buf_putc(&w->out, '\n') != 0) {
			free(line);
			return -1;
		}
		free(line);
	}
	return json_array_size(events) > 0;
}

static int is_error_event(const json_t *events)
{
	const char *t = json_string_value(json_object_get(json_array_get(events, 0), "type"));

	return t != NULL && strcmp(t, "ERROR") == 0;
}

/* Blocks (its own connection thread) until there are events, the timeout
 * passes or the server stops; waits on the store's change signal. */
static ssize_t watch_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct watch *w = cls;
	struct apisrv_reply rep;
	json_t *events;
	size_t n;
	int rc;

	(void)pos;
	while (w->off >= w->out.len) {
		ss_buf_reset(&w->out);
		w->off = 0;
		if (w->expired) /* the ERROR event was sent: the stream ends */
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (w->h->stopping || time(NULL) >= w->deadline)
			return MHD_CONTENT_READER_END_OF_STREAM;
		events = apisrv_store_watch(w->h->store, &w->rq, 0, &w->last_rv, 1000, &rep);
		json_decref(rep.body);
		if (!events)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		rc = watch_emit(w, events);
		w->expired = is_error_event(events);
		json_decref(events);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = w->out.len - w->off < max ? w->out.len - w->off : max;
	memcpy(buf, w->out.data + w->off, n);
	w->off += n;
	return (ssize_t)n;
}

/* Starts a watch: the first poll (which checks the request) is done here. */
static void watch_open(struct apisrv_http *h, struct MHD_Connection *c, const struct route *r,
		       const struct apisrv_req *rq, struct served *sv)
{
	struct watch *w = calloc(1, sizeof(*w));
	const char *rv = qarg(c, "resourceVersion"), *to = qarg(c, "timeoutSeconds");
	long secs = to ? strtol(to, NULL, 10) : 0;
	json_t *events;

	snprintf(sv->rep.verb, sizeof(sv->rep.verb), "watch");
	if (!w || watch_copy_req(w, r, rq) != 0) {
		watch_free(w);
		apisrv_reply_status(&sv->rep, 500, "InternalError", NULL, NULL, "out of memory");
		return;
	}
	w->h = h;
	ss_buf_init(&w->out, (size_t)64 << 20);
	w->deadline = time(NULL) + (secs > 0 && secs < 3600 ? secs : 1800);
	w->last_rv = rv ? strtoull(rv, NULL, 10) : 0;
	events = apisrv_store_watch(h->store, &w->rq, 1, &w->last_rv, 0, &sv->rep);
	if (!events || watch_emit(w, events) < 0) {
		json_decref(events);
		watch_free(w);
		return; /* sv->rep holds the error */
	}
	json_decref(events);
	sv->rep.status = 200;
	snprintf(sv->rep.verb, sizeof(sv->rep.verb), "watch");
	sv->watch = w;
}

static void serve_api(struct apisrv_http *h, struct MHD_Connection *c, const char *url,
		      const char *method, struct conn *cn, struct served *sv)
{
	struct apisrv_req rq;
	struct route r;
	const char *v;

	memset(&rq, 0, sizeof(rq));
	if (split_path(url, &r) != 0) {
		apisrv_reply_status(&sv->rep, 404, "NotFound", NULL, NULL,
				    "the server could not find the requested resource");
		return;
	}
	if (is_discovery(&r)) {
		if (strcmp(method, "GET") != 0)
			apisrv_reply_status(&sv->rep, 405, "MethodNotAllowed", NULL, NULL,
					    "method not allowed");
		else
			apisrv_store_discovery(h->store, url, &sv->rep);
		return;
	}
	if (route_resource(&r, &rq) != 0) {
		apisrv_reply_status(&sv->rep, 404, "NotFound", NULL, NULL,
				    "the server could not find the requested resource");
		return;
	}
	rq.method = method;
	rq.field_manager = qarg(c, "fieldManager");
	rq.user_agent = header(c, MHD_HTTP_HEADER_USER_AGENT);
	rq.label_selector = qarg(c, "labelSelector");
	rq.field_selector = qarg(c, "fieldSelector");
	rq.limit = qarg(c, "limit");
	rq.continue_tok = qarg(c, "continue");
	rq.ctype = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	v = qarg(c, "dryRun");
	rq.dry_run = v && strcmp(v, "All") == 0;
	v = qarg(c, "force");
	rq.force = v && strcmp(v, "true") == 0;
	v = qarg(c, "fieldValidation");
	rq.strict = v && strcmp(v, "Strict") == 0;
	rq.body = cn->body.data ? (const void *)cn->body.data : "";
	rq.body_len = cn->body.len;
	v = qarg(c, "watch");
	if (strcmp(method, "GET") == 0 && v && (!strcasecmp(v, "true") || !strcmp(v, "1"))) {
		watch_open(h, c, &r, &rq, sv);
		return;
	}
	apisrv_store_handle(h->store, &rq, &sv->rep);
	if (*rq.ns)
		sv->ns = strdup(rq.ns);
}

static enum MHD_Result query_cb(void *cls, enum MHD_ValueKind kind, const char *k,
				const char *v)
{
	struct ss_buf *b = cls;

	(void)kind;
	if (b->len > 0 && ss_buf_putc(b, '&') != 0)
		return MHD_NO;
	if (ss_buf_printf(b, "%s%s%s", k, v ? "=" : "", v ? v : "") != 0)
		return MHD_NO;
	return MHD_YES;
}

static void log_request(struct apisrv_http *h, struct MHD_Connection *c, const char *url,
			const char *method, const struct served *sv)
{
	struct ss_buf q;
	char now[64];
	struct timespec ts;
	struct tm tm;
	json_t *line;
	const char *dr = qarg(c, "dryRun");

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(now, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(now + strlen(now), sizeof(now) - strlen(now), ".%06ldZ", ts.tv_nsec / 1000);
	ss_buf_init(&q, 4096);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_cb, &q);
	line = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:b, s:s?, s:s, s:s, s:s, s:s?}",
			 "time", now, "verb", sv->rep.verb[0] ? sv->rep.verb : "get", "method",
			 method, "path", url, "query", ss_buf_str(&q), "status", sv->rep.status,
			 "fieldManager", qarg(c, "fieldManager"), "dryRun",
			 dr && strcmp(dr, "All") == 0, "contentType",
			 header(c, MHD_HTTP_HEADER_CONTENT_TYPE), "name", sv->rep.name, "namespace",
			 sv->ns ? sv->ns : "", "kind", sv->rep.kind, "fault",
			 sv->fault[0] ? sv->fault : NULL);
	ss_buf_release(&q);
	if (!line)
		return;
	pthread_mutex_lock(&h->log_mu);
	if (json_dumpf(line, h->log, JSON_COMPACT) == 0)
		fputc('\n', h->log);
	fflush(h->log);
	pthread_mutex_unlock(&h->log_mu);
	json_decref(line);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct served *sv)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *s = NULL;
	char ra[32];

	if (sv->watch) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, watch_reader,
							 sv->watch, watch_free);
		if (resp)
			sv->watch = NULL; /* the response owns it now */
	} else if (sv->raw) {
		resp = MHD_create_response_from_buffer(sv->raw_len, (void *)sv->raw,
						       MHD_RESPMEM_MUST_COPY);
	} else {
		s = json_dumps(sv->rep.body, JSON_COMPACT);
		if (!s)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	}
	if (!resp) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				sv->raw ? sv->raw_type : "application/json");
	if (sv->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%ld", sv->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(c, (unsigned)sv->rep.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static const char *fault_reason(int code)
{
	switch (code) {
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 409:
		return "Conflict";
	case 422:
		return "Invalid";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalError";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	default:
		return "InjectedFault";
	}
}

/* The Kubernetes verb of a request, from its method and path alone. */
static const char *k8s_verb(struct MHD_Connection *c, const char *url, const char *method)
{
	struct apisrv_req rq;
	struct route r;
	const char *w = qarg(c, "watch");
	int named;

	memset(&rq, 0, sizeof(rq));
	if (split_path(url, &r) != 0 || is_discovery(&r) || route_resource(&r, &rq) != 0)
		return "get";
	named = *rq.name != '\0';
	if (!strcmp(method, "GET"))
		return named ? "get" : (w && (!strcasecmp(w, "true") || !strcmp(w, "1"))) ? "watch"
									       : "list";
	if (!strcmp(method, "POST"))
		return "create";
	if (!strcmp(method, "PUT"))
		return "update";
	if (!strcmp(method, "PATCH"))
		return "patch";
	if (!strcmp(method, "DELETE"))
		return named ? "delete" : "deletecollection";
	return "unknown";
}

/* Applies the fault rules; returns 1 when the request ends here. */
static int inject_fault(struct apisrv_http *h, struct MHD_Connection *c, const char *url,
			const char *method, struct served *sv)
{
	const char *dr = qarg(c, "dryRun");
	struct apisrv_fault f;
	long ms;

	char mv[64];

	snprintf(mv, sizeof(mv), "%s %s", method, k8s_verb(c, url, method));
	faults_pick(&h->faults, mv, url, dr && strcmp(dr, "All") == 0, &f, &ms);
	if (ms > 0) {
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		snprintf(sv->fault, sizeof(sv->fault), "latency");
	}
	if (f.type == FAULT_NONE)
		return 0;
	faults_name(&f, sv->fault, sizeof(sv->fault));
	snprintf(sv->rep.verb, sizeof(sv->rep.verb), "fault");
	if (f.type == FAULT_RESET)
		return 1;
	if (f.message[0])
		apisrv_reply_status(&sv->rep, f.code, fault_reason(f.code), NULL, NULL, "%s",
				    f.message);
	else
		apisrv_reply_status(&sv->rep, f.code, fault_reason(f.code), NULL, NULL,
				    "injected fault: %d", f.code);
	if (f.code == 429)
		sv->retry_after = f.retry_after;
	return 1;
}

static enum MHD_Result serve(struct apisrv_http *h, struct MHD_Connection *c, const char *url,
			     const char *method, struct conn *cn)
{
	struct served sv;
	struct ss_buf tmp;
	enum MHD_Result ret;
	int is_admin = strncmp(url, "/_admin/", 8) == 0;

	memset(&sv, 0, sizeof(sv));
	ss_buf_init(&tmp, (size_t)256 << 20);
	if (serve_public(url, &sv) || auth_check(h, c, method, &sv) != 0) {
		/* answered */
	} else if (is_admin) {
		serve_admin(h, url, method, cn, &sv, &tmp);
	} else if (inject_fault(h, c, url, method, &sv)) {
		if (strcmp(sv.fault, "reset") == 0) {
			log_request(h, c, url, method, &sv);
			ss_buf_release(&tmp);
			return MHD_NO; /* closes the connection without a response */
		}
	} else if (cn->too_large) {
		apisrv_reply_status(&sv.rep, 413, "RequestEntityTooLarge", NULL, NULL,
				    "the request body is larger than %zu bytes", h->max_body);
	} else {
		serve_api(h, c, url, method, cn, &sv);
	}
	if (!is_admin)
		log_request(h, c, url, method, &sv);
	ret = send_reply(c, &sv);
	watch_free(sv.watch);
	json_decref(sv.rep.body);
	free((char *)sv.ns);
	ss_buf_release(&tmp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	struct apisrv_http *h = cls;
	struct conn *cn = *ctx;

	(void)version;
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		if (!cn)
			return MHD_NO;
		ss_buf_init(&cn->body, h->max_body);
		*ctx = cn;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!cn->too_large && ss_buf_append(&cn->body, upload, *upload_size) != 0) {
			cn->too_large = 1;
			ss_buf_release(&cn->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return serve(h, c, url, method, cn);
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx,
		    enum MHD_RequestTerminationCode code)
{
	struct conn *cn = *ctx;

	(void)cls;
	(void)c;
	(void)code;
	if (cn) {
		ss_buf_release(&cn->body); /* wipes: bodies can hold Secret values */
		free(cn);
		*ctx = NULL;
	}
}

int http_start(struct apisrv_http *h, unsigned port, const char *cert_pem,
	       const char *key_pem, struct ss_err *err)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->daemon = MHD_start_daemon(MHD_USE_TLS | MHD_USE_THREAD_PER_CONNECTION |
					     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
					     MHD_USE_ERROR_LOG,
				     (uint16_t)port, NULL, NULL, on_request, h,
				     MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT,
				     cert_pem, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256, MHD_OPTION_END);
	if (!h->daemon)
		return ss_err_set(err, SS_E_NET, "cannot start the HTTPS server on 127.0.0.1:%u",
				  port);
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	return 0;
}

void http_stop(struct apisrv_http *h)
{
	h->stopping = 1;
	if (h->store)
		apisrv_store_wake(h->store);
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	h->daemon = NULL;
}
