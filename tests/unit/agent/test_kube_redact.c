/* Unit tests for the redaction list's guarded arena (agent/kube_redact.c):
 * the list moves to a bigger region many times while it grows, and every
 * value, raw and base64, must still be redacted afterwards. */
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

#define NVALS 600
#define VLEN 40

/* Value i: VLEN bytes, distinct per i, made at run time. */
static void value_of(size_t i, char *v)
{
	memset(v, 'a' + (int)(i % 26), VLEN);
	snprintf(v, VLEN, "val-%05zu-", i);
	v[strlen(v)] = 'x'; /* no NUL inside the value */
	v[VLEN] = '\0';
}

static void assert_redacted(const struct kube_redact *r, const char *form)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "x %s y", form);
	kube_redact_apply(r, buf, sizeof(buf));
	assert_string_equal(buf, "x [REDACTED] y");
}

static void test_redact_arena_grows(void **state)
{
	struct kube_redact r;
	char v[VLEN + 1], b64[128];
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (i = 0; i < NVALS; i++) {
		value_of(i, v);
		assert_int_equal(kube_redact_add(&r, (const unsigned char *)v, VLEN), 0);
	}
	assert_int_equal(r.n, 2 * NVALS);
	/* Adding them again (raw and as base64 of a known raw) adds nothing. */
	value_of(7, v);
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)v, VLEN), 0);
	assert_int_equal(r.n, 2 * NVALS);
	for (i = 0; i < NVALS; i++) {
		value_of(i, v);
		assert_redacted(&r, v);
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)v, VLEN,
				  sodium_base64_VARIANT_ORIGINAL);
		assert_redacted(&r, b64);
	}
	kube_redact_clear(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.vals);
	value_of(1, v);
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)v, VLEN), 0);
	assert_int_equal(r.n, 2);
	assert_redacted(&r, v);
	kube_redact_clear(&r);
}

/* A value bigger than the first region, after small ones. */
static void test_redact_big_value(void **state)
{
	struct kube_redact r;
	size_t big = 10000;
	unsigned char *v = malloc(big + 1);

	(void)state;
	assert_non_null(v);
	memset(&r, 0, sizeof(r));
	assert_int_equal(kube_redact_add(&r, (const unsigned char *)"first-value", 11), 0);
	memset(v, 'z', big);
	v[big] = '\0';
	assert_int_equal(kube_redact_add(&r, v, big), 0);
	assert_int_equal(r.n, 4);
	assert_redacted(&r, "first-value");
	assert_redacted(&r, "Zmlyc3QtdmFsdWU="); /* base64 of "first-value" */
	assert_int_equal(r.lens[2], big);
	assert_memory_equal(r.vals[2], v, big);
	kube_redact_clear(&r);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_arena_grows),
		cmocka_unit_test(test_redact_big_value),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
