/*
 * store_ops.c: the write verbs: create (POST), update (PUT), patch
 * (server-side apply, merge patch), delete and deletecollection.
 *
 * Every write runs the same steps: parse the body, check identity (kind,
 * apiVersion, name, namespace), check preconditions, build the new value,
 * let kinds.c complete it, record managed fields, then commit: system
 * metadata, a new resourceVersion, and the store (unless dryRun).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char *meta_str(const json_t *obj, const char *k)
{
	return jstr(json_object_get(obj, "metadata"), k);
}

void store_uid(char *buf, size_t len)
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* The field manager of a non-apply write: the query, else the user agent
 * up to its first '/', as the real server derives it. */
static void manager_of(const struct apisrv_req *rq, char *buf, size_t len)
{
	const char *ua = rq->user_agent ? rq->user_agent : "";

	if (rq->field_manager && *rq->field_manager)
		snprintf(buf, len, "%s", rq->field_manager);
	else if (*ua)
		snprintf(buf, len, "%.*s", (int)strcspn(ua, "/"), ua);
	else
		snprintf(buf, len, "unknown");
}

static void api_version_of(const struct apisrv_res *res, char *buf, size_t len)
{
	if (*res->group)
		snprintf(buf, len, "%s/%s", res->group, res->version);
	else
		snprintf(buf, len, "%s", res->version);
}

static int rc_status(const struct ss_err *err)
{
	return err->code == SS_E_UNSUPPORTED ? 415 : 400;
}

static const char *rc_reason(const struct ss_err *err)
{
	return err->code == SS_E_UNSUPPORTED ? "UnsupportedMediaType" : "BadRequest";
}

/* Parses the body and checks that it is an object of this resource. */
static int read_object(const struct apisrv_res *res, const struct apisrv_req *rq,
		       struct apisrv_reply *rep, json_t **out)
{
	struct ss_err err;
	json_t *obj = NULL;
	char av[300];
	int rc;

	*out = NULL;
	ss_err_clear(&err);
	rc = apisrv_body_parse(rq->ctype, rq->body, rq->body_len, &obj, &err);
	if (rc == SS_E_UNSUPPORTED) {
		apisrv_reply_status(rep, 415, "UnsupportedMediaType", NULL, NULL, "%s", err.msg);
		return -1;
	}
	if (rc != 0) {
		apisrv_reply_status(rep, 400, "BadRequest", NULL, NULL, "%s", err.msg);
		return -1;
	}
	api_version_of(res, av, sizeof(av));
	/* As the real decoder: a missing apiVersion/kind defaults from the URL. */
	if (!json_object_get(obj, "apiVersion") && rq->ctype &&
	    strncmp(rq->ctype, "application/apply-patch", 23) != 0)
		json_object_set_new(obj, "apiVersion", json_string(av));
	if (!json_object_get(obj, "kind") && rq->ctype &&
	    strncmp(rq->ctype, "application/apply-patch", 23) != 0)
		json_object_set_new(obj, "kind", json_string(res->kind));
	if (strcmp(jstr(obj, "apiVersion"), av) != 0 || strcmp(jstr(obj, "kind"), res->kind) != 0) {
		apisrv_reply_status(rep, 400, "BadRequest", res, rq->name,
				    "the body must be a %s of apiVersion %s", res->kind, av);
		json_decref(obj);
		return -1;
	}
	if (!json_is_object(json_object_get(obj, "metadata")))
		json_object_set_new(obj, "metadata", json_object());
	if (kinds_check_strict(res, obj, rq, rep) != 0) {
		json_decref(obj);
		return -1;
	}
	*out = obj;
	return 0;
}

/* Name and namespace in the body must agree with the URL. */
static int check_identity(struct apisrv_store *s, const struct apisrv_res *res, json_t *obj,
			  const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *ns = meta_str(obj, "namespace");
	const char *name = meta_str(obj, "name");

	if (*rq->name && strcmp(name, rq->name) != 0) {
		apisrv_reply_status(rep, 400, "BadRequest", res, rq->name,
				    "the name of the object (%s) does not match the name on the URL (%s)",
				    name, rq->name);
		return -1;
	}
	if (res->namespaced && *ns && strcmp(ns, rq->ns) != 0) {
		apisrv_reply_status(rep, 400, "BadRequest", res, name,
				    "the namespace of the provided object does not match the namespace sent on the request");
		return -1;
	}
	if (res->namespaced)
		json_object_set_new(meta, "namespace", json_string(rq->ns));
	if (res->namespaced && !store_ns_exists(s, rq->ns)) {
		apisrv_reply_status(rep, 404, "NotFound", NULL, rq->ns, "namespaces \"%s\" not found",
				    rq->ns);
		json_object_set_new(json_object_get(rep->body, "details"), "kind",
				    json_string("namespaces"));
		return -1;
	}
	return 0;
}

static int spec_changed(const json_t *a, const json_t *b)
{
	json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
	int changed;

	json_object_del(x, "metadata");
	json_object_del(x, "status");
	json_object_del(y, "metadata");
	json_object_del(y, "status");
	changed = !json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return changed;
}

/* Sets system metadata and stores obj (stolen); replies with it. */
static void commit(struct apisrv_store *s, const struct apisrv_res *res, json_t *obj,
		   const json_t *live, const struct apisrv_req *rq, struct apisrv_reply *rep,
		   int code)
{
	json_t *meta = json_object_get(obj, "metadata");
	char key[STORE_KEY_MAX], uid[40], now[40], rv[32];
	json_int_t gen = 1;

	apisrv_now(now, sizeof(now));
	if (live) {
		json_t *lm = json_object_get(live, "metadata");
		json_object_set(meta, "uid", json_object_get(lm, "uid"));
		json_object_set(meta, "creationTimestamp", json_object_get(lm, "creationTimestamp"));
		gen = json_integer_value(json_object_get(lm, "generation")) +
		      spec_changed(live, obj);
	} else {
		store_uid(uid, sizeof(uid));
		json_object_set_new(meta, "uid", json_string(uid));
		json_object_set_new(meta, "creationTimestamp", json_string(now));
	}
	/* As the real strategies do: generation for kinds with a spec/status
	 * split and custom resources, not for ConfigMaps, Secrets, ... */
	if (res->has_status || res->custom)
		json_object_set_new(meta, "generation", json_integer(gen > 0 ? gen : 1));
	else
		json_object_del(meta, "generation");
	if (rq->dry_run) {
		if (live)
			json_object_set(meta, "resourceVersion",
					json_object_get(json_object_get(live, "metadata"),
							"resourceVersion"));
		else
			json_object_del(meta, "resourceVersion");
	} else {
		snprintf(rv, sizeof(rv), "%llu", ++s->rv);
		json_object_set_new(meta, "resourceVersion", json_string(rv));
		store_key(key, sizeof(key), res, rq->ns, meta_str(obj, "name"));
		json_object_set(s->objs, key, obj);
		store_event_push(s, live ? EV_MODIFIED : EV_ADDED, key, obj, s->rv);
		kinds_committed(s, res, obj, 0);
	}
	rep->status = code;
	rep->body = obj;
}

static void strip_for_write(const struct apisrv_res *res, json_t *obj, const json_t *live)
{
	json_t *meta = json_object_get(obj, "metadata");

	json_object_del(meta, "managedFields");
	json_object_del(meta, "uid");
	json_object_del(meta, "creationTimestamp");
	json_object_del(meta, "generation");
	if (res->has_status) {
		json_t *st = live ? json_object_get(live, "status") : NULL;
		if (st)
			json_object_set(obj, "status", st);
		else
			json_object_del(obj, "status");
	}
}

static int name_or_generate(json_t *obj, const struct apisrv_res *res,
			    struct apisrv_reply *rep)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	json_t *meta = json_object_get(obj, "metadata");
	char name[300];
	size_t n;

	if (*meta_str(obj, "name"))
		return 0;
	if (!*meta_str(obj, "generateName")) {
		apisrv_reply_status(rep, 422, "Invalid", res, "",
				    "%s \"\" is invalid: metadata.name: Required value: name or generateName is required",
				    res->kind);
		return -1;
	}
	n = (size_t)snprintf(name, sizeof(name) - 6, "%s", meta_str(obj, "generateName"));
	if (n > sizeof(name) - 7)
		n = sizeof(name) - 7;
	for (int i = 0; i < 5; i++)
		name[n + (size_t)i] = alnum[randombytes_uniform(sizeof(alnum) - 1)];
	name[n + 5] = '\0';
	json_object_set_new(meta, "name", json_string(name));
	return 0;
}

void store_create(struct apisrv_store *s, const struct apisrv_res *res,
		  const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	json_t *obj = NULL;
	char mgr[200], now[40], rn[300];

	snprintf(rep->verb, sizeof(rep->verb), "create");
	if (read_object(res, rq, rep, &obj) != 0 || name_or_generate(obj, res, rep) != 0 ||
	    check_identity(s, res, obj, rq, rep) != 0)
		goto out;
	snprintf(rep->name, sizeof(rep->name), "%s", meta_str(obj, "name"));
	if (store_lookup(s, res, rq->ns, meta_str(obj, "name"))) {
		store_res_name(res, rn, sizeof(rn));
		apisrv_reply_status(rep, 409, "AlreadyExists", res, meta_str(obj, "name"),
				    "%s \"%s\" already exists", rn, meta_str(obj, "name"));
		goto out;
	}
	strip_for_write(res, obj, NULL);
	json_object_del(json_object_get(obj, "metadata"), "resourceVersion");
	if (kinds_prepare(s, res, obj, rq, rep) != 0)
		goto out;
	manager_of(rq, mgr, sizeof(mgr));
	apisrv_now(now, sizeof(now));
	if (apisrv_fields_update(NULL, obj, mgr, now, NULL) != 0) {
		apisrv_reply_status(rep, 500, "InternalError", res, rq->name, "out of memory");
		goto out;
	}
	commit(s, res, obj, NULL, rq, rep, 201);
	obj = NULL;
out:
	json_decref(obj);
}

static int check_precondition(const struct apisrv_res *res, const json_t *live,
			      const char *want_rv, const char *name, struct apisrv_reply *rep)
{
	char rn[300];

	if (!*want_rv || strcmp(want_rv, meta_str(live, "resourceVersion")) == 0)
		return 0;
	store_res_name(res, rn, sizeof(rn));
	apisrv_reply_status(rep, 409, "Conflict", res, name,
			    "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply your changes to the latest version and try again",
			    rn, name);
	return -1;
}

static int require_live(const struct apisrv_res *res, const json_t *live, const char *name,
			struct apisrv_reply *rep)
{
	char rn[300];

	if (live)
		return 0;
	store_res_name(res, rn, sizeof(rn));
	apisrv_reply_status(rep, 404, "NotFound", res, name, "%s \"%s\" not found", rn, name);
	return -1;
}

/* The status subresource: only .status changes. */
static json_t *status_write(const json_t *live, const json_t *body)
{
	json_t *obj = json_deep_copy(live);

	if (obj)
		json_object_set(obj, "status", json_object_get(body, "status"));
	return obj;
}

void store_update(struct apisrv_store *s, const struct apisrv_res *res,
		  const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	json_t *obj = NULL, *live, *next;
	char mgr[200], now[40];

	snprintf(rep->verb, sizeof(rep->verb), "update");
	if (read_object(res, rq, rep, &obj) != 0 || check_identity(s, res, obj, rq, rep) != 0)
		goto out;
	live = store_lookup(s, res, rq->ns, rq->name);
	if (require_live(res, live, rq->name, rep) != 0 ||
	    check_precondition(res, live, meta_str(obj, "resourceVersion"), rq->name, rep) != 0)
		goto out;
	if (*rq->subres) {
		next = status_write(live, obj);
		json_decref(obj);
		obj = next;
	} else {
		strip_for_write(res, obj, live);
	}
	if (!obj || kinds_prepare(s, res, obj, rq, rep) != 0)
		goto out;
	manager_of(rq, mgr, sizeof(mgr));
	apisrv_now(now, sizeof(now));
	if (apisrv_fields_update(live, obj, mgr, now, NULL) != 0)
		goto out;
	commit(s, res, obj, live, rq, rep, 200);
	obj = NULL;
out:
	json_decref(obj);
}

/* RFC 7386 JSON merge patch; strategic merge patch is served the same. */
static void merge_patch(json_t *dst, const json_t *patch)
{
	const char *k;
	json_t *pv, *dv;

	json_object_foreach((json_t *)patch, k, pv) {
		dv = json_object_get(dst, k);
		if (json_is_null(pv))
			json_object_del(dst, k);
		else if (json_is_object(pv) && json_is_object(dv))
			merge_patch(dv, pv);
		else if (json_is_object(pv)) {
			json_t *fresh = json_object();
			merge_patch(fresh, pv);
			json_object_set_new(dst, k, fresh);
		} else
			json_object_set_new(dst, k, json_deep_copy(pv));
	}
}

static void reply_conflicts(struct apisrv_reply *rep, const struct apisrv_res *res,
			    const char *name, const struct apisrv_apply_result *ar)
{
	json_t *causes = json_array();
	char msg[800];

	apisrv_reply_status(rep, 409, "Conflict", res, name,
			    "Apply failed with %zu conflict%s: conflict with \"%s\" using %s: %s",
			    ar->nconflicts, ar->nconflicts == 1 ? "" : "s", ar->conflicts[0].manager,
			    ar->conflicts[0].api_version, ar->conflicts[0].field);
	for (size_t i = 0; causes && i < ar->nconflicts; i++) {
		snprintf(msg, sizeof(msg), "conflict with \"%s\" using %s", ar->conflicts[i].manager,
			 ar->conflicts[i].api_version);
		json_array_append_new(causes,
				      json_pack("{s:s, s:s, s:s}", "reason", "FieldManagerConflict",
						"message", msg, "field", ar->conflicts[i].field));
	}
	if (causes)
		json_object_set_new(json_object_get(rep->body, "details"), "causes", causes);
}

static void apply_patch(struct apisrv_store *s, const struct apisrv_res *res,
			const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	struct apisrv_apply_result ar;
	json_t *body = NULL, *live;
	char now[40];

	memset(&ar, 0, sizeof(ar));
	if (!rq->field_manager || !*rq->field_manager) {
		apisrv_reply_status(rep, 422, "Invalid", NULL, "",
				    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
		return;
	}
	if (read_object(res, rq, rep, &body) != 0 || check_identity(s, res, body, rq, rep) != 0)
		goto out;
	live = store_lookup(s, res, rq->ns, rq->name);
	if (live && check_precondition(res, live, meta_str(body, "resourceVersion"), rq->name,
				       rep) != 0)
		goto out;
	if (res->has_status)
		json_object_del(body, "status");
	apisrv_now(now, sizeof(now));
	if (apisrv_fields_apply(live, body, rq->field_manager, rq->force, now, &ar, NULL) != 0) {
		apisrv_reply_status(rep, 500, "InternalError", res, rq->name, "apply failed");
		goto out;
	}
	if (ar.nconflicts > 0) {
		reply_conflicts(rep, res, rq->name, &ar);
		goto out;
	}
	if (!ar.changed) {
		rep->status = 200;
		rep->body = json_incref(live);
		goto out;
	}
	if (kinds_prepare(s, res, ar.obj, rq, rep) != 0)
		goto out;
	commit(s, res, ar.obj, live, rq, rep, live ? 200 : 201);
	ar.obj = NULL;
out:
	json_decref(ar.obj);
	json_decref(body);
}

/* A copy of live with the patch applied, or NULL with rep filled. */
static json_t *patched(const json_t *live, const struct apisrv_req *rq, int json_patch,
		       struct apisrv_reply *rep)
{
	struct ss_err err;
	json_t *patch = NULL, *obj = json_deep_copy(live);

	ss_err_clear(&err);
	if (!obj)
		return NULL;
	if (json_patch) {
		if (apisrv_json_patch(obj, rq->body, rq->body_len, &err) == 0)
			return obj;
		apisrv_reply_status(rep, 422, "Invalid", NULL, rq->name, "%s", err.msg);
		json_decref(obj);
		return NULL;
	}
	if (apisrv_body_parse(rq->ctype, rq->body, rq->body_len, &patch, &err) != 0) {
		apisrv_reply_status(rep, rc_status(&err), rc_reason(&err), NULL, NULL, "%s", err.msg);
		json_decref(obj);
		return NULL;
	}
	if (*rq->subres)
		json_object_del(patch, "metadata");
	merge_patch(obj, patch);
	json_decref(patch);
	return obj;
}

static void patch_verb(struct apisrv_store *s, const struct apisrv_res *res,
		       const struct apisrv_req *rq, struct apisrv_reply *rep, int json_patch)
{
	json_t *obj = NULL, *live = store_lookup(s, res, rq->ns, rq->name);
	char mgr[200], now[40];

	if (require_live(res, live, rq->name, rep) != 0)
		return;
	obj = patched(live, rq, json_patch, rep);
	if (!obj)
		goto out;
	if (!json_is_object(json_object_get(obj, "metadata")))
		json_object_set_new(obj, "metadata", json_object());
	if (check_identity(s, res, obj, rq, rep) != 0)
		goto out;
	if (res->has_status && !*rq->subres)
		json_object_set(obj, "status", json_object_get(live, "status"));
	if (kinds_prepare(s, res, obj, rq, rep) != 0)
		goto out;
	manager_of(rq, mgr, sizeof(mgr));
	apisrv_now(now, sizeof(now));
	if (apisrv_fields_update(live, obj, mgr, now, NULL) != 0)
		goto out;
	commit(s, res, obj, live, rq, rep, 200);
	obj = NULL;
out:
	json_decref(obj);
}

void store_patch(struct apisrv_store *s, const struct apisrv_res *res,
		 const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	const char *ct = rq->ctype ? rq->ctype : "";

	snprintf(rep->verb, sizeof(rep->verb), "patch");
	if (strncmp(ct, "application/apply-patch+yaml", 28) == 0 && !*rq->subres)
		apply_patch(s, res, rq, rep);
	else if (strncmp(ct, "application/merge-patch+json", 28) == 0 ||
		 strncmp(ct, "application/strategic-merge-patch+json", 38) == 0)
		patch_verb(s, res, rq, rep, 0);
	else if (strncmp(ct, "application/json-patch+json", 27) == 0)
		patch_verb(s, res, rq, rep, 1);
	else
		apisrv_reply_status(rep, 415, "UnsupportedMediaType", res, rq->name,
				    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
}

/* ---- delete ----------------------------------------------------------- */

static int delete_options(const struct apisrv_res *res, const json_t *live,
			  const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	struct ss_err err;
	json_t *opts = NULL, *pre;
	const char *pp;
	int rc = 0;

	if (rq->body_len == 0)
		return 0;
	ss_err_clear(&err);
	if (apisrv_body_parse("application/json", rq->body, rq->body_len, &opts, &err) != 0) {
		apisrv_reply_status(rep, 400, "BadRequest", NULL, NULL, "%s", err.msg);
		return -1;
	}
	pp = jstr(opts, "propagationPolicy");
	pre = json_object_get(opts, "preconditions");
	if (*pp && strcmp(pp, "Orphan") != 0 && strcmp(pp, "Background") != 0 &&
	    strcmp(pp, "Foreground") != 0) {
		apisrv_reply_status(rep, 422, "Invalid", res, rq->name,
				    "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"%.40s\"",
				    pp);
		rc = -1;
	} else if (*jstr(pre, "uid") && strcmp(jstr(pre, "uid"), meta_str(live, "uid")) != 0) {
		char rn[300];
		store_res_name(res, rn, sizeof(rn));
		apisrv_reply_status(rep, 409, "Conflict", res, rq->name,
				    "Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in precondition: %s, UID in object meta: %s",
				    rn, rq->name, jstr(pre, "uid"), meta_str(live, "uid"));
		rc = -1;
	} else {
		rc = check_precondition(res, live, jstr(pre, "resourceVersion"), rq->name, rep);
	}
	json_decref(opts);
	return rc;
}

static void delete_one(struct apisrv_store *s, const struct apisrv_res *res, const json_t *live,
		       int dry_run)
{
	char key[STORE_KEY_MAX];

	if (dry_run)
		return;
	store_key(key, sizeof(key), res, meta_str(live, "namespace"), meta_str(live, "name"));
	json_incref((json_t *)live);
	json_object_del(s->objs, key);
	store_event_push(s, EV_DELETED, key, (json_t *)live, ++s->rv);
	kinds_committed(s, res, live, 1);
	json_decref((json_t *)live);
}

void store_delete(struct apisrv_store *s, const struct apisrv_res *res,
		  const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	json_t *live = store_lookup(s, res, rq->ns, rq->name);

	snprintf(rep->verb, sizeof(rep->verb), "delete");
	if (require_live(res, live, rq->name, rep) != 0 || delete_options(res, live, rq, rep) != 0)
		return;
	json_incref(live);
	delete_one(s, res, live, rq->dry_run);
	if (res->return_object || (!*res->group && strcmp(res->plural, "namespaces") == 0)) {
		rep->status = 200;
		rep->body = live;
		return;
	}
	apisrv_reply_status(rep, 200, "", res, rq->name, "%s", "");
	json_object_del(rep->body, "reason");
	json_object_del(rep->body, "message");
	json_object_set(json_object_get(rep->body, "details"), "uid",
			json_object_get(json_object_get(live, "metadata"), "uid"));
	json_decref(live);
}

void store_delete_collection(struct apisrv_store *s, const struct apisrv_res *res,
			     const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	size_t i;
	json_t *items, *o;

	store_list(s, res, rq, rep);
	snprintf(rep->verb, sizeof(rep->verb), "deletecollection");
	if (rep->status != 200)
		return;
	items = json_object_get(rep->body, "items");
	json_array_foreach(items, i, o) {
		delete_one(s, res, o, rq->dry_run);
	}
}

/* ---- scale subresource (apps: deployments, statefulsets, replicasets) -- */

static json_t *scale_of(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	json_t *st = json_object_get(obj, "status");
	json_int_t want = json_integer_value(json_object_get(json_object_get(obj, "spec"),
							       "replicas"));

	return json_pack("{s:s, s:s, s:{s:O?, s:O?, s:O?, s:O?, s:O?}, s:{s:I}, s:{s:I}}",
			 "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata", "name",
			 json_object_get(meta, "name"), "namespace", json_object_get(meta, "namespace"),
			 "uid", json_object_get(meta, "uid"), "resourceVersion",
			 json_object_get(meta, "resourceVersion"), "creationTimestamp",
			 json_object_get(meta, "creationTimestamp"), "spec", "replicas", want,
			 "status", "replicas", json_integer_value(json_object_get(st, "replicas")));
}

void store_scale(struct apisrv_store *s, const struct apisrv_res *res,
		 const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	struct ss_err err;
	json_t *live = store_lookup(s, res, rq->ns, rq->name), *body = NULL, *obj = NULL, *n;
	char mgr[200], now[40];

	ss_err_clear(&err);
	snprintf(rep->verb, sizeof(rep->verb), strcmp(rq->method, "GET") ? "patch" : "get");
	if (require_live(res, live, rq->name, rep) != 0)
		return;
	if (strcmp(rq->method, "GET") == 0) {
		rep->status = 200;
		rep->body = scale_of(live);
		return;
	}
	if (apisrv_body_parse(strcmp(rq->method, "PUT") ? rq->ctype : "application/json",
			      rq->body, rq->body_len, &body, &err) != 0) {
		apisrv_reply_status(rep, rc_status(&err), rc_reason(&err), NULL, NULL, "%s", err.msg);
		return;
	}
	n = json_object_get(json_object_get(body, "spec"), "replicas");
	if (!json_is_integer(n) || json_integer_value(n) < 0) {
		apisrv_reply_status(rep, 422, "Invalid", res, rq->name,
				    "Scale.autoscaling \"%s\" is invalid: spec.replicas: must be a non-negative integer",
				    rq->name);
		goto out;
	}
	obj = json_deep_copy(live);
	json_object_set(json_object_get(obj, "spec"), "replicas", n);
	manager_of(rq, mgr, sizeof(mgr));
	apisrv_now(now, sizeof(now));
	if (apisrv_fields_update(live, obj, mgr, now, NULL) != 0)
		goto out;
	commit(s, res, obj, live, rq, rep, 200);
	obj = scale_of(rep->body);
	json_decref(rep->body);
	rep->body = obj;
	obj = NULL;
out:
	json_decref(obj);
	json_decref(body);
}
