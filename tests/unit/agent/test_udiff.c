/* Unit tests for the unified diff (agent/sync/udiff.c): the exact output
 * of small cases as GNU diff -u prints them, and a property over random
 * texts: applying the printed hunks to a gives b, and no diff is longer
 * than it needs to be when the texts share a common head and tail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/udiff.h"

static void diff_is(const char *a, const char *b, const char *want)
{
	struct ss_buf out;
	int changed = -1;

	ss_buf_init(&out, 1u << 20);
	assert_int_equal(ss_udiff(a, strlen(a), b, strlen(b), "A", "B", 3, &out, &changed), 0);
	assert_string_equal(ss_buf_str(&out), want);
	assert_int_equal(changed, strcmp(a, b) != 0);
	ss_buf_release(&out);
}

static void test_small_cases(void **state)
{
	(void)state;
	diff_is("a\nb\n", "a\nb\n", "");
	diff_is("a\nb\nc\n", "a\nx\nc\n", "--- A\n+++ B\n@@ -1,3 +1,3 @@\n a\n-b\n+x\n c\n");
	diff_is("", "x\ny\n", "--- A\n+++ B\n@@ -0,0 +1,2 @@\n+x\n+y\n");
	diff_is("x\n", "", "--- A\n+++ B\n@@ -1 +0,0 @@\n-x\n");
	diff_is("a\n", "a", "--- A\n+++ B\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n");
	/* two changes 7 lines apart stay in one hunk (gap <= 2 * context)... */
	diff_is("1\n2\n3\n4\n5\n6\n7\n8\n", "x\n2\n3\n4\n5\n6\n7\ny\n",
		"--- A\n+++ B\n@@ -1,8 +1,8 @@\n-1\n+x\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+y\n");
	/* ...9 apart they are two hunks */
	diff_is("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\ny\n",
		"--- A\n+++ B\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n"
		"@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+y\n");
	/* an insertion in the middle: the '-' side starts after line 2 */
	diff_is("a\nb\nc\nd\n", "a\nb\nnew\nc\nd\n",
		"--- A\n+++ B\n@@ -1,4 +1,5 @@\n a\n b\n+new\n c\n d\n");
}

/* Applies a unified diff (as printed above) to a; returns b. */
static char *patch(const char *a, const char *d)
{
	size_t cap = strlen(a) + strlen(d) + 1, n = 0, apos = 0, alen = strlen(a), aline = 0;
	char *out = calloc(1, cap + 1);
	const char *p = d;

	assert_non_null(out);
	p = strchr(p, '\n') + 1; /* --- */
	p = strchr(p, '\n') + 1; /* +++ */
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = (size_t)(eol - p);

		if (*p == '@') {
			unsigned long from = strtoul(p + 4, NULL, 10);
			/* "-l,0" names the line before; otherwise l is 1-based */
			const char *comma = strchr(p + 4, ',');
			int zero = comma != NULL && comma < strchr(p + 4, ' ') && comma[1] == '0' &&
				   comma[2] == ' ';
			size_t upto = zero ? from : from - 1;

			while (apos < alen && aline < upto) { /* copy unchanged lines */
				const char *e = strchr(a + apos, '\n');
				size_t l = (size_t)(e - (a + apos)) + 1;

				memcpy(out + n, a + apos, l);
				n += l, apos += l, aline++;
			}
		} else if (*p == ' ' || *p == '-') {
			apos += len; /* the line without its sign, plus the newline */
			aline++;
			if (*p == ' ')
				memcpy(out + n, p + 1, len - 1), n += len - 1, out[n++] = '\n';
		} else if (*p == '+') {
			memcpy(out + n, p + 1, len - 1);
			n += len - 1;
			out[n++] = '\n';
		}
		p = eol + 1;
	}
	memcpy(out + n, a + apos, alen - apos);
	out[n + alen - apos] = '\0';
	return out;
}

static void random_text(char *buf, size_t lines, unsigned *seed)
{
	size_t i, n = 0;

	for (i = 0; i < lines; i++) {
		*seed = *seed * 1103515245u + 12345u;
		n += (size_t)sprintf(buf + n, "l%u\n", (*seed >> 16) % 6);
	}
	buf[n] = '\0';
}

static void test_random_roundtrip(void **state)
{
	static char a[4096], b[4096];
	unsigned seed = 7, round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		struct ss_buf out;
		char *got;

		random_text(a, round % 37, &seed);
		random_text(b, (round * 7) % 41, &seed);
		ss_buf_init(&out, 1u << 20);
		assert_int_equal(ss_udiff(a, strlen(a), b, strlen(b), "A", "B", round % 4, &out,
					  NULL), 0);
		if (out.len > 0) {
			got = patch(a, ss_buf_str(&out));
			assert_string_equal(got, b);
			free(got);
		} else {
			assert_string_equal(a, b);
		}
		ss_buf_release(&out);
	}
}

/* Beyond the edit bound the middle is replaced whole: still a correct
 * diff, and bounded memory. */
static void test_edit_bound(void **state)
{
	size_t lines = SS_UDIFF_MAX_EDITS + 10, i, n = 0, m = 0;
	char *a = malloc(lines * 16), *b = malloc(lines * 16), *got;
	struct ss_buf out;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < lines; i++) {
		n += (size_t)sprintf(a + n, "a%zu\n", i);
		m += (size_t)sprintf(b + m, "b%zu\n", i);
	}
	ss_buf_init(&out, 1u << 24);
	assert_int_equal(ss_udiff(a, n, b, m, "A", "B", 3, &out, NULL), 0);
	got = patch(a, ss_buf_str(&out));
	assert_string_equal(got, b);
	free(got);
	ss_buf_release(&out);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_cases),
		cmocka_unit_test(test_random_roundtrip),
		cmocka_unit_test(test_edit_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
