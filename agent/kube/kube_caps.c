/*
 * kube_caps.c: the cluster as a chart's .Capabilities see it (kube.h).
 *
 * Argo CD and Flux's helm-controller render against the target cluster's
 * version and API list, so a chart that branches on
 * `.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"` or on
 * `semverCompare ">=1.30" .Capabilities.KubeVersion.Version` renders for the
 * cluster it is applied to, not for helm's built-in defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define CAPS_MAX_BYTES (4u * 1024 * 1024)

int ss_kube_server_version(struct ss_kube *k, char *buf, size_t len, struct ss_err *err)
{
	char msg[SS_ERR_MSG_MAX];
	struct kube_req r;
	const char *v;
	json_t *root = NULL;
	int rc;

	buf[0] = '\0';
	kube_req_init(k, &r, "GET", kube_url_join(k, "/version"), 0);
	if (r.url == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = kube_http_run(k, &r, 1, err);
	if (rc == 0 && (rc = kube_req_outcome(k, &r, "GET /version", msg, sizeof(msg))) != 0)
		ss_err_set(err, rc, "%s", msg);
	if (rc != 0)
		goto out;
	root = json_loadb((const char *)r.resp.data, r.resp.len, 0, NULL);
	v = json_string_value(json_object_get(root, "gitVersion"));
	if (v == NULL || *v == '\0' || strlen(v) >= len) {
		rc = ss_err_set(err, SS_E_INVAL, "GET /version: no gitVersion in the reply");
		goto out;
	}
	snprintf(buf, len, "%s", v);
out:
	json_decref(root);
	kube_req_release(k, &r);
	return rc;
}

static int caps_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The discovery keys ("gv\nKind") as "gv" and "gv/Kind", sorted, unique.
 * Both strings are checked before either enters the list, so the cleanup
 * frees exactly what the list holds (gcc -fanalyzer follows it this way). */
static int caps_collect(const json_t *disc, char ***out, size_t *n)
{
	size_t cap = 2 * json_object_size(disc) + 1, m = 0, i;
	char **v = calloc(cap, sizeof(*v)), *nl, *gv, *gvk;
	const char *key;
	json_t *e;

	*out = NULL;
	*n = 0;
	if (v == NULL)
		return SS_E_NOMEM;
	json_object_foreach((json_t *)disc, key, e) {
		if ((nl = strchr(key, '\n')) == NULL || m + 2 > cap)
			continue;
		gv = strndup(key, (size_t)(nl - key));
		gvk = strdup(key);
		if (gv == NULL || gvk == NULL) {
			free(gv);
			free(gvk);
			goto oom;
		}
		gvk[nl - key] = '/';
		v[m++] = gv;
		v[m++] = gvk;
	}
	qsort(v, m, sizeof(*v), caps_cmp);
	*out = v;
	*n = m;
	return 0;
oom:
	for (i = 0; i < m; i++)
		free(v[i]);
	free(v);
	return SS_E_NOMEM;
}

/* Joins the sorted list with commas, duplicates once. */
static char *caps_join(char **v, size_t n)
{
	size_t i, total = 1, at = 0;
	char *s;

	for (i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	if (total > CAPS_MAX_BYTES || (s = malloc(total)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		at += (size_t)snprintf(s + at, total - at, "%s%s", at ? "," : "", v[i]);
	}
	return s;
}

int ss_kube_api_versions(struct ss_kube *k, char **out, struct ss_err *err)
{
	char **v = NULL;
	size_t n = 0, i;
	int rc = 0;

	*out = NULL;
	if (!k->discovered && (rc = ss_kube_discover(k, err)) != 0)
		return rc;
	if (caps_collect(k->disc, &v, &n) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	*out = caps_join(v, n);
	if (*out == NULL)
		rc = ss_err_set(err, SS_E_LIMIT, "discovery lists too many API versions");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}
