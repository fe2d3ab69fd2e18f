/* Unit tests for server.h over real HTTP (libcurl to 127.0.0.1): routing,
 * methods, the webhook signature, body cap, rate limit, recipients and bad
 * bodies. End to end (TLS, reseal, verify, sync) is
 * tests/e2e/t5000-service-http.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "sealsync/config.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/keystore.h"
#include "sealsync/metrics.h"
#include "sealsync/server.h"

#define HOOK_SECRET "unit-test-hook-secret"

struct fx {
	char dir[64], hook[128];
	struct ss_config cfg;
	struct ss_keystore *ks;
	struct ss_metrics *m;
	struct ss_server *srv;
	struct ss_recipient active;
	int triggered;
	char url[64];
};

struct reply {
	long status;
	struct ss_buf body;
	char retry_after[96], allow[96], ctype[96];
};

static void on_trigger(void *ctx)
{
	((struct fx *)ctx)->triggered++;
}

static int start(struct fx *f, unsigned rate)
{
	struct ss_server_opts o;
	char path[128];
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/ss-server-XXXXXX");
	if (mkdtemp(f->dir) == NULL || ss_config_init(&f->cfg) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/keys.txt", f->dir);
	snprintf(f->hook, sizeof(f->hook), "%s/hook.txt", f->dir);
	f->cfg.identities_file = strdup(path);
	if (ss_keyfile_create(path, &f->active, NULL) != 0 || (fp = fopen(f->hook, "w")) == NULL)
		return -1;
	fputs(HOOK_SECRET "\n", fp);
	fclose(fp);
	if (chmod(f->hook, 0600) != 0 || ss_keystore_open(&f->cfg, &f->ks, NULL) != 0 ||
	    ss_metrics_new(&f->m) != 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.webhook_secret_file = f->hook;
	o.max_body = 1024;
	o.posts_per_minute = rate;
	o.keys = f->ks;
	o.metrics = f->m;
	o.trigger = on_trigger;
	o.trigger_ctx = f;
	if (ss_server_start(&o, &f->srv, NULL) != 0)
		return -1;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", ss_server_port(f->srv));
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	return f != NULL ? start(f, 100) : -1;
}

static int setup_rate3(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	return f != NULL ? start(f, 3) : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	ss_server_stop(f->srv);
	ss_metrics_free(f->m);
	ss_keystore_free(f->ks);
	ss_config_release(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	return ss_buf_append(ctx, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t len = size * n;
	char line[96];

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "Retry-After: ", 13) == 0)
		snprintf(r->retry_after, sizeof(r->retry_after), "%s", line + 13);
	else if (strncasecmp(line, "Allow: ", 7) == 0)
		snprintf(r->allow, sizeof(r->allow), "%s", line + 7);
	else if (strncasecmp(line, "Content-Type: ", 14) == 0)
		snprintf(r->ctype, sizeof(r->ctype), "%s", line + 14);
	return len;
}

/* method "GET"/"POST"/...; body NULL for none; hdr an extra header or NULL. */
static void request(struct fx *f, const char *method, const char *path, const char *body,
		    const char *hdr, struct reply *r)
{
	struct curl_slist *h = NULL;
	char url[256];
	CURL *c = curl_easy_init();

	assert_non_null(c);
	memset(r, 0, sizeof(*r));
	ss_buf_init(&r->body, 1 << 20);
	snprintf(url, sizeof(url), "%s%s", f->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (hdr != NULL)
		h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void done(struct reply *r)
{
	ss_buf_release(&r->body);
}

static void test_health_and_routing(void **state)
{
	struct fx *f = *state;
	struct reply r;

	request(f, "GET", "/healthz", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(ss_buf_str(&r.body), "ok\n");
	done(&r);
	request(f, "GET", "/nope", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.ctype, "application/json");
	done(&r);
	request(f, "PUT", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET");
	done(&r);
	request(f, "GET", "/hook", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	done(&r);
}

static void test_readyz_and_recipients_follow_the_keys(void **state)
{
	struct fx *f = *state;
	char want[SS_RECIPIENT_STR_MAX + 2];
	struct reply r;

	request(f, "GET", "/readyz", NULL, NULL, &r);
	assert_int_equal(r.status, 503);
	done(&r);
	request(f, "GET", "/v1/recipients", NULL, NULL, &r);
	assert_int_equal(r.status, 503);
	done(&r);
	assert_int_equal(ss_keystore_load(f->ks, 0, NULL), 0);
	ss_metrics_set_keys(f->m, 1, 0, 0);
	request(f, "GET", "/readyz", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	done(&r);
	request(f, "GET", "/v1/recipients", NULL, "Accept: text/plain", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ss_recipient_format(&f->active, want, sizeof(want) - 1), 0);
	strcat(want, "\n");
	assert_non_null(strstr(ss_buf_str(&r.body), want));
	assert_null(strstr(ss_buf_str(&r.body), "AGE-SECRET-KEY"));
	done(&r);
}

static void sign(const char *body, char *hdr, size_t len)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char hex[2 * sizeof(mac) + 1];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)HOOK_SECRET, strlen(HOOK_SECRET));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(hdr, len, "X-Hub-Signature-256: sha256=%s", hex);
}

static void test_webhook_signature(void **state)
{
	struct fx *f = *state;
	char hdr[256];
	struct reply r;

	request(f, "POST", "/hook", "{}", NULL, &r);
	assert_int_equal(r.status, 401);
	done(&r);
	sign("{\"other\":1}", hdr, sizeof(hdr));
	request(f, "POST", "/hook", "{}", hdr, &r);
	assert_int_equal(r.status, 401);
	done(&r);
	request(f, "POST", "/hook", "{}", "X-Hub-Signature-256: sha1=00", &r);
	assert_int_equal(r.status, 401);
	done(&r);
	assert_int_equal(f->triggered, 0);
	sign("{}", hdr, sizeof(hdr));
	request(f, "POST", "/hook", "{}", hdr, &r);
	assert_int_equal(r.status, 202);
	done(&r);
	assert_int_equal(f->triggered, 1);
}

static void test_body_cap(void **state)
{
	struct fx *f = *state;
	char big[2048];
	struct reply r;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	request(f, "POST", "/v1/verify", big, NULL, &r);
	assert_int_equal(r.status, 413);
	done(&r);
	request(f, "POST", "/v1/verify", big, "Transfer-Encoding: chunked", &r);
	assert_int_equal(r.status, 413);
	done(&r);
}

static void test_bad_bodies_are_400(void **state)
{
	struct fx *f = *state;
	struct reply r;

	assert_int_equal(ss_keystore_load(f->ks, 0, NULL), 0);
	request(f, "POST", "/v1/verify", "a: [", NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(ss_buf_str(&r.body), "request body"));
	done(&r);
	request(f, "POST", "/v1/reseal", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\"}", NULL, &r);
	assert_int_equal(r.status, 400);
	done(&r);
}

static void test_rate_limit(void **state)
{
	struct fx *f = *state;
	struct reply r;
	int i;

	for (i = 0; i < 3; i++) {
		request(f, "POST", "/hook", "{}", NULL, &r);
		assert_int_equal(r.status, 401);
		done(&r);
	}
	request(f, "POST", "/hook", "{}", NULL, &r);
	assert_int_equal(r.status, 429);
	assert_true(atoi(r.retry_after) >= 1);
	done(&r);
	request(f, "GET", "/healthz", NULL, NULL, &r); /* GETs are not limited */
	assert_int_equal(r.status, 200);
	done(&r);
}

/* Bad webhooks and /v1 POSTs spend their own buckets, never a signed
 * webhook's: the signed one is 202 after both are empty. */
static void test_buckets_are_separate(void **state)
{
	struct fx *f = *state;
	struct reply r;
	char hdr[128];
	int i;

	assert_int_equal(ss_keystore_load(f->ks, 0, NULL), 0);
	for (i = 0; i < 4; i++) {
		request(f, "POST", "/v1/verify", "a: [", NULL, &r);
		assert_int_equal(r.status, i < 3 ? 400 : 429);
		done(&r);
		request(f, "POST", "/hook", "{}", "X-Hub-Signature-256: sha256=00", &r);
		assert_int_equal(r.status, i < 3 ? 401 : 429);
		done(&r);
	}
	sign("{}", hdr, sizeof(hdr));
	request(f, "POST", "/hook", "{}", hdr, &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(f->triggered, 1);
	done(&r);
}

static void test_body_budget_below_cap(void **state)
{
	struct ss_server_opts o;
	struct ss_server *s = NULL;
	struct ss_err e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.max_body = 2048;
	o.body_budget = 1024;
	ss_err_clear(&e);
	assert_int_equal(ss_server_start(&o, &s, &e), SS_E_USAGE);
	assert_null(s);
	assert_non_null(strstr(e.msg, "budget"));
}

static void test_listen_errors(void **state)
{
	struct ss_server_opts o;
	struct ss_server *s = NULL;
	struct ss_err e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.listen = "no-port-here";
	ss_err_clear(&e);
	assert_int_equal(ss_server_start(&o, &s, &e), SS_E_USAGE);
	assert_null(s);
	assert_non_null(strstr(e.msg, "no-port-here"));
	o.listen = "127.0.0.1:0";
	o.tls_cert_file = "/nonexistent.crt";
	assert_int_equal(ss_server_start(&o, &s, &e), SS_E_USAGE);
	assert_non_null(strstr(e.msg, "--tls-key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_health_and_routing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readyz_and_recipients_follow_the_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_webhook_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies_are_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup_rate3, teardown),
		cmocka_unit_test_setup_teardown(test_buckets_are_separate, setup_rate3, teardown),
		cmocka_unit_test(test_body_budget_below_cap),
		cmocka_unit_test(test_listen_errors),
	};
	int rc;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	ss_json_use_zeroing_alloc();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
