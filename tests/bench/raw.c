/*
 * raw.c: `ss-bench raw`, the raw-request bound of bench row 3r.
 *
 *   ss-bench raw --server URL --ca FILE --token FILE --plan FILE
 *                [--concurrency N]
 *
 * Sends a plan of HTTP requests with every body read into memory before the
 * clock starts (pre-serialized: no parsing, no serializing while timed).
 * The plan has one request a line, "METHOD TARGET BODYFILE|- STATUS", and
 * stages separated by a line "--": a stage starts when the one before it
 * has ended, and its requests run concurrently, at most N in flight over at
 * most N connections of one curl multi handle (kept alive across stages),
 * HTTP/1.1 over TLS with the bearer token, as the agent does. PATCH bodies
 * go as application/apply-patch+yaml, POST and PUT bodies as JSON.
 *
 * Prints key=value lines: requests, stages, wall_s (first request to last
 * response), cpu_s, connections (how many curl opened), and mismatched,
 * the requests whose status differs from the plan's (the replay did not do
 * what the agent did; bench/run.sh counts that as a failed bench).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

#include "raw.h"

#define RAW_MAX_REQUESTS 200000
#define RAW_MAX_BODY (3L * 1024 * 1024)
#define RAW_LINE 4096

struct raw_req {
	char method[8];
	char *url;
	char *body;
	long body_len;
	long expect;
	int stage;
};

struct raw_opts {
	const char *server, *ca, *token_file, *plan;
	long concurrency;
};

struct raw_run {
	struct raw_req *reqs;
	size_t n;
	int stages;
	char auth[600];
	struct curl_slist *patch_hdrs, *json_hdrs, *get_hdrs;
	long mismatched, connections;
};

static double mono_sec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(const char *path, long max, long *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n = 0;

	if (f == NULL)
		return NULL;
	p = malloc((size_t)max + 1);
	if (p != NULL) {
		n = (long)fread(p, 1, (size_t)max + 1, f);
		if (n > max || ferror(f)) {
			free(p);
			p = NULL;
		} else {
			p[n] = '\0';
		}
	}
	fclose(f);
	*len = n;
	return p;
}

/* One plan line into r; 0, or -1 when malformed or a body is unreadable. */
static int plan_line(const struct raw_opts *o, char *line, int stage, struct raw_req *r)
{
	char target[RAW_LINE], body[RAW_LINE];
	size_t ul;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%7s %4095s %4095s %ld", r->method, target, body, &r->expect) != 4)
		return -1;
	ul = strlen(o->server) + strlen(target) + 1;
	if ((r->url = malloc(ul)) == NULL)
		return -1;
	snprintf(r->url, ul, "%s%s", o->server, target);
	r->stage = stage;
	if (strcmp(body, "-") == 0)
		return 0;
	r->body = read_all(body, RAW_MAX_BODY, &r->body_len);
	if (r->body == NULL)
		fprintf(stderr, "ss-bench raw: %s: %s\n", body, strerror(errno));
	return r->body == NULL ? -1 : 0;
}

static int plan_load(const struct raw_opts *o, struct raw_run *ru)
{
	FILE *f = fopen(o->plan, "r");
	char line[3 * RAW_LINE];
	int rc = 0, stage = 0;

	if (f == NULL || (ru->reqs = calloc(RAW_MAX_REQUESTS, sizeof(*ru->reqs))) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "--", 2) == 0) {
			stage += ru->n > 0 && ru->reqs[ru->n - 1].stage == stage;
			continue;
		}
		if (ru->n >= RAW_MAX_REQUESTS)
			rc = -1;
		else if ((rc = plan_line(o, line, stage, &ru->reqs[ru->n])) == 0)
			ru->n++;
	}
	fclose(f);
	ru->stages = ru->n > 0 ? ru->reqs[ru->n - 1].stage + 1 : 0;
	if (rc != 0)
		fprintf(stderr, "ss-bench raw: %s: bad line %zu: %s", o->plan, ru->n + 1, line);
	return rc;
}

static int headers_make(const struct raw_opts *o, struct raw_run *ru)
{
	long len = 0;
	char *tok = read_all(o->token_file, 4096, &len);

	if (tok == NULL)
		return -1;
	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
		tok[--len] = '\0';
	snprintf(ru->auth, sizeof(ru->auth), "Authorization: Bearer %s", tok);
	free(tok);
	ru->get_hdrs = curl_slist_append(NULL, ru->auth);
	ru->get_hdrs = curl_slist_append(ru->get_hdrs, "Accept: application/json");
	ru->json_hdrs = curl_slist_append(NULL, ru->auth);
	ru->json_hdrs = curl_slist_append(ru->json_hdrs, "Accept: application/json");
	ru->json_hdrs = curl_slist_append(ru->json_hdrs, "Content-Type: application/json");
	ru->json_hdrs = curl_slist_append(ru->json_hdrs, "Expect:");
	ru->patch_hdrs = curl_slist_append(NULL, ru->auth);
	ru->patch_hdrs = curl_slist_append(ru->patch_hdrs, "Accept: application/json");
	ru->patch_hdrs =
		curl_slist_append(ru->patch_hdrs, "Content-Type: application/apply-patch+yaml");
	ru->patch_hdrs = curl_slist_append(ru->patch_hdrs, "Expect:");
	return ru->get_hdrs && ru->json_hdrs && ru->patch_hdrs ? 0 : -1;
}

/* The response is read and dropped: the agent reads it too (into a buffer). */
static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)size;
	(void)ud;
	return n;
}

static CURL *easy_for(const struct raw_opts *o, struct raw_run *ru, struct raw_req *r)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = ru->get_hdrs;
	CURLcode cc = CURLE_OK;

	if (e == NULL)
		return NULL;
	if (r->body != NULL)
		h = strcmp(r->method, "PATCH") == 0 ? ru->patch_hdrs : ru->json_hdrs;
	cc |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	cc |= curl_easy_setopt(e, CURLOPT_CAINFO, o->ca);
	cc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	cc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	cc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	cc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	if (strcmp(r->method, "GET") != 0)
		cc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body != NULL) {
		cc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		cc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	if (cc != CURLE_OK) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

/* One finished transfer: its status against the plan's, its connection. */
static void finish(CURLM *m, struct raw_run *ru, CURLMsg *msg)
{
	struct raw_req *r = NULL;
	long status = 0, fresh = 0;

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &fresh);
	ru->connections += fresh;
	if (msg->data.result != CURLE_OK || status != r->expect) {
		if (ru->mismatched++ < 5)
			fprintf(stderr, "ss-bench raw: %s %s: %s, status %ld (plan: %ld)\n",
				r->method, r->url, curl_easy_strerror(msg->data.result), status,
				r->expect);
	}
	curl_multi_remove_handle(m, msg->easy_handle);
	curl_easy_cleanup(msg->easy_handle);
}

/* Requests [from, to) of one stage, at most c in flight. */
static int run_stage(const struct raw_opts *o, CURLM *m, struct raw_run *ru, size_t from,
		     size_t to)
{
	size_t next = from, active = 0;
	int running = 0, q;
	CURLMsg *msg;
	CURL *e;

	while (next < to || active > 0) {
		while (next < to && active < (size_t)o->concurrency) {
			if ((e = easy_for(o, ru, &ru->reqs[next++])) == NULL ||
			    curl_multi_add_handle(m, e) != CURLM_OK)
				return -1;
			active++;
		}
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return -1;
		while ((msg = curl_multi_info_read(m, &q)) != NULL)
			if (msg->msg == CURLMSG_DONE) {
				finish(m, ru, msg);
				active--;
			}
		if (active > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			return -1;
	}
	return 0;
}

static int run_all(const struct raw_opts *o, struct raw_run *ru)
{
	CURLM *m = curl_multi_init();
	double w0, c0;
	size_t i = 0, j;
	int rc = 0;

	if (m == NULL || curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, o->concurrency) ||
	    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, o->concurrency)) {
		curl_multi_cleanup(m);
		return -1;
	}
	w0 = mono_sec(CLOCK_MONOTONIC);
	c0 = mono_sec(CLOCK_PROCESS_CPUTIME_ID);
	while (rc == 0 && i < ru->n) {
		for (j = i; j < ru->n && ru->reqs[j].stage == ru->reqs[i].stage; j++)
			;
		rc = run_stage(o, m, ru, i, j);
		i = j;
	}
	if (rc == 0)
		printf("requests=%zu\nstages=%d\nconcurrency=%ld\nwall_s=%.6f\ncpu_s=%.6f\n"
		       "connections=%ld\nmismatched=%ld\n",
		       ru->n, ru->stages, o->concurrency, mono_sec(CLOCK_MONOTONIC) - w0,
		       mono_sec(CLOCK_PROCESS_CPUTIME_ID) - c0, ru->connections, ru->mismatched);
	curl_multi_cleanup(m);
	return rc;
}

static int raw_parse(int argc, char **argv, struct raw_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 8;
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--server") == 0)
			o->server = v;
		else if (strcmp(k, "--ca") == 0)
			o->ca = v;
		else if (strcmp(k, "--token") == 0)
			o->token_file = v;
		else if (strcmp(k, "--plan") == 0)
			o->plan = v;
		else if (strcmp(k, "--concurrency") == 0)
			o->concurrency = strtol(v, NULL, 10);
		else
			return -1;
	}
	if (argc % 2 != 0 || !o->server || !o->ca || !o->token_file || !o->plan ||
	    o->concurrency < 1 || o->concurrency > 64)
		return -1;
	return 0;
}

static void run_release(struct raw_run *ru)
{
	for (size_t i = 0; ru->reqs != NULL && i < ru->n; i++) {
		free(ru->reqs[i].url);
		free(ru->reqs[i].body);
	}
	free(ru->reqs);
	curl_slist_free_all(ru->get_hdrs);
	curl_slist_free_all(ru->json_hdrs);
	curl_slist_free_all(ru->patch_hdrs);
}

int bench_raw(int argc, char **argv)
{
	struct raw_opts o;
	struct raw_run ru;
	int rc;

	memset(&ru, 0, sizeof(ru));
	if (raw_parse(argc, argv, &o) != 0)
		return 2;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = plan_load(&o, &ru);
	if (rc == 0 && (rc = headers_make(&o, &ru)) != 0)
		fprintf(stderr, "ss-bench raw: %s: cannot read the token\n", o.token_file);
	if (rc == 0 && (rc = run_all(&o, &ru)) != 0)
		fputs("ss-bench raw: curl failure\n", stderr);
	run_release(&ru);
	curl_global_cleanup();
	return rc == 0 ? 0 : 1;
}
