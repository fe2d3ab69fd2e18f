/*
 * store.c: the object store and the read verbs (get, list), discovery and
 * Status replies. Writes are in store_ops.c.
 *
 * Objects live in one jansson object keyed "group|plural|namespace|name".
 * A stored object is never changed in place: a write stores a new value,
 * so a reply may hold references to stored objects after the lock is
 * released (jansson's reference counts are atomic).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

void apisrv_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *apisrv_status(int code, const char *reason, const char *message)
{
	return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion",
			 "v1", "metadata", "status", code < 400 ? "Success" : "Failure", "message",
			 message, "reason", reason, "code", code);
}

/* "configmaps" or "leases.coordination.k8s.io", as the real messages say. */
void store_res_name(const struct apisrv_res *res, char *buf, size_t len)
{
	if (!res)
		snprintf(buf, len, "resource");
	else if (*res->group)
		snprintf(buf, len, "%s.%s", res->plural, res->group);
	else
		snprintf(buf, len, "%s", res->plural);
}

void apisrv_reply_status(struct apisrv_reply *rep, int code, const char *reason,
			 const struct apisrv_res *res, const char *name, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *details;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(rep->body);
	rep->status = code;
	rep->body = apisrv_status(code, reason, msg);
	if (!rep->body || (!res && !name))
		return;
	details = json_object();
	if (!details)
		return;
	if (name && *name)
		json_object_set_new(details, "name", json_string(name));
	if (res && *res->group)
		json_object_set_new(details, "group", json_string(res->group));
	if (res)
		json_object_set_new(details, "kind", json_string(res->plural));
	json_object_set_new(rep->body, "details", details);
}

void store_key(char *buf, size_t len, const struct apisrv_res *res, const char *ns,
	       const char *name)
{
	snprintf(buf, len, "%s|%s|%s|%s", res->group, res->plural, res->namespaced ? ns : "",
		 name);
}

json_t *store_lookup(struct apisrv_store *s, const struct apisrv_res *res, const char *ns,
		     const char *name)
{
	char key[STORE_KEY_MAX];

	store_key(key, sizeof(key), res, ns, name);
	return json_object_get(s->objs, key);
}

int store_ns_exists(struct apisrv_store *s, const char *ns)
{
	char key[STORE_KEY_MAX];

	snprintf(key, sizeof(key), "|namespaces||%s", ns);
	return json_object_get(s->objs, key) != NULL;
}

static json_t *builtin_ns(const char *name, unsigned long long rv)
{
	char now[40], rvs[32], uid[40];

	apisrv_now(now, sizeof(now));
	snprintf(rvs, sizeof(rvs), "%llu", rv);
	store_uid(uid, sizeof(uid));
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s}}, s:{s:[s]}, s:{s:s}}",
			 "apiVersion", "v1", "kind", "Namespace", "metadata", "name", name, "uid",
			 uid, "resourceVersion", rvs, "creationTimestamp", now, "labels",
			 "kubernetes.io/metadata.name", name, "spec", "finalizers", "kubernetes",
			 "status", "phase", "Active");
}

static void store_seed(struct apisrv_store *s)
{
	static const char *const names[] = {"default", "kube-system", "kube-public",
					    "kube-node-lease", NULL};
	char key[STORE_KEY_MAX];

	for (int i = 0; names[i]; i++) {
		snprintf(key, sizeof(key), "|namespaces||%s", names[i]);
		json_object_set_new(s->objs, key, builtin_ns(names[i], ++s->rv));
	}
}

int apisrv_store_new(long crd_delay_ms, struct apisrv_store **out)
{
	struct apisrv_store *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return SS_E_NOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->crd_delay_ms = crd_delay_ms;
	s->objs = json_object();
	s->pending = json_object();
	if (!s->objs || !s->pending || apisrv_registry_new(&s->reg) != 0) {
		apisrv_store_free(s);
		return SS_E_NOMEM;
	}
	s->rv = 1000;
	store_seed(s);
	*out = s;
	return 0;
}

void apisrv_store_free(struct apisrv_store *s)
{
	if (!s)
		return;
	json_decref(s->objs);
	json_decref(s->pending);
	apisrv_registry_free(s->reg);
	store_events_clear(s);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void apisrv_store_reset(struct apisrv_store *s)
{
	struct apisrv_registry *fresh = NULL;

	pthread_mutex_lock(&s->mu);
	json_object_clear(s->objs);
	json_object_clear(s->pending);
	store_events_clear(s);
	if (apisrv_registry_new(&fresh) == 0) {
		apisrv_registry_free(s->reg);
		s->reg = fresh;
	}
	store_seed(s);
	pthread_mutex_unlock(&s->mu);
}

size_t apisrv_store_count(struct apisrv_store *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = json_object_size(s->objs);
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- list ------------------------------------------------------------- */

/* The field labels of core/v1 Events the real server supports (its
 * pkg/registry/core/event/strategy.go), "source" being source.component. */
static const char *const event_fields[] = {
	"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
	"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
	"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type", NULL,
};

static int field_term_add(struct field_sel *fs, const char *path, const char *val, int ne,
			  struct ss_err *err)
{
	struct field_term *t;
	size_t i;

	for (i = 0; event_fields[i] != NULL && strcmp(event_fields[i], path) != 0; i++)
		;
	if (event_fields[i] == NULL)
		return ss_err_set(err, SS_E_INVAL, "field label not supported: %.100s", path);
	if (fs->nterms >= FIELD_SEL_TERMS)
		return ss_err_set(err, SS_E_LIMIT, "too many field selector terms");
	t = &fs->terms[fs->nterms++];
	snprintf(t->path, sizeof(t->path), "%s",
		 strcmp(path, "source") == 0 ? "source.component" : path);
	snprintf(t->val, sizeof(t->val), "%s", val);
	t->ne = ne;
	return 0;
}

int field_sel_parse(const char *text, struct field_sel *fs, struct ss_err *err)
{
	char buf[600], *save = NULL, *tok;

	memset(fs, 0, sizeof(*fs));
	if (!text || !*text)
		return 0;
	if (strlen(text) >= sizeof(buf))
		return ss_err_set(err, SS_E_LIMIT, "field selector too long");
	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strstr(tok, "=");
		int ne = eq && eq > tok && eq[-1] == '!';
		const char *val;
		if (!eq)
			return ss_err_set(err, SS_E_INVAL, "invalid field selector");
		val = eq + 1 + (eq[1] == '=');
		if (ne)
			eq--;
		*eq = '\0';
		if (strcmp(tok, "metadata.name") == 0) {
			snprintf(fs->name, sizeof(fs->name), "%s", val);
			fs->name_op = ne ? 2 : 1;
		} else if (strcmp(tok, "metadata.namespace") == 0 && !ne) {
			snprintf(fs->ns, sizeof(fs->ns), "%s", val);
			fs->has_ns = 1;
		} else {
			int rc = field_term_add(fs, tok, val, ne, err);

			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* A string field by dotted path; "" when absent (as the real server's
 * field set has every label, empty when unset). */
static const char *field_at(const json_t *obj, const char *path)
{
	char key[48];
	const char *p = path, *dot;

	while (obj != NULL && (dot = strchr(p, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		obj = json_object_get(obj, key);
		p = dot + 1;
	}
	obj = obj != NULL ? json_object_get(obj, p) : NULL;
	return json_string_value(obj) != NULL ? json_string_value(obj) : "";
}

int field_sel_match(const struct field_sel *fs, const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	size_t i;

	if (fs->name_op == 1 && strcmp(name ? name : "", fs->name) != 0)
		return 0;
	if (fs->name_op == 2 && strcmp(name ? name : "", fs->name) == 0)
		return 0;
	if (fs->has_ns && strcmp(ns ? ns : "", fs->ns) != 0)
		return 0;
	for (i = 0; i < fs->nterms; i++)
		if ((strcmp(field_at(obj, fs->terms[i].path), fs->terms[i].val) == 0) == fs->terms[i].ne)
			return 0;
	return 1;
}

struct list_item {
	const char *key;
	json_t *obj;
};

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_item *)a)->key, ((const struct list_item *)b)->key);
}

/* One page of a list: items after `after` (a key), at most `limit`. */
struct page {
	const char *after;
	long limit;          /* 0 = no limit */
	char next[STORE_KEY_MAX]; /* key of the last item when more remain */
	long remaining;
};

/* Matching objects, sorted by key (namespace, then name) as etcd lists. */
/*
 * One item of a List reply. The real kube-apiserver encodes the items of a
 * built-in kind's List without apiVersion and kind (only the List carries
 * them); a custom resource's items are unstructured and keep theirs. A
 * client that relies on either must meet the same here. New reference.
 */
static json_t *list_item(const struct apisrv_res *res, json_t *obj)
{
	json_t *c;

	if (res->custom)
		return json_incref(obj);
	c = json_copy(obj); /* shallow: the stored object keeps its fields */
	if (c) {
		json_object_del(c, "apiVersion");
		json_object_del(c, "kind");
	}
	return c;
}

static json_t *collect_items(struct apisrv_store *s, const struct apisrv_res *res,
			     const char *prefix, const struct apisrv_selector *ls,
			     const struct field_sel *fs, struct page *pg)
{
	size_t n = 0, cap = json_object_size(s->objs) + 1, plen = strlen(prefix), i = 0;
	struct list_item *items = calloc(cap, sizeof(*items));
	json_t *arr = json_array(), *obj;
	const char *key;

	if (!items || !arr) {
		free(items);
		json_decref(arr);
		return NULL;
	}
	json_object_foreach(s->objs, key, obj) {
		if (strncmp(key, prefix, plen) != 0 || n >= cap ||
		    (pg->after && strcmp(key, pg->after) <= 0))
			continue;
		if (!field_sel_match(fs, obj) ||
		    !apisrv_selector_match(ls, json_object_get(json_object_get(obj, "metadata"),
							       "labels")))
			continue;
		items[n].key = key;
		items[n++].obj = obj;
	}
	qsort(items, n, sizeof(*items), item_cmp);
	for (; i < n && (pg->limit <= 0 || (long)i < pg->limit); i++) {
		if (json_array_append_new(arr, list_item(res, items[i].obj)) != 0) {
			free(items);
			json_decref(arr);
			return NULL;
		}
	}
	if (i < n) {
		snprintf(pg->next, sizeof(pg->next), "%s", items[i - 1].key);
		pg->remaining = (long)(n - i);
	}
	free(items);
	return arr;
}

/* The continue token is the last key, base64url so it needs no escaping. */
static int page_init(const struct apisrv_req *rq, struct page *pg, char *after, size_t alen)
{
	size_t bl = 0;

	memset(pg, 0, sizeof(*pg));
	if (rq->limit && *rq->limit) {
		char *end = NULL;
		pg->limit = strtol(rq->limit, &end, 10);
		if (*end || pg->limit < 0)
			return -1;
	}
	if (!rq->continue_tok || !*rq->continue_tok)
		return 0;
	if (sodium_base642bin((unsigned char *)after, alen - 1, rq->continue_tok,
			      strlen(rq->continue_tok), NULL, &bl, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	after[bl] = '\0';
	pg->after = after;
	return 0;
}

static json_t *list_meta(struct apisrv_store *s, const struct page *pg)
{
	char rv[32], tok[STORE_KEY_MAX * 2];
	json_t *m;

	snprintf(rv, sizeof(rv), "%llu", s->rv);
	m = json_pack("{s:s}", "resourceVersion", rv);
	if (m && pg->next[0]) {
		sodium_bin2base64(tok, sizeof(tok), (const unsigned char *)pg->next,
				  strlen(pg->next), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		json_object_set_new(m, "continue", json_string(tok));
		json_object_set_new(m, "remainingItemCount", json_integer(pg->remaining));
	}
	return m;
}

void store_list(struct apisrv_store *s, const struct apisrv_res *res,
		const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	struct apisrv_selector *ls = NULL;
	struct field_sel fs;
	struct page pg;
	struct ss_err err;
	char prefix[STORE_KEY_MAX], av[300], after[STORE_KEY_MAX];
	json_t *items;

	ss_err_clear(&err);
	snprintf(rep->verb, sizeof(rep->verb), "list");
	if (apisrv_selector_parse(rq->label_selector, &ls, &err) != 0 ||
	    field_sel_parse(rq->field_selector, &fs, &err) != 0 ||
	    (page_init(rq, &pg, after, sizeof(after)) != 0 &&
	     ss_err_set(&err, SS_E_INVAL, "invalid limit or continue token") != 0)) {
		apisrv_reply_status(rep, 400, "BadRequest", NULL, NULL, "%s", err.msg);
		goto out;
	}
	if (res->namespaced && *rq->ns)
		snprintf(prefix, sizeof(prefix), "%s|%s|%s|", res->group, res->plural, rq->ns);
	else
		snprintf(prefix, sizeof(prefix), "%s|%s|", res->group, res->plural);
	items = collect_items(s, res, prefix, ls, &fs, &pg);
	if (*res->group)
		snprintf(av, sizeof(av), "%s/%s", res->group, res->version);
	else
		snprintf(av, sizeof(av), "%s", res->version);
	rep->status = 200;
	rep->body = json_pack("{s:s, s:s, s:o, s:o}", "kind", res->list_kind, "apiVersion", av,
			      "metadata", list_meta(s, &pg), "items", items);
	if (!rep->body)
		apisrv_reply_status(rep, 500, "InternalError", NULL, NULL, "out of memory");
out:
	apisrv_selector_free(ls);
}

void store_get(struct apisrv_store *s, const struct apisrv_res *res,
	       const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	json_t *obj = store_lookup(s, res, rq->ns, rq->name);
	char rn[300];

	snprintf(rep->verb, sizeof(rep->verb), "get");
	if (!obj) {
		store_res_name(res, rn, sizeof(rn));
		apisrv_reply_status(rep, 404, "NotFound", res, rq->name, "%s \"%s\" not found", rn,
				    rq->name);
		return;
	}
	rep->status = 200;
	rep->body = json_incref(obj);
}

/* ---- dispatch --------------------------------------------------------- */

int route_check(struct apisrv_store *s, const struct apisrv_req *rq,
		       const struct apisrv_res **out, struct apisrv_reply *rep)
{
	const struct apisrv_res *res = apisrv_registry_find(s->reg, rq->group, rq->version,
							    rq->plural);

	*out = NULL;
	int scale = res && strcmp(rq->subres, "scale") == 0 && strcmp(res->group, "apps") == 0 &&
		    strcmp(res->plural, "daemonsets") != 0;

	if (!res || (!res->namespaced && *rq->ns) ||
	    (res->namespaced && !*rq->ns && *rq->name) ||
	    (*rq->subres && ((strcmp(rq->subres, "status") != 0 && !scale) || !*rq->name))) {
		apisrv_reply_status(rep, 404, "NotFound", NULL, NULL,
				    "the server could not find the requested resource");
		return -1;
	}
	*out = res;
	return 0;
}

static void store_dispatch(struct apisrv_store *s, const struct apisrv_res *res,
			   const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	const char *m = rq->method;

	if (strcmp(rq->subres, "scale") == 0 && strcmp(m, "DELETE") != 0 && strcmp(m, "POST") != 0)
		store_scale(s, res, rq, rep);
	else if (strcmp(m, "GET") == 0 && *rq->name)
		store_get(s, res, rq, rep);
	else if (strcmp(m, "GET") == 0)
		store_list(s, res, rq, rep);
	else if (strcmp(m, "POST") == 0 && !*rq->name)
		store_create(s, res, rq, rep);
	else if (strcmp(m, "PUT") == 0 && *rq->name)
		store_update(s, res, rq, rep);
	else if (strcmp(m, "PATCH") == 0 && *rq->name)
		store_patch(s, res, rq, rep);
	else if (strcmp(m, "DELETE") == 0 && *rq->name)
		store_delete(s, res, rq, rep);
	else if (strcmp(m, "DELETE") == 0)
		store_delete_collection(s, res, rq, rep);
	else
		apisrv_reply_status(rep, 405, "MethodNotAllowed", res, rq->name,
				    "the server does not allow this method on the requested resource");
}

void apisrv_store_handle(struct apisrv_store *s, const struct apisrv_req *rq,
			 struct apisrv_reply *rep)
{
	const struct apisrv_res *res = NULL;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->name, sizeof(rep->name), "%s", rq->name);
	pthread_mutex_lock(&s->mu);
	store_tick(s);
	if (route_check(s, rq, &res, rep) == 0) {
		snprintf(rep->kind, sizeof(rep->kind), "%s", res->kind);
		store_dispatch(s, res, rq, rep);
	}
	pthread_mutex_unlock(&s->mu);
	if (!rep->body) {
		rep->status = 500;
		rep->body = apisrv_status(500, "InternalError", "out of memory");
	}
}

static json_t *discovery_doc(struct apisrv_store *s, const char *path)
{
	char a[200], b[200], c[200];
	int n;

	if (strcmp(path, "/api") == 0)
		return apisrv_discovery_core(s->reg, path);
	if (strcmp(path, "/apis") == 0)
		return apisrv_discovery_groups(s->reg);
	if (strcmp(path, "/openapi/v3") == 0)
		return apisrv_openapi_v3_root(s->reg);
	if (strcmp(path, "/openapi/v2") == 0)
		return apisrv_openapi_v2(s->reg);
	if (strncmp(path, "/openapi/v3/", 12) == 0)
		return apisrv_openapi_v3_gv(s->reg, path + 12);
	n = sscanf(path, "/api/%199[^/]%199s", a, b);
	if (n == 1)
		return apisrv_discovery_resources(s->reg, "", a);
	n = sscanf(path, "/apis/%199[^/]/%199[^/]%199s", a, b, c);
	if (n == 2)
		return apisrv_discovery_resources(s->reg, a, b);
	n = sscanf(path, "/apis/%199[^/]%199s", a, b);
	if (n == 1)
		return apisrv_discovery_group(s->reg, a);
	return NULL;
}

void apisrv_store_discovery(struct apisrv_store *s, const char *path, struct apisrv_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	snprintf(rep->verb, sizeof(rep->verb), "get");
	pthread_mutex_lock(&s->mu);
	store_tick(s);
	rep->body = discovery_doc(s, path);
	pthread_mutex_unlock(&s->mu);
	if (rep->body) {
		rep->status = 200;
		return;
	}
	apisrv_reply_status(rep, 404, "NotFound", NULL, NULL,
			    "the server could not find the requested resource");
}
