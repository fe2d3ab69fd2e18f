/* Unit tests for objstate.h: what counts as drift (our managedFields entry
 * and its values, not resourceVersion or status), stale events, deletions
 * seen in a re-list, and the body digest being keyed per process. The
 * watch and the skipping end to end: tests/e2e/t4190-sync-steady.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/objstate.h"

/* A ConfigMap as the server returns it: our Apply entry owns data.k and
 * the owner label; rv is its resourceVersion. */
static json_t *live(const char *value, const char *rv)
{
	return json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:{s:{s:{}}, s:{s:{s:{}}}}}]},"
		" s:{s:s}}",
		"apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", "cm", "namespace", "shop",
		"resourceVersion", rv, "labels", "sealsync.dev/owner", "a.u", "managedFields",
		"manager", "sealsync", "operation", "Apply", "fieldsV1", "f:data", "f:k",
		"f:metadata", "f:labels", "f:sealsync.dev/owner", "data", "k", value);
}

static json_t *desired(void)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
			 "ConfigMap", "metadata", "name", "cm", "namespace", "shop", "data", "k",
			 "from-git");
}

/* A state where unit 0 applied cm (response rv 10). */
static struct ss_objstate *applied(unsigned char dig[SS_OBJSTATE_DIGEST])
{
	struct ss_objstate *s = NULL;
	struct ss_err err;
	json_t *d = desired(), *l = live("from-git", "10");

	assert_int_equal(ss_objstate_new(1, &s, &err), 0);
	ss_objstate_body_digest(s, d, dig);
	ss_objstate_applied(s, l);
	assert_int_equal(ss_objstate_commit(s, 0, &d, (const unsigned char (*)[16])dig, NULL, 1), 0);
	assert_true(ss_objstate_unchanged(s, 0, d, dig));
	json_decref(d);
	json_decref(l);
	return s;
}

static void test_owned_value_changed_is_drift(void **state)
{
	unsigned char dig[SS_OBJSTATE_DIGEST];
	struct ss_objstate *s = applied(dig);
	json_t *l = live("edited", "11"), *d = desired();

	(void)state;
	ss_objstate_seen(s, l);
	assert_true(ss_objstate_take_drift(s));
	assert_false(ss_objstate_take_drift(s)); /* taken */
	assert_true(ss_objstate_unit_drifted(s, 0));
	assert_false(ss_objstate_unchanged(s, 0, d, dig));
	json_decref(l);
	json_decref(d);
	ss_objstate_free(s);
}

static void test_status_and_foreign_fields_are_not_drift(void **state)
{
	unsigned char dig[SS_OBJSTATE_DIGEST];
	struct ss_objstate *s = applied(dig);
	json_t *l = live("from-git", "12");

	(void)state;
	/* another manager adds a label and a status: our entry and values stay */
	json_object_set_new(json_object_get(json_object_get(l, "metadata"), "labels"), "team",
			    json_string("ops"));
	json_object_set_new(l, "status", json_pack("{s:s}", "phase", "Ready"));
	json_array_append_new(json_object_get(json_object_get(l, "metadata"), "managedFields"),
			      json_pack("{s:s, s:s, s:{s:{s:{s:{}}}}}", "manager", "kubectl",
					"operation", "Update", "fieldsV1", "f:metadata", "f:labels",
					"f:team"));
	ss_objstate_seen(s, l);
	assert_false(ss_objstate_take_drift(s));
	assert_false(ss_objstate_unit_drifted(s, 0));
	json_decref(l);
	ss_objstate_free(s);
}

static void test_field_taken_by_another_manager_is_drift(void **state)
{
	unsigned char dig[SS_OBJSTATE_DIGEST];
	struct ss_objstate *s = applied(dig);
	json_t *l = live("from-git", "13");
	json_t *mf = json_array_get(json_object_get(json_object_get(l, "metadata"),
						    "managedFields"), 0);

	(void)state;
	/* same value, but data.k left our entry: another manager owns it */
	json_object_del(json_object_get(mf, "fieldsV1"), "f:data");
	ss_objstate_seen(s, l);
	assert_true(ss_objstate_take_drift(s));
	json_decref(l);
	ss_objstate_free(s);
}

static void test_stale_event_is_ignored(void **state)
{
	unsigned char dig[SS_OBJSTATE_DIGEST];
	struct ss_objstate *s = applied(dig);
	json_t *l = live("older", "9");

	(void)state;
	ss_objstate_seen(s, l); /* from before our apply (rv 10) */
	assert_false(ss_objstate_take_drift(s));
	json_decref(l);
	ss_objstate_free(s);
}

static void test_delete_and_relist(void **state)
{
	unsigned char dig[SS_OBJSTATE_DIGEST];
	struct ss_objstate *s = applied(dig);
	json_t *l = live("from-git", "10"), *list;

	(void)state;
	list = json_pack("{s:[O]}", "items", l);
	ss_objstate_listed(s, "v1", "ConfigMap", list);
	assert_false(ss_objstate_take_drift(s)); /* still there */
	json_array_clear(json_object_get(list, "items"));
	ss_objstate_listed(s, "v1", "Secret", list);
	assert_false(ss_objstate_take_drift(s)); /* another kind's list */
	ss_objstate_listed(s, "v1", "ConfigMap", list);
	assert_true(ss_objstate_take_drift(s)); /* gone */
	ss_objstate_forget(s, 0);
	ss_objstate_deleted(s, l);
	assert_false(ss_objstate_take_drift(s)); /* no longer ours */
	json_decref(list);
	json_decref(l);
	ss_objstate_free(s);
}

static void test_body_digest_is_keyed_per_process(void **state)
{
	unsigned char a[SS_OBJSTATE_DIGEST], b[SS_OBJSTATE_DIGEST], c[SS_OBJSTATE_DIGEST];
	struct ss_objstate *s1 = NULL, *s2 = NULL;
	struct ss_err err;
	json_t *d = desired(), *e = json_deep_copy(d);

	(void)state;
	assert_int_equal(ss_objstate_new(1, &s1, &err), 0);
	assert_int_equal(ss_objstate_new(1, &s2, &err), 0);
	ss_objstate_body_digest(s1, d, a);
	ss_objstate_body_digest(s2, d, b);
	assert_true(memcmp(a, b, sizeof(a)) != 0); /* another key: no oracle across processes */
	json_object_set_new(json_object_get(e, "data"), "k", json_string("other"));
	ss_objstate_body_digest(s1, e, c);
	assert_true(memcmp(a, c, sizeof(a)) != 0);
	ss_objstate_body_digest(s1, d, c);
	assert_memory_equal(a, c, sizeof(a));
	json_decref(d);
	json_decref(e);
	ss_objstate_free(s1);
	ss_objstate_free(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owned_value_changed_is_drift),
		cmocka_unit_test(test_status_and_foreign_fields_are_not_drift),
		cmocka_unit_test(test_field_taken_by_another_manager_is_drift),
		cmocka_unit_test(test_stale_event_is_ignored),
		cmocka_unit_test(test_delete_and_relist),
		cmocka_unit_test(test_body_digest_is_keyed_per_process),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
