/* Unit tests for metrics.h: the exposition format (HELP/TYPE on every
 * family, escaping) and readiness. The values of a real sync are checked by
 * promtool in tests/e2e/t5000-service-http.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/metrics.h"

static const char *const families[] = {
	"sealsync_last_applied_revision_info", "sealsync_sync_duration_seconds",
	"sealsync_objects_applied_total",      "sealsync_objects_pruned_total",
	"sealsync_sync_failures_total",        "sealsync_unseal_failures_total",
	"sealsync_keys",                       "sealsync_active_key_age_seconds",
	"sealsync_suspended",                  "sealsync_leader",
	"sealsync_sealed_values",
};

static void render(struct ss_metrics *m, struct ss_buf *b)
{
	ss_buf_init(b, 1 << 20);
	assert_int_equal(ss_metrics_render(m, b), 0);
}

static void test_every_family_has_help_and_type(void **state)
{
	struct ss_metrics *m = NULL;
	char want[256];
	struct ss_buf b;
	size_t i;

	(void)state;
	assert_int_equal(ss_metrics_new(&m), 0);
	render(m, &b);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(want, sizeof(want), "# HELP %s ", families[i]);
		assert_non_null(strstr(ss_buf_str(&b), want));
		snprintf(want, sizeof(want), "# TYPE %s ", families[i]);
		assert_non_null(strstr(ss_buf_str(&b), want));
	}
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_sync_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_sync_failures_total{stage=\"unseal\"} 0\n"));
	ss_buf_release(&b);
	ss_metrics_free(m);
}

static void test_keys_and_flags(void **state)
{
	struct ss_metrics *m = NULL;
	struct ss_buf b;

	(void)state;
	assert_int_equal(ss_metrics_new(&m), 0);
	ss_metrics_set_keys(m, 3, 1, time(NULL) - 100);
	ss_metrics_set_leader(m, 1);
	ss_metrics_set_suspended(m, 1);
	render(m, &b);
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_keys{state=\"usable\"} 3\n"));
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_keys{state=\"retired\"} 1\n"));
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_leader 1\n"));
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_suspended 1\n"));
	assert_null(strstr(ss_buf_str(&b), "sealsync_active_key_age_seconds 0\n"));
	ss_buf_release(&b);
	ss_metrics_free(m);
}

/* Sharding: the leader series carries the shard; without one it is as
 * before (the e2e tests read "sealsync_leader 1"). */
static void test_shard_label(void **state)
{
	struct ss_metrics *m = NULL;
	struct ss_buf b;

	(void)state;
	assert_int_equal(ss_metrics_new(&m), 0);
	ss_metrics_set_leader(m, 1);
	ss_metrics_set_shard(m, "a");
	render(m, &b);
	assert_non_null(strstr(ss_buf_str(&b), "\nsealsync_leader{shard=\"a\"} 1\n"));
	ss_buf_release(&b);
	ss_metrics_set_shard(m, NULL);
	render(m, &b);
	assert_non_null(strstr(ss_buf_str(&b), "\nsealsync_leader 1\n"));
	ss_buf_release(&b);
	ss_metrics_free(m);
}

static void test_label_values_are_escaped(void **state)
{
	struct ss_sync_hint h;
	struct ss_metrics *m = NULL;
	struct ss_buf b;

	(void)state;
	memset(&h, 0, sizeof(h));
	snprintf(h.hint, sizeof(h.hint), "a\"b\\c");
	snprintf(h.recipient, sizeof(h.recipient), "x\ny");
	h.values = 7;
	assert_int_equal(ss_metrics_new(&m), 0);
	ss_metrics_set_hints(m, &h, 1);
	render(m, &b);
	assert_non_null(strstr(ss_buf_str(&b),
			       "sealsync_sealed_values{key_hint=\"a\\\"b\\\\c\",recipient=\"x\\ny\"} 7\n"));
	ss_buf_release(&b);
	ss_metrics_free(m);
}

static void test_readiness(void **state)
{
	struct ss_metrics *m = NULL;
	char d[256];

	(void)state;
	assert_int_equal(ss_metrics_new(&m), 0);
	assert_int_equal(ss_metrics_ready(m, d, sizeof(d)), 0);
	assert_non_null(strstr(d, "keys"));
	ss_metrics_set_keys(m, 1, 0, 0);
	/* a follower is ready once its keys are loaded */
	assert_int_equal(ss_metrics_ready(m, d, sizeof(d)), 1);
	assert_non_null(strstr(d, "follower"));
	/* a leader only after a successful sync */
	ss_metrics_set_leader(m, 1);
	assert_int_equal(ss_metrics_ready(m, d, sizeof(d)), 0);
	assert_non_null(strstr(d, "no sync yet"));
	/* suspended is never ready, and says so */
	ss_metrics_set_leader(m, 0);
	ss_metrics_set_suspended(m, 1);
	assert_int_equal(ss_metrics_ready(m, d, sizeof(d)), 0);
	assert_non_null(strstr(d, "suspended"));
	ss_metrics_free(m);
}

static void test_buffer_ceiling_is_an_error(void **state)
{
	struct ss_metrics *m = NULL;
	struct ss_buf b;

	(void)state;
	assert_int_equal(ss_metrics_new(&m), 0);
	ss_buf_init(&b, 64);
	assert_int_equal(ss_metrics_render(m, &b), SS_E_LIMIT);
	ss_buf_release(&b);
	ss_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_family_has_help_and_type),
		cmocka_unit_test(test_keys_and_flags),
		cmocka_unit_test(test_label_values_are_escaped),
		cmocka_unit_test(test_shard_label),
		cmocka_unit_test(test_readiness),
		cmocka_unit_test(test_buffer_ceiling_is_an_error),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
