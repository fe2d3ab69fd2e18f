/* plan.c: validate a unit's objects as a set and order them (see bundle.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/bundle.h"

struct kind_info {
	const char *kind;
	int rank;
	int namespaced;
};

/* Flux's apply order; kinds not listed rank between workloads and webhooks. */
static const struct kind_info kinds[] = {
	{"CustomResourceDefinition", 0, 0},
	{"Namespace", 1, 0},
	{"ResourceQuota", 2, 1},
	{"LimitRange", 2, 1},
	{"StorageClass", 2, 0},
	{"PriorityClass", 2, 0},
	{"ServiceAccount", 3, 1},
	{"ClusterRole", 4, 0},
	{"Role", 4, 1},
	{"ClusterRoleBinding", 5, 0},
	{"RoleBinding", 5, 1},
	{"Secret", 6, 1},
	{"ConfigMap", 6, 1},
	{"PersistentVolume", 6, 0},
	{"PersistentVolumeClaim", 6, 1},
	{"Service", 7, 1},
	{"Deployment", 8, 1},
	{"StatefulSet", 8, 1},
	{"DaemonSet", 8, 1},
	{"ReplicaSet", 8, 1},
	{"Job", 8, 1},
	{"CronJob", 8, 1},
	{"Pod", 8, 1},
	{"PodDisruptionBudget", 8, 1},
	{"HorizontalPodAutoscaler", 8, 1},
	{"Ingress", 8, 1},
	{"NetworkPolicy", 8, 1},
	{"IngressClass", 8, 0},
	{"Lease", 8, 1},
	{"Event", 8, 1},
	{"ClusterRoleBindings", 5, 0},
	{"APIService", 10, 0},
	{"MutatingWebhookConfiguration", 10, 0},
	{"ValidatingWebhookConfiguration", 10, 0},
	{"SealedSecret", 6, 1},
};

#define RANK_OTHER 9

static const struct kind_info *kind_lookup(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

int ss_kind_rank(const char *kind)
{
	const struct kind_info *k = kind_lookup(kind);

	return k != NULL ? k->rank : RANK_OTHER;
}

int ss_kind_namespaced_builtin(const char *kind)
{
	const struct kind_info *k = kind_lookup(kind);

	return k != NULL ? k->namespaced : -1;
}

void ss_owner_value(const char *agent, const char *unit, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s", agent, unit);
}

/* A CRD in the bundle tells the scope of its kind before it exists. */
static int bundle_crd_scope(const struct ss_bundle *b, const struct ss_objid *id)
{
	const char *group, *kind, *scope;
	json_t *spec;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->items[i].id.kind, "CustomResourceDefinition") != 0)
			continue;
		spec = json_object_get(ss_item_obj(&b->items[i]), "spec");
		group = json_string_value(json_object_get(spec, "group"));
		kind = json_string_value(json_object_get(json_object_get(spec, "names"), "kind"));
		scope = json_string_value(json_object_get(spec, "scope"));
		if (group != NULL && kind != NULL && strcmp(group, id->group) == 0 &&
		    strcmp(kind, id->kind) == 0)
			return scope != NULL && strcmp(scope, "Cluster") == 0 ? 0 : 1;
	}
	return -1;
}

static int item_namespaced(const struct ss_bundle *b, const struct ss_item *it,
			   const struct ss_plan_opts *o)
{
	char api_version[SS_OBJ_NAME_MAX + SS_OBJ_LABEL_MAX + 2];
	int ns = -1;

	if (it->sealed)
		return 1;
	if (o->lookup != NULL) {
		if (it->id.group[0] != '\0')
			snprintf(api_version, sizeof(api_version), "%s/%s", it->id.group,
				 it->id.version);
		else
			snprintf(api_version, sizeof(api_version), "%s", it->id.version);
		if (o->lookup(o->lookup_ctx, api_version, it->id.kind, &ns) == 0)
			return ns;
	}
	ns = bundle_crd_scope(b, &it->id);
	if (ns < 0)
		ns = ss_kind_namespaced_builtin(it->id.kind);
	return ns < 0 ? 1 : ns; /* unknown kinds: namespaced, as most CRs are */
}

int ss_bundle_resolve_namespaces(struct ss_bundle *b, const struct ss_plan_opts *o,
				 struct ss_err *err)
{
	struct ss_item *it;
	size_t i;

	ss_bundle_fit(b); /* the first stage after every kind of load */
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->sops)
			continue; /* names its own namespace, MAC-covered: never moved */
		it->namespaced = item_namespaced(b, it, o);
		if (!it->namespaced) {
			/* As kubectl does: a cluster-scoped object ignores a namespace. */
			it->id.ns[0] = '\0';
			continue;
		}
		if (it->id.ns[0] == '\0') {
			if (strlen(o->target_ns) >= sizeof(it->id.ns) ||
			    ss_object_check_label(o->target_ns) != 0) {
				ss_origin_err(err, &it->origin, "metadata.namespace", NULL);
				return ss_err_set(err, SS_E_INVAL, "unit target namespace is not valid");
			}
			snprintf(it->id.ns, sizeof(it->id.ns), "%s", o->target_ns);
		}
	}
	return 0;
}

/* The agent's own objects: inventories, key Secret, Leases. By prefix, so
 * that every shard's are covered, not only this agent's: shards share the
 * name and namespace, and each has "<name>-leader-<shard>" and inventories
 * "<name>-inv-<unit>"; the key rotation Lease is "<name>-keys". */
static int collides_with_agent(const struct ss_item *it, const struct ss_plan_opts *o)
{
	char name[SS_OBJ_NAME_MAX + 1];
	size_t n;

	if (strcmp(it->id.ns, o->agent_ns) != 0)
		return 0;
	if (strcmp(it->id.kind, "ConfigMap") == 0 && it->id.group[0] == '\0') {
		n = (size_t)snprintf(name, sizeof(name), "%s-inv-", o->agent_name);
		return strncmp(it->id.name, name, n) == 0;
	}
	if (strcmp(it->id.kind, "Secret") == 0 && it->id.group[0] == '\0') {
		snprintf(name, sizeof(name), "%s-keys", o->agent_name);
		return strcmp(it->id.name, name) == 0;
	}
	if (strcmp(it->id.kind, "Lease") == 0 && strcmp(it->id.group, "coordination.k8s.io") == 0) {
		n = (size_t)snprintf(name, sizeof(name), "%s-", o->agent_name);
		return strncmp(it->id.name, name, n) == 0;
	}
	return 0;
}

static int set_owner(struct ss_item *it, const char *owner, struct ss_err *err)
{
	json_t *meta = json_object_get(it->obj, "metadata"), *labels;
	const char *have;

	labels = json_object_get(meta, "labels");
	if (labels == NULL || json_is_null(labels)) {
		labels = json_object();
		if (labels == NULL || json_object_set_new(meta, "labels", labels) != 0)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	if (!json_is_object(labels)) {
		ss_origin_err(err, &it->origin, "metadata.labels", NULL);
		return ss_err_set(err, SS_E_INVAL, "labels must be a mapping");
	}
	have = json_string_value(json_object_get(labels, SS_LABEL_OWNER));
	if (have != NULL && strcmp(have, owner) != 0) {
		ss_origin_err(err, &it->origin, "metadata.labels", SS_LABEL_OWNER);
		return ss_err_set(err, SS_E_INVAL, "the owner label is set by sealsync (%s), not in Git",
				  owner);
	}
	if (json_object_set_new(labels, SS_LABEL_OWNER, json_string(owner)) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return 0;
}

static int set_namespace(struct ss_item *it, struct ss_err *err)
{
	json_t *meta = json_object_get(it->obj, "metadata");

	if (!it->namespaced) {
		json_object_del(meta, "namespace"); /* absent is fine */
		return 0;
	}
	if (json_object_set_new(meta, "namespace", json_string(it->id.ns)) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return 0;
}

static int cmp_rank(const void *a, const void *b)
{
	const struct ss_item *x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

int ss_bundle_plan(struct ss_bundle *b, const struct ss_plan_opts *o, struct ss_err *err)
{
	struct ss_objset *set = NULL;
	char owner[128], what[600];
	struct ss_item *it;
	size_t i;
	int rc;

	ss_owner_value(o->agent_name, o->unit_name, owner, sizeof(owner));
	rc = ss_objset_new(&set);
	if (rc != 0)
		return ss_err_set(err, rc, "out of memory");
	for (i = 0; i < b->n && rc == 0; i++) {
		it = &b->items[i];
		if (it->sealed) {
			ss_origin_err(err, &it->origin, NULL, NULL);
			rc = ss_err_set(err, SS_E_INTERNAL, "SealedSecret was not unsealed");
			break;
		}
		rc = ss_objset_add(set, &it->id, &it->origin, err);
		if (rc == 0 && collides_with_agent(it, o)) {
			ss_objid_describe(&it->id, what, sizeof(what));
			ss_origin_err(err, &it->origin, "metadata.name", NULL);
			rc = ss_err_set(err, SS_E_CONFLICT,
					"%s is the agent's own state (inventory, keys or lease)", what);
		}
		if (rc == 0)
			rc = ss_item_thaw(it, err);
		if (rc == 0)
			rc = set_owner(it, owner, err);
		if (rc == 0)
			rc = set_namespace(it, err);
		ss_item_freeze(it);
		it->rank = ss_kind_rank(it->id.kind);
	}
	ss_objset_free(set);
	if (rc != 0)
		return rc;
	/* qsort is not stable; a sort key of (rank, original index) is. */
	for (i = 0; i < b->n; i++)
		b->items[i].rank = b->items[i].rank * (int)SS_BUNDLE_MAX_ITEMS + (int)i;
	if (b->n > 1) /* qsort wants a valid pointer even for 0 items */
		qsort(b->items, b->n, sizeof(*b->items), cmp_rank);
	for (i = 0; i < b->n; i++)
		b->items[i].rank /= (int)SS_BUNDLE_MAX_ITEMS;
	return 0;
}
