/* Unit tests for the Kubernetes client's pure parts: URLs, Status errors,
 * redaction, retry decisions and backoff. The transport itself is tested
 * against the local API server (tests/e2e/t4000-kube-client.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../../agent/kube/kube_int.h"

static void path_is(const char *av, const char *res, const char *ns, const char *name,
		    const char *want)
{
	struct ss_buf b;
	struct ss_err e;

	ss_buf_init(&b, 4096);
	ss_err_clear(&e);
	assert_int_equal(kube_url_path(&b, av, res, ns, name, &e), 0);
	assert_string_equal(ss_buf_str(&b), want);
	ss_buf_release(&b);
}

static int path_fails(const char *av, const char *res, const char *ns, const char *name,
		      const char *msg_has)
{
	struct ss_buf b;
	struct ss_err e;
	int rc;

	ss_buf_init(&b, 4096);
	ss_err_clear(&e);
	rc = kube_url_path(&b, av, res, ns, name, &e);
	ss_buf_release(&b);
	assert_non_null(strstr(e.msg, msg_has));
	return rc;
}

static void test_url_paths(void **state)
{
	(void)state;
	path_is("v1", "secrets", "prod", "db", "/api/v1/namespaces/prod/secrets/db");
	path_is("v1", "namespaces", NULL, "prod", "/api/v1/namespaces/prod");
	path_is("apps/v1", "deployments", "a-b", NULL, "/apis/apps/v1/namespaces/a-b/deployments");
	path_is("rbac.authorization.k8s.io/v1", "clusterroles", NULL, "system:auth-delegator",
		"/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Aauth-delegator");
	path_is("sealsync.dev/v1", "widgets", NULL, NULL, "/apis/sealsync.dev/v1/widgets");
	assert_int_equal(path_fails("v1", "secrets", "prod", "../x", "invalid name"), SS_E_INVAL);
	assert_int_equal(path_fails("v1", "secrets", "prod", "a/b", "invalid name"), SS_E_INVAL);
	assert_int_equal(path_fails("v1", "secrets", "prod", "..", "invalid name"), SS_E_INVAL);
	assert_int_equal(path_fails("v1", "secrets", "prod", "a%2f", "invalid name"), SS_E_INVAL);
	assert_int_equal(path_fails("v1", "secrets", "Prod", "x", "invalid namespace"), SS_E_INVAL);
	assert_int_equal(path_fails("v1", "secrets", "a/b", "x", "invalid namespace"), SS_E_INVAL);
	assert_int_equal(path_fails("a/b/c", "x", NULL, "x", "invalid apiVersion"), SS_E_INVAL);
	assert_int_equal(path_fails("v1", "pods/log", NULL, "x", "invalid resource"), SS_E_INVAL);
	assert_int_equal(kube_valid_namespace("-a"), 0);
	assert_int_equal(kube_valid_namespace("a-"), 0);
	assert_int_equal(kube_valid_namespace("kube-system"), 1);
}

static void test_url_escape(void **state)
{
	struct ss_buf b;

	(void)state;
	ss_buf_init(&b, 4096);
	assert_int_equal(kube_url_escape(&b, "app in (a,b),!x,tier=db"), 0);
	assert_string_equal(ss_buf_str(&b), "app%20in%20%28a%2Cb%29%2C%21x%2Ctier%3Ddb");
	ss_buf_release(&b);
}

static void test_status_codes(void **state)
{
	(void)state;
	assert_int_equal(kube_status_code(200), 0);
	assert_int_equal(kube_status_code(201), 0);
	assert_int_equal(kube_status_code(404), SS_E_NOTFOUND);
	assert_int_equal(kube_status_code(409), SS_E_CONFLICT);
	assert_int_equal(kube_status_code(422), SS_E_INVAL);
	assert_int_equal(kube_status_code(400), SS_E_INVAL);
	assert_int_equal(kube_status_code(401), SS_E_PERM);
	assert_int_equal(kube_status_code(403), SS_E_PERM);
	assert_int_equal(kube_status_code(413), SS_E_LIMIT);
	assert_int_equal(kube_status_code(429), SS_E_NET);
	assert_int_equal(kube_status_code(503), SS_E_NET);
}

static void status_of(const char *body, const struct kube_redact *r, char *out, size_t cap)
{
	kube_status_message("apply v1 Secret prod/db", 422, (const unsigned char *)body,
			    body ? strlen(body) : 0, r, 1, out, cap);
}

static void test_status_message(void **state)
{
	struct kube_redact r;
	char out[512];

	(void)state;
	memset(&r, 0, sizeof(r));
	status_of("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Invalid\","
		  "\"message\":\"Secret \\\"db\\\" is invalid\",\"details\":{\"causes\":["
		  "{\"field\":\"data[bad key]\",\"message\":\"a valid config key must consist "
		  "of alphanumeric characters\"}]},\"code\":422}",
		  &r, out, sizeof(out));
	assert_string_equal(out, "apply v1 Secret prod/db: HTTP 422 Invalid: Secret \"db\" is "
				 "invalid; data[bad key]: a valid config key must consist of "
				 "alphanumeric characters");
	status_of("<html>bad gateway</html>", &r, out, sizeof(out));
	assert_string_equal(out, "apply v1 Secret prod/db: HTTP 422: <html>bad gateway</html>");
	status_of(NULL, &r, out, sizeof(out));
	assert_string_equal(out, "apply v1 Secret prod/db: HTTP 422");
	/* a long body that is not a Status is summarised, never cut */
	{
		char big[2000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		status_of(big, &r, out, sizeof(out));
		assert_string_equal(out, "apply v1 Secret prod/db: HTTP 422: (a 1999-byte "
					 "response that is not a Status)");
	}
	status_of("{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"x\"}", &r, out, 20);
	assert_int_equal(strlen(out), 19);
}

static void test_status_redacted(void **state)
{
	struct kube_redact r;
	const char *secret = "hunter2-password";
	char body[1024], out[512], b64[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)secret, strlen(secret)), 0);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)secret, strlen(secret),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(body, sizeof(body),
		 "{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"message\":\"admission webhook "
		 "denied: value %s is weak (data: %s)\",\"details\":{\"causes\":[{\"field\":"
		 "\"data.password\",\"message\":\"saw %s\"}]}}", secret, b64, secret);
	status_of(body, &r, out, sizeof(out));
	assert_null(strstr(out, "hunter2"));
	assert_null(strstr(out, b64));
	assert_non_null(strstr(out, "value [REDACTED] is weak (data: [REDACTED])"));
	assert_non_null(strstr(out, "data.password: saw [REDACTED]"));
	kube_redact_clear(&r);
	assert_int_equal(r.n, 0);
}

static void redact_is(const struct kube_redact *r, const char *in, size_t cap, const char *want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	kube_redact_apply(r, buf, cap);
	assert_string_equal(buf, want);
}

static void test_redact_overlap(void **state)
{
	struct kube_redact r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"secretvalue", 11), 0);
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"value1234", 9), 0);
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"abc", 3), 0); /* too short */
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"value1234", 9), 0); /* dup */
	assert_int_equal(r.n, 4); /* two values, raw + base64 each */
	redact_is(&r, "x secretvalue1234 y", 512, "x [REDACTED] y");
	redact_is(&r, "value1234value1234 and abc", 512, "[REDACTED] and abc");
	redact_is(&r, "secretvalu", 512, "secretvalu");
	redact_is(&r, "c2VjcmV0dmFsdWU= is base64", 512, "[REDACTED] is base64");
	/* truncation to the buffer: never half a mark, never a value */
	redact_is(&r, "ab secretvalue", 15, "ab [REDACTED]");
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"abcd", 4), 0);
	redact_is(&r, "xx abcd", 8, "xx ");
	redact_is(&r, "xx abcd yy", 11, "xx ");
	redact_is(&r, "xx abcd yy", 14, "xx [REDACTED]");
	kube_redact_clear(&r);
	redact_is(&r, "secretvalue", 512, "secretvalue");
}

/* Escaped forms: Go %q, JSON (\uXXXX either case, surrogate pairs, \/),
 * JSON inside JSON; each whole escaped run is one mark. */
static void test_redact_escaped(void **state)
{
	struct kube_redact r;
	const char *v = "pa\"ss\\w\xc3\xa4rd\n2\xf0\x9f\x94\x91/x";

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)v, strlen(v)), 0);
	redact_is(&r, "q \"pa\\\"ss\\\\w\xc3\xa4rd\\n2\xf0\x9f\x94\x91/x\" end", 512,
		  "q \"[REDACTED]\" end");
	redact_is(&r, "j pa\\\"ss\\\\w\\u00E4rd\\u000a2\\ud83d\\uDD11\\/x end", 512,
		  "j [REDACTED] end");
	redact_is(&r, "jj pa\\\\\\\"ss\\\\\\\\w\\\\u00e4rd\\\\n2\\\\ud83d\\\\udd11/x end", 512,
		  "jj [REDACTED] end");
	redact_is(&r, "go pa\\x22ss\\x5cw\\xc3\\xa4rd\\n2\\U0001f511/x end", 512,
		  "go [REDACTED] end");
	/* a near miss stays, and so does a lone surrogate or a bad escape */
	redact_is(&r, "pa\\\"ss\\\\w\\u00e4rd\\n3 \\ud83d \\q", 512,
		  "pa\\\"ss\\\\w\\u00e4rd\\n3 \\ud83d \\q");
	kube_redact_clear(&r);
}

/* A body that is not a Status is redacted before its non-printable bytes
 * become spaces; a value under 4 bytes withholds a Secret's server text. */
static void test_status_snippet_and_short(void **state)
{
	struct kube_redact r;
	char out[512];
	const char *status = "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"pin "
			     "Q7z bad\",\"details\":{\"causes\":[{\"field\":\"data.pin\","
			     "\"message\":\"Q7z\"}]}}";

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"tab\there", 8), 0);
	status_of("<p>tab\there</p>\x01", &r, out, sizeof(out));
	assert_string_equal(out, "apply v1 Secret prod/db: HTTP 422: <p>[REDACTED]</p> ");
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"Q7z", 3), 0);
	assert_int_equal(r.nshort, 1);
	status_of(status, &r, out, sizeof(out));
	assert_null(strstr(out, "Q7z"));
	assert_non_null(strstr(out, "HTTP 422 Invalid (the server's message is withheld"));
	assert_non_null(strstr(out, "; data.pin"));
	status_of("<p>Q7z</p>", &r, out, sizeof(out));
	assert_null(strstr(out, "Q7z"));
	/* not a Secret: the text stays (it cannot quote a Secret's value) */
	kube_status_message("apply v1 ConfigMap prod/c", 422, (const unsigned char *)status,
			    strlen(status), &r, 0, out, sizeof(out));
	assert_non_null(strstr(out, "pin Q7z bad"));
	kube_redact_clear(&r);
	assert_int_equal(r.nshort, 0);
}

static void test_retry_rules(void **state)
{
	(void)state;
	assert_true(kube_retryable(CURLE_OK, 429));
	assert_true(kube_retryable(CURLE_OK, 500));
	assert_true(kube_retryable(CURLE_OK, 503));
	assert_true(kube_retryable(CURLE_OK, 504));
	assert_false(kube_retryable(CURLE_OK, 200));
	assert_false(kube_retryable(CURLE_OK, 404));
	assert_false(kube_retryable(CURLE_OK, 409));
	assert_false(kube_retryable(CURLE_OK, 422));
	assert_false(kube_retryable(CURLE_OK, 501));
	assert_true(kube_retryable(CURLE_COULDNT_CONNECT, 0));
	assert_true(kube_retryable(CURLE_GOT_NOTHING, 0));
	assert_true(kube_retryable(CURLE_RECV_ERROR, 0));
	assert_true(kube_retryable(CURLE_OPERATION_TIMEDOUT, 0));
	assert_false(kube_retryable(CURLE_PEER_FAILED_VERIFICATION, 0));
	assert_false(kube_retryable(CURLE_SSL_CONNECT_ERROR, 0));
	assert_false(kube_retryable(CURLE_WRITE_ERROR, 0));
}

static void test_backoff(void **state)
{
	uint32_t rnd;
	unsigned a;

	(void)state;
	assert_int_equal(kube_backoff_ms(1, 0, 0), 100);
	assert_int_equal(kube_backoff_ms(1, 0, 100), 200);
	assert_int_equal(kube_backoff_ms(1, 0, 101), 100);
	assert_int_equal(kube_backoff_ms(2, 0, 0), 200);
	assert_int_equal(kube_backoff_ms(3, 0, 0), 400);
	for (a = 1; a < 40; a++)
		for (rnd = 0; rnd < 50000; rnd += 997) {
			uint64_t d = kube_backoff_ms(a, 0, rnd);

			assert_true(d >= 100 && d <= KUBE_BACKOFF_CAP_MS);
		}
	assert_int_equal(kube_backoff_ms(20, 0, 0), KUBE_BACKOFF_CAP_MS / 2);
	/* Retry-After wins when longer, bounded */
	assert_int_equal(kube_backoff_ms(1, 5000, 0), 5000);
	assert_int_equal(kube_backoff_ms(1, 3600000, 0), KUBE_RETRY_AFTER_CAP_MS);
	assert_int_equal(kube_backoff_ms(6, 1000, 0), 3200);
}

static void test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(kube_parse_retry_after(" 3\r\n", 4), 3000);
	assert_int_equal(kube_parse_retry_after("0", 1), 0);
	assert_int_equal(kube_parse_retry_after(" 120\r\n", 6), KUBE_RETRY_AFTER_CAP_MS);
	assert_int_equal(kube_parse_retry_after(" 99999999999999999999\r\n", 23),
			 KUBE_RETRY_AFTER_CAP_MS);
	assert_int_equal(kube_parse_retry_after(" Wed, 21 Oct 2015 07:28:00 GMT\r\n", 32), 0);
	assert_int_equal(kube_parse_retry_after(" 5x\r\n", 5), 0);
	assert_int_equal(kube_parse_retry_after(" -5\r\n", 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_paths),      cmocka_unit_test(test_url_escape),
		cmocka_unit_test(test_status_codes),   cmocka_unit_test(test_status_message),
		cmocka_unit_test(test_status_redacted), cmocka_unit_test(test_redact_overlap),
		cmocka_unit_test(test_redact_escaped), cmocka_unit_test(test_status_snippet_and_short),
		cmocka_unit_test(test_retry_rules),    cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_after),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
