/*
 * store_int.h: what store.c and store_ops.c share. Every function here
 * runs with the store's lock held.
 */
#ifndef SS_APISRV_STORE_INT_H
#define SS_APISRV_STORE_INT_H

#include <pthread.h>

#include "apisrv.h"

#define STORE_KEY_MAX 1024
#define STORE_EVENTS 8192

enum store_ev_type { EV_ADDED, EV_MODIFIED, EV_DELETED };

/* One change, kept for watches (a ring of the last STORE_EVENTS). */
struct store_event {
	unsigned long long rv;
	enum store_ev_type type;
	char *key;   /* the store key, owned */
	json_t *obj; /* the object after the change (before, for DELETED) */
};

/* Event fields the real server also selects on (core/v1 Events), e.g.
 * kubectl get events --field-selector reason=X,involvedObject.name=Y. */
#define FIELD_SEL_TERMS 4
struct field_term {
	char path[48]; /* dotted, e.g. involvedObject.name */
	char val[256];
	int ne;
};

struct field_sel {
	char name[256];
	int name_op; /* 0 none, 1 =, 2 != */
	char ns[256];
	int has_ns;
	struct field_term terms[FIELD_SEL_TERMS];
	size_t nterms;
};

struct apisrv_store {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* signalled on every change, for watches */
	struct store_event ev[STORE_EVENTS];
	size_t ev_next, ev_count;
	struct apisrv_registry *reg;
	json_t *objs;    /* "group|plural|ns|name" -> object (immutable once stored) */
	json_t *pending; /* CRD name -> due time (ms, monotonic) for Established */
	unsigned long long rv;
	/* Test compaction (/_admin/compact): a watch from below this
	 * resourceVersion is 410, and open watches get an in-stream 410. */
	unsigned long long compacted;
	long crd_delay_ms;
};

long long store_now_ms(void);
int field_sel_parse(const char *text, struct field_sel *fs, struct ss_err *err);
int field_sel_match(const struct field_sel *fs, const json_t *obj);
int route_check(struct apisrv_store *s, const struct apisrv_req *rq,
		const struct apisrv_res **out, struct apisrv_reply *rep);
/* watch.c: records a committed change (rv = the change's resourceVersion). */
void store_event_push(struct apisrv_store *s, enum store_ev_type type, const char *key,
		      json_t *obj, unsigned long long rv);
void store_events_clear(struct apisrv_store *s);
void store_uid(char *buf, size_t len);
void store_res_name(const struct apisrv_res *res, char *buf, size_t len);
void store_key(char *buf, size_t len, const struct apisrv_res *res, const char *ns,
	       const char *name);
json_t *store_lookup(struct apisrv_store *s, const struct apisrv_res *res, const char *ns,
		     const char *name);
int store_ns_exists(struct apisrv_store *s, const char *ns);
/* Marks CRDs Established once their delay has passed. */
void store_tick(struct apisrv_store *s);

void store_get(struct apisrv_store *s, const struct apisrv_res *res,
	       const struct apisrv_req *rq, struct apisrv_reply *rep);
void store_list(struct apisrv_store *s, const struct apisrv_res *res,
		const struct apisrv_req *rq, struct apisrv_reply *rep);
void store_create(struct apisrv_store *s, const struct apisrv_res *res,
		  const struct apisrv_req *rq, struct apisrv_reply *rep);
void store_update(struct apisrv_store *s, const struct apisrv_res *res,
		  const struct apisrv_req *rq, struct apisrv_reply *rep);
void store_patch(struct apisrv_store *s, const struct apisrv_res *res,
		 const struct apisrv_req *rq, struct apisrv_reply *rep);
void store_delete(struct apisrv_store *s, const struct apisrv_res *res,
		  const struct apisrv_req *rq, struct apisrv_reply *rep);
/* GET, PUT and PATCH of the scale subresource. */
void store_scale(struct apisrv_store *s, const struct apisrv_res *res,
		 const struct apisrv_req *rq, struct apisrv_reply *rep);
void store_delete_collection(struct apisrv_store *s, const struct apisrv_res *res,
			     const struct apisrv_req *rq, struct apisrv_reply *rep);

/* kinds.c: per-kind rules applied to every write. */
/* Validates and completes `obj` (a new object value) for kind `res`; on
 * failure fills rep with a 400/422 Status and returns -1. */
int kinds_prepare(struct apisrv_store *s, const struct apisrv_res *res, json_t *obj,
		  const struct apisrv_req *rq, struct apisrv_reply *rep);
/* With fieldValidation=Strict: unknown top-level or metadata fields in a
 * request body are a 400, as the real server's strict decoding does. */
int kinds_check_strict(const struct apisrv_res *res, const json_t *body,
		       const struct apisrv_req *rq, struct apisrv_reply *rep);
/* Side effects of a committed write or delete (CRDs: registry). */
void kinds_committed(struct apisrv_store *s, const struct apisrv_res *res, const json_t *obj,
		     int deleted);

#endif
