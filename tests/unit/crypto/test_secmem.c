/* Unit tests for the per-thread guarded scratch (crypto/secmem.c): memory
 * comes back zeroed after another user wrote a secret into it, nested
 * buffers are distinct, big ones fall back, and threads clean up. The same
 * for the shared pages of small long-lived secrets (ss_secmem_small). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "sealsync/secmem.h"

static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void test_scratch_wiped_on_reuse(void **state)
{
	unsigned char *a, *b;

	(void)state;
	a = ss_secmem_scratch(64);
	assert_non_null(a);
	assert_true(all_zero(a, 64));
	memset(a, 0x5a, 64);
	ss_secmem_unscratch(a);
	b = ss_secmem_scratch(64);
	assert_ptr_equal(a, b); /* reused, not a new mapping */
	assert_true(all_zero(b, 64));
	ss_secmem_unscratch(b);
	ss_secmem_unscratch(NULL);
}

static void test_scratch_nested_and_big(void **state)
{
	unsigned char *p[10], *big;
	size_t i, j;

	(void)state;
	for (i = 0; i < 10; i++) { /* more than the cache holds */
		p[i] = ss_secmem_scratch(100 + i);
		assert_non_null(p[i]);
		assert_true(all_zero(p[i], 100 + i));
		memset(p[i], (int)i + 1, 100 + i);
	}
	for (i = 0; i < 10; i++)
		for (j = 0; j < 100 + i; j++)
			assert_int_equal(p[i][j], i + 1); /* no two overlap */
	big = ss_secmem_scratch(70000);
	assert_non_null(big);
	assert_true(all_zero(big, 70000));
	ss_secmem_unscratch(big);
	for (i = 10; i-- > 0;)
		ss_secmem_unscratch(p[i]);
	assert_null(ss_secmem_scratch(0));
}

static void *thread_main(void *arg)
{
	unsigned char *p = ss_secmem_scratch(32);

	(void)arg;
	if (p == NULL || !all_zero(p, 32))
		return (void *)1;
	memset(p, 0x77, 32);
	ss_secmem_unscratch(p);
	return NULL; /* the thread's regions are freed on exit */
}

static void test_scratch_threads(void **state)
{
	pthread_t t[4];
	void *ret;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
}

/* 189 slots fill three pages of 63: distinct, zeroed, and a freed slot (the
 * only free one then) comes back wiped. */
static void test_small_pool(void **state)
{
	unsigned char *p[189], *again, *big;
	size_t i, j;

	(void)state;
	for (i = 0; i < 189; i++) {
		p[i] = ss_secmem_small(32);
		assert_non_null(p[i]);
		assert_true(all_zero(p[i], 32));
		memset(p[i], (int)(i % 250) + 1, 32);
	}
	for (i = 0; i < 189; i++)
		for (j = 0; j < 32; j++)
			assert_int_equal(p[i][j], (i % 250) + 1); /* no two overlap */
	ss_secmem_small_free(p[70]);
	again = ss_secmem_small(64);
	assert_ptr_equal(again, p[70]); /* the freed slot, wiped */
	assert_true(all_zero(again, 64));
	p[70] = again;
	big = ss_secmem_small(65); /* too big for a slot: its own mapping */
	assert_non_null(big);
	assert_true(all_zero(big, 65));
	ss_secmem_small_free(big);
	for (i = 0; i < 189; i++)
		ss_secmem_small_free(p[i]);
	ss_secmem_small_free(NULL);
	assert_null(ss_secmem_small(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scratch_wiped_on_reuse),
		cmocka_unit_test(test_scratch_nested_and_big),
		cmocka_unit_test(test_scratch_threads),
		cmocka_unit_test(test_small_pool),
	};

	if (ss_secmem_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
