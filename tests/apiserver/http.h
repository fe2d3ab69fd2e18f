/*
 * http.h: the HTTP side of ss-apiserver (http.c: libmicrohttpd, auth,
 * routing, admin endpoints, request log; faults.c: fault rules).
 */
#ifndef SS_APISRV_HTTP_H
#define SS_APISRV_HTTP_H

#include <pthread.h>
#include <stdio.h>

#include "apisrv.h"

enum fault_type { FAULT_NONE = 0, FAULT_STATUS, FAULT_RESET, FAULT_LATENCY };

struct apisrv_fault {
	enum fault_type type;
	int code;           /* FAULT_STATUS: 500, 429, ... */
	char method[16];    /* "" = any */
	char path[256];     /* prefix, "" = any */
	double rate;        /* 0..1; -1 once a count rule is spent */
	long count;         /* > 0: the next N matching requests */
	long latency_ms;    /* FAULT_LATENCY */
	long retry_after;   /* 429: seconds for Retry-After */
	int dry_run;        /* -1 any, 0 only real writes, 1 only dryRun=All */
	char message[512];  /* Status message, "" = "injected fault: CODE" */
	long hits;
};

#define FAULTS_MAX 64

struct apisrv_faults {
	pthread_mutex_t mu;
	struct apisrv_fault f[FAULTS_MAX];
	size_t n;
	unsigned long long rng;
};

void faults_init(struct apisrv_faults *fs, unsigned long long seed);
void faults_release(struct apisrv_faults *fs);
/* "type=500,method=PATCH,path=/api,count=3" (see faults.c). */
int faults_add_spec(struct apisrv_faults *fs, const char *spec, struct ss_err *err);
/* The same keys as a JSON object, or an array of them. */
int faults_add_json(struct apisrv_faults *fs, const json_t *j, struct ss_err *err);
void faults_clear(struct apisrv_faults *fs);
json_t *faults_to_json(struct apisrv_faults *fs);
/* The first terminal fault that fires (type FAULT_NONE if none) and the
 * sum of the latency rules that fire. method is "METHOD verb", e.g.
 * "GET list"; a rule's method matches either part. */
void faults_pick(struct apisrv_faults *fs, const char *method, const char *path,
		 int dry_run, struct apisrv_fault *hit, long *latency_ms);
const char *faults_name(const struct apisrv_fault *f, char *buf, size_t len);

struct apisrv_http {
	struct apisrv_store *store;
	struct apisrv_faults faults;
	char token[256];
	char token_ro[256]; /* "" = none; may only read */
	size_t max_body;
	char log_path[4096];
	FILE *log;
	pthread_mutex_t log_mu;
	struct MHD_Daemon *daemon;
	unsigned port;
	volatile int stopping; /* ends open watches at shutdown */
};

/* Starts serving TLS on 127.0.0.1:port (0 = any); h->port is the port. */
int http_start(struct apisrv_http *h, unsigned port, const char *cert_pem,
	       const char *key_pem, struct ss_err *err);
void http_stop(struct apisrv_http *h);

#endif
