/*
 * kinds.c: what the real server does per kind on every write: name and
 * label validation, Secret stringData, Namespace status, CRD status and
 * registration (with the Established delay), cascading deletes.
 *
 * Error texts name fields and keys, never values of Secrets: a Secret's
 * data is checked for base64 without ever quoting it.
 */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int is_core(const struct apisrv_res *res, const char *plural)
{
	return !*res->group && strcmp(res->plural, plural) == 0;
}

static void invalid(struct apisrv_reply *rep, const struct apisrv_res *res, const char *name,
		    const char *field, const char *detail)
{
	json_t *d, *causes;

	apisrv_reply_status(rep, 422, "Invalid", res, name, "%s \"%s\" is invalid: %s: %s",
			    res->kind, name, field, detail);
	d = json_object_get(rep->body, "details");
	json_object_set_new(d, "kind", json_string(res->kind));
	causes = json_pack("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid", "message", detail,
			   "field", field);
	if (causes)
		json_object_set_new(d, "causes", causes);
}

static int is_alnum_lower(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label (dots = 0) or subdomain (dots = 1). */
static int dns_name_ok(const char *s, size_t max, int dots)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !is_alnum_lower((unsigned char)s[0]) ||
	    !is_alnum_lower((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!is_alnum_lower(c) && c != '-' && !(dots && c == '.'))
			return 0;
		if (c == '.' && (s[i + 1] == '.' || s[i - 1] == '-' || s[i + 1] == '-'))
			return 0;
	}
	return 1;
}

/* A label name or value part: [A-Za-z0-9][-A-Za-z0-9_.]* up to 63. */
static int label_part_ok(const char *s, size_t n, int allow_empty)
{
	if (n == 0)
		return allow_empty;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

static int label_key_ok(const char *k)
{
	const char *slash = strchr(k, '/');
	char prefix[300];

	if (!slash)
		return label_part_ok(k, strlen(k), 0);
	if ((size_t)(slash - k) >= sizeof(prefix))
		return 0;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - k), k);
	return dns_name_ok(prefix, 253, 1) && label_part_ok(slash + 1, strlen(slash + 1), 0);
}

static int check_meta(const struct apisrv_res *res, const json_t *obj, struct apisrv_reply *rep)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *name = jstr(meta, "name");
	const json_t *labels = json_object_get(meta, "labels");
	int label_only = is_core(res, "namespaces") || is_core(res, "services");
	char field[400];
	const char *k;
	json_t *v;

	if (!dns_name_ok(name, label_only ? 63 : 253, !label_only)) {
		invalid(rep, res, name, "metadata.name",
			label_only ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
				   : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
		return -1;
	}
	if (labels && !json_is_object(labels)) {
		invalid(rep, res, name, "metadata.labels", "must be a map of strings");
		return -1;
	}
	json_object_foreach((json_t *)labels, k, v) {
		snprintf(field, sizeof(field), "metadata.labels[%.200s]", k);
		if (!label_key_ok(k)) {
			invalid(rep, res, name, field, "name part must consist of alphanumeric characters, '-', '_' or '.'");
			return -1;
		}
		if (!json_is_string(v) || !label_part_ok(json_string_value(v),
							 json_string_length(v), 1)) {
			invalid(rep, res, name, field, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'");
			return -1;
		}
	}
	return 0;
}

static int data_key_ok(const char *k)
{
	if (!*k || strlen(k) > 253 || strcmp(k, ".") == 0 || strcmp(k, "..") == 0)
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && !strchr("-._", *k))
			return 0;
	return 1;
}

static int check_data_keys(const struct apisrv_res *res, const json_t *obj, const char *field,
			   struct apisrv_reply *rep)
{
	const json_t *data = json_object_get(obj, field);
	const char *name = jstr(json_object_get(obj, "metadata"), "name");
	char f[400];
	const char *k;
	json_t *v;

	if (data && !json_is_object(data)) {
		apisrv_reply_status(rep, 400, "BadRequest", res, name,
				    "%s in version \"v1\" cannot be handled as a %s: %s must be a map",
				    res->kind, res->kind, field);
		return -1;
	}
	json_object_foreach((json_t *)data, k, v) {
		snprintf(f, sizeof(f), "%s[%.200s]", field, k);
		if (!data_key_ok(k)) {
			invalid(rep, res, name, f, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
			return -1;
		}
		if (!json_is_string(v)) {
			apisrv_reply_status(rep, 400, "BadRequest", res, name,
					    "%s in version \"v1\" cannot be handled as a %s: %s: expected a string",
					    res->kind, res->kind, f);
			return -1;
		}
	}
	return 0;
}

/* stringData is write-only: merged into data as base64, then dropped. */
static int secret_prepare(const struct apisrv_res *res, json_t *obj, struct apisrv_reply *rep)
{
	json_t *sd = json_object_get(obj, "stringData"), *data, *v;
	const char *name = jstr(json_object_get(obj, "metadata"), "name"), *k;

	if (check_data_keys(res, obj, "data", rep) != 0 ||
	    check_data_keys(res, obj, "stringData", rep) != 0)
		return -1;
	data = json_object_get(obj, "data");
	json_object_foreach(data, k, v) {
		size_t vl = json_string_length(v), bl = 0;
		unsigned char *bin = malloc(vl + 1);
		int bad = !bin || sodium_base642bin(bin, vl + 1, json_string_value(v), vl, NULL, &bl,
						     NULL, sodium_base64_VARIANT_ORIGINAL) != 0;
		if (bin) {
			sodium_memzero(bin, vl + 1);
			free(bin);
		}
		if (bad) {
			apisrv_reply_status(rep, 400, "BadRequest", res, name,
					    "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[%.200s]",
					    k);
			return -1;
		}
	}
	if (sd && !data) {
		data = json_object();
		json_object_set_new(obj, "data", data);
	}
	json_object_foreach(sd, k, v) {
		size_t vl = json_string_length(v);
		size_t bl = sodium_base64_ENCODED_LEN(vl, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(bl);
		if (!b64)
			return -1;
		sodium_bin2base64(b64, bl, (const unsigned char *)json_string_value(v), vl,
				  sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(data, k, json_string(b64));
		sodium_memzero(b64, bl);
		free(b64);
	}
	json_object_del(obj, "stringData");
	if (!*jstr(obj, "type"))
		json_object_set_new(obj, "type", json_string("Opaque"));
	return 0;
}

static void namespace_prepare(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *labels = json_object_get(meta, "labels");

	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(meta, "labels", labels);
	}
	json_object_set_new(labels, "kubernetes.io/metadata.name",
			    json_string(jstr(meta, "name")));
	if (!json_object_get(obj, "spec"))
		json_object_set_new(obj, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
	json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
}

static json_t *condition(const char *type, int ok, const char *reason, const char *now)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "status", ok ? "True" : "False",
			 "reason", reason, "message", ok ? "the resource is ready" : "installing",
			 "lastTransitionTime", now);
}

static void crd_set_status(json_t *obj, int established)
{
	json_t *spec = json_object_get(obj, "spec");
	json_t *stored = json_array();
	size_t i;
	json_t *v;
	char now[40];

	apisrv_now(now, sizeof(now));
	json_array_foreach(json_object_get(spec, "versions"), i, v) {
		if (json_is_true(json_object_get(v, "storage")))
			json_array_append(stored, json_object_get(v, "name"));
	}
	json_object_set_new(obj, "status",
			    json_pack("{s:O, s:[o,o], s:o}", "acceptedNames",
				      json_object_get(spec, "names"), "conditions",
				      condition("NamesAccepted", 1, "NoConflicts", now),
				      condition("Established", established,
						established ? "InitialNamesAccepted" : "Installing", now),
				      "storedVersions", stored));
}

static int crd_established(const json_t *crd)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(json_object_get(crd, "status"), "conditions"), i, c) {
		if (strcmp(jstr(c, "type"), "Established") == 0)
			return strcmp(jstr(c, "status"), "True") == 0;
	}
	return 0;
}

static int crd_prepare(struct apisrv_store *s, const struct apisrv_res *res, json_t *obj,
		       struct apisrv_reply *rep)
{
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *names = json_object_get(spec, "names");
	const char *name = jstr(json_object_get(obj, "metadata"), "name");
	const char *scope = jstr(spec, "scope");
	const json_t *live = store_lookup(s, res, "", name);
	char want[300];

	if (!*jstr(spec, "group") || !*jstr(names, "plural") || !*jstr(names, "kind")) {
		invalid(rep, res, name, "spec", "spec.group, spec.names.plural and spec.names.kind are required");
		return -1;
	}
	snprintf(want, sizeof(want), "%s.%s", jstr(names, "plural"), jstr(spec, "group"));
	if (strcmp(want, name) != 0) {
		invalid(rep, res, name, "metadata.name", "must be spec.names.plural+\".\"+spec.group");
		return -1;
	}
	if (strcmp(scope, "Namespaced") != 0 && strcmp(scope, "Cluster") != 0) {
		invalid(rep, res, name, "spec.scope", "Unsupported value: supported values: \"Cluster\", \"Namespaced\"");
		return -1;
	}
	if (json_array_size(json_object_get(spec, "versions")) == 0) {
		invalid(rep, res, name, "spec.versions", "Required value: must have exactly one version marked as storage version");
		return -1;
	}
	crd_set_status(obj, s->crd_delay_ms <= 0 || (live && crd_established(live)));
	return 0;
}

int kinds_prepare(struct apisrv_store *s, const struct apisrv_res *res, json_t *obj,
		  const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	json_t *meta = json_object_get(obj, "metadata");

	if (!res->namespaced)
		json_object_del(meta, "namespace");
	else
		json_object_set_new(meta, "namespace", json_string(rq->ns));
	if (check_meta(res, obj, rep) != 0)
		return -1;
	if (is_core(res, "secrets"))
		return secret_prepare(res, obj, rep);
	if (is_core(res, "configmaps"))
		return check_data_keys(res, obj, "data", rep);
	if (is_core(res, "namespaces"))
		namespace_prepare(obj);
	if (strcmp(res->plural, "customresourcedefinitions") == 0)
		return crd_prepare(s, res, obj, rep);
	return 0;
}

/* ---- side effects ----------------------------------------------------- */

/* Deletes every stored object whose key starts with prefix, or (ns != NULL)
 * that lives in namespace ns. */
static void delete_where(struct apisrv_store *s, const char *prefix, const char *ns)
{
	const char *key;
	json_t *obj;
	void *tmp;

	json_object_foreach_safe(s->objs, tmp, key, obj) {
		const json_t *meta = json_object_get(obj, "metadata");
		if (prefix && strncmp(key, prefix, strlen(prefix)) != 0)
			continue;
		if (ns && (!json_object_get(meta, "namespace") ||
			   strcmp(jstr(meta, "namespace"), ns) != 0))
			continue;
		store_event_push(s, EV_DELETED, key, obj, ++s->rv);
		json_object_del(s->objs, key);
	}
}

static void crd_committed(struct apisrv_store *s, const json_t *crd, int deleted)
{
	const json_t *spec = json_object_get(crd, "spec");
	const char *name = jstr(json_object_get(crd, "metadata"), "name");
	char prefix[STORE_KEY_MAX];

	json_object_del(s->pending, name);
	if (deleted) {
		apisrv_registry_remove_crd(s->reg, name);
		snprintf(prefix, sizeof(prefix), "%s|%s|", jstr(spec, "group"),
			 jstr(json_object_get(spec, "names"), "plural"));
		delete_where(s, prefix, NULL);
		return;
	}
	if (crd_established(crd))
		apisrv_registry_add_crd(s->reg, crd, NULL);
	else
		json_object_set_new(s->pending, name,
				    json_integer(store_now_ms() + s->crd_delay_ms));
}

void kinds_committed(struct apisrv_store *s, const struct apisrv_res *res, const json_t *obj,
		     int deleted)
{
	if (strcmp(res->plural, "customresourcedefinitions") == 0 &&
	    strcmp(res->group, "apiextensions.k8s.io") == 0)
		crd_committed(s, obj, deleted);
	else if (deleted && is_core(res, "namespaces"))
		delete_where(s, NULL, jstr(json_object_get(obj, "metadata"), "name"));
}

void store_tick(struct apisrv_store *s)
{
	const struct apisrv_res *res = apisrv_registry_find(s->reg, "apiextensions.k8s.io", "v1",
							    "customresourcedefinitions");
	long long now = store_now_ms();
	const char *name;
	json_t *due, *live, *next;
	void *tmp;
	char key[STORE_KEY_MAX], rv[32];

	json_object_foreach_safe(s->pending, tmp, name, due) {
		if (json_integer_value(due) > now)
			continue;
		live = res ? store_lookup(s, res, "", name) : NULL;
		next = live ? json_deep_copy(live) : NULL;
		if (next) {
			crd_set_status(next, 1);
			snprintf(rv, sizeof(rv), "%llu", ++s->rv);
			json_object_set_new(json_object_get(next, "metadata"), "resourceVersion",
					    json_string(rv));
			store_key(key, sizeof(key), res, "", name);
			json_object_set_new(s->objs, key, next);
			store_event_push(s, EV_MODIFIED, key, next, s->rv);
			apisrv_registry_add_crd(s->reg, next, NULL);
		}
		json_object_del(s->pending, name);
	}
}

/* ---- strict field validation ------------------------------------------ */

static const char *const meta_fields[] = {
	"name", "generateName", "namespace", "labels", "annotations", "finalizers",
	"ownerReferences", "uid", "resourceVersion", "generation", "creationTimestamp",
	"deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink", NULL};

struct kind_fields {
	const char *plural;
	const char *fields; /* space-separated, besides apiVersion kind metadata */
};

static const struct kind_fields core_fields[] = {
	{"configmaps", " data binaryData immutable "},
	{"secrets", " data stringData type immutable "},
	{"serviceaccounts", " secrets imagePullSecrets automountServiceAccountToken "},
	{"roles", " rules "},
	{"clusterroles", " rules aggregationRule "},
	{"rolebindings", " subjects roleRef "},
	{"clusterrolebindings", " subjects roleRef "},
	{NULL, NULL},
};

static const char *allowed_fields(const struct apisrv_res *res)
{
	for (int i = 0; core_fields[i].plural; i++)
		if (strcmp(res->plural, core_fields[i].plural) == 0)
			return core_fields[i].fields;
	if (strcmp(res->plural, "events") == 0)
		return NULL; /* many fields */
	return " spec status ";
}

/* Finds the first field of v that schema s does not declare and writes its
 * path ("spec.a[2].b") into path. Structural schemas: properties,
 * additionalProperties, items, x-kubernetes-preserve-unknown-fields. */
static int schema_unknown(const json_t *s, const json_t *v, char *path, size_t len, int depth)
{
	const json_t *props, *addl, *sub;
	const char *k;
	json_t *x;
	size_t i, n = strlen(path);

	if (!json_is_object(s) || depth > APISRV_MAX_DEPTH ||
	    json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields")))
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			snprintf(path + n, len - n, "[%zu]", i);
			if (schema_unknown(json_object_get(s, "items"), x, path, len, depth + 1))
				return 1;
		}
	} else if (json_is_object(v)) {
		props = json_object_get(s, "properties");
		addl = json_object_get(s, "additionalProperties");
		json_object_foreach((json_t *)v, k, x) {
			snprintf(path + n, len - n, "%s%s", n ? "." : "", k);
			sub = json_object_get(props, k);
			if (!sub && json_is_object(addl))
				sub = addl;
			if (!sub && !json_is_true(addl))
				return 1;
			if (schema_unknown(sub, x, path, len, depth + 1))
				return 1;
		}
	}
	path[n] = '\0';
	return 0;
}

/* A custom resource against its CRD's openAPIV3Schema, below the top. */
static int custom_unknown(const struct apisrv_res *res, const json_t *body, char *path,
			  size_t len)
{
	json_t *c;
	int bad;

	path[0] = '\0';
	if (!res->schema)
		return 0;
	c = json_copy((json_t *)body);
	if (!c)
		return 0;
	json_object_del(c, "apiVersion");
	json_object_del(c, "kind");
	json_object_del(c, "metadata");
	bad = schema_unknown(res->schema, c, path, len, 0);
	json_decref(c);
	return bad;
}

static int top_allowed(const struct apisrv_res *res, const char *k)
{
	const char *fields = allowed_fields(res);
	char pat[300];

	if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") || !strcmp(k, "metadata"))
		return 1;
	if (!fields)
		return 1;
	snprintf(pat, sizeof(pat), " %.250s ", k);
	return strstr(fields, pat) != NULL;
}

int kinds_check_strict(const struct apisrv_res *res, const json_t *body,
		       const struct apisrv_req *rq, struct apisrv_reply *rep)
{
	const char *k, *bad = NULL;
	char path[512];
	json_t *v;
	int in_meta = 0;

	if (!rq->strict)
		return 0;
	if (res->custom && custom_unknown(res, body, path, sizeof(path)))
		bad = path;
	json_object_foreach((json_t *)body, k, v) {
		if (!bad && !res->custom && !top_allowed(res, k))
			bad = k;
	}
	json_object_foreach(json_object_get(body, "metadata"), k, v) {
		int known = 0;
		for (int i = 0; !bad && meta_fields[i]; i++)
			known |= strcmp(k, meta_fields[i]) == 0;
		if (!bad && !known) {
			bad = k;
			in_meta = 1;
		}
	}
	if (!bad)
		return 0;
	apisrv_reply_status(rep, 400, "BadRequest", res, rq->name,
			    "%s in version \"%s\" cannot be handled as a %s: strict decoding error: unknown field \"%s%.200s\"",
			    res->kind, res->version, res->kind, in_meta ? "metadata." : "", bad);
	return -1;
}
