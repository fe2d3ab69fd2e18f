/*
 * kube_verbs.c: get, list, delete, create, update (see sealsync/kube.h).
 * Server-side apply lives in kube_apply.c.
 *
 * Requests about Secrets keep their bodies and responses in guarded memory;
 * error text is redacted in kube_status.c before it reaches struct ss_err.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

static int dump_cb(const char *p, size_t n, void *ud)
{
	return ss_buf_append(ud, p, n) == 0 ? 0 : -1;
}

int kube_body_dump(struct ss_kube *k, const json_t *obj, int secret, struct ss_buf *b)
{
	size_t need = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	int rc;

	if (secret)
		kube_secbuf_take(k, b);
	else
		ss_buf_init(b, k->opts.max_response);
	/* One allocation of the right size: every growth of a guarded buffer
	 * is a fresh mapping plus a copy. */
	rc = need == 0 ? SS_E_INVAL : ss_buf_reserve(b, need);
	if (rc != 0)
		return rc;
	if (json_dump_callback(obj, dump_cb, b, JSON_COMPACT) != 0 || b->data == NULL)
		return SS_E_LIMIT;
	return 0;
}

int kube_is_secret(const char *kind)
{
	return kind != NULL && strcmp(kind, "Secret") == 0;
}

int kube_ref_from(struct ss_kube *k, const char *api_version, const char *kind,
		  const char *ns, const char *name, struct kube_ref *ref, struct ss_err *err)
{
	int rc;

	memset(ref, 0, sizeof(*ref));
	ref->api_version = api_version;
	ref->kind = kind;
	ref->name = name;
	snprintf(ref->what, sizeof(ref->what), "%s %s %s%s%s", api_version ? api_version : "?",
		 kind ? kind : "?", ns ? ns : "", ns ? "/" : "", name ? name : "");
	rc = ss_kube_resource(k, api_version, kind, &ref->resource, &ref->namespaced, err);
	if (rc != 0) {
		ss_err_prefix(err, "%s", ref->what);
		return rc;
	}
	if (ref->namespaced)
		ref->ns = ns;
	return 0;
}

int kube_ref_of(struct ss_kube *k, const json_t *obj, struct kube_ref *ref, struct ss_err *err)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	int rc;

	memset(ref, 0, sizeof(*ref));
	if (av == NULL || kind == NULL || name == NULL)
		return ss_err_set(err, SS_E_INVAL,
				  "the object needs apiVersion, kind and metadata.name");
	rc = kube_ref_from(k, av, kind, ns, name, ref, err);
	if (rc == 0 && ref->namespaced && ns == NULL)
		return ss_err_set(err, SS_E_INVAL, "%s: a namespaced object needs "
						   "metadata.namespace", ref->what);
	return rc;
}

/* Builds the URL: path of ref (+ name when with_name) + query. */
int kube_ref_url(struct ss_kube *k, const struct kube_ref *ref, int with_name,
		 const char *query, char **url, struct ss_err *err)
{
	struct ss_buf b;
	int rc;

	*url = NULL;
	ss_buf_init(&b, 8192);
	rc = kube_url_path(&b, ref->api_version, ref->resource, ref->ns,
			   with_name ? ref->name : NULL, err);
	if (rc == 0 && query != NULL && ss_buf_puts(&b, query) != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "URL too long");
	if (rc == 0) {
		*url = kube_url_join(k, ss_buf_str(&b));
		if (*url == NULL)
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	if (rc != 0)
		ss_err_prefix(err, "%s", ref->what);
	ss_buf_release(&b);
	return rc;
}

/* Runs one request; on success parses the response into *out (if asked). */
int kube_do_one(struct ss_kube *k, struct kube_req *r, const char *what, json_t **out,
		struct ss_err *err)
{
	char msg[SS_ERR_MSG_MAX];
	json_t *j;
	int rc;

	rc = kube_http_run(k, r, 1, err);
	if (rc != 0)
		return rc;
	rc = kube_req_outcome(k, r, what, msg, sizeof(msg));
	if (rc != 0)
		return ss_err_set(err, rc, "%s", msg);
	if (out == NULL)
		return 0;
	j = json_loadb((const char *)r->resp.data, r->resp.len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return ss_err_set(err, SS_E_INVAL, "%s: the response is not a JSON object", what);
	}
	*out = j;
	return 0;
}

int ss_kube_get(struct ss_kube *k, const char *api_version, const char *kind, const char *ns,
		const char *name, json_t **out, struct ss_err *err)
{
	struct kube_ref ref;
	struct kube_req r;
	char *url = NULL;
	char what[450];
	int rc;

	*out = NULL;
	rc = kube_ref_from(k, api_version, kind, ns, name, &ref, err);
	if (rc == 0)
		rc = kube_ref_url(k, &ref, 1, NULL, &url, err);
	if (rc != 0)
		return rc;
	kube_req_init(k, &r, "GET", url, kube_is_secret(kind));
	snprintf(what, sizeof(what), "get %s", ref.what);
	rc = kube_do_one(k, &r, what, out, err);
	kube_req_release(k, &r);
	return rc;
}

int ss_kube_delete(struct ss_kube *k, const char *api_version, const char *kind, const char *ns,
		   const char *name, struct ss_err *err)
{
	struct kube_ref ref;
	struct kube_req r;
	char *url = NULL;
	char what[450];
	int rc;

	rc = kube_ref_from(k, api_version, kind, ns, name, &ref, err);
	if (rc == 0)
		rc = kube_ref_url(k, &ref, 1, "?propagationPolicy=Background", &url, err);
	if (rc != 0)
		return rc;
	kube_req_init(k, &r, "DELETE", url, kube_is_secret(kind));
	snprintf(what, sizeof(what), "delete %s", ref.what);
	rc = kube_do_one(k, &r, what, NULL, err);
	kube_req_release(k, &r);
	return rc;
}

/* POST (create: collection URL) or PUT (update: object URL) of obj. */
static int kube_write(struct ss_kube *k, const char *method, const json_t *obj, json_t **out,
		      struct ss_err *err)
{
	struct kube_ref ref;
	struct kube_req r;
	struct ss_buf body;
	char *url = NULL;
	char what[450];
	int rc, put = strcmp(method, "PUT") == 0;

	if (out != NULL)
		*out = NULL;
	memset(&r, 0, sizeof(r));
	rc = kube_ref_of(k, obj, &ref, err);
	if (rc == 0)
		rc = kube_ref_url(k, &ref, put, NULL, &url, err);
	if (rc != 0)
		return rc;
	kube_req_init(k, &r, method, url, kube_is_secret(ref.kind));
	snprintf(what, sizeof(what), "%s %s", put ? "update" : "create", ref.what);
	rc = kube_body_dump(k, obj, r.secret, &body);
	if (rc != 0) {
		rc = ss_err_set(err, rc, "%s: cannot serialise the object", what);
		goto out;
	}
	r.content_type = "application/json";
	r.body = body.data;
	r.body_len = body.len;
	rc = kube_do_one(k, &r, what, out, err);
out:
	kube_req_release(k, &r);
	kube_secbuf_give(k, &body); /* wipes */
	return rc;
}

int ss_kube_create(struct ss_kube *k, const json_t *obj, json_t **out, struct ss_err *err)
{
	return kube_write(k, "POST", obj, out, err);
}

int ss_kube_update(struct ss_kube *k, const json_t *obj, json_t **out, struct ss_err *err)
{
	return kube_write(k, "PUT", obj, out, err);
}
