/* server_int.h: internals shared by server*.c. */
#ifndef SEALSYNC_SERVER_INT_H
#define SEALSYNC_SERVER_INT_H

#include <jansson.h>
#include <microhttpd.h>

#include "sealsync/buf.h"
#include "sealsync/server.h"

struct ss_keyring;

struct ss_server {
	struct MHD_Daemon *mhd;
	struct ss_server_opts o;
	struct ss_recipient extra[SS_SERVER_MAX_EXTRA];
	struct ss_buf tls_cert, tls_key, hook_secret; /* key and secret: guarded */
	size_t hook_len;         /* the secret without a trailing newline */
	struct ss_keyring *kr;   /* copy of the store's usable keys */
	unsigned long kr_gen;
	double tokens, last_refill; /* POST token bucket */
};

/* One request as the handlers see it. */
struct srv_req {
	struct MHD_Connection *conn;
	const char *method, *url;
	struct ss_buf body;
	int too_big;
};

struct srv_reply {
	unsigned status;
	const char *ctype;
	struct ss_buf body;
	unsigned retry_after; /* 0: none */
	const char *allow;    /* for 405 */
};

/* Sets status and a JSON body {"error": msg} (msg must be value-free). */
int srv_json_error(struct srv_reply *r, unsigned status, const char *msg);
/* Sets status and the JSON dump of o (steals the reference). */
int srv_json(struct srv_reply *r, unsigned status, json_t *o);
/* A request header, or NULL. */
const char *srv_header(const struct srv_req *q, const char *name);

/* Refreshes s->kr from the key store when it changed. */
int srv_keyring(struct ss_server *s, struct ss_err *err);

int srv_recipients(struct ss_server *s, struct srv_req *q, struct srv_reply *r);
int srv_reseal(struct ss_server *s, struct srv_req *q, struct srv_reply *r);
int srv_verify(struct ss_server *s, struct srv_req *q, struct srv_reply *r);
int srv_hook(struct ss_server *s, struct srv_req *q, struct srv_reply *r);

#endif
