/*
 * kube.c: lifecycle of the Kubernetes client (see sealsync/kube.h).
 * Opening reads credentials only; the first request connects.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kube_int.h"

#define KUBE_DEFAULT_TIMEOUT_MS 30000u
#define KUBE_DEFAULT_MAX_RESPONSE ((size_t)64 << 20)
#define KUBE_DEFAULT_CONCURRENCY 8u
#define KUBE_MAX_CONCURRENCY 64u

void ss_kube_opts_default(struct ss_kube_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->field_manager = "sealsync";
	o->timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	o->max_retries = 3;
	o->max_response = KUBE_DEFAULT_MAX_RESPONSE;
	o->concurrency = KUBE_DEFAULT_CONCURRENCY;
}

static void kube_fill_defaults(struct ss_kube_opts *o)
{
	if (o->timeout_ms == 0)
		o->timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	if (o->max_response == 0)
		o->max_response = KUBE_DEFAULT_MAX_RESPONSE;
	if (o->concurrency == 0)
		o->concurrency = KUBE_DEFAULT_CONCURRENCY;
	if (o->concurrency > KUBE_MAX_CONCURRENCY)
		o->concurrency = KUBE_MAX_CONCURRENCY;
	/* Borrowed strings are not kept: only what we copy below. */
	o->kubeconfig = NULL;
	o->context = NULL;
}

static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void kube_curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int kube_multi_new(struct ss_kube *k)
{
	/* Once per process, even when two threads open clients at once. */
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (pthread_once(&once, kube_curl_init) != 0 || curl_init_rc != CURLE_OK)
		return SS_E_INTERNAL;
	k->multi = curl_multi_init();
	if (k->multi == NULL)
		return SS_E_NOMEM;
	if (curl_multi_setopt(k->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
	    curl_multi_setopt(k->multi, CURLMOPT_MAXCONNECTS, (long)k->opts.concurrency) != CURLM_OK)
		return SS_E_INTERNAL;
	return 0;
}

int ss_kube_open(const struct ss_kube_opts *o, struct ss_kube **out, struct ss_err *err)
{
	struct ss_kube *k;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return ss_err_set(err, SS_E_INTERNAL, "libsodium cannot start");
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	k->opts = *o;
	kube_fill_defaults(&k->opts);
	k->field_manager = strdup(o->field_manager ? o->field_manager : "sealsync");
	k->disc = json_object();
	if (k->field_manager == NULL || k->disc == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	k->opts.field_manager = k->field_manager;
	k->rnd = randombytes_random() | 1u;
	rc = kube_conn_load(o, &k->conn, err);
	if (rc != 0)
		goto out;
	rc = kube_multi_new(k);
	if (rc != 0) {
		ss_err_set(err, rc, "cannot start the HTTP client");
		goto out;
	}
	*out = k;
	k = NULL;
out:
	ss_kube_free(k);
	return rc;
}

void kube_secbuf_take(struct ss_kube *k, struct ss_buf *b)
{
	if (k->nsecpool > 0) {
		*b = k->secpool[--k->nsecpool];
		memset(&k->secpool[k->nsecpool], 0, sizeof(*b));
		return;
	}
	ss_buf_init_secure(b, k->opts.max_response);
}

void kube_secbuf_give(struct ss_kube *k, struct ss_buf *b)
{
	if (b->secure && b->max == k->opts.max_response && b->cap <= KUBE_SECBUF_KEEP_MAX &&
	    k->nsecpool < KUBE_SECBUF_POOL) {
		ss_buf_reset(b); /* wipes the whole allocation */
		k->secpool[k->nsecpool++] = *b;
	} else {
		ss_buf_release(b); /* wipes */
	}
	memset(b, 0, sizeof(*b));
}

static void kube_secpool_free(struct ss_kube *k)
{
	while (k->nsecpool > 0)
		ss_buf_release(&k->secpool[--k->nsecpool]);
}

void ss_kube_free(struct ss_kube *k)
{
	if (k == NULL)
		return;
	kube_secpool_free(k);
	if (k->multi != NULL)
		curl_multi_cleanup(k->multi);
	kube_redact_clear(&k->redact);
	kube_conn_release(&k->conn);
	json_decref(k->disc);
	free(k->field_manager);
	free(k->impersonate);
	free(k);
}

const char *ss_kube_namespace(const struct ss_kube *k)
{
	return k->conn.ns != NULL ? k->conn.ns : "default";
}

const char *ss_kube_server(const struct ss_kube *k)
{
	return k->conn.server;
}

int ss_kube_insecure(const struct ss_kube *k)
{
	return k->conn.insecure;
}
