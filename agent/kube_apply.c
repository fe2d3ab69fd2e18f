/*
 * kube_apply.c: server-side apply, one object or a whole ordering stage.
 *
 *   PATCH <object URL>?fieldManager=M&force=true[&dryRun=All]
 *   Content-Type: application/apply-patch+yaml   (the body is JSON = YAML)
 *
 * force=true: sealsync owns what Git says, as Flux does; a conflict with
 * another manager's field is taken over rather than failing the revision.
 *
 * A batch goes in chunks of KUBE_BATCH_CHUNK_PER_CONN x concurrency
 * objects: each chunk prepares its requests (an object that cannot even be
 * addressed, such as an unknown kind, gets its result and is skipped), runs
 * them concurrently through kube_http_run, each retried on its own, and
 * wipes its bodies before the next chunk. Chunks bound the memory of a
 * stage of thousands of objects; the cost is that a chunk waits for its
 * slowest retry.
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

/* Prepares every object; the ones that fail get their result and are
 * marked done so the runner skips them. */
static void batch_prepare(struct ss_kube *k, json_t *const *objs, size_t n, int dry_run,
			  struct apply_op *ops, struct kube_req *reqs, struct ss_kube_result *res)
{
	struct ss_err e;
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;

		ss_err_clear(&e);
		rc = apply_prepare(k, objs[i], dry_run, &ops[i], &reqs[i], &e);
		if (rc != 0) {
			result_set(&res[i], rc, 0, e.msg);
			reqs[i].done = 1;
		}
	}
}

/* Applies objs[0..n) (one chunk): prepare, run, collect, release. */
static int batch_chunk(struct ss_kube *k, json_t *const *objs, size_t n, int dry_run,
		       struct ss_kube_result *res, struct ss_err *err)
{
	struct apply_op *ops = calloc(n, sizeof(*ops));
	struct kube_req *reqs = calloc(n, sizeof(*reqs));
	char msg[SS_ERR_MSG_MAX];
	size_t i;
	int rc;

	if (ops == NULL || reqs == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	batch_prepare(k, objs, n, dry_run, ops, reqs, res);
	rc = kube_http_run(k, reqs, n, err);
	for (i = 0; i < n && rc == 0; i++) {
		if (reqs[i].url != NULL && res[i].code == 0) {
			int code = kube_req_outcome(k, &reqs[i], ops[i].what, msg, sizeof(msg));

			result_set(&res[i], code, reqs[i].status, msg);
		}
	}
out:
	for (i = 0; i < n && ops != NULL && reqs != NULL; i++) {
		kube_req_release(k, &reqs[i]);
		kube_secbuf_give(k, &ops[i].body); /* wipes */
	}
	free(ops);
	free(reqs);
	return rc;
}

int ss_kube_apply_batch(struct ss_kube *k, json_t *const *objs, size_t n, int dry_run,
			struct ss_kube_result *res, struct ss_err *err)
{
	/* Chunks bound what is alive at once (bodies of Secrets in guarded
	 * memory, responses, curl handles) for stages of thousands of objects,
	 * while keeping every connection busy. */
	size_t chunk = (size_t)k->opts.concurrency * KUBE_BATCH_CHUNK_PER_CONN, i, m;
	int rc = 0, first = 0;

	if (n > 0)
		memset(res, 0, n * sizeof(*res));
	for (i = 0; i < n && rc == 0; i += m) {
		m = n - i < chunk ? n - i : chunk;
		rc = batch_chunk(k, objs + i, m, dry_run, res + i, err);
	}
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (res[i].code != 0) {
			first = res[i].code;
			ss_err_set(err, first, "%s", res[i].message);
			break;
		}
	}
	return first;
}
