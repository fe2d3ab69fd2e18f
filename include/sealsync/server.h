/*
 * server.h: the agent's HTTP endpoints (libmicrohttpd, one internal thread).
 *
 *   GET  /healthz         200 "ok" while the process runs
 *   GET  /readyz          200 / 503, JSON {"ready":bool,"detail":"..."}
 *   GET  /metrics         Prometheus text format 0.0.4 (metrics.h)
 *   GET  /v1/recipients   JSON {"active","recipients":[...],"extra":[...]};
 *                         with Accept: text/plain, age's recipients-file
 *                         format: the active key and the extra recipients
 *                         as lines (what `sealctl seal --agent` seals to),
 *                         retained keys as comments
 *   POST /v1/reseal       SealedSecret (YAML or JSON) in, the same rewrapped
 *                         to the active key + extra recipients out (same
 *                         file key; scope stanza and payload kept byte for
 *                         byte, see ss_age_reseal); 400 bad input, 422 a
 *                         value that does not open (JSON naming the key)
 *   POST /v1/verify       200 every value opens in its scope; 409 JSON naming
 *                         each failing key; ?namespace=NS when the manifest
 *                         names none
 *   POST /hook            GitHub-style X-Hub-Signature-256: sha256=<hex HMAC>
 *                         of the body with the webhook secret, compared in
 *                         constant time; 401 and nothing else on a bad or
 *                         missing signature; 202 and a sync trigger if good
 *
 * Limits: bodies over max_body get 413 (Content-Length checked before
 * reading). Every body reserves its Content-Length (max_body when chunked)
 * from body_budget before a byte is read; past it, 503 with Retry-After, so
 * memory for bodies never exceeds body_budget. Every connection has an
 * absolute deadline that trickling does not move: header_timeout for the
 * headers, then request_timeout for body and reply; then it is cut. POSTs
 * beyond posts_per_minute get 429 with Retry-After, from three token
 * buckets with that burst: /v1/reseal + /v1/verify (taken before the body
 * is read), signed webhooks and webhooks whose signature failed (both
 * taken after the HMAC check), so that unauthenticated POSTs never spend a
 * signed webhook's tokens. A known path with another method gets 405 with
 * Allow; anything else 404. Each reseal/verify request may spend at most
 * SS_SERVER_X25519_BUDGET X25519 operations. The probe listener (its own
 * daemon and connection limit) keeps /healthz answering while the main
 * port is full.
 *
 * Secrets: plaintext exists only inside ss_age_reseal / ss_age_open (guarded
 * memory) and is never put in a response or a log line; requests are logged
 * at debug level by method, path and status only.
 *
 * Threads: handlers run on MHD's internal thread (one per daemon; the probe
 * daemon only reads metrics). They read the key store and metrics through
 * their mutexes and call trigger() for a webhook; they never touch struct
 * ss_agent. A sweeper thread enforces the connection deadlines.
 */
#ifndef SEALSYNC_SERVER_H
#define SEALSYNC_SERVER_H

#include <stddef.h>

#include "sealsync/err.h"
#include "sealsync/keys.h"

struct ss_keyholder;
struct ss_keystore;
struct ss_metrics;
struct ss_server;

#define SS_SERVER_X25519_BUDGET 4096u
#define SS_SERVER_MAX_EXTRA 16
/* Defaults for the options below left 0. */
#define SS_SERVER_BODY_BUDGET (16u * 1024 * 1024)
#define SS_SERVER_HEADER_TIMEOUT 10u
#define SS_SERVER_REQUEST_TIMEOUT 30u

struct ss_server_opts {
	const char *listen;              /* "host:port" (IPv4/IPv6 literal or name) */
	const char *tls_cert_file;       /* PEM; with tls_key_file: HTTPS */
	const char *tls_key_file;        /* must pass ss_keyfile_check_perms */
	int tls_generate;                /* no files: a self-signed certificate made at
					  * start, key in memory only (server_tlsgen.c) */
	const char *const *tls_names;    /* its subjectAltNames, NULL-terminated */
	const char *webhook_secret_file; /* NULL: /hook answers 404 */
	const char *probe_listen;        /* "host:port": plain HTTP, /healthz and
					  * /readyz only; NULL or "": none */
	size_t max_body;                 /* bytes */
	size_t body_budget;              /* bytes all bodies may hold at once;
					  * at least max_body (0: default) */
	unsigned header_timeout;         /* seconds from accept (or the last
					  * reply) to the end of the headers */
	unsigned request_timeout;        /* seconds from the headers to the end
					  * of the body and of the reply (0s:
					  * the defaults) */
	unsigned posts_per_minute;       /* per bucket; 0: no limit */
	int allow_unscoped;
	const struct ss_recipient *extra; /* copied; at most SS_SERVER_MAX_EXTRA */
	size_t nextra;
	struct ss_keystore *keys;        /* borrowed, must outlive the server */
	struct ss_keyholder *holder;     /* privsep: opens/reseals values; keys then
					  * only supplies the public keys. NULL: keys' keyring */
	struct ss_metrics *metrics;      /* borrowed, must outlive the server */
	void (*trigger)(void *ctx);      /* on a good webhook (HTTP thread) */
	void *trigger_ctx;
};

/* Binds and starts serving. Errors name the address or the file. */
int ss_server_start(const struct ss_server_opts *o, struct ss_server **out,
		    struct ss_err *err) SS_MUST_CHECK;

/*
 * The webhook check: 0 when header is "sha256=" + 64 hex digits of
 * HMAC-SHA256(secret, body), compared in constant time; SS_E_SIG for
 * anything else (an empty secret never matches).
 */
int ss_server_check_signature(const unsigned char *secret, size_t secret_len, const char *header,
			      const unsigned char *body, size_t len) SS_MUST_CHECK;

/* The pin of a generated certificate's key, "sha256//BASE64" (the SHA-256
 * of its SubjectPublicKeyInfo, as sealctl --pin takes it); NULL when the
 * certificate came from files or there is no TLS. Owned by s. */
#define SS_SERVER_TLS_PIN_PREFIX "sha256//"
const char *ss_server_tls_pin(const struct ss_server *s);

/* The bound TCP port (useful with a listen port of 0). */
unsigned ss_server_port(const struct ss_server *s);

/* Stops the thread, wipes the webhook secret, TLS key and keyring copy. */
void ss_server_stop(struct ss_server *s); /* NULL accepted */

#endif
