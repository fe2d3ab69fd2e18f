/* Unit tests for --diff's object diffs (agent/sync/diff.c, diff_secret.c):
 * server-set fields are left out, and a Secret shows per key only whether
 * it changed, never a value, a digest or a length; the last-applied
 * annotation of a kubectl apply is hidden too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <jansson.h>

#include "../../../agent/sync/diff_int.h"

static json_t *parse(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

/* diff_put_object changes both sides (strips, masks), never frees them. */
static void diff_of(const char *live, const char *next, struct ss_buf *out, int *changed)
{
	json_t *a = live ? parse(live) : NULL, *b = next ? parse(next) : NULL;

	ss_buf_init(out, 1u << 20);
	assert_int_equal(diff_put_object("u", NULL, a, b, NULL, NULL, out, changed), 0);
	json_decref(a);
	json_decref(b);
}

#define SECRET(data, annot)                                                                  \
	"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\","         \
	"\"namespace\":\"shop\",\"resourceVersion\":\"7\",\"uid\":\"u-1\","                   \
	"\"managedFields\":[{\"manager\":\"x\"}],\"annotations\":{" annot "}},"              \
	"\"type\":\"Opaque\",\"data\":{" data "}}"

static void test_secret_per_key(void **state)
{
	struct ss_buf out;
	int changed = 0;
	const char *s;

	(void)state;
	/* czNjcmV0LW9uZQ== is "s3cret-one", bmV3LXZhbHVl "new-value" */
	diff_of(SECRET("\"a\":\"czNjcmV0LW9uZQ==\",\"b\":\"c2FtZS12YWx1ZQ==\",\"gone\":\"eA==\"",
		       "\"kubectl.kubernetes.io/last-applied-configuration\":"
		       "\"{\\\"data\\\":{\\\"a\\\":\\\"czNjcmV0LW9uZQ==\\\"}}\""),
		SECRET("\"a\":\"bmV3LXZhbHVl\",\"b\":\"c2FtZS12YWx1ZQ==\",\"new\":\"eQ==\"", ""),
		&out, &changed);
	s = ss_buf_str(&out);
	assert_int_equal(changed, 1);
	assert_non_null(strstr(s, "diff -u -N live/u/v1.Secret.shop.db merged/u/v1.Secret.shop.db\n"));
	assert_non_null(strstr(s, "#   a: changed\n"));
	assert_non_null(strstr(s, "#   b: unchanged\n"));
	assert_non_null(strstr(s, "#   gone: removed\n"));
	assert_non_null(strstr(s, "#   new: added\n"));
	assert_non_null(strstr(s, "+  a: \"(hidden: changed)\"\n"));
	assert_non_null(strstr(s, "last-applied-configuration: \"(hidden"));
	assert_null(strstr(s, "czNjcmV0LW9uZQ=="));
	assert_null(strstr(s, "bmV3LXZhbHVl"));
	assert_null(strstr(s, "c2FtZS12YWx1ZQ=="));
	assert_null(strstr(s, "eA=="));
	assert_null(strstr(s, "resourceVersion"));
	assert_null(strstr(s, "managedFields"));
	assert_null(strstr(s, "u-1"));
	ss_buf_release(&out);
}

static void test_unchanged_prints_nothing(void **state)
{
	struct ss_buf out;
	int changed = 1;

	(void)state;
	diff_of(SECRET("\"a\":\"czNjcmV0LW9uZQ==\"", ""),
		"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\","
		"\"namespace\":\"shop\",\"resourceVersion\":\"8\",\"uid\":\"u-1\"},"
		"\"type\":\"Opaque\",\"data\":{\"a\":\"czNjcmV0LW9uZQ==\"}}",
		&out, &changed);
	assert_int_equal(changed, 0);
	assert_int_equal(out.len, 0);
	ss_buf_release(&out);
}

static void test_pruned_secret(void **state)
{
	struct ss_buf out;
	int changed = 0;

	(void)state;
	diff_of(SECRET("\"a\":\"czNjcmV0LW9uZQ==\"", ""), NULL, &out, &changed);
	assert_int_equal(changed, 1);
	assert_non_null(strstr(ss_buf_str(&out), "#   a: removed\n"));
	assert_non_null(strstr(ss_buf_str(&out), "-  a: \"(hidden: removed)\"\n"));
	assert_null(strstr(ss_buf_str(&out), "czNjcmV0LW9uZQ=="));
	ss_buf_release(&out);
}

static void test_configmap_and_status(void **state)
{
	struct ss_buf out;
	int changed = 0;

	(void)state;
	diff_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"w\","
		"\"namespace\":\"shop\",\"generation\":3},\"spec\":{\"replicas\":1},"
		"\"status\":{\"readyReplicas\":1}}",
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"w\","
		"\"namespace\":\"shop\",\"generation\":4},\"spec\":{\"replicas\":2},"
		"\"status\":{\"readyReplicas\":0}}",
		&out, &changed);
	assert_int_equal(changed, 1);
	assert_non_null(strstr(ss_buf_str(&out), "--- live/u/apps.v1.Deployment.shop.w\n"));
	assert_non_null(strstr(ss_buf_str(&out), "-  replicas: 1\n+  replicas: 2\n"));
	assert_null(strstr(ss_buf_str(&out), "status"));
	assert_null(strstr(ss_buf_str(&out), "generation"));
	ss_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_per_key),
		cmocka_unit_test(test_unchanged_prints_nothing),
		cmocka_unit_test(test_pruned_secret),
		cmocka_unit_test(test_configmap_and_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
