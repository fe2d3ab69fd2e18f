/*
 * notify_send.c: a target's credentials and its delivery thread.
 *
 * Follows curl's libcurl-security.md as kube_http.c does: https only
 * (http only for an insecure target), no redirects, peer and host
 * verified, deadlines, and a cap on the reply (which is discarded). The
 * URL is handed to curl from guarded memory; curl keeps its own copy.
 * Never log curl's error text: it can quote the URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "notify_int.h"
#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/keys.h"
#include "sealsync/log.h"

#define BACKOFF_BASE_MS 1000u
#define BACKOFF_CAP_MS 30000u
#define CONNECT_TIMEOUT_MS 10000L
#define TIMEOUT_MS 15000L
#define REPLY_MAX 65536
#define CRED_MAX 8192

/* The file's text without trailing newlines, in guarded memory. */
static int read_cred(const char *path, const char *what, const char *target, char **out,
		     size_t *len, struct ss_err *err)
{
	struct ss_buf b;
	int rc;

	*out = NULL;
	ss_buf_init_secure(&b, CRED_MAX);
	rc = ss_keyfile_check_perms(path, err);
	if (rc == 0)
		rc = ss_file_read(path, &b, err);
	while (rc == 0 && b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.len--;
	if (rc == 0 && b.len == 0)
		rc = ss_err_set(err, SS_E_INVAL, "%s is empty", path);
	if (rc == 0 && (*out = sodium_malloc(b.len + 1)) == NULL)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (rc == 0) {
		memcpy(*out, b.data, b.len);
		(*out)[b.len] = '\0';
		*len = b.len;
	} else
		ss_err_prefix(err, "notify target %s: %s", target, what);
	ss_buf_release(&b);
	return rc;
}

/* https (or http when insecure), parsable by curl, no control character.
 * The message never quotes the URL. */
static int check_url(const struct notify_target *t, struct ss_err *err)
{
	const char *u = t->url, *file = t->tc->url_file;
	CURLU *h;
	size_t i;
	int bad;

	for (i = 0; u[i] != '\0'; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return ss_err_set(err, SS_E_INVAL, "notify target %s: urlFile %s: the URL "
					  "holds a space or control character", t->tc->name, file);
	if (strncmp(u, "https://", 8) != 0 && !(t->tc->insecure && strncmp(u, "http://", 7) == 0))
		return ss_err_set(err, SS_E_INVAL, "notify target %s: urlFile %s: the URL must be "
				  "https://%s", t->tc->name, file,
				  t->tc->insecure ? " or http://" : " (insecure: true allows http://)");
	h = curl_url();
	if (h == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	bad = curl_url_set(h, CURLUPART_URL, u, 0) != CURLUE_OK;
	curl_url_cleanup(h);
	if (bad)
		return ss_err_set(err, SS_E_INVAL, "notify target %s: urlFile %s: not a URL",
				  t->tc->name, file);
	return 0;
}

int notify_target_load(struct notify_target *t, struct ss_err *err)
{
	size_t n;
	int rc;

	rc = read_cred(t->tc->url_file, "urlFile", t->tc->name, &t->url, &n, err);
	if (rc == 0)
		rc = check_url(t, err);
	if (rc == 0 && t->tc->secret_file != NULL)
		rc = read_cred(t->tc->secret_file, "secretFile", t->tc->name, (char **)&t->key,
			       &t->key_len, err);
	return rc;
}

void notify_target_wipe(struct notify_target *t)
{
	sodium_free(t->url); /* wipes */
	sodium_free(t->key);
	t->url = NULL;
	t->key = NULL;
	t->key_len = 0;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	size_t *got = ud;

	(void)p;
	(void)size;
	*got += n;
	return *got > REPLY_MAX ? 0 : n; /* a reply past the cap aborts */
}

/* X-Sealsync-Signature: sha256=HMAC-SHA256(key, "<ts>.<body>") in hex. */
static void sign(const struct notify_target *t, const char *ts, const struct notify_entry *e,
		 char *hdr, size_t len)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, t->key, t->key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)e->body, e->len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(hdr, len, "X-Sealsync-Signature: sha256=%s", hex);
	sodium_memzero(&st, sizeof(st));
}

static struct curl_slist *headers(const struct notify_target *t, const struct notify_entry *e)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char ts[32], line[128];

	if (h == NULL || curl_slist_append(h, "Expect:") == NULL)
		goto fail;
	if (t->key == NULL)
		return h;
	/* Signed per attempt: a receiver rejects old timestamps (replays),
	 * and a retry after a long outage is not one. */
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(line, sizeof(line), "X-Sealsync-Timestamp: %s", ts);
	if (curl_slist_append(h, line) == NULL)
		goto fail;
	sign(t, ts, e, line, sizeof(line));
	if (curl_slist_append(h, line) == NULL)
		goto fail;
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

static int easy_setup(const struct notify_target *t, CURL *c, size_t *got)
{
	CURLcode cc = CURLE_OK;
	const char *protos = t->tc->insecure ? "http,https" : "https";

	cc |= curl_easy_setopt(c, CURLOPT_URL, t->url);
	cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos);
	cc |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos);
	cc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->tc->ca_file != NULL)
		cc |= curl_easy_setopt(c, CURLOPT_CAINFO, t->tc->ca_file);
	cc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	cc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, got);
	cc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "sealsync/0.1");
	return cc == CURLE_OK ? 0 : SS_E_INTERNAL;
}

enum outcome { SENT, RETRY, REJECTED };

static enum outcome classify(CURLcode cc, long status)
{
	if (cc == CURLE_OK && status >= 200 && status < 300)
		return SENT;
	if (cc == CURLE_OK)
		return status >= 500 || status == 408 || status == 429 ? RETRY : REJECTED;
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return RETRY;
	default:
		return REJECTED; /* TLS verification above all: never retried */
	}
}

/* One POST of e; the outcome, with the curl code and status for the log. */
static enum outcome post_once(struct notify_target *t, CURL *c, const struct notify_entry *e,
			      CURLcode *cc, long *status)
{
	struct curl_slist *h = headers(t, e);
	size_t got = 0;

	*status = 0;
	*cc = CURLE_OUT_OF_MEMORY;
	curl_easy_reset(c);
	if (h == NULL || easy_setup(t, c, &got) != 0 ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->len) != CURLE_OK) {
		curl_slist_free_all(h);
		return REJECTED;
	}
	*cc = curl_easy_perform(c);
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
		*status = 0;
	curl_slist_free_all(h);
	return classify(*cc, *status);
}

static unsigned backoff_ms(unsigned attempt)
{
	unsigned exp = BACKOFF_BASE_MS, i;

	for (i = 1; i < attempt && exp < BACKOFF_CAP_MS; i++)
		exp *= 2;
	if (exp > BACKOFF_CAP_MS)
		exp = BACKOFF_CAP_MS;
	return exp / 2 + randombytes_uniform(exp / 2 + 1); /* equal jitter */
}

static void log_attempt(const struct notify_target *t, enum outcome o, CURLcode cc, long status,
			unsigned attempt)
{
	char code[16], st[16], n[16];

	snprintf(code, sizeof(code), "%d", (int)cc);
	snprintf(st, sizeof(st), "%ld", status);
	snprintf(n, sizeof(n), "%u", attempt);
	if (o == SENT)
		ss_log(SS_LOG_DEBUG, "notification sent", "target", t->tc->name, "status", st,
		       "attempt", n, NULL);
	else
		ss_log(SS_LOG_WARN, o == RETRY ? "notification failed; will retry" :
		       "notification rejected; dropped", "target", t->tc->name, "curl_code", code,
		       "http_status", st, "attempt", n, NULL);
}

/* Waits for work or stop: takes the queue's oldest as in flight. 0: stop. */
static int take_next(struct notify_target *t)
{
	int go;

	pthread_mutex_lock(&t->mu);
	if (t->inflight.body != NULL && t->drop_inflight) { /* overflow took it meanwhile */
		ss_json_free(t->inflight.body);
		t->inflight.body = NULL;
	}
	while (!t->stop && t->inflight.body == NULL && t->n == 0)
		pthread_cond_wait(&t->cv, &t->mu);
	if (!t->stop && t->inflight.body == NULL) {
		t->inflight = t->ring[t->head];
		t->ring[t->head].body = NULL;
		t->head = (t->head + 1) % t->cap;
		t->n--;
		t->drop_inflight = 0;
	}
	go = !t->stop;
	pthread_mutex_unlock(&t->mu);
	return go;
}

/* Sleeps ms unless stopped; 0 when stopped. */
static int pause_ms(struct notify_target *t, unsigned ms)
{
	struct timespec until;
	int stopped;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->mu);
	while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0)
		;
	stopped = t->stop;
	pthread_mutex_unlock(&t->mu);
	return !stopped;
}

/* After an attempt: count it; 1 when the entry in flight is done with. */
static int settle(struct notify_target *t, enum outcome o)
{
	int done;

	pthread_mutex_lock(&t->mu);
	if (o == SENT)
		t->counts.sent++;
	else
		t->counts.failed++;
	if (o == REJECTED)
		t->counts.dropped_rejected++;
	done = o != RETRY || t->drop_inflight;
	if (done) {
		ss_json_free(t->inflight.body);
		t->inflight.body = NULL;
	}
	pthread_mutex_unlock(&t->mu);
	return done;
}

void *notify_thread(void *arg)
{
	struct notify_target *t = arg;
	CURL *c = curl_easy_init();
	unsigned attempt = 0;

	if (c == NULL) {
		ss_log(SS_LOG_ERROR, "notifications off: no curl handle", "target", t->tc->name,
		       NULL);
		return NULL;
	}
	while (take_next(t)) {
		CURLcode cc;
		long status;
		enum outcome o = post_once(t, c, &t->inflight, &cc, &status);

		attempt++;
		log_attempt(t, o, cc, status, attempt);
		if (settle(t, o)) {
			attempt = 0;
			continue;
		}
		if (!pause_ms(t, backoff_ms(attempt)))
			break;
	}
	curl_easy_cleanup(c);
	return NULL;
}
