/*
 * apisrv.h: internals of ss-apiserver, the local Kubernetes API server used
 * by the tests, the demo and the benchmarks. See README.md in this folder.
 *
 * Layers (each a file): parse.c (request bodies: JSON, YAML), select.c
 * (label selectors), fields.c (managed fields and apply merge), registry.c
 * (resource types, discovery, OpenAPI), store.c + store_ops.c (objects and
 * verbs), http.c (libmicrohttpd glue, auth, faults, request log), main.c.
 * Everything below http.c is free of libmicrohttpd so the fuzz target can
 * build it with clang.
 *
 * All functions follow the project's convention: int 0 or negative SS_E_*,
 * outputs NULL on entry and set only on success, rich error in ss_err.
 */
#ifndef SS_APISRV_H
#define SS_APISRV_H

#include <jansson.h>
#include <stddef.h>

#include "sealsync/err.h"

/* Nesting limit for bodies: keeps every recursive walk shallow. */
#define APISRV_MAX_DEPTH 64

/* ---- parse.c ---------------------------------------------------------- */

/*
 * Loads exactly one YAML document into a JSON value, typing scalars the
 * way sigs.k8s.io/yaml (YAML 1.1) does for the common cases. Aliases,
 * duplicate keys, non-scalar keys, .inf/.nan, more than one document and
 * nesting past APISRV_MAX_DEPTH are refused with SS_E_INVAL / SS_E_LIMIT.
 * *out is a new reference owned by the caller.
 */
int apisrv_yaml_load(const void *data, size_t len, json_t **out, struct ss_err *err);

/*
 * Parses a request body into a JSON object. ctype picks the syntax:
 * application/json and the JSON patch types take JSON only;
 * application/apply-patch+yaml and application/yaml take YAML (which
 * covers JSON). The top level must be an object. Errors are SS_E_INVAL
 * with a message fit for a 400 Status (it never quotes the body).
 */
int apisrv_body_parse(const char *ctype, const void *data, size_t len,
		      json_t **out, struct ss_err *err);

/*
 * jsonpatch.c: applies an RFC 6902 JSON Patch (body: a JSON array of
 * operations) to doc in place. On failure doc is partly changed (callers
 * patch a copy) and err names the operation index, op and path.
 */
int apisrv_json_patch(json_t *doc, const void *body, size_t len, struct ss_err *err);

/* ---- select.c --------------------------------------------------------- */

struct apisrv_selector;

/*
 * Parses a label selector (=, ==, !=, in, notin, exists, !exists), as in
 * k8s.io/apimachinery/pkg/labels. NULL or "" selects everything.
 */
int apisrv_selector_parse(const char *text, struct apisrv_selector **out,
			  struct ss_err *err);
/* 1 when the labels object (may be NULL) matches. */
int apisrv_selector_match(const struct apisrv_selector *s, const json_t *labels);
void apisrv_selector_free(struct apisrv_selector *s);

/* ---- fields.c --------------------------------------------------------- */

/* One field the applier does not own but sets to another value. */
struct apisrv_conflict {
	char manager[128];
	char api_version[128];
	char field[512]; /* ".spec.replicas" */
};

#define APISRV_MAX_CONFLICTS 32

struct apisrv_apply_result {
	json_t *obj;       /* the merged object (new reference) */
	int changed;       /* 0 when the apply was a no-op */
	size_t nconflicts; /* > 0: obj is NULL and the apply was refused */
	struct apisrv_conflict conflicts[APISRV_MAX_CONFLICTS];
};

/*
 * Server-side apply of `applied` (the request body, already normalised)
 * on `live` (NULL to create) by `manager`. Without force, fields owned
 * by another manager with a different value are conflicts. `now` is an
 * RFC 3339 time for managedFields. The merge treats every list as atomic.
 */
int apisrv_fields_apply(const json_t *live, const json_t *applied, const char *manager,
			int force, const char *now, struct apisrv_apply_result *res,
			struct ss_err *err);

/*
 * Records a non-apply write (create, update, patch) by `manager`: the
 * fields it changed become its own (operation Update) and are taken from
 * other managers. `next` is modified in place (its managedFields).
 */
int apisrv_fields_update(const json_t *live, json_t *next, const char *manager,
			 const char *now, struct ss_err *err);

/* ---- registry.c ------------------------------------------------------- */

struct apisrv_res {
	char group[128];
	char version[64];
	char kind[128];
	char list_kind[140];
	char plural[128];
	char singular[128];
	char short_names[4][32];
	int namespaced;
	int has_status;    /* status is set by the server, not by writes */
	int custom;        /* from a CRD */
	int return_object; /* DELETE returns the object, not a Status */
	json_t *schema;    /* CRD openAPIV3Schema (own reference) or NULL */
	char crd[300];     /* the CRD's name for custom resources */
};

struct apisrv_registry;

int apisrv_registry_new(struct apisrv_registry **out);
void apisrv_registry_free(struct apisrv_registry *r);
/* By group, version and plural; NULL when unknown. */
const struct apisrv_res *apisrv_registry_find(const struct apisrv_registry *r,
					      const char *group, const char *version,
					      const char *plural);
/* By group, version and kind; NULL when unknown. */
const struct apisrv_res *apisrv_registry_find_kind(const struct apisrv_registry *r,
						   const char *group, const char *version,
						   const char *kind);
/* Registers (or replaces) the resources that a CRD object serves. */
int apisrv_registry_add_crd(struct apisrv_registry *r, const json_t *crd,
			    struct ss_err *err);
/* Removes every resource of the CRD named `name` (plural.group). */
void apisrv_registry_remove_crd(struct apisrv_registry *r, const char *name);
/* Iteration over all resources, in registration order. */
size_t apisrv_registry_count(const struct apisrv_registry *r);
const struct apisrv_res *apisrv_registry_at(const struct apisrv_registry *r, size_t i);

/* Discovery documents; each returns a new reference or NULL (404). */
json_t *apisrv_discovery_core(const struct apisrv_registry *r, const char *path);
json_t *apisrv_discovery_groups(const struct apisrv_registry *r);
json_t *apisrv_discovery_group(const struct apisrv_registry *r, const char *group);
json_t *apisrv_discovery_resources(const struct apisrv_registry *r, const char *group,
				   const char *version);
/* OpenAPI v3 root and group-version documents, v2 document. */
json_t *apisrv_openapi_v3_root(const struct apisrv_registry *r);
json_t *apisrv_openapi_v3_gv(const struct apisrv_registry *r, const char *gvpath);
json_t *apisrv_openapi_v2(const struct apisrv_registry *r);

/* ---- store.c / store_ops.c -------------------------------------------- */

/* One API request, already split by http.c. Strings are borrowed. */
struct apisrv_req {
	const char *method; /* GET POST PUT PATCH DELETE */
	const char *group;  /* "" for core */
	const char *version;
	const char *plural;
	const char *ns;      /* "" when none in the path */
	const char *name;    /* "" for collections */
	const char *subres;  /* "" or "status" */
	const char *field_manager;
	const char *user_agent;
	const char *label_selector;
	const char *field_selector;
	const char *limit;        /* list page size, NULL = all */
	const char *continue_tok; /* from the previous page's metadata.continue */
	const char *ctype;
	int dry_run;
	int force;
	int strict; /* fieldValidation=Strict */
	const void *body;
	size_t body_len;
};

/* What a verb answers: a status code and a JSON body (owned). */
struct apisrv_reply {
	int status;
	json_t *body;
	/* For the request log. */
	char verb[24];
	char kind[128];
	char name[256];
};

struct apisrv_store;

int apisrv_store_new(long crd_delay_ms, struct apisrv_store **out);
void apisrv_store_free(struct apisrv_store *s);
/* Drops every object and CRD; the built-in namespaces come back. */
void apisrv_store_reset(struct apisrv_store *s);
/* Serves one resource request. Thread-safe (one lock per store). */
void apisrv_store_handle(struct apisrv_store *s, const struct apisrv_req *rq,
			 struct apisrv_reply *rep);
/* Serves a discovery or OpenAPI path; 404 Status when unknown. */
void apisrv_store_discovery(struct apisrv_store *s, const char *path,
			    struct apisrv_reply *rep);
size_t apisrv_store_count(struct apisrv_store *s);

/*
 * Watch of a collection (rq as for a list, with its selectors). *last_rv
 * is where the client stands: 0 on the first call means "send ADDED for
 * every matching object, then follow"; N follows from resourceVersion N
 * (410 Gone when N is older than the change log). Waits up to wait_ms for
 * a change, then returns the events ({"type","object"}, maybe none) as a
 * new array and advances *last_rv. NULL with rep filled on error.
 */
json_t *apisrv_store_watch(struct apisrv_store *s, const struct apisrv_req *rq, int first,
			   unsigned long long *last_rv, int wait_ms, struct apisrv_reply *rep);
/* Wakes every waiting watch (at shutdown). */
void apisrv_store_wake(struct apisrv_store *s);
/* Test fault: every resourceVersion up to now expires (/_admin/compact). */
void apisrv_store_compact(struct apisrv_store *s);

/* A Kubernetes Status body (new reference). */
json_t *apisrv_status(int code, const char *reason, const char *message);
/* Fills rep with a Status; details name/group/kind when given. */
void apisrv_reply_status(struct apisrv_reply *rep, int code, const char *reason,
			 const struct apisrv_res *res, const char *name, const char *fmt, ...)
	SS_PRINTF(6, 7);

/* RFC 3339 UTC time of now, seconds precision. */
void apisrv_now(char *buf, size_t len);

#endif
