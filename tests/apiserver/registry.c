/*
 * registry.c: the resource types the server knows (built-in kinds plus
 * what CRDs register) and the legacy discovery documents built from them.
 *
 * Only legacy discovery is served (APIGroupList, APIResourceList). Clients
 * that ask for aggregated discovery (apidiscovery.k8s.io/v2) get plain
 * application/json and fall back, as they do with older servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apisrv.h"

#define REG_MAX 512

struct apisrv_registry {
	struct apisrv_res *res;
	size_t n;
};

struct builtin {
	const char *group, *version, *kind, *plural, *shorts;
	int namespaced, has_status;
};

static const struct builtin builtins[] = {
	{"", "v1", "Namespace", "namespaces", "ns", 0, 1},
	{"", "v1", "ConfigMap", "configmaps", "cm", 1, 0},
	{"", "v1", "Secret", "secrets", "", 1, 0},
	{"", "v1", "ServiceAccount", "serviceaccounts", "sa", 1, 0},
	{"", "v1", "Service", "services", "svc", 1, 1},
	{"", "v1", "Event", "events", "ev", 1, 0},
	{"", "v1", "Pod", "pods", "po", 1, 1},
	{"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "pvc", 1, 1},
	{"apps", "v1", "Deployment", "deployments", "deploy", 1, 1},
	{"apps", "v1", "StatefulSet", "statefulsets", "sts", 1, 1},
	{"apps", "v1", "DaemonSet", "daemonsets", "ds", 1, 1},
	{"apps", "v1", "ReplicaSet", "replicasets", "rs", 1, 1},
	{"batch", "v1", "Job", "jobs", "", 1, 1},
	{"batch", "v1", "CronJob", "cronjobs", "cj", 1, 1},
	{"rbac.authorization.k8s.io", "v1", "Role", "roles", "", 1, 0},
	{"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "", 0, 0},
	{"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "", 1, 0},
	{"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", "", 0, 0},
	{"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
	 "crd,crds", 0, 1},
	{"coordination.k8s.io", "v1", "Lease", "leases", "", 1, 0},
	{"events.k8s.io", "v1", "Event", "events", "ev", 1, 0},
	{"networking.k8s.io", "v1", "Ingress", "ingresses", "ing", 1, 1},
	{"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "netpol", 1, 0},
	{"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "pdb", 1, 1},
	{"admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
	 "validatingwebhookconfigurations", "", 0, 0},
	{"admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
	 "mutatingwebhookconfigurations", "", 0, 0},
	{"scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "pc", 0, 0},
	{"storage.k8s.io", "v1", "StorageClass", "storageclasses", "sc", 0, 0},
};

static void lower_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] + 32) : src[i];
	dst[i] = '\0';
}

static void shorts_copy(struct apisrv_res *r, const char *shorts)
{
	const char *p = shorts;
	size_t n = 0;

	while (*p && n < 4) {
		size_t l = strcspn(p, ",");
		snprintf(r->short_names[n++], sizeof(r->short_names[0]), "%.*s", (int)l, p);
		p += l;
		if (*p == ',')
			p++;
	}
}

static struct apisrv_res *reg_push(struct apisrv_registry *r)
{
	struct apisrv_res *x;

	if (r->n >= REG_MAX)
		return NULL;
	if (!r->res) {
		r->res = calloc(REG_MAX, sizeof(*r->res));
		if (!r->res)
			return NULL;
	}
	x = &r->res[r->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

int apisrv_registry_new(struct apisrv_registry **out)
{
	struct apisrv_registry *r;
	size_t i;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return SS_E_NOMEM;
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const struct builtin *b = &builtins[i];
		struct apisrv_res *x = reg_push(r);

		if (!x) {
			apisrv_registry_free(r);
			return SS_E_NOMEM;
		}
		snprintf(x->group, sizeof(x->group), "%s", b->group);
		snprintf(x->version, sizeof(x->version), "%s", b->version);
		snprintf(x->kind, sizeof(x->kind), "%s", b->kind);
		snprintf(x->list_kind, sizeof(x->list_kind), "%sList", b->kind);
		snprintf(x->plural, sizeof(x->plural), "%s", b->plural);
		lower_copy(x->singular, sizeof(x->singular), b->kind);
		shorts_copy(x, b->shorts);
		x->namespaced = b->namespaced;
		x->has_status = b->has_status;
	}
	*out = r;
	return 0;
}

void apisrv_registry_free(struct apisrv_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		json_decref(r->res[i].schema);
	free(r->res);
	free(r);
}

size_t apisrv_registry_count(const struct apisrv_registry *r)
{
	return r->n;
}

const struct apisrv_res *apisrv_registry_at(const struct apisrv_registry *r, size_t i)
{
	return i < r->n ? &r->res[i] : NULL;
}

const struct apisrv_res *apisrv_registry_find(const struct apisrv_registry *r,
					      const char *group, const char *version,
					      const char *plural)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct apisrv_res *x = &r->res[i];
		if (strcmp(x->group, group) == 0 && strcmp(x->version, version) == 0 &&
		    strcmp(x->plural, plural) == 0)
			return x;
	}
	return NULL;
}

const struct apisrv_res *apisrv_registry_find_kind(const struct apisrv_registry *r,
						   const char *group, const char *version,
						   const char *kind)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct apisrv_res *x = &r->res[i];
		if (strcmp(x->group, group) == 0 && strcmp(x->version, version) == 0 &&
		    strcmp(x->kind, kind) == 0)
			return x;
	}
	return NULL;
}

void apisrv_registry_remove_crd(struct apisrv_registry *r, const char *name)
{
	size_t i = 0;

	while (i < r->n) {
		if (r->res[i].custom && strcmp(r->res[i].crd, name) == 0) {
			json_decref(r->res[i].schema);
			memmove(&r->res[i], &r->res[i + 1], (r->n - i - 1) * sizeof(r->res[0]));
			r->n--;
		} else {
			i++;
		}
	}
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int crd_add_version(struct apisrv_registry *r, const json_t *crd, const json_t *ver)
{
	const json_t *spec = json_object_get(crd, "spec");
	const json_t *names = json_object_get(spec, "names");
	const json_t *shorts = json_object_get(names, "shortNames");
	const json_t *schema = json_object_get(json_object_get(ver, "schema"), "openAPIV3Schema");
	struct apisrv_res *x = reg_push(r);
	size_t i;
	json_t *s;

	if (!x)
		return SS_E_LIMIT;
	snprintf(x->group, sizeof(x->group), "%s", jstr(spec, "group"));
	snprintf(x->version, sizeof(x->version), "%s", jstr(ver, "name"));
	snprintf(x->kind, sizeof(x->kind), "%s", jstr(names, "kind"));
	if (*jstr(names, "listKind"))
		snprintf(x->list_kind, sizeof(x->list_kind), "%s", jstr(names, "listKind"));
	else
		snprintf(x->list_kind, sizeof(x->list_kind), "%sList", x->kind);
	snprintf(x->plural, sizeof(x->plural), "%s", jstr(names, "plural"));
	if (*jstr(names, "singular"))
		snprintf(x->singular, sizeof(x->singular), "%s", jstr(names, "singular"));
	else
		lower_copy(x->singular, sizeof(x->singular), x->kind);
	json_array_foreach(shorts, i, s) {
		if (i < 4 && json_is_string(s))
			snprintf(x->short_names[i], sizeof(x->short_names[i]), "%s",
				 json_string_value(s));
	}
	x->namespaced = strcmp(jstr(spec, "scope"), "Namespaced") == 0;
	x->has_status = json_object_get(json_object_get(ver, "subresources"), "status") != NULL;
	x->custom = 1;
	x->return_object = 1;
	x->schema = schema ? json_deep_copy(schema) : NULL;
	snprintf(x->crd, sizeof(x->crd), "%s", jstr(json_object_get(crd, "metadata"), "name"));
	return 0;
}

int apisrv_registry_add_crd(struct apisrv_registry *r, const json_t *crd, struct ss_err *err)
{
	const json_t *vers = json_object_get(json_object_get(crd, "spec"), "versions");
	size_t i;
	json_t *v;
	int rc;

	apisrv_registry_remove_crd(r, jstr(json_object_get(crd, "metadata"), "name"));
	json_array_foreach(vers, i, v) {
		if (json_is_false(json_object_get(v, "served")))
			continue;
		rc = crd_add_version(r, crd, v);
		if (rc != 0)
			return ss_err_set(err, rc, "too many custom resources");
	}
	return 0;
}

/* ---- discovery -------------------------------------------------------- */

static json_t *resource_entry(const struct apisrv_res *x, const char *suffix)
{
	json_t *e, *shorts;
	char name[160];

	snprintf(name, sizeof(name), "%s%s", x->plural, suffix);
	if (*suffix)
		return json_pack("{s:s, s:s, s:b, s:s, s:[s,s,s]}", "name", name, "singularName", "",
				 "namespaced", x->namespaced, "kind", x->kind, "verbs", "get",
				 "patch", "update");
	e = json_pack("{s:s, s:s, s:b, s:s, s:[s,s,s,s,s,s,s]}", "name", name, "singularName",
		      x->singular, "namespaced", x->namespaced, "kind", x->kind, "verbs",
		      "create", "delete", "deletecollection", "get", "list", "patch", "update");
	shorts = json_array();
	for (int i = 0; e && shorts && i < 4 && x->short_names[i][0]; i++)
		json_array_append_new(shorts, json_string(x->short_names[i]));
	if (e && shorts && json_array_size(shorts) > 0)
		json_object_set(e, "shortNames", shorts);
	json_decref(shorts);
	if (e && x->custom)
		json_object_set_new(e, "categories", json_pack("[s]", "all"));
	return e;
}

static json_t *scale_entry(const struct apisrv_res *x)
{
	char name[160];

	snprintf(name, sizeof(name), "%s/scale", x->plural);
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:[s,s,s]}", "name", name,
			 "singularName", "", "namespaced", 1, "group", "autoscaling", "version",
			 "v1", "kind", "Scale", "verbs", "get", "patch", "update");
}

json_t *apisrv_discovery_resources(const struct apisrv_registry *r, const char *group,
				   const char *version)
{
	json_t *list = json_array(), *doc;
	char gv[200];
	int found = 0;

	for (size_t i = 0; list && i < r->n; i++) {
		const struct apisrv_res *x = &r->res[i];
		if (strcmp(x->group, group) != 0 || strcmp(x->version, version) != 0)
			continue;
		found = 1;
		json_array_append_new(list, resource_entry(x, ""));
		if (x->has_status)
			json_array_append_new(list, resource_entry(x, "/status"));
		if (strcmp(x->group, "apps") == 0 && strcmp(x->plural, "daemonsets") != 0)
			json_array_append_new(list, scale_entry(x));
	}
	if (!found) {
		json_decref(list);
		return NULL;
	}
	if (*group)
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	else
		snprintf(gv, sizeof(gv), "%s", version);
	doc = json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			"groupVersion", gv, "resources", list);
	return doc;
}

/* The group entry for `group`, listing its versions in order. */
static json_t *group_entry(const struct apisrv_registry *r, const char *group)
{
	json_t *vers = json_array(), *g;
	char gv[400], first[200] = "";

	for (size_t i = 0; vers && i < r->n; i++) {
		const struct apisrv_res *x = &r->res[i];
		int seen = 0;
		if (strcmp(x->group, group) != 0)
			continue;
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->res[j].group, group) == 0 &&
			    strcmp(r->res[j].version, x->version) == 0)
				seen = 1;
		if (seen)
			continue;
		snprintf(gv, sizeof(gv), "%s/%s", group, x->version);
		if (!first[0])
			snprintf(first, sizeof(first), "%s", x->version);
		json_array_append_new(vers, json_pack("{s:s, s:s}", "groupVersion", gv, "version",
						      x->version));
	}
	if (!vers || json_array_size(vers) == 0) {
		json_decref(vers);
		return NULL;
	}
	snprintf(gv, sizeof(gv), "%s/%s", group, first);
	g = json_pack("{s:s, s:o, s:{s:s, s:s}}", "name", group, "versions", vers,
		      "preferredVersion", "groupVersion", gv, "version", first);
	return g;
}

json_t *apisrv_discovery_group(const struct apisrv_registry *r, const char *group)
{
	json_t *g = *group ? group_entry(r, group) : NULL;

	if (!g)
		return NULL;
	json_object_set_new(g, "kind", json_string("APIGroup"));
	json_object_set_new(g, "apiVersion", json_string("v1"));
	return g;
}

json_t *apisrv_discovery_groups(const struct apisrv_registry *r)
{
	json_t *groups = json_array();

	for (size_t i = 0; groups && i < r->n; i++) {
		const char *g = r->res[i].group;
		int seen = 0;
		if (!*g)
			continue;
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->res[j].group, g) == 0)
				seen = 1;
		if (!seen)
			json_array_append_new(groups, group_entry(r, g));
	}
	if (!groups)
		return NULL;
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1",
			 "groups", groups);
}

json_t *apisrv_discovery_core(const struct apisrv_registry *r, const char *path)
{
	(void)r;
	if (strcmp(path, "/api") == 0)
		return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions",
				 "v1", "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
				 "serverAddress", "127.0.0.1");
	return NULL;
}
