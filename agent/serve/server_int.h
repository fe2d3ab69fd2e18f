/* server_int.h: internals shared by server*.c. */
#ifndef SEALSYNC_SERVER_INT_H
#define SEALSYNC_SERVER_INT_H

#include <pthread.h>

#include <jansson.h>
#include <microhttpd.h>

#include "sealsync/buf.h"
#include "sealsync/server.h"

struct ss_keyring;
struct srv_conn;

struct srv_bucket {
	double tokens, last;
};

struct ss_server {
	struct MHD_Daemon *mhd;
	struct MHD_Daemon *probe; /* /healthz and /readyz only; NULL: none */
	struct ss_server_opts o;
	struct ss_recipient extra[SS_SERVER_MAX_EXTRA];
	struct ss_buf tls_cert, tls_key, hook_secret; /* key and secret: guarded */
	char tls_pin[64];        /* of a generated certificate; "" otherwise */
	size_t hook_len;         /* the secret without a trailing newline */
	struct ss_keyring *kr;   /* copy of the store's usable keys */
	unsigned long kr_gen;
	/* Buckets (MHD thread only): /v1 POSTs, signed webhooks, webhooks
	 * whose signature failed. Kept apart so that unauthenticated POSTs
	 * cannot spend a signed webhook's budget. */
	struct srv_bucket api, hook_ok, hook_bad;
	size_t body_used; /* bytes reserved for request bodies (MHD thread) */
	/* Per-connection deadlines (server_limits.c); guard_mu protects conns,
	 * their deadlines and guard_stop. */
	pthread_mutex_t guard_mu;
	pthread_t guard_thread;
	struct srv_conn *conns;
	int guard_mu_ok, guard_running, guard_stop;
};

/* One request as the handlers see it. */
struct srv_req {
	struct MHD_Connection *conn;
	const char *method, *url;
	struct ss_buf body;
	size_t reserved; /* of the body budget, released when the request ends */
	int too_big;
};

struct srv_reply {
	unsigned status;
	const char *ctype;
	struct ss_buf body;
	unsigned retry_after; /* 0: none */
	const char *allow;    /* for 405 */
};

/* A self-signed certificate and its key into tls_cert/tls_key, its pin
 * into tls_pin (server_tlsgen.c). */
int srv_tls_generate(struct ss_server *s, struct ss_err *err);

/* Sets status and a JSON body {"error": msg} (msg must be value-free). */
int srv_json_error(struct srv_reply *r, unsigned status, const char *msg);
/* Sets status and the JSON dump of o (steals the reference). */
int srv_json(struct srv_reply *r, unsigned status, json_t *o);
/* A request header, or NULL. */
const char *srv_header(const struct srv_req *q, const char *name);

double srv_now(void); /* CLOCK_MONOTONIC seconds */
void srv_bucket_init(struct srv_bucket *b, unsigned per_minute);
/* 0 when a token was taken, else the seconds to wait (for Retry-After). */
unsigned srv_bucket_take(struct srv_bucket *b, unsigned per_minute);
/* Reserves n bytes of the global body budget; -1 when it is full. */
int srv_body_reserve(struct ss_server *s, size_t n);
void srv_body_release(struct ss_server *s, size_t n);
/* MHD_OPTION_NOTIFY_CONNECTION: tracks each connection and its deadline. */
void srv_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);
/* The connection is cut `seconds` from now unless moved again. */
void srv_deadline(struct ss_server *s, struct MHD_Connection *c, unsigned seconds);
/* The sweeper thread: before the daemons start, after they stopped. */
int srv_guard_start(struct ss_server *s, struct ss_err *err);
void srv_guard_stop(struct ss_server *s);

/* Refreshes s->kr from the key store when it changed. */
int srv_keyring(struct ss_server *s, struct ss_err *err);

int srv_recipients(struct ss_server *s, struct srv_req *q, struct srv_reply *r);
int srv_reseal(struct ss_server *s, struct srv_req *q, struct srv_reply *r);
int srv_verify(struct ss_server *s, struct srv_req *q, struct srv_reply *r);
int srv_hook(struct ss_server *s, struct srv_req *q, struct srv_reply *r);

#endif
