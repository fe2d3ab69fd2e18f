/*
 * kube_raw.c: Secrets as raw response bytes in guarded memory (see
 * ss_kube_get_secrets_raw in sealsync/kube.h), for callers that read a
 * Secret's data themselves: the in-cluster import reads Bitnami's
 * controller keys this way (agent/sync/import_bitnami.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define RAW_MAX (16u << 20)

/* "?labelSelector=..." or "" (one object by name). */
static int raw_query(struct ss_buf *q, const char *name, const char *selector)
{
	if (name != NULL || selector == NULL || *selector == '\0')
		return 0;
	if (ss_buf_puts(q, "?labelSelector=") != 0)
		return SS_E_LIMIT;
	return kube_url_escape(q, selector);
}

int ss_kube_get_secrets_raw(struct ss_kube *k, const char *ns, const char *name,
			    const char *label_selector, struct ss_buf *out, struct ss_err *err)
{
	struct kube_ref ref;
	struct kube_req r;
	struct ss_buf q;
	char *url = NULL, what[450], msg[SS_ERR_MSG_MAX];
	int rc;

	ss_buf_init_secure(out, RAW_MAX);
	ss_buf_init(&q, 8192);
	rc = kube_ref_from(k, "v1", "Secret", ns, name, &ref, err);
	if (rc == 0 && raw_query(&q, name, label_selector) != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "%s: label selector too long", ref.what);
	if (rc == 0)
		rc = kube_ref_url(k, &ref, name != NULL, ss_buf_str(&q), &url, err);
	ss_buf_release(&q);
	if (rc != 0)
		return rc;
	kube_req_init(k, &r, "GET", url, 1); /* the response lands in guarded memory */
	snprintf(what, sizeof(what), "%s %s", name != NULL ? "get" : "list", ref.what);
	rc = kube_http_run(k, &r, 1, err);
	if (rc == 0 && (rc = kube_req_outcome(k, &r, what, msg, sizeof(msg))) != 0)
		rc = ss_err_set(err, rc, "%s", msg);
	if (rc == 0 && (rc = ss_buf_append(out, r.resp.data, r.resp.len)) != 0)
		rc = ss_err_set(err, rc, "%s: the response is too large", what);
	kube_req_release(k, &r); /* wipes the request's copy */
	if (rc != 0)
		ss_buf_release(out);
	return rc;
}
