/*
 * kube.h: the Kubernetes API client of the agent (libcurl + jansson).
 *
 * Security (DESIGN §4 apply, §6 invariant 5):
 *  - https only (CURLOPT_PROTOCOLS_STR "https"), no redirects, TLS peer and
 *    host always verified. A kubeconfig cluster with
 *    `insecure-skip-tls-verify: true` is REFUSED (SS_E_PERM, naming the
 *    field) unless opts.allow_insecure is set; then verification is off and
 *    ss_kube_insecure() returns 1 so the caller can warn on every sync.
 *  - Every response is capped (opts.max_response) in the write callback;
 *    a larger body aborts the transfer with SS_E_LIMIT.
 *  - Request bodies are handed to libcurl by pointer from our own buffer
 *    (guarded memory for Secrets) and wiped after the transfer; responses
 *    about Secrets are read into guarded memory too. libcurl and the TLS
 *    library keep their own copies: see SECURITY.md.
 *  - Bearer tokens live in guarded memory and never reach an error text.
 *  - Error text built from a server response (Status message, causes) is
 *    stripped of every value registered with ss_kube_redact_add, raw and
 *    in standard base64, also when escaped, before it reaches struct
 *    ss_err (see ss_kube_redact_add for what cannot be redacted).
 *
 * Errors: every call returns 0 or a negative SS_E_* code, with a message in
 * err. HTTP status → code: 404 SS_E_NOTFOUND, 409 SS_E_CONFLICT,
 * 400/422 SS_E_INVAL, 401/403 SS_E_PERM, 413 SS_E_LIMIT, 405/415
 * SS_E_UNSUPPORTED, 429/5xx and connection failures after the retries
 * SS_E_NET, a transfer timeout after the retries SS_E_TIMEOUT, a response
 * over the cap SS_E_LIMIT, an unusable client certificate/key SS_E_INVAL,
 * a failed TLS verification SS_E_NET (not retried); other statuses
 * SS_E_NET. The message names the verb, the object (apiVersion kind
 * namespace/name), the HTTP status, the Status reason, message and causes,
 * and "(after N attempts)" when it was retried.
 *
 * Retries: 429/500/502/503/504 and connection errors (couldn't connect,
 * send/recv error, empty reply, timeout) are retried up to
 * opts.max_retries times with exponential backoff and full jitter
 * (base 200 ms, cap 10 s); a Retry-After header (seconds) is honoured, up
 * to 30 s. Other 4xx are never retried.
 *
 * Threads: a struct ss_kube is not thread-safe. The agent runs one sync at
 * a time; a second thread (the HTTP server posting Events, the Lease loop)
 * must open its own ss_kube or serialise calls with a mutex of its own.
 *
 * Ownership: json_t results are new references owned by the caller; inputs
 * are borrowed. Outputs are set to NULL on entry and stay NULL on error.
 */
#ifndef SEALSYNC_KUBE_H
#define SEALSYNC_KUBE_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/err.h"

struct ss_kube_opts {
	/* Path to a kubeconfig (YAML or JSON); NULL → in-cluster config:
	 * https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with
	 * /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}. */
	const char *kubeconfig;
	const char *context;       /* NULL → current-context */
	const char *field_manager; /* NULL → "sealsync" */
	unsigned timeout_ms;       /* per request attempt; 0 → 30000 */
	unsigned max_retries;      /* extra attempts after the first */
	size_t max_response;       /* bytes per response body; 0 → 64 MiB */
	unsigned concurrency;      /* parallel requests in a batch; 0 → 8, max 64 */
	int allow_insecure;        /* honour insecure-skip-tls-verify (warn!) */
};

/* Fills o with the defaults above (field manager "sealsync", 3 retries). */
void ss_kube_opts_default(struct ss_kube_opts *o);

struct ss_kube;

/*
 * Reads the kubeconfig (or in-cluster files) and prepares the client. Does
 * not contact the server. Errors name the kubeconfig file and the field
 * (e.g. "users[0].user.client-key-data"): SS_E_INVAL for a missing or
 * malformed field, SS_E_NOTFOUND for an unknown context/cluster/user,
 * SS_E_UNSUPPORTED for exec/auth-provider users and non-https servers,
 * SS_E_PERM for insecure-skip-tls-verify without allow_insecure,
 * SS_E_IO for unreadable files.
 */
int ss_kube_open(const struct ss_kube_opts *o, struct ss_kube **out, struct ss_err *err)
	SS_MUST_CHECK;
/* Wipes the redaction set and the credentials and frees. NULL accepted. */
void ss_kube_free(struct ss_kube *k);

/* Context namespace or the in-cluster namespace file, else "default".
 * Valid as long as k. */
const char *ss_kube_namespace(const struct ss_kube *k);
/* The API server URL ("https://host:port"). Valid as long as k. */
const char *ss_kube_server(const struct ss_kube *k);
/* 1 when TLS verification is off (allow_insecure + kubeconfig said so). */
int ss_kube_insecure(const struct ss_kube *k);

/*
 * (Re)loads discovery: /api/v1, /apis and every version of every group:
 * (apiVersion, kind) → (resource, namespaced); subresources skipped.
 * Call again after CRDs were applied. A group version that fails to load
 * (e.g. a broken aggregated API, 503) is skipped, as kubectl does; the
 * call fails only when /api/v1 or /apis themselves fail.
 */
int ss_kube_discover(struct ss_kube *k, struct ss_err *err) SS_MUST_CHECK;

/*
 * What a chart's .Capabilities should say of this cluster (kube_caps.c),
 * for `helm template`: the server's gitVersion from GET /version ("v1.32.3",
 * into buf), and every "group/version" and "group/version/Kind" discovery
 * knows (running it first if it never ran), sorted, comma-separated, in *out
 * (malloc; the caller frees; NULL on error). Nothing in them is secret.
 */
int ss_kube_server_version(struct ss_kube *k, char *buf, size_t len,
			   struct ss_err *err) SS_MUST_CHECK;
int ss_kube_api_versions(struct ss_kube *k, char **out, struct ss_err *err) SS_MUST_CHECK;

/*
 * Maps (apiVersion, kind) to its plural resource name and scope. Runs
 * discovery first if it never ran. *resource is valid until the next
 * ss_kube_discover. SS_E_NOTFOUND when unknown (the caller may
 * rediscover once, e.g. after applying a CRD).
 */
int ss_kube_resource(struct ss_kube *k, const char *api_version, const char *kind,
		     const char **resource, int *namespaced, struct ss_err *err) SS_MUST_CHECK;

/*
 * Server-side apply of one object: PATCH .../NAME?fieldManager=M&force=true
 * [&dryRun=All], Content-Type application/apply-patch+yaml (the body is
 * JSON, which is YAML). The object must have apiVersion, kind,
 * metadata.name, and metadata.namespace when namespaced (a namespaced
 * object without one is refused with SS_E_INVAL: the caller decides the
 * default). result (may be NULL) gets the object the server returned.
 */
int ss_kube_apply(struct ss_kube *k, const json_t *obj, int dry_run, json_t **result,
		  struct ss_err *err) SS_MUST_CHECK;

/*
 * Applies n objects of one ordering stage concurrently (curl multi,
 * connection reuse, HTTP/2 when the server offers it), each retried on
 * its own. res[i] gets each outcome: code 0 or SS_E_*, the HTTP status
 * (0 when none) and a redacted message naming the object and the Status
 * reason. An object that cannot be addressed (unknown kind, no name) gets
 * its result without a request; the others are still sent. Returns 0 only
 * if every object succeeded; otherwise the code of the first failure (in
 * input order), with that message in err. A sliding window: each body
 * is built just before its first attempt and wiped when the object is
 * done, so memory stays bounded for thousands of objects, and an object
 * waiting for a retry does not hold up the others.
 */
struct ss_kube_result {
	int code;
	long http_status;
	char message[512];
	/* A 422 that only says a field cannot change: that field's path
	 * ("spec.template"), else "" (force recreate, apply.h). */
	char immutable[128];
};
int ss_kube_apply_batch(struct ss_kube *k, json_t *const *objs, size_t n, int dry_run,
			struct ss_kube_result *res, struct ss_err *err) SS_MUST_CHECK;

/* GET one object. SS_E_NOTFOUND on 404 (also for an unknown kind). */
int ss_kube_get(struct ss_kube *k, const char *api_version, const char *kind, const char *ns,
		const char *name, json_t **out, struct ss_err *err) SS_MUST_CHECK;

/*
 * LIST (pages of 500, followed with `continue`): *out is the List object
 * with every item in "items". ns NULL → all namespaces (or a cluster-scoped
 * kind); label_selector NULL → all.
 */
int ss_kube_list(struct ss_kube *k, const char *api_version, const char *kind, const char *ns,
		 const char *label_selector, json_t **out, struct ss_err *err) SS_MUST_CHECK;

/*
 * GET of Secrets as raw bytes, never parsed nor logged here: one Secret
 * (name not NULL) or the SecretList of those in ns matching label_selector
 * (name NULL; NULL selector: all). *out is initialised by this call as a
 * guarded buffer (sodium_malloc, ss_buf_init_secure) holding the response
 * body; the caller releases it (wipes). For callers that must keep a
 * Secret's data out of jansson's heap until they pick what they need.
 * On error *out is released (empty). Errors as ss_kube_get.
 */
struct ss_buf;
int ss_kube_get_secrets_raw(struct ss_kube *k, const char *ns, const char *name,
			    const char *label_selector, struct ss_buf *out,
			    struct ss_err *err) SS_MUST_CHECK;

/* DELETE with propagationPolicy=Background. SS_E_NOTFOUND on 404: the
 * caller decides whether "already gone" is success. */
int ss_kube_delete(struct ss_kube *k, const char *api_version, const char *kind, const char *ns,
		   const char *name, struct ss_err *err) SS_MUST_CHECK;

/* POST create. SS_E_CONFLICT on 409 AlreadyExists. out may be NULL. */
int ss_kube_create(struct ss_kube *k, const json_t *obj, json_t **out, struct ss_err *err)
	SS_MUST_CHECK;

/* PUT update; obj should carry metadata.resourceVersion as precondition.
 * SS_E_CONFLICT when it is stale. out may be NULL. */
int ss_kube_update(struct ss_kube *k, const json_t *obj, json_t **out, struct ss_err *err)
	SS_MUST_CHECK;

/*
 * Values that must never appear in error text. Each is kept in guarded
 * memory with its standard base64 form; messages built from server
 * responses have every occurrence replaced by "[REDACTED]" (overlapping
 * values leave nothing behind). Escaped forms are found too: the text is
 * decoded up to three times (JSON and Go %q escapes: \" \\ \/ \n \t ...,
 * \xNN, \uXXXX in either case with surrogate pairs, \UXXXXXXXX), so a
 * value quoted by %q, as JSON, as ASCII-only JSON or as JSON inside JSON
 * is replaced with its whole escaped run. A body that is not a Status is
 * redacted on its bytes as received, before non-printable bytes become
 * spaces.
 *
 * Not recognised: URL-encoding, base64url, forms that lose information
 * (a value the server truncated, or whose bytes it replaced, e.g. invalid
 * UTF-8 as \ufffd).
 *
 * Values shorter than 4 bytes cannot be redacted ("a" would mangle every
 * message): they are counted, not kept, and while any is registered the
 * server's message text and cause messages about a Secret are withheld
 * (the error keeps the verb, object, HTTP status, reason and cause fields).
 * This holds at every log level. Errors about other kinds keep their text.
 * ss_kube_redact_clear wipes them; call it after each sync.
 * SS_E_NOMEM, SS_E_LIMIT (more than 100000 values).
 */
int ss_kube_redact_add(struct ss_kube *k, const unsigned char *value, size_t len) SS_MUST_CHECK;
void ss_kube_redact_clear(struct ss_kube *k);
/* Redacts text (NUL-terminated, in place, in a buffer of cap bytes; the
 * result is truncated to fit) with k's values, for callers that log other
 * server text. */
void ss_kube_redact_text(const struct ss_kube *k, char *text, size_t cap);

/*
 * Tenancy (docs/RBAC.md "Tenancy"): requests started after this call carry
 * `Impersonate-User: system:serviceaccount:NS:NAME`, and nothing else
 * (the server derives the groups); ns and name NULL go back to the
 * agent's own identity. A request already in flight keeps the identity it
 * started with. ns and name must be valid Kubernetes names (SS_E_INVAL
 * naming them otherwise); SS_E_NOMEM. On error the identity is unchanged.
 */
int ss_kube_impersonate(struct ss_kube *k, const char *ns, const char *name,
			struct ss_err *err) SS_MUST_CHECK;
/* "system:serviceaccount:NS:NAME" while impersonating, else NULL. Valid
 * until the next ss_kube_impersonate. */
const char *ss_kube_identity(const struct ss_kube *k);
/* For the agent's own state in the middle of a unit's requests (its
 * inventory): suspend returns the current identity (owned by the caller,
 * NULL when none) and goes back to the agent's own; resume takes it back. */
char *ss_kube_identity_suspend(struct ss_kube *k);
void ss_kube_identity_resume(struct ss_kube *k, char *saved);

#endif
