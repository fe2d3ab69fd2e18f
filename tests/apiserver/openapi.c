/*
 * openapi.c: the OpenAPI documents kubectl reads before it writes.
 *
 * kubectl (1.27+) validates with --validate=strict by default: it looks up
 * the object's PATCH operation in /openapi/v3/<group-version> (matched by
 * x-kubernetes-group-version-kind) and, when that operation lists the
 * fieldValidation parameter, leaves validation to the server
 * (fieldValidation=Strict), as it does with a real 1.32 server. So every
 * document here carries the paths, operations and parameters that lookup
 * needs, and only a small schema per kind (CRDs: their openAPIV3Schema).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "apisrv.h"

static const char *const query_params[] = {"dryRun", "fieldManager", "fieldValidation",
					   "force", NULL};

static void gv_path(const struct apisrv_res *x, char *buf, size_t len)
{
	if (*x->group)
		snprintf(buf, len, "apis/%s/%s", x->group, x->version);
	else
		snprintf(buf, len, "api/%s", x->version);
}

static void schema_name(const struct apisrv_res *x, char *buf, size_t len)
{
	snprintf(buf, len, "io.k8s.%s.%s.%s", *x->group ? x->group : "core", x->version, x->kind);
}

static json_t *param(const char *name, const char *in, int v3)
{
	if (v3)
		return json_pack("{s:s, s:s, s:b, s:{s:s}, s:b}", "name", name, "in", in, "required",
				 strcmp(in, "path") == 0, "schema", "type", "string", "uniqueItems",
				 1);
	return json_pack("{s:s, s:s, s:b, s:s, s:b}", "name", name, "in", in, "required",
			 strcmp(in, "path") == 0, "type", "string", "uniqueItems", 1);
}

/* Path-level parameters; the write options sit on each operation, which
 * is where kubectl's query-parameter check looks. */
static json_t *item_params(const struct apisrv_res *x, int v3)
{
	json_t *a = json_array();

	json_array_append_new(a, param("name", "path", v3));
	if (x->namespaced)
		json_array_append_new(a, param("namespace", "path", v3));
	json_array_append_new(a, param("pretty", "query", v3));
	return a;
}

static json_t *op_params(int v3)
{
	json_t *a = json_array();

	for (int i = 0; a && query_params[i]; i++)
		json_array_append_new(a, param(query_params[i], "query", v3));
	return a;
}

static json_t *gvk(const struct apisrv_res *x)
{
	return json_pack("{s:s, s:s, s:s}", "group", x->group, "version", x->version, "kind",
			 x->kind);
}

static json_t *operation(const struct apisrv_res *x, const char *action, int v3)
{
	char id[300], ref[400];
	json_t *op, *resp;

	schema_name(x, ref + 0, sizeof(ref));
	snprintf(id, sizeof(id), "%s%s", action, x->kind);
	if (v3) {
		char full[450];
		snprintf(full, sizeof(full), "#/components/schemas/%s", ref);
		resp = json_pack("{s:{s:s, s:{s:{s:{s:s}}}}}", "200", "description", "OK",
				 "content", "application/json", "schema", "$ref", full);
	} else {
		char full[450];
		snprintf(full, sizeof(full), "#/definitions/%s", ref);
		resp = json_pack("{s:{s:s, s:{s:s}}}", "200", "description", "OK", "schema", "$ref",
				 full);
	}
	op = json_pack("{s:s, s:s, s:o, s:o}", "operationId", id, "x-kubernetes-action", action,
		       "x-kubernetes-group-version-kind", gvk(x), "responses", resp);
	if (op && strcmp(action, "get") != 0 && strcmp(action, "delete") != 0)
		json_object_set_new(op, "parameters", op_params(v3));
	if (op && v3 && strcmp(action, "patch") == 0)
		json_object_set_new(op, "requestBody",
				    json_pack("{s:{s:{s:{s:s}}, s:{s:{s:s}}}, s:b}", "content",
					      "application/apply-patch+yaml", "schema", "type",
					      "object", "application/merge-patch+json", "schema",
					      "type", "object", "required", 1));
	return op;
}

static void item_path(const struct apisrv_res *x, char *buf, size_t len)
{
	char gv[300];

	gv_path(x, gv, sizeof(gv));
	if (x->namespaced)
		snprintf(buf, len, "/%s/namespaces/{namespace}/%s/{name}", gv, x->plural);
	else
		snprintf(buf, len, "/%s/%s/{name}", gv, x->plural);
}

static int add_paths(json_t *paths, const struct apisrv_res *x, int v3)
{
	char p[600];
	json_t *item;

	item_path(x, p, sizeof(p));
	item = json_pack("{s:o, s:o, s:o, s:o, s:o}", "parameters", item_params(x, v3), "get",
			 operation(x, "get", v3), "put", operation(x, "put", v3), "patch",
			 operation(x, "patch", v3), "delete", operation(x, "delete", v3));
	if (!item)
		return SS_E_NOMEM;
	return json_object_set_new(paths, p, item) ? SS_E_NOMEM : 0;
}

static json_t *kind_schema(const struct apisrv_res *x)
{
	json_t *s;

	if (x->schema)
		s = json_deep_copy(x->schema);
	else
		s = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}", "type", "object",
			      "properties", "apiVersion", "type", "string", "kind", "type", "string",
			      "metadata", "type", "object");
	if (s)
		json_object_set_new(s, "x-kubernetes-group-version-kind", json_pack("[o]", gvk(x)));
	return s;
}

static json_t *gv_doc(const struct apisrv_registry *r, const char *gvpath)
{
	json_t *paths = json_object(), *schemas = json_object();
	char p[300], sn[400];
	int found = 0;

	for (size_t i = 0; paths && schemas && i < apisrv_registry_count(r); i++) {
		const struct apisrv_res *x = apisrv_registry_at(r, i);
		gv_path(x, p, sizeof(p));
		if (strcmp(p, gvpath) != 0)
			continue;
		found = 1;
		schema_name(x, sn, sizeof(sn));
		if (add_paths(paths, x, 1) != 0 ||
		    json_object_set_new(schemas, sn, kind_schema(x)) != 0)
			break;
	}
	if (!found || !paths || !schemas) {
		json_decref(paths);
		json_decref(schemas);
		return NULL;
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0", "info", "title",
			 "Kubernetes", "version", "v1.32.0", "paths", paths, "components",
			 "schemas", schemas);
}

json_t *apisrv_openapi_v3_gv(const struct apisrv_registry *r, const char *gvpath)
{
	return gv_doc(r, gvpath);
}

/* A content hash, so that clients' caches see a CRD's change. */
static void doc_hash(const json_t *doc, char *hex, size_t len)
{
	unsigned char h[16];
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	memset(h, 0, sizeof(h));
	if (s) {
		crypto_generichash(h, sizeof(h), (const unsigned char *)s, strlen(s), NULL, 0);
		free(s);
	}
	sodium_bin2hex(hex, len, h, sizeof(h));
}

json_t *apisrv_openapi_v3_root(const struct apisrv_registry *r)
{
	json_t *paths = json_object();
	char p[300], url[500], hex[40];

	for (size_t i = 0; paths && i < apisrv_registry_count(r); i++) {
		json_t *doc;
		gv_path(apisrv_registry_at(r, i), p, sizeof(p));
		if (json_object_get(paths, p))
			continue;
		doc = gv_doc(r, p);
		if (!doc)
			continue;
		doc_hash(doc, hex, sizeof(hex));
		json_decref(doc);
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", p, hex);
		json_object_set_new(paths, p, json_pack("{s:s}", "serverRelativeURL", url));
	}
	return paths ? json_pack("{s:o}", "paths", paths) : NULL;
}

json_t *apisrv_openapi_v2(const struct apisrv_registry *r)
{
	json_t *paths = json_object(), *defs = json_object();
	char sn[400];

	for (size_t i = 0; paths && defs && i < apisrv_registry_count(r); i++) {
		const struct apisrv_res *x = apisrv_registry_at(r, i);
		schema_name(x, sn, sizeof(sn));
		if (add_paths(paths, x, 0) != 0)
			break;
		json_object_set_new(defs, sn, kind_schema(x));
	}
	if (!paths || !defs) {
		json_decref(paths);
		json_decref(defs);
		return NULL;
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:o}", "swagger", "2.0", "info", "title",
			 "Kubernetes", "version", "v1.32.0", "paths", paths, "definitions", defs);
}
