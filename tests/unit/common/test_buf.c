/* Unit tests for common/: the bounded buffer, errors, files. */
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

#include "sealsync/buf.h"
#include "sealsync/err.h"
#include "sealsync/file.h"

static void test_buf_ceiling(void **state)
{
	struct ss_buf b;

	(void)state;
	ss_buf_init(&b, 8);
	assert_int_equal(ss_buf_puts(&b, "1234"), 0);
	assert_int_equal(ss_buf_puts(&b, "5678"), 0);
	assert_int_equal(ss_buf_putc(&b, 'x'), SS_E_LIMIT);
	assert_int_equal(b.len, 8);
	assert_string_equal(ss_buf_str(&b), "12345678");
	ss_buf_release(&b);
}

static void test_buf_secure_grows(void **state)
{
	struct ss_buf b;
	int i;

	(void)state;
	ss_buf_init_secure(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ss_buf_printf(&b, "%04d", i), 0);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.data + 3996, "0999", 4);
	ss_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(ss_buf_str(&b), "");
	ss_buf_release(&b);
}

static void test_err_format(void **state)
{
	struct ss_err e;
	char out[1024];

	(void)state;
	ss_err_clear(&e);
	assert_int_equal(ss_err_set(&e, SS_E_INVAL, "not base64"), SS_E_INVAL);
	ss_err_at(&e, "apps/db.yaml", 7, 1);
	ss_err_field(&e, "spec.encryptedData", "password");
	ss_err_format(&e, out, sizeof(out));
	assert_string_equal(out, "apps/db.yaml:7: document 1: field spec.encryptedData: "
				 "key password: not base64");
	ss_err_prefix(&e, "unseal");
	assert_string_equal(e.msg, "unseal: not base64");
}

static void test_file_atomic_and_cap(void **state)
{
	char dir[] = "/tmp/ss-unit-XXXXXX", path[256];
	struct ss_buf b;
	struct ss_err e;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(ss_file_write_atomic(path, "hello", 5, 0600, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ss_buf_init(&b, 4);
	ss_err_clear(&e);
	assert_int_equal(ss_file_read(path, &b, &e), SS_E_LIMIT);
	assert_string_equal(e.file, path);
	ss_buf_release(&b);
	ss_buf_init(&b, 5);
	assert_int_equal(ss_file_read(path, &b, &e), 0);
	assert_string_equal(ss_buf_str(&b), "hello");
	ss_buf_release(&b);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_ceiling),
		cmocka_unit_test(test_buf_secure_grows),
		cmocka_unit_test(test_err_format),
		cmocka_unit_test(test_file_atomic_and_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
