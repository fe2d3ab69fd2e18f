/* Unit tests for keyholder.h without the sandbox (t7050-keyholder.sh tests
 * the sandbox on the real agent): load, open in and out of scope, budgets,
 * reseal, recipients, an oversized reply, a dead key holder. Keys are made
 * at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <sodium.h>

#include "sealsync/age.h"
#include "sealsync/keyholder.h"

static const char secret[] = "kh-unit-plaintext";

struct fx {
	struct ss_keyholder *kh;
	struct ss_keyring *kr;   /* what the holder got, kept here to seal and check */
	struct ss_recipient pub;
	struct ss_scope scope;
	struct ss_buf sealed;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ss_identity *id = NULL;
	struct ss_age_seal_opts so;
	struct ss_err err;

	if (f == NULL || ss_keyholder_start(0, NULL, &f->kh, &err) != 0 ||
	    ss_keyring_new(&f->kr) != 0 || ss_identity_generate(&id) != 0 ||
	    ss_keyring_add(f->kr, id) != 0)
		return -1;
	ss_identity_recipient(id, &f->pub);
	if (ss_scope_make(&f->scope, SS_SCOPE_STRICT, "prod", "db", "password", &err) != 0)
		return -1;
	memset(&so, 0, sizeof(so));
	so.recipients = &f->pub;
	so.nrecipients = 1;
	so.scope = &f->scope;
	ss_buf_init(&f->sealed, 1 << 16);
	if (ss_age_seal(&so, (const unsigned char *)secret, strlen(secret), &f->sealed, &err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ss_keyholder_stop(f->kh);
	ss_keyring_free(f->kr);
	ss_buf_release(&f->sealed);
	free(f);
	return 0;
}

static int open_in(struct fx *f, const struct ss_scope *expect, unsigned *budget,
		   struct ss_buf *pt, struct ss_age_info *info, struct ss_err *err)
{
	struct ss_age_open_opts o;

	memset(&o, 0, sizeof(o));
	o.expect = expect;
	o.x25519_budget = budget;
	ss_keyholder_bind(f->kh, &o);
	return ss_age_open(&o, f->sealed.data, f->sealed.len, pt, info, err);
}

static void test_open_before_load(void **state)
{
	struct fx *f = *state;
	struct ss_buf pt;
	struct ss_err err;

	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &f->scope, NULL, &pt, NULL, &err), SS_E_NOTFOUND);
	assert_int_equal(pt.len, 0);
	ss_buf_release(&pt);
}

static void test_open_in_scope(void **state)
{
	struct fx *f = *state;
	struct ss_age_info info;
	unsigned budget = 10;
	struct ss_buf pt;
	struct ss_err err;

	assert_int_equal(ss_keyholder_load(f->kh, f->kr, &err), 0);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &f->scope, &budget, &pt, &info, &err), 0);
	assert_int_equal(pt.len, strlen(secret));
	assert_memory_equal(pt.data, secret, pt.len);
	assert_true(budget < 10);
	assert_int_equal(info.has_scope, 1);
	assert_string_equal(info.scope.key, "password");
	assert_int_equal(info.x25519_ops, 10 - budget);
	ss_buf_release(&pt);
}

static void test_open_wrong_scope(void **state)
{
	struct fx *f = *state;
	struct ss_scope other;
	struct ss_buf pt;
	struct ss_err err;

	assert_int_equal(ss_keyholder_load(f->kh, f->kr, &err), 0);
	assert_int_equal(ss_scope_make(&other, SS_SCOPE_STRICT, "prod", "db", "user", &err), 0);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &other, NULL, &pt, NULL, &err), SS_E_SCOPE);
	assert_non_null(strstr(err.msg, "password"));
	assert_null(strstr(err.msg, secret));
	assert_int_equal(pt.len, 0);
	/* the stream is still in step: the next request works */
	assert_int_equal(open_in(f, &f->scope, NULL, &pt, NULL, &err), 0);
	ss_buf_release(&pt);
}

static void test_budget_exhausted(void **state)
{
	struct fx *f = *state;
	unsigned budget = 0;
	struct ss_buf pt;
	struct ss_err err;

	assert_int_equal(ss_keyholder_load(f->kh, f->kr, &err), 0);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &f->scope, &budget, &pt, NULL, &err), SS_E_LIMIT);
	ss_buf_release(&pt);
}

static void test_reply_too_large(void **state)
{
	struct fx *f = *state;
	struct ss_buf pt;
	struct ss_err err;

	assert_int_equal(ss_keyholder_load(f->kh, f->kr, &err), 0);
	ss_buf_init_secure(&pt, 4); /* smaller than the plaintext */
	assert_int_equal(open_in(f, &f->scope, NULL, &pt, NULL, &err), SS_E_LIMIT);
	assert_int_equal(pt.len, 0);
	ss_buf_release(&pt);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &f->scope, NULL, &pt, NULL, &err), 0);
	ss_buf_release(&pt);
}

static void test_wrong_key(void **state)
{
	struct fx *f = *state;
	struct ss_keyring *kr = NULL;
	struct ss_identity *id = NULL;
	struct ss_buf pt;
	struct ss_err err;

	assert_int_equal(ss_keyring_new(&kr), 0);
	assert_int_equal(ss_identity_generate(&id), 0);
	assert_int_equal(ss_keyring_add(kr, id), 0);
	assert_int_equal(ss_keyholder_load(f->kh, kr, &err), 0);
	ss_keyring_free(kr);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &f->scope, NULL, &pt, NULL, &err), SS_E_NOMATCH);
	ss_buf_release(&pt);
}

static void test_reseal_and_recipients(void **state)
{
	struct fx *f = *state;
	struct ss_recipient rs[4], to;
	struct ss_age_open_opts o, local;
	struct ss_age_seal_opts so;
	struct ss_keyring *kr2 = NULL;
	struct ss_identity *id = NULL;
	struct ss_buf out, pt;
	struct ss_err err;
	size_t n = 0;

	assert_int_equal(ss_keyholder_load(f->kh, f->kr, &err), 0);
	assert_int_equal(ss_keyholder_recipients(f->kh, rs, 4, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(ss_recipient_equal(&rs[0], &f->pub));
	assert_int_equal(ss_keyring_new(&kr2), 0);
	assert_int_equal(ss_identity_generate(&id), 0);
	assert_int_equal(ss_keyring_add(kr2, id), 0);
	ss_identity_recipient(id, &to);
	memset(&o, 0, sizeof(o));
	o.expect = &f->scope;
	ss_keyholder_bind(f->kh, &o);
	memset(&so, 0, sizeof(so));
	so.recipients = &to;
	so.nrecipients = 1;
	ss_buf_init(&out, 1 << 16);
	assert_int_equal(ss_age_reseal(&o, f->sealed.data, f->sealed.len, &so, &out, &err), 0);
	memset(&local, 0, sizeof(local));
	local.kr = kr2;
	local.expect = &f->scope; /* the scope stanza was kept */
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(ss_age_open(&local, out.data, out.len, &pt, NULL, &err), 0);
	assert_memory_equal(pt.data, secret, strlen(secret));
	ss_buf_release(&pt);
	ss_buf_release(&out);
	ss_keyring_free(kr2);
}

static void test_dead_holder(void **state)
{
	struct fx *f = *state;
	struct ss_buf pt;
	struct ss_err err;

	assert_int_equal(ss_keyholder_load(f->kh, f->kr, &err), 0);
	assert_int_equal(ss_keyholder_alive(f->kh), 1);
	assert_int_equal(kill(ss_keyholder_pid(f->kh), SIGKILL), 0);
	ss_buf_init_secure(&pt, 1024);
	assert_int_equal(open_in(f, &f->scope, NULL, &pt, NULL, &err), SS_E_IO);
	assert_non_null(strstr(err.msg, "key holder exited"));
	assert_int_equal(ss_keyholder_alive(f->kh), 0);
	ss_buf_release(&pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_before_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_in_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_wrong_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reseal_and_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_holder, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
