/*
 * kube_discovery.c: (apiVersion, kind) → (resource, namespaced).
 *
 * Legacy discovery, as every API server serves it: /api/v1, /apis, and the
 * resource list of every version of every group (objects in Git may use a
 * version that is not the preferred one). The group versions are fetched
 * concurrently. One that fails (a broken aggregated API answering 503) is
 * skipped, as kubectl does; its kinds then stay unknown and applying them
 * fails with SS_E_NOTFOUND, naming the kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define DISC_MAX_GROUP_VERSIONS 1000

static char *disc_key(const char *api_version, const char *kind)
{
	size_t a = strlen(api_version), b = strlen(kind);
	char *s = malloc(a + b + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, api_version, a);
	s[a] = '\n';
	memcpy(s + a + 1, kind, b + 1);
	return s;
}

/* Adds the resources of one APIResourceList; subresources are skipped. */
static int disc_add_list(json_t *map, const char *gv, const unsigned char *body, size_t len)
{
	json_t *root, *res, *e;
	size_t i;
	int rc = 0;

	root = json_loadb((const char *)body, len, 0, NULL);
	res = json_object_get(root, "resources");
	json_array_foreach (res, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *kind = json_string_value(json_object_get(e, "kind"));
		char *key;

		if (name == NULL || kind == NULL || strchr(name, '/') != NULL)
			continue;
		key = disc_key(gv, kind);
		if (key == NULL) {
			rc = SS_E_NOMEM;
			break;
		}
		if (json_object_get(map, key) == NULL &&
		    json_object_set_new(map, key,
					json_pack("[sb]", name,
						  json_is_true(json_object_get(e, "namespaced")))) != 0)
			rc = SS_E_NOMEM;
		free(key);
		if (rc != 0)
			break;
	}
	json_decref(root);
	return rc;
}

/* Collects "group/version" of every version of every group in /apis. */
static int disc_group_versions(const struct kube_req *r, json_t **out)
{
	json_t *root, *groups, *g, *v, *gvs;
	size_t i, j;

	*out = NULL;
	root = json_loadb((const char *)r->resp.data, r->resp.len, 0, NULL);
	groups = json_object_get(root, "groups");
	gvs = json_array();
	if (!json_is_array(groups) || gvs == NULL) {
		json_decref(root);
		json_decref(gvs);
		return gvs == NULL ? SS_E_NOMEM : SS_E_INVAL;
	}
	json_array_foreach (groups, i, g) {
		json_array_foreach (json_object_get(g, "versions"), j, v) {
			json_t *gv = json_object_get(v, "groupVersion");

			if (json_is_string(gv) && json_array_size(gvs) < DISC_MAX_GROUP_VERSIONS)
				json_array_append(gvs, gv);
		}
	}
	json_decref(root);
	*out = gvs;
	return 0;
}

/* GETs each group version's resource list and adds it to map. */
static int disc_fetch_groups(struct ss_kube *k, const json_t *gvs, json_t *map,
			     struct ss_err *err)
{
	size_t n = json_array_size(gvs), i;
	struct kube_req *reqs = calloc(n ? n : 1, sizeof(*reqs));
	char path[600];
	int rc = 0;

	if (reqs == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "/apis/%s",
			 json_string_value(json_array_get(gvs, i)));
		kube_req_init(k, &reqs[i], "GET", kube_url_join(k, path), 0);
		if (reqs[i].url == NULL)
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	if (rc == 0)
		rc = kube_http_run(k, reqs, n, err);
	for (i = 0; i < n && rc == 0; i++)
		if (reqs[i].cc == CURLE_OK && reqs[i].status == 200)
			rc = disc_add_list(map, json_string_value(json_array_get(gvs, i)),
					   reqs[i].resp.data, reqs[i].resp.len);
	if (rc == SS_E_NOMEM)
		ss_err_set(err, rc, "out of memory");
	for (i = 0; i < n; i++)
		kube_req_release(k, &reqs[i]);
	free(reqs);
	return rc;
}

static int disc_check(const struct ss_kube *k, const struct kube_req *r, const char *what,
		      struct ss_err *err)
{
	char msg[SS_ERR_MSG_MAX];
	int rc = kube_req_outcome(k, r, what, msg, sizeof(msg));

	if (rc != 0)
		return ss_err_set(err, rc, "%s", msg);
	return 0;
}

int ss_kube_discover(struct ss_kube *k, struct ss_err *err)
{
	struct kube_req r[2];
	json_t *map = json_object(), *gvs = NULL;
	int rc;

	kube_req_init(k, &r[0], "GET", kube_url_join(k, "/api/v1"), 0);
	kube_req_init(k, &r[1], "GET", kube_url_join(k, "/apis"), 0);
	if (map == NULL || r[0].url == NULL || r[1].url == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = kube_http_run(k, r, 2, err);
	if (rc == 0)
		rc = disc_check(k, &r[0], "discovery GET /api/v1", err);
	if (rc == 0)
		rc = disc_check(k, &r[1], "discovery GET /apis", err);
	if (rc == 0 && disc_add_list(map, "v1", r[0].resp.data, r[0].resp.len) != 0)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (rc == 0 && disc_group_versions(&r[1], &gvs) != 0)
		rc = ss_err_set(err, SS_E_INVAL, "discovery GET /apis: not an APIGroupList");
	if (rc == 0)
		rc = disc_fetch_groups(k, gvs, map, err);
	if (rc == 0) {
		json_decref(k->disc);
		k->disc = map;
		map = NULL;
		k->discovered = 1;
	}
out:
	kube_req_release(k, &r[0]);
	kube_req_release(k, &r[1]);
	json_decref(map);
	json_decref(gvs);
	return rc;
}

int kube_disc_lookup(struct ss_kube *k, const char *api_version, const char *kind,
		     const char **resource, int *namespaced)
{
	char *key = disc_key(api_version, kind);
	json_t *e;

	if (key == NULL)
		return SS_E_NOMEM;
	e = json_object_get(k->disc, key);
	free(key);
	if (e == NULL)
		return SS_E_NOTFOUND;
	*resource = json_string_value(json_array_get(e, 0));
	*namespaced = json_is_true(json_array_get(e, 1));
	return 0;
}

int ss_kube_resource(struct ss_kube *k, const char *api_version, const char *kind,
		     const char **resource, int *namespaced, struct ss_err *err)
{
	int rc;

	*resource = NULL;
	*namespaced = 0;
	if (api_version == NULL || kind == NULL)
		return ss_err_set(err, SS_E_INVAL, "apiVersion and kind are required");
	if (!k->discovered) {
		rc = ss_kube_discover(k, err);
		if (rc != 0)
			return rc;
	}
	rc = kube_disc_lookup(k, api_version, kind, resource, namespaced);
	if (rc == SS_E_NOTFOUND)
		return ss_err_set(err, rc, "the server does not serve kind %s in %s", kind,
				  api_version);
	if (rc != 0)
		return ss_err_set(err, rc, "out of memory");
	return 0;
}
