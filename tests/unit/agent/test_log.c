/* Unit tests for log escaping (agent/log.c): no value can break a log line
 * or an Event, and bytes that are not UTF-8 are shown, never dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sealsync/log.h"

static void esc_is(const char *in, enum ss_log_esc mode, size_t cap, const char *want)
{
	char out[256];

	assert_true(cap <= sizeof(out));
	assert_int_equal(ss_log_escape(in, mode, out, cap), strlen(want));
	assert_string_equal(out, want);
}

static void test_escape_modes(void **state)
{
	(void)state;
	/* valid UTF-8 and controls pass in UTF8 mode; bad bytes do not */
	esc_is("a\n\xc3\xa4\xff\xfe\\", SS_LOG_ESC_UTF8, 256, "a\n\xc3\xa4\\xff\\xfe\\");
	esc_is("x\ny\r\tz\x01\x7f", SS_LOG_ESC_LINE, 256, "x\\ny\\r\\tz\\u0001\\u007f");
	/* C1 (U+0085 NEL) and U+2028 are line breaks for some readers */
	esc_is("a\xc2\x85" "b\xe2\x80\xa8", SS_LOG_ESC_LINE, 256, "a\\u0085b\\u2028");
	esc_is("say \"hi\" \\ ok", SS_LOG_ESC_QUOTED, 256, "say \\\"hi\\\" \\\\ ok");
	esc_is("say \"hi\" \\ ok", SS_LOG_ESC_LINE, 256, "say \"hi\" \\ ok");
	/* overlong, surrogate, beyond U+10FFFF, truncated sequences */
	esc_is("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82", SS_LOG_ESC_UTF8, 256,
	       "\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\xe2\\x82");
	esc_is("\xf0\x9f\x94\x91", SS_LOG_ESC_LINE, 256, "\xf0\x9f\x94\x91");
}

static void test_escape_never_cuts(void **state)
{
	(void)state;
	esc_is("ab\n", SS_LOG_ESC_LINE, 4, "ab");         /* "\n" needs 2 + NUL */
	esc_is("ab\xff", SS_LOG_ESC_UTF8, 6, "ab");       /* "\xff" needs 4 */
	esc_is("a\xc3\xa4", SS_LOG_ESC_LINE, 3, "a");     /* not half of a character */
	esc_is("abc", SS_LOG_ESC_LINE, 1, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_modes),
		cmocka_unit_test(test_escape_never_cuts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
