/* inventory.c: the unit's applied set in a ConfigMap (see inventory.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sealsync/bundle.h"
#include "sealsync/inventory.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"

void ss_inventory_init(struct ss_inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
}

void ss_inv_list_release(struct ss_inv_list *l)
{
	free(l->refs);
	memset(l, 0, sizeof(*l));
}

void ss_inventory_release(struct ss_inventory *inv)
{
	ss_inv_list_release(&inv->objects);
	ss_inv_list_release(&inv->pending);
	memset(inv, 0, sizeof(*inv));
}

static int ref_eq(const struct ss_inv_ref *a, const struct ss_inv_ref *b)
{
	/* The version is not part of an object's identity. */
	const char *ga = strchr(a->api_version, '/'), *gb = strchr(b->api_version, '/');
	size_t la = ga != NULL ? (size_t)(ga - a->api_version) : 0;
	size_t lb = gb != NULL ? (size_t)(gb - b->api_version) : 0;

	return la == lb && strncmp(a->api_version, b->api_version, la) == 0 &&
	       strcmp(a->kind, b->kind) == 0 && strcmp(a->ns, b->ns) == 0 &&
	       strcmp(a->name, b->name) == 0;
}

int ss_inv_list_contains(const struct ss_inv_list *l, const struct ss_inv_ref *r)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (ref_eq(&l->refs[i], r))
			return 1;
	return 0;
}

/* Room for need refs in all. A ref is ~700 bytes: lists whose size is
 * known up front (a bundle, a union, a parsed inventory) are sized exactly
 * instead of doubled, which halves them at 10,000 objects. */
static int list_reserve(struct ss_inv_list *l, size_t need)
{
	struct ss_inv_ref *np;

	if (need <= l->cap)
		return 0;
	if (need > SS_INV_MAX_REFS)
		need = SS_INV_MAX_REFS;
	np = realloc(l->refs, need * sizeof(*np));
	if (np == NULL)
		return SS_E_NOMEM;
	l->refs = np;
	l->cap = need;
	return 0;
}

int ss_inv_list_add(struct ss_inv_list *l, const struct ss_inv_ref *r)
{
	int rc;

	if (l->n >= SS_INV_MAX_REFS)
		return SS_E_LIMIT;
	if (l->n == l->cap && (rc = list_reserve(l, l->cap ? l->cap * 2 : 64)) != 0)
		return rc;
	l->refs[l->n++] = *r;
	return 0;
}

void ss_inv_ref_from_id(struct ss_inv_ref *r, const struct ss_objid *id)
{
	memset(r, 0, sizeof(*r));
	if (id->group[0] != '\0')
		snprintf(r->api_version, sizeof(r->api_version), "%s/%s", id->group, id->version);
	else
		snprintf(r->api_version, sizeof(r->api_version), "%s", id->version);
	snprintf(r->kind, sizeof(r->kind), "%s", id->kind);
	snprintf(r->ns, sizeof(r->ns), "%s", id->ns);
	snprintf(r->name, sizeof(r->name), "%s", id->name);
}

int ss_inv_list_from_bundle(struct ss_inv_list *l, const struct ss_bundle *b)
{
	struct ss_inv_ref r;
	size_t i;
	int rc = list_reserve(l, l->n + b->n);

	for (i = 0; rc == 0 && i < b->n; i++) {
		ss_inv_ref_from_id(&r, &b->items[i].id);
		rc = ss_inv_list_add(l, &r);
	}
	return rc;
}

int ss_inv_list_union(struct ss_inv_list *dst, const struct ss_inv_list *a,
		      const struct ss_inv_list *b)
{
	size_t i;
	int rc = list_reserve(dst, dst->n + a->n + b->n);

	for (i = 0; i < a->n && rc == 0; i++)
		rc = ss_inv_list_add(dst, &a->refs[i]);
	for (i = 0; i < b->n && rc == 0; i++)
		if (!ss_inv_list_contains(dst, &b->refs[i]))
			rc = ss_inv_list_add(dst, &b->refs[i]);
	/* a and b usually overlap: give back what the bound reserved */
	if (rc == 0 && dst->n > 0 && dst->n < dst->cap) {
		struct ss_inv_ref *np = realloc(dst->refs, dst->n * sizeof(*np));

		if (np != NULL) {
			dst->refs = np;
			dst->cap = dst->n;
		}
	}
	return rc;
}

static void inv_name(char *buf, size_t len, const char *agent, const char *unit)
{
	snprintf(buf, len, "%s-inv-%s", agent, unit);
}

static int list_parse(struct ss_inv_list *l, const char *text)
{
	json_t *arr, *e;
	struct ss_inv_ref r;
	size_t i;
	int rc = 0;

	if (text == NULL || *text == '\0')
		return 0;
	arr = json_loads(text, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return SS_E_INVAL;
	}
	rc = list_reserve(l, l->n + json_array_size(arr));
	json_array_foreach(arr, i, e) {
		const char *f[4];
		size_t j;

		if (rc != 0)
			break;

		for (j = 0; j < 4; j++)
			f[j] = json_string_value(json_array_get(e, j));
		if (f[0] == NULL || f[1] == NULL || f[2] == NULL || f[3] == NULL) {
			rc = SS_E_INVAL;
			break;
		}
		memset(&r, 0, sizeof(r));
		snprintf(r.api_version, sizeof(r.api_version), "%s", f[0]);
		snprintf(r.kind, sizeof(r.kind), "%s", f[1]);
		snprintf(r.ns, sizeof(r.ns), "%s", f[2]);
		snprintf(r.name, sizeof(r.name), "%s", f[3]);
		rc = ss_inv_list_add(l, &r);
		if (rc != 0)
			break;
	}
	json_decref(arr);
	return rc;
}

/* The owner shard and the resourceVersion the next write must match. */
static void meta_copy(const json_t *cm, const json_t *data, struct ss_inventory *inv)
{
	const char *v = json_string_value(json_object_get(data, "shard"));

	snprintf(inv->shard, sizeof(inv->shard), "%s", v != NULL ? v : "");
	v = json_string_value(json_object_get(json_object_get(cm, "metadata"), "resourceVersion"));
	snprintf(inv->rv, sizeof(inv->rv), "%s", v != NULL ? v : "");
}

int ss_inventory_load(struct ss_kube *k, const char *agent_ns, const char *agent,
		      const char *unit, struct ss_inventory *inv, struct ss_err *err)
{
	char name[SS_OBJ_NAME_MAX + 1];
	json_t *cm = NULL, *data;
	const char *rev;
	int rc;

	char *who;

	ss_inventory_init(inv);
	inv_name(name, sizeof(name), agent, unit);
	who = ss_kube_identity_suspend(k); /* the agent's own state */
	rc = ss_kube_get(k, "v1", "ConfigMap", agent_ns, name, &cm, err);
	ss_kube_identity_resume(k, who);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		return 0;
	}
	if (rc != 0)
		return rc;
	inv->exists = 1;
	data = json_object_get(cm, "data");
	rev = json_string_value(json_object_get(data, "revision"));
	snprintf(inv->revision, sizeof(inv->revision), "%s", rev != NULL ? rev : "");
	rev = json_string_value(json_object_get(data, "pendingRevision"));
	snprintf(inv->pending_revision, sizeof(inv->pending_revision), "%s",
		 rev != NULL ? rev : "");
	meta_copy(cm, data, inv);
	rc = list_parse(&inv->objects, json_string_value(json_object_get(data, "objects")));
	if (rc == 0)
		rc = list_parse(&inv->pending, json_string_value(json_object_get(data, "pending")));
	json_decref(cm);
	if (rc != 0) {
		ss_err_field(err, "data", NULL);
		return ss_err_set(err, rc, "inventory ConfigMap %s/%s is corrupt", agent_ns, name);
	}
	return 0;
}

const char *ss_inventory_baseline(const struct ss_inventory *inv)
{
	return inv->pending_revision[0] != '\0' ? inv->pending_revision : inv->revision;
}

static char *list_dump(const struct ss_inv_list *l)
{
	json_t *arr = json_array();
	char *s;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		const struct ss_inv_ref *r = &l->refs[i];

		if (json_array_append_new(arr, json_pack("[ssss]", r->api_version, r->kind, r->ns,
							 r->name)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

static int ensure_namespace(struct ss_kube *k, const char *ns, struct ss_err *err)
{
	json_t *obj, *res = NULL;
	int rc;

	obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
			"name", ns);
	if (obj == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = ss_kube_apply(k, obj, 0, &res, err);
	json_decref(obj);
	json_decref(res);
	return rc;
}

/* One CAS write: PUT with the resourceVersion read, or POST when absent. */
static int save_cas(struct ss_kube *k, json_t *cm, struct ss_inventory *inv, struct ss_err *err)
{
	json_t *res = NULL;
	const char *rv;
	int rc;

	if (inv->exists) {
		if (json_object_set_new(json_object_get(cm, "metadata"), "resourceVersion",
					json_string(inv->rv)) != 0)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		rc = ss_kube_update(k, cm, &res, err);
	} else {
		rc = ss_kube_create(k, cm, &res, err);
	}
	if (rc == 0) {
		rv = json_string_value(
			json_object_get(json_object_get(res, "metadata"), "resourceVersion"));
		snprintf(inv->rv, sizeof(inv->rv), "%s", rv != NULL ? rv : "");
		inv->exists = 1;
	}
	json_decref(res);
	return rc;
}

static json_t *inv_object(const char *agent_ns, const char *name, const char *unit,
			  const struct ss_inventory *inv)
{
	char *objs = list_dump(&inv->objects), *pend = list_dump(&inv->pending);
	json_t *cm = NULL;

	if (objs != NULL && pend != NULL)
		cm = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, "
			       "s:{s:s, s:s, s:s, s:s, s:s}}",
			       "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name,
			       "namespace", agent_ns, "labels", "app.kubernetes.io/managed-by",
			       "sealsync", "sealsync.dev/inventory", unit, "data", "revision",
			       inv->revision, "pendingRevision", inv->pending_revision, "objects", objs,
			       "pending", pend, "shard", inv->shard);
	ss_json_free(objs);
	ss_json_free(pend);
	return cm;
}

int ss_inventory_save(struct ss_kube *k, const char *agent_ns, const char *agent,
		      const char *unit, struct ss_inventory *inv, struct ss_err *err)
{
	char name[SS_OBJ_NAME_MAX + 1], *who;
	json_t *cm;
	int rc;

	inv_name(name, sizeof(name), agent, unit);
	cm = inv_object(agent_ns, name, unit, inv);
	if (cm == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	who = ss_kube_identity_suspend(k); /* the agent's own state */
	rc = save_cas(k, cm, inv, err);
	if (rc == SS_E_NOTFOUND && !inv->exists) {
		/* A fresh cluster without the agent's namespace: make it once. */
		ss_err_clear(err);
		rc = ensure_namespace(k, agent_ns, err);
		if (rc == 0)
			rc = save_cas(k, cm, inv, err);
	}
	ss_kube_identity_resume(k, who);
	json_decref(cm);
	if (rc == SS_E_CONFLICT)
		ss_err_prefix(err, "inventory %s/%s changed since it was read (another shard or "
			      "replica wrote it); nothing is committed or pruned by this sync",
			      agent_ns, name);
	else if (rc != 0)
		ss_err_prefix(err, "saving inventory %s/%s", agent_ns, name);
	return rc;
}

int ss_inventory_claim(struct ss_kube *k, const char *agent_ns, const char *agent,
		       const char *unit, const char *shard, struct ss_inventory *inv,
		       struct ss_err *err)
{
	const char *mine = shard != NULL ? shard : "";
	char was[64];
	int rc;

	if (!inv->exists || strcmp(inv->shard, mine) == 0) {
		snprintf(inv->shard, sizeof(inv->shard), "%s", mine);
		return 0;
	}
	if (inv->pending_revision[0] != '\0')
		return ss_err_set(err, SS_E_CONFLICT,
				  "unit %s moves to shard %s, but shard %s is still applying "
				  "revision %s of it; it is taken over once that shard commits it "
				  "(docs/SHARDING.md)",
				  unit, *mine ? mine : "(none)", *inv->shard ? inv->shard : "(none)",
				  inv->pending_revision);
	snprintf(was, sizeof(was), "%s", inv->shard);
	snprintf(inv->shard, sizeof(inv->shard), "%s", mine);
	rc = ss_inventory_save(k, agent_ns, agent, unit, inv, err);
	if (rc != 0) {
		snprintf(inv->shard, sizeof(inv->shard), "%s", was);
		return rc;
	}
	ss_log(SS_LOG_INFO, "unit handed over to this shard", "unit", unit, "from_shard",
	       *was ? was : "(none)", "shard", *mine ? mine : "(none)", NULL);
	return 0;
}
