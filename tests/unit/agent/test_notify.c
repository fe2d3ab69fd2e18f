/* Unit tests for notify.h: payload shapes, reason codes, the config's
 * notify: list and the queue bound. The delivery itself (TLS, signature,
 * retries) is proven end to end by tests/e2e/t5200-notify.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../../../agent/notify/notify_int.h"
#include "sealsync/config.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/notify.h"

static json_t *render(enum notify_type type, const struct ss_notify_msg *m, const char *shard)
{
	struct notify_entry e;
	json_t *o;

	assert_int_equal(notify_render(type, m, "sealsync", shard, 1796316775, &e), 0);
	o = json_loads(e.body, 0, NULL);
	assert_non_null(o);
	ss_json_free(e.body);
	return o;
}

static void test_reason_codes_only(void **state)
{
	char longer[SS_NOTIFY_REASON_MAX + 2];

	(void)state;
	assert_string_equal(notify_reason("dry-run"), "dry-run");
	assert_string_equal(notify_reason("Current"), "Current");
	assert_string_equal(notify_reason("admission webhook denied: password=x"), "other");
	assert_string_equal(notify_reason(""), "other");
	assert_string_equal(notify_reason(NULL), "other");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_string_equal(notify_reason(longer), "other");
}

static void test_webhook_fields(void **state)
{
	struct ss_notify_object objs[25];
	struct ss_notify_msg m = {SS_NOTIFY_PRUNE_REFUSED, "apps", "abc", "allow-empty", objs, 25};
	const char *k, *want[] = {"event", "unit", "revision", "objects", "reason",
				  "agent", "objectsOmitted", "time"};
	json_t *o, *v;
	size_t i = 0;

	(void)state;
	for (i = 0; i < 25; i++)
		objs[i] = (struct ss_notify_object){"v1", "ConfigMap", i % 2 ? "" : "default", "x"};
	o = render(NOTIFY_WEBHOOK, &m, NULL);
	i = 0;
	json_object_foreach(o, k, v) {
		assert_true(i < 8);
		assert_string_equal(k, want[i++]);
	}
	assert_int_equal(i, 8);
	assert_string_equal(json_string_value(json_object_get(o, "event")), "prune-refused");
	assert_int_equal(json_array_size(json_object_get(o, "objects")), SS_NOTIFY_MAX_OBJECTS);
	assert_int_equal(json_integer_value(json_object_get(o, "objectsOmitted")), 5);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(o, "objects"), 1),
						 "namespace")));
	assert_string_equal(json_string_value(json_object_get(o, "time")), "2026-12-03T16:52:55Z");
	json_decref(o);
}

static void test_webhook_shard_and_nulls(void **state)
{
	struct ss_notify_msg m = {SS_NOTIFY_ROTATION, NULL, NULL, "renew-period", NULL, 0};
	json_t *o;

	(void)state;
	o = render(NOTIFY_WEBHOOK, &m, "blue");
	assert_string_equal(json_string_value(json_object_get(o, "shard")), "blue");
	assert_true(json_is_null(json_object_get(o, "unit")));
	assert_true(json_is_null(json_object_get(o, "revision")));
	assert_int_equal(json_array_size(json_object_get(o, "objects")), 0);
	json_decref(o);
}

static void test_slack_escapes_markup(void **state)
{
	struct ss_notify_object x = {"v1", "Secret", "default", "a<b>&c"};
	struct ss_notify_msg m = {SS_NOTIFY_FAILURE, "apps", "0123456789abcdef", "unseal", &x, 1};
	const char *text;
	json_t *o;

	(void)state;
	o = render(NOTIFY_SLACK, &m, NULL);
	text = json_string_value(json_object_get(o, "text"));
	assert_non_null(text);
	assert_non_null(strstr(text, "a&lt;b&gt;&amp;c"));
	assert_null(strchr(text, '<'));
	assert_non_null(strstr(text, "0123456789ab"));
	assert_null(strstr(text, "0123456789abc"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(o, "blocks"), 0), "type")), "section");
	json_decref(o);
}

static void test_teams_adaptive_card(void **state)
{
	struct ss_notify_msg m = {SS_NOTIFY_RECOVERY, "apps", "abc", "recovered", NULL, 0};
	json_t *o, *a, *c;

	(void)state;
	o = render(NOTIFY_TEAMS, &m, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "type")), "message");
	a = json_array_get(json_object_get(o, "attachments"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "contentType")),
			    "application/vnd.microsoft.card.adaptive");
	c = json_object_get(a, "content");
	assert_string_equal(json_string_value(json_object_get(c, "type")), "AdaptiveCard");
	assert_string_equal(json_string_value(json_object_get(c, "version")), "1.4");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(c, "body"), 0), "text")), "Sync recovered");
	json_decref(o);
}

/* Writes text to a fresh 0600 file in the test's folder; returns its path. */
static const char *write_file(const char *name, const char *text)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, 0600), 0);
	return p;
}

static int load(struct ss_config *c, const char *yaml, struct ss_err *err)
{
	char name[64];

	snprintf(name, sizeof(name), "ss-notify-test-%d.yaml", (int)getpid());
	assert_int_equal(ss_config_init(c), 0);
	ss_err_clear(err);
	return ss_config_load_file(c, write_file(name, yaml), err);
}

static void test_config_targets(void **state)
{
	struct ss_config c;
	struct ss_err err;

	(void)state;
	assert_int_equal(load(&c, "notifyQueue: 5\nnotify:\n  - name: ops\n    type: webhook\n"
			      "    urlFile: /u\n    secretFile: /k\n  - name: chat\n"
			      "    type: slack\n    urlFile: /s\n    events: [failure, rotation]\n"
			      "    insecure: true\n    queue: 2\n", &err), 0);
	assert_int_equal(c.nnotify, 2);
	assert_int_equal(c.notify_queue, 5);
	assert_int_equal(c.notify[0].events, (1u << SS_CONFIG_NOTIFY_EVENTS) - 1);
	assert_int_equal(c.notify[1].events, (1u << SS_NOTIFY_FAILURE) | (1u << SS_NOTIFY_ROTATION));
	assert_true(c.notify[1].insecure);
	assert_int_equal(c.notify[1].queue, 2);
	ss_config_release(&c);
}

static void test_config_errors(void **state)
{
	static const char *const cases[][2] = {
		{"notify:\n  - name: ops\n    type: webhook\n    urlFile: /u\n", "HMAC key"},
		{"notify:\n  - name: ops\n    type: slack\n    urlFile: /u\n    secretFile: /k\n",
		 "only a webhook"},
		{"notify:\n  - name: ops\n    type: email\n    urlFile: /u\n", "webhook, slack"},
		{"notify:\n  - name: ops\n    type: slack\n    url: https://x\n", "did you mean urlFile"},
		{"notify:\n  - name: ops\n    type: slack\n    urlFile: /u\n    events: [failur]\n",
		 "did you mean failure"},
		{"notify:\n  - name: a\n    type: slack\n    urlFile: /u\n  - name: a\n"
		 "    type: teams\n    urlFile: /v\n", "defined twice"},
	};
	struct ss_config c;
	struct ss_err err;
	char msg[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(load(&c, cases[i][0], &err), 0);
		ss_err_format(&err, msg, sizeof(msg));
		if (strstr(msg, cases[i][1]) == NULL)
			fail_msg("case %zu: %s", i, msg);
		assert_non_null(strstr(msg, "notify"));
		assert_null(strstr(msg, "https://x"));
		ss_config_release(&c);
	}
}

/* Nothing listens on the port: every attempt fails, nothing is delivered,
 * and the queue (in flight included) never holds more than its bound. */
static void test_queue_bound_drops_oldest(void **state)
{
	struct ss_notify_msg m = {SS_NOTIFY_FAILURE, NULL, NULL, "load", NULL, 0};
	struct ss_notify_opts o;
	struct ss_config c;
	struct ss_buf b;
	struct ss_err err;
	char yaml[512];
	int i;

	(void)state;
	snprintf(yaml, sizeof(yaml), "notifyQueue: 3\nnotify:\n  - name: ops\n    type: slack\n"
		 "    urlFile: %s\n    insecure: true\n",
		 write_file("ss-notify-test-url", "http://127.0.0.1:1/never\n"));
	assert_int_equal(load(&c, yaml, &err), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &c;
	o.deliver = 1;
	assert_int_equal(ss_notify_start(&o, &err), 0);
	for (i = 0; i < 10; i++)
		ss_notify_event(&m);
	ss_buf_init(&b, 1 << 16);
	assert_int_equal(ss_notify_metrics(&b), 0);
	assert_non_null(strstr(ss_buf_str(&b),
			       "sealsync_notifications_dropped_total{target=\"ops\",reason=\"overflow\"} 7\n"));
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_notifications_queued{target=\"ops\"} 3\n"));
	assert_non_null(strstr(ss_buf_str(&b), "sealsync_notifications_sent_total{target=\"ops\"} 0\n"));
	assert_null(strstr(ss_buf_str(&b), "127.0.0.1:1"));
	ss_buf_release(&b);
	ss_notify_stop();
	ss_buf_init(&b, 1 << 16);
	assert_int_equal(ss_notify_metrics(&b), 0);
	assert_int_equal(b.len, 0); /* stopped: no families */
	ss_buf_release(&b);
	ss_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_codes_only),
		cmocka_unit_test(test_webhook_fields),
		cmocka_unit_test(test_webhook_shard_and_nulls),
		cmocka_unit_test(test_slack_escapes_markup),
		cmocka_unit_test(test_teams_adaptive_card),
		cmocka_unit_test(test_config_targets),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_queue_bound_drops_oldest),
	};

	if (sodium_init() < 0)
		return 1;
	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
