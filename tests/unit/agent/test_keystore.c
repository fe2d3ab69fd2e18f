/* Unit tests for keystore.h with file and folder sources: order (newest
 * active), change detection, refused key files, retired keys, the
 * "# created:" time. Managed keys are tested against the local API server
 * (tests/e2e/t5030-service-managed-keys.sh). Keys are made at run time. */
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

#include <sodium.h>

#include "../../../agent/keys/keystore_int.h"
#include "sealsync/config.h"
#include "sealsync/jsonalloc.h"

struct fx {
	char dir[64];
	struct ss_config cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ss-keystore-XXXXXX");
	if (mkdtemp(f->dir) == NULL || ss_config_init(&f->cfg) != 0)
		return -1;
	f->cfg.identities_dir = strdup(f->dir);
	*state = f;
	return f->cfg.identities_dir != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	ss_config_release(&f->cfg);
	free(f);
	return 0;
}

/* A new key file DIR/name; its recipient in r. */
static void add_key(struct fx *f, const char *name, struct ss_recipient *r)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(ss_keyfile_create(path, r, NULL), 0);
}

static struct ss_keystore *open_loaded(struct fx *f)
{
	struct ss_keystore *ks = NULL;
	struct ss_err e;

	ss_err_clear(&e);
	assert_int_equal(ss_keystore_open(&f->cfg, &ks, &e), 0);
	assert_int_equal(ss_keystore_load(ks, 0, &e), 0);
	return ks;
}

static void test_newest_is_active(void **state)
{
	struct fx *f = *state;
	struct ss_recipient a, b, got[4];
	struct ss_keyring *kr = NULL;
	struct ss_keystore *ks;
	size_t retired = 9;
	time_t created = 0;

	add_key(f, "10-a.txt", &a);
	add_key(f, "20-b.txt", &b);
	ks = open_loaded(f);
	assert_int_equal(ss_keystore_recipients(ks, got, 4, &retired, &created), 2);
	assert_true(ss_recipient_equal(&got[0], &b));
	assert_true(ss_recipient_equal(&got[1], &a));
	assert_int_equal(retired, 0);
	assert_true(created > time(NULL) - 3600 && created <= time(NULL));
	assert_int_equal(ss_keystore_keyring(ks, &kr, NULL), 0);
	assert_int_equal(ss_keyring_count(kr), 2);
	ss_keyring_free(kr);
	ss_keystore_free(ks);
}

static void test_change_is_noticed(void **state)
{
	struct fx *f = *state;
	struct ss_keystore *ks;
	unsigned long gen;
	struct ss_recipient r;

	add_key(f, "10-a.txt", &r);
	ks = open_loaded(f);
	gen = ss_keystore_generation(ks);
	assert_int_equal(ss_keystore_changed(ks), 0);
	add_key(f, "20-b.txt", &r);
	assert_int_equal(ss_keystore_changed(ks), 1);
	assert_int_equal(ss_keystore_load(ks, 0, NULL), 0);
	assert_int_equal(ss_keystore_changed(ks), 0);
	assert_true(ss_keystore_generation(ks) > gen);
	ss_keystore_free(ks);
}

static void test_unsafe_file_keeps_old_keys(void **state)
{
	struct fx *f = *state;
	struct ss_recipient a, b, got[4];
	struct ss_keystore *ks;
	char path[256];
	struct ss_err e;

	add_key(f, "10-a.txt", &a);
	ks = open_loaded(f);
	add_key(f, "20-b.txt", &b);
	snprintf(path, sizeof(path), "%s/20-b.txt", f->dir);
	assert_int_equal(chmod(path, 0644), 0);
	ss_err_clear(&e);
	assert_int_equal(ss_keystore_load(ks, 0, &e), SS_E_PERM);
	assert_true(strstr(e.msg, "20-b.txt") != NULL || strstr(e.file, "20-b.txt") != NULL);
	assert_int_equal(ss_keystore_recipients(ks, got, 4, NULL, NULL), 1);
	assert_true(ss_recipient_equal(&got[0], &a));
	ss_keystore_free(ks);
}

static void test_retired_keys(void **state)
{
	struct fx *f = *state;
	struct ss_recipient a, b, got[4];
	struct ss_keyring *kr = NULL;
	char s[SS_RECIPIENT_STR_MAX], list[300];
	struct ss_keystore *ks;
	size_t retired = 0;

	add_key(f, "10-a.txt", &a);
	add_key(f, "20-b.txt", &b);
	assert_int_equal(ss_recipient_format(&a, s, sizeof(s)), 0);
	snprintf(list, sizeof(list), " %s ,", s);
	f->cfg.retired_keys = strdup(list);
	ks = open_loaded(f);
	assert_int_equal(ss_keystore_recipients(ks, got, 4, &retired, NULL), 1);
	assert_true(ss_recipient_equal(&got[0], &b));
	assert_int_equal(retired, 1);
	assert_int_equal(ss_keystore_keyring(ks, &kr, NULL), 0);
	assert_int_equal(ss_keyring_count(kr), 1);
	ss_keyring_free(kr);
	ss_keystore_free(ks);
}

static void test_active_key_cannot_be_retired(void **state)
{
	struct fx *f = *state;
	struct ss_keystore *ks = NULL;
	char s[SS_RECIPIENT_STR_MAX];
	struct ss_recipient a;
	struct ss_err e;

	add_key(f, "10-a.txt", &a);
	assert_int_equal(ss_recipient_format(&a, s, sizeof(s)), 0);
	f->cfg.retired_keys = strdup(s);
	ss_err_clear(&e);
	assert_int_equal(ss_keystore_open(&f->cfg, &ks, &e), 0);
	assert_int_equal(ss_keystore_load(ks, 0, &e), SS_E_INVAL);
	assert_non_null(strstr(e.msg, "rotate before retiring"));
	ss_keystore_free(ks);
}

static void test_bad_retired_entry_names_the_setting(void **state)
{
	struct fx *f = *state;
	struct ss_keystore *ks = NULL;
	struct ss_err e;

	f->cfg.retired_keys = strdup("age1notakey");
	ss_err_clear(&e);
	assert_int_equal(ss_keystore_open(&f->cfg, &ks, &e), SS_E_INVAL);
	assert_null(ks);
	assert_non_null(strstr(e.msg, "keys.retired"));
}

static void test_keyring_before_load(void **state)
{
	struct fx *f = *state;
	struct ss_keystore *ks = NULL;
	struct ss_keyring *kr = NULL;
	struct ss_recipient got[1];

	assert_int_equal(ss_keystore_open(&f->cfg, &ks, NULL), 0);
	assert_int_equal(ss_keystore_keyring(ks, &kr, NULL), SS_E_NOTFOUND);
	assert_null(kr);
	assert_int_equal(ss_keystore_recipients(ks, got, 1, NULL, NULL), 0);
	ss_keystore_free(ks);
}

static void test_created_is_the_active_key_s(void **state)
{
	const char *text = "# created: 2020-01-02T03:04:05Z\n# public key: age1x\n"
			   "AGE-SECRET-KEY-1AAAA\n"
			   "# created: 2021-06-07T08:09:10Z\n# public key: age1y\n"
			   "AGE-SECRET-KEY-1BBBB\n";
	const char *none = "AGE-SECRET-KEY-1AAAA\n";

	(void)state;
	assert_int_equal((long long)ks_text_created(text, strlen(text)), 1623053350LL);
	assert_int_equal((long long)ks_text_created(none, strlen(none)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newest_is_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_is_noticed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_file_keeps_old_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retired_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_key_cannot_be_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_retired_entry_names_the_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyring_before_load, setup, teardown),
		cmocka_unit_test(test_created_is_the_active_key_s),
	};

	if (sodium_init() < 0)
		return 1;
	ss_json_use_zeroing_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
