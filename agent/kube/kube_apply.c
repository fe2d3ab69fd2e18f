/*
 * kube_apply.c: server-side apply, one object or a whole ordering stage.
 *
 *   PATCH <object URL>?fieldManager=M&force=true[&dryRun=All]
 *   Content-Type: application/apply-patch+yaml   (the body is JSON = YAML)
 *
 * force=true: sealsync owns what Git says, as Flux does; a conflict with
 * another manager's field is taken over rather than failing the revision.
 *
 * A batch is a sliding window over the stage: each object's request is
 * prepared (URL, body in guarded memory for a Secret) just before its
 * first attempt and released (wiped) as soon as it is done, so only the
 * requests in flight or waiting for a retry hold memory, however many
 * objects the stage has; each is retried on its own without holding up
 * the others. An object that cannot even be addressed (unknown kind, no
 * name) gets its result and no request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

struct apply_op {
	struct kube_ref ref;
	struct ss_buf body;
	char what[450];
};

static int apply_query(const struct ss_kube *k, int dry_run, struct ss_buf *q)
{
	int rc = ss_buf_puts(q, "?fieldManager=");

	if (rc == 0)
		rc = kube_url_escape(q, k->field_manager);
	if (rc == 0)
		rc = ss_buf_puts(q, dry_run ? "&force=true&dryRun=All" : "&force=true");
	return rc;
}

/* Fills r and op for obj; on failure err says why, naming the object. */
static int apply_prepare(struct ss_kube *k, const json_t *obj, int dry_run, struct apply_op *op,
			 struct kube_req *r, struct ss_err *err)
{
	struct ss_buf q;
	char *url = NULL;
	int rc;

	ss_buf_init(&op->body, k->opts.max_response);
	rc = kube_ref_of(k, obj, &op->ref, err);
	if (rc != 0)
		return rc;
	snprintf(op->what, sizeof(op->what), "%s %s", dry_run ? "dry-run apply" : "apply",
		 op->ref.what);
	ss_buf_init(&q, 1024);
	rc = apply_query(k, dry_run, &q);
	if (rc == 0)
		rc = kube_ref_url(k, &op->ref, 1, ss_buf_str(&q), &url, err);
	else
		ss_err_set(err, rc, "%s: field manager too long", op->what);
	ss_buf_release(&q);
	if (rc != 0)
		return rc;
	kube_req_init(k, r, "PATCH", url, kube_is_secret(op->ref.kind));
	kube_secbuf_give(k, &op->body);
	rc = kube_body_dump(k, obj, r->secret, &op->body);
	if (rc != 0)
		return ss_err_set(err, rc, "%s: the object is larger than the limit of %zu bytes",
				  op->what, k->opts.max_response);
	r->content_type = "application/apply-patch+yaml";
	r->body = op->body.data;
	r->body_len = op->body.len;
	return 0;
}

int ss_kube_apply(struct ss_kube *k, const json_t *obj, int dry_run, json_t **result,
		  struct ss_err *err)
{
	struct apply_op op;
	struct kube_req r;
	int rc;

	if (result != NULL)
		*result = NULL;
	memset(&op, 0, sizeof(op));
	memset(&r, 0, sizeof(r));
	rc = apply_prepare(k, obj, dry_run, &op, &r, err);
	if (rc == 0)
		rc = kube_do_one(k, &r, op.what, result, err);
	if (rc == 0 && !dry_run)
		kube_observe_apply(k, &r);
	kube_req_release(k, &r);
	kube_secbuf_give(k, &op.body);
	return rc;
}

static void result_set(struct ss_kube_result *res, int code, long status, const char *msg)
{
	res->code = code;
	res->http_status = status;
	snprintf(res->message, sizeof(res->message), "%s", msg);
}

struct batch {
	struct ss_kube *k;
	json_t *const *objs;
	int dry_run;
	struct apply_op **ops;       /* live only while a request is */
	struct ss_kube_result *res;
};

static void batch_release(struct batch *b, size_t i, struct kube_req *r)
{
	kube_req_release(b->k, r);
	if (b->ops[i] != NULL) {
		kube_secbuf_give(b->k, &b->ops[i]->body); /* wipes */
		free(b->ops[i]);
		b->ops[i] = NULL;
	}
}

static int batch_prepare(void *ctx, size_t i, struct kube_req *r)
{
	struct batch *b = ctx;
	struct apply_op *op = calloc(1, sizeof(*op));
	struct ss_err e;
	int rc;

	if (op == NULL) {
		result_set(&b->res[i], SS_E_NOMEM, 0, "out of memory");
		return SS_E_NOMEM;
	}
	b->ops[i] = op; /* batch_release frees it */
	ss_err_clear(&e);
	rc = apply_prepare(b->k, b->objs[i], b->dry_run, op, r, &e);
	if (rc != 0) {
		result_set(&b->res[i], rc, 0, e.msg);
		batch_release(b, i, r);
	}
	return rc;
}

static void batch_done(void *ctx, size_t i, struct kube_req *r)
{
	struct batch *b = ctx;
	char msg[SS_ERR_MSG_MAX];
	int code = kube_req_outcome(b->k, r, b->ops[i]->what, msg, sizeof(msg));

	result_set(&b->res[i], code, r->status, msg);
	kube_status_immutable(r->status, r->resp.data, r->resp.len, b->res[i].immutable,
			      sizeof(b->res[i].immutable));
	if (code == 0 && !b->dry_run)
		kube_observe_apply(b->k, r);
	batch_release(b, i, r);
}

int ss_kube_apply_batch(struct ss_kube *k, json_t *const *objs, size_t n, int dry_run,
			struct ss_kube_result *res, struct ss_err *err)
{
	struct batch b = {k, objs, dry_run, calloc(n ? n : 1, sizeof(*b.ops)), res};
	struct kube_hooks hooks = {batch_prepare, batch_done, &b};
	struct kube_req *reqs = calloc(n ? n : 1, sizeof(*reqs));
	size_t i;
	int rc;

	if (b.ops == NULL || reqs == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	if (n > 0)
		memset(res, 0, n * sizeof(*res));
	rc = kube_http_run_hooked(k, reqs, n, &hooks, err);
	for (i = 0; i < n && rc == 0; i++) {
		if (res[i].code != 0) {
			rc = ss_err_set(err, res[i].code, "%s", res[i].message);
			break;
		}
	}
out:
	for (i = 0; i < n && b.ops != NULL && reqs != NULL; i++)
		batch_release(&b, i, &reqs[i]); /* after a failed run */
	free(b.ops);
	free(reqs);
	return rc;
}
