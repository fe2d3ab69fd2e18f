/*
 * kube_int.h: internals of the Kubernetes client shared by agent/kube*.c
 * and their unit tests. Not a public interface: see sealsync/kube.h.
 *
 *   kube.c           open/free, accessors
 *   kube_config.c    kubeconfig and in-cluster credentials
 *   kube_http.c      libcurl transport: multi runner, retries, caps
 *   kube_status.c    Kubernetes Status → SS_E_* and a redacted message
 *   kube_redact.c    the set of values stripped from error text
 *   kube_kubeconfig.c the kubeconfig tree → struct kube_conn
 *   kube_yaml.c      kubeconfig YAML → jansson tree (sealsync/yaml.h)
 *   kube_discovery.c (apiVersion, kind) → resource, namespaced
 *   kube_url.c       REST paths, name validation, escaping
 *   kube_verbs.c     get, delete, create, update
 *   kube_list.c      list with label selector and pages
 *   kube_apply.c     server-side apply, one object or a batch
 *   kube_identity.c  the identity requests carry (impersonation, tenancy)
 */
#ifndef SEALSYNC_KUBE_INT_H
#define SEALSYNC_KUBE_INT_H

#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sealsync/buf.h"
#include "sealsync/kube.h"

#define KUBE_BACKOFF_BASE_MS 200u
#define KUBE_BACKOFF_CAP_MS 10000u
#define KUBE_RETRY_AFTER_CAP_MS 30000u
#define KUBE_TOKEN_REREAD_S 60
#define KUBE_FILE_MAX (1u << 20) /* kubeconfig, CA, cert, key, token files */
#define KUBE_LIST_PAGE 500
#define KUBE_LIST_MAX_PAGES 10000
#define KUBE_SECRET_RESP_HINT 8192u /* first size of a Secret's response buffer */

/* Credentials and endpoint, from a kubeconfig or the in-cluster files. */
struct kube_conn {
	char *server;               /* "https://host[:port]", no trailing '/' */
	unsigned char *ca;          /* PEM bundle or NULL (system store) */
	size_t ca_len;
	unsigned char *cert;        /* client certificate PEM or NULL */
	size_t cert_len;
	unsigned char *key;         /* client key PEM, guarded memory, or NULL */
	size_t key_len;
	char *token;                /* bearer token, guarded memory, or NULL */
	char *token_file;           /* re-read every KUBE_TOKEN_REREAD_S */
	time_t token_read_at;
	char *ns;                   /* never NULL after a successful load */
	int insecure;               /* TLS verification off (explicitly allowed) */
};

/* A set of redaction values (raw and base64), all in guarded memory. */
struct kube_redact {
	unsigned char **vals;
	size_t *lens;
	size_t n, cap;
	size_t nshort; /* values too short to redact (1..3 bytes), not kept */
};

/*
 * Guarded buffers are reused: each sodium_malloc is a fresh mapping with
 * guard pages and mlock, and containers lock little memory (STYLE §5).
 * Buffers come back wiped and are kept when they stayed small.
 */
#define KUBE_SECBUF_POOL 64
#define KUBE_SECBUF_KEEP_MAX (64u << 10)

struct ss_kube {
	struct ss_kube_opts opts;
	char *field_manager;
	struct kube_conn conn;
	struct kube_redact redact;
	CURLM *multi;                 /* long-lived: keeps the connection cache */
	json_t *disc;                 /* "apiVersion\nkind" → [resource, namespaced] */
	int discovered;
	uint32_t rnd;                 /* xorshift state for jitter */
	struct ss_buf secpool[KUBE_SECBUF_POOL]; /* wiped guarded buffers */
	size_t nsecpool;
	void (*observer)(void *ctx, const json_t *obj); /* kube_watch.h */
	void *observer_ctx;
	char *impersonate;            /* Impersonate-User of new requests, or NULL */
};

/* kube.c: an empty guarded buffer (max opts.max_response), from the pool
 * when one is free; give wipes b and keeps or frees it (any buffer, guarded
 * or not, may be given; b is empty afterwards). */
void kube_secbuf_take(struct ss_kube *k, struct ss_buf *b);
void kube_secbuf_give(struct ss_kube *k, struct ss_buf *b);

/* kube_config.c */
int kube_conn_load(const struct ss_kube_opts *o, struct kube_conn *c, struct ss_err *err);
/* Parses an already-read kubeconfig tree; dir resolves relative paths. */
int kube_conn_from_tree(const json_t *root, const char *path, const char *dir,
			const char *context, int allow_insecure, struct kube_conn *c,
			struct ss_err *err);
int kube_conn_in_cluster(const char *sa_dir, const char *host, const char *port,
			 struct kube_conn *c, struct ss_err *err);
/* Reads a file into exact-size memory (guarded when secure), NUL-terminated. */
int kube_conn_read_blob(const char *path, int secure, unsigned char **out, size_t *len,
			struct ss_err *err);
/* Checks and stores an https:// server URL. */
int kube_conn_set_server(struct kube_conn *c, const char *url, struct ss_err *err);
/* Re-reads the token file when it is older than KUBE_TOKEN_REREAD_S. */
int kube_conn_refresh_token(struct kube_conn *c, struct ss_err *err);
void kube_conn_release(struct kube_conn *c);
/* kube_yaml.c: reads a kubeconfig (YAML or JSON); *out is borrowed from
 * *docs, which the caller frees with ss_docset_free. */
struct ss_docset;
int kube_config_read_tree(const char *path, json_t **out, struct ss_docset **docs,
			  struct ss_err *err);
/* Sets err's line from err->field (or its nearest existing parent). */
void kube_config_err_line(const struct ss_docset *ds, struct ss_err *err);

/* kube_redact.c */
int kube_redact_add(struct kube_redact *r, const unsigned char *v, size_t len);
void kube_redact_clear(struct kube_redact *r);
void kube_redact_apply(const struct kube_redact *r, char *text, size_t cap);
#define KUBE_REDACT_MARK "[REDACTED]"
/* Sets mark[i] (mark: len bytes, zeroed by the caller) for every byte of
 * text covered by a value in any form: raw, base64, or escaped (decoded up
 * to three times). Works on bytes (NULs included), before any byte of the
 * text is replaced. SS_E_NOMEM: the caller must not show the text. */
int kube_redact_mark(const struct kube_redact *r, const unsigned char *text, size_t len,
		     unsigned char *mark);

/* kube_status.c */
/* HTTP status → SS_E_* (0 for 2xx). */
int kube_status_code(long http_status);
/*
 * Formats "<what>: <http> <reason>: <message> (<causes>)" from a response
 * body (a Kubernetes Status or anything else) into buf, redacted with r.
 * secret: the request was about a Secret; when r holds a value too short
 * to redact, the server's text is withheld (code, reason and cause fields
 * are kept).
 */
void kube_status_message(const char *what, long http_status, const unsigned char *body,
			 size_t len, const struct kube_redact *r, int secret, char *buf,
			 size_t cap);

/*
 * A 422 whose every cause says a field cannot change ("field is
 * immutable", "may not change once set"): field gets the first such
 * field's path ("spec.template"; "(unknown field)" when the Status names
 * none). Otherwise field is "". Field paths are not values.
 */
void kube_status_immutable(long http_status, const unsigned char *body, size_t len, char *field,
			   size_t cap);

/* kube_http.c */
struct kube_req {
	const char *method;                /* "GET", "PATCH", ... */
	char *url;                         /* owned by the request */
	const char *content_type;          /* NULL → no body */
	const unsigned char *body;         /* borrowed; the owner wipes it */
	size_t body_len;
	int secret;                        /* response into guarded memory */
	/* results */
	struct ss_buf resp;
	long status;                       /* 0 when no HTTP response */
	CURLcode cc;
	int too_large;
	int oom;
	unsigned attempts;
	/* runner state */
	CURL *easy;
	struct curl_slist *hdrs;
	uint64_t not_before;               /* monotonic ms */
	uint64_t retry_after_ms;
	int active, done;
	char curl_err[CURL_ERROR_SIZE];
};
/* secret: the response goes to a guarded buffer from k's pool. */
void kube_req_init(struct ss_kube *k, struct kube_req *r, const char *method, char *url,
		   int secret);
void kube_req_release(struct ss_kube *k, struct kube_req *r);
/* Runs every request not already done (concurrency, retries). Fails only
 * for internal errors; each request's outcome is in its fields. A request
 * marked done before the call (a skipped one) is left alone. */
int kube_http_run(struct ss_kube *k, struct kube_req *reqs, size_t n, struct ss_err *err);
/*
 * The same as a sliding window: prepare(ctx, i, r) fills reqs[i] just
 * before its first attempt (nonzero: skip it; prepare records why), and
 * done(ctx, i, r) takes each finished request (it may release r). So only
 * the requests in flight or waiting for a retry hold bodies and buffers.
 */
struct kube_hooks {
	int (*prepare)(void *ctx, size_t i, struct kube_req *r);
	void (*done)(void *ctx, size_t i, struct kube_req *r);
	void *ctx;
};
int kube_http_run_hooked(struct ss_kube *k, struct kube_req *reqs, size_t n,
			 const struct kube_hooks *hooks, struct ss_err *err);
/* Outcome of a finished request as SS_E_* plus a redacted message. */
int kube_req_outcome(const struct ss_kube *k, const struct kube_req *r, const char *what,
		     char *msg, size_t cap);
int kube_retryable(CURLcode cc, long http_status);
/* TLS options (verification, CA, client certificate) of k on e. */
int kube_easy_tls(struct ss_kube *k, CURL *e);
/* kube_apply.c -> kube_watch.c: hands a real apply's response to k's
 * observer (parsed, then freed by the zeroing allocator). */
void kube_observe_apply(struct ss_kube *k, const struct kube_req *r);
/* Delay before attempt number `attempt` (1 = first retry). */
uint64_t kube_backoff_ms(unsigned attempt, uint64_t retry_after_ms, uint32_t rnd);
/* Parses a Retry-After header value in seconds (HTTP-date: 0). */
uint64_t kube_parse_retry_after(const char *v, size_t len);
uint32_t kube_rand(struct ss_kube *k);

/* kube_discovery.c */
int kube_disc_lookup(struct ss_kube *k, const char *api_version, const char *kind,
		     const char **resource, int *namespaced);

/* kube_verbs.c: one object of the API. */
struct kube_ref {
	const char *api_version, *kind, *ns, *name; /* borrowed */
	const char *resource;                       /* from discovery */
	int namespaced;
	char what[400];                             /* "v1 Secret ns/name" */
};
int kube_ref_from(struct ss_kube *k, const char *api_version, const char *kind,
		  const char *ns, const char *name, struct kube_ref *ref, struct ss_err *err);
int kube_ref_of(struct ss_kube *k, const json_t *obj, struct kube_ref *ref, struct ss_err *err);
int kube_ref_url(struct ss_kube *k, const struct kube_ref *ref, int with_name,
		 const char *query, char **url, struct ss_err *err);
/* Serialises obj compactly into b (guarded memory when secret). */
int kube_body_dump(struct ss_kube *k, const json_t *obj, int secret, struct ss_buf *b);
int kube_is_secret(const char *kind);
int kube_do_one(struct ss_kube *k, struct kube_req *r, const char *what, json_t **out,
		struct ss_err *err);

/* kube_url.c */
/* Builds "/api/v1[/namespaces/NS]/RES[/NAME]" or "/apis/G/V/...".
 * SS_E_INVAL for an invalid namespace or name (message names it). */
int kube_url_path(struct ss_buf *out, const char *api_version, const char *resource,
		  const char *ns, const char *name, struct ss_err *err);
/* Percent-encodes s for a path segment or query value. */
int kube_url_escape(struct ss_buf *out, const char *s);
int kube_valid_name(const char *name);
/* server + path (path starts with '/'); NULL when out of memory. */
char *kube_url_join(const struct ss_kube *k, const char *path);
int kube_valid_namespace(const char *ns);

#endif
