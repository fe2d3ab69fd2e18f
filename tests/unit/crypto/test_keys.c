/*
 * Unit tests for keys and key files: identity format (as age-keygen writes
 * it), keyrings (newest active), permission checks, creation, rotation,
 * folders (kubelet layout), recipients files. Keys are generated here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sealsync/file.h"
#include "sealsync/keys.h"

static char dir[] = "/tmp/ss-test-keys-XXXXXX";

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Two identity blocks as text (secure buffer), and their public keys. */
static void two_blocks(struct ss_buf *text, struct ss_recipient *r)
{
	struct ss_identity *id;
	int i;

	ss_buf_init_secure(text, 4096);
	for (i = 0; i < 2; i++) {
		assert_int_equal(ss_identity_generate(&id), 0);
		ss_identity_recipient(id, &r[i]);
		assert_int_equal(ss_keyfile_format(id, 1136214245 + i, text), 0);
		ss_identity_free(id);
	}
}

static void test_keyfile_format(void **state)
{
	struct ss_identity *id, *back;
	struct ss_recipient r1, r2;
	struct ss_buf b;
	regex_t re;
	char line[128];
	const char *p;

	(void)state;
	assert_int_equal(ss_identity_generate(&id), 0);
	ss_buf_init_secure(&b, 1024);
	assert_int_equal(ss_keyfile_format(id, 1136214245, &b), 0); /* 2006-01-02T15:04:05Z */
	assert_int_equal(regcomp(&re, "^# created: 2006-01-02T15:04:05Z\n# public key: age1[02-9ac-hj-np-z]{58}\n"
				 "AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}\n$", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, ss_buf_str(&b), 0, NULL, 0), 0);
	regfree(&re);
	p = strstr(ss_buf_str(&b), "AGE-SECRET-KEY-1");
	assert_non_null(p);
	assert_int_equal(ss_identity_parse(p, 74, &back, NULL), 0);
	ss_identity_recipient(id, &r1);
	ss_identity_recipient(back, &r2);
	assert_int_equal(ss_recipient_equal(&r1, &r2), 1);
	assert_int_equal(ss_identity_format(back, line, sizeof(line)), 0);
	assert_memory_equal(line, p, 74);
	sodium_memzero(line, sizeof(line));
	ss_identity_free(id);
	ss_identity_free(back);
	ss_buf_release(&b);
}

static void test_keyring_parse(void **state)
{
	struct ss_keyring *kr;
	struct ss_recipient r[2], got;
	struct ss_buf text;
	struct ss_err err;

	(void)state;
	two_blocks(&text, r);
	assert_int_equal(ss_keyring_new(&kr), 0);
	assert_int_equal(ss_keyring_parse(kr, (const char *)text.data, text.len, "keys.txt", NULL), 0);
	assert_int_equal(ss_keyring_count(kr), 2);
	ss_identity_recipient(ss_keyring_active(kr), &got);
	assert_int_equal(ss_recipient_equal(&got, &r[1]), 1); /* the last is active */
	ss_identity_recipient(ss_keyring_get(kr, 0), &got);
	assert_int_equal(ss_recipient_equal(&got, &r[0]), 1);
	assert_null(ss_keyring_get(kr, 2));
	/* A bad line names the file and line, never the key, and changes nothing. */
	text.data[text.len - 5] = text.data[text.len - 5] == 'Q' ? 'P' : 'Q';
	ss_err_clear(&err);
	assert_int_equal(ss_keyring_parse(kr, (const char *)text.data, text.len, "keys.txt", &err), SS_E_INVAL);
	assert_string_equal(err.file, "keys.txt");
	assert_int_equal(err.line, 6);
	assert_null(strstr(err.msg, "AGE-SECRET-KEY-1"));
	assert_int_equal(ss_keyring_count(kr), 2);
	assert_int_equal(ss_keyring_parse(kr, "# nothing\n\n", 11, "empty.txt", &err), SS_E_INVAL);
	assert_int_equal(ss_keyring_parse(kr, "age-secret-key-1qqqq\n", 21, "x", &err), SS_E_INVAL);
	ss_keyring_free(kr);
	ss_buf_release(&text);
}

static void test_perms(void **state)
{
	static const struct {
		mode_t mode;
		int ok;
	} cases[] = {{0600, 1}, {0400, 1}, {0440, 1}, {0644, 0}, {0640, 1}, {0660, 0}, {0604, 0}, {0666, 0}, {0620, 0}};
	struct ss_keyring *kr;
	struct ss_recipient r[2];
	struct ss_buf text;
	struct ss_err err;
	char path[256];
	size_t i;

	(void)state;
	two_blocks(&text, r);
	path_in(path, sizeof(path), "perm.txt");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, ss_buf_str(&text), cases[i].mode);
		assert_int_equal(ss_keyring_new(&kr), 0);
		ss_err_clear(&err);
		assert_int_equal(ss_keyring_load_file(kr, path, &err), cases[i].ok ? 0 : SS_E_PERM);
		assert_int_equal(ss_keyfile_check_perms(path, NULL), cases[i].ok ? 0 : SS_E_PERM);
		if (!cases[i].ok) {
			assert_string_equal(err.file, path);
			assert_null(strstr(err.msg, "AGE-SECRET-KEY"));
		}
		assert_int_equal(ss_keyring_count(kr), cases[i].ok ? 2 : 0);
		ss_keyring_free(kr);
		unlink(path);
	}
	/* not owned by us (nor root) */
	write_file(path, ss_buf_str(&text), 0600);
	if (chown(path, 4242, 4242) == 0)
		assert_int_equal(ss_keyfile_check_perms(path, NULL), SS_E_PERM);
	unlink(path);
	ss_buf_release(&text);
}

static void test_create_and_rotate(void **state)
{
	struct ss_keyring *kr;
	struct ss_recipient r1, r2, got;
	struct ss_err err;
	struct stat st;
	char path[256];

	(void)state;
	path_in(path, sizeof(path), "rot.txt");
	unlink(path);
	assert_int_equal(ss_keyfile_create(path, &r1, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	ss_err_clear(&err);
	assert_int_equal(ss_keyfile_create(path, NULL, &err), SS_E_CONFLICT);
	assert_string_equal(err.file, path);
	assert_int_equal(ss_keyfile_rotate(path, &r2, NULL), 0);
	assert_int_equal(ss_recipient_equal(&r1, &r2), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ss_keyring_new(&kr), 0);
	assert_int_equal(ss_keyring_load_file(kr, path, NULL), 0);
	assert_int_equal(ss_keyring_count(kr), 2);
	ss_identity_recipient(ss_keyring_active(kr), &got);
	assert_int_equal(ss_recipient_equal(&got, &r2), 1);
	ss_keyring_free(kr);
	/* rotation refuses an unsafe file and leaves it alone */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ss_keyfile_append_new(path, NULL), SS_E_PERM);
	unlink(path);
	/* rotating a missing file creates it */
	assert_int_equal(ss_keyfile_append_new(path, NULL), 0);
	unlink(path);
}

/* kubelet's layout: keys.txt -> ..data/keys.txt, ..data -> ..2026_x */
static void test_load_dir_kubelet(void **state)
{
	struct ss_keyring *kr;
	struct ss_recipient r[2], got;
	struct ss_buf text;
	char sub[128], data[256], f[512], link[512];

	(void)state;
	two_blocks(&text, r);
	path_in(sub, sizeof(sub), "vol");
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(data, sizeof(data), "%s/..2026_01_01", sub);
	assert_int_equal(mkdir(data, 0755), 0);
	snprintf(f, sizeof(f), "%s/keys.txt", data);
	write_file(f, ss_buf_str(&text), 0440);
	snprintf(link, sizeof(link), "%s/..data", sub);
	assert_int_equal(symlink("..2026_01_01", link), 0);
	snprintf(link, sizeof(link), "%s/keys.txt", sub);
	assert_int_equal(symlink("..data/keys.txt", link), 0);
	assert_int_equal(ss_keyring_new(&kr), 0);
	assert_int_equal(ss_keyring_load_dir(kr, sub, NULL), 0);
	assert_int_equal(ss_keyring_count(kr), 2); /* once: dot entries are skipped */
	ss_identity_recipient(ss_keyring_active(kr), &got);
	assert_int_equal(ss_recipient_equal(&got, &r[1]), 1);
	ss_keyring_free(kr);
	unlink(link);
	snprintf(link, sizeof(link), "%s/..data", sub);
	unlink(link);
	unlink(f);
	rmdir(data);
	assert_int_equal(ss_keyring_new(&kr), 0);
	assert_int_equal(ss_keyring_load_dir(kr, sub, NULL), SS_E_NOTFOUND);
	ss_keyring_free(kr);
	rmdir(sub);
	ss_buf_release(&text);
}

static void test_recipients_file(void **state)
{
	struct ss_recipient *v = NULL;
	struct ss_recipient r[2];
	struct ss_buf text;
	struct ss_err err;
	char path[256], p1[SS_RECIPIENT_STR_MAX], p2[SS_RECIPIENT_STR_MAX], body[512];
	size_t n = 0;

	(void)state;
	two_blocks(&text, r);
	ss_buf_release(&text);
	assert_int_equal(ss_recipient_format(&r[0], p1, sizeof(p1)), 0);
	assert_int_equal(ss_recipient_format(&r[1], p2, sizeof(p2)), 0);
	path_in(path, sizeof(path), "recipients.txt");
	snprintf(body, sizeof(body), "# cluster\n%s\n\n  %s  \n", p1, p2);
	write_file(path, body, 0644);
	assert_int_equal(ss_recipients_load_file(path, &v, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ss_recipient_equal(&v[1], &r[1]), 1);
	free(v);
	write_file(path, "# x\nssh-ed25519 AAAAC3Nza\n", 0644);
	ss_err_clear(&err);
	assert_int_equal(ss_recipients_load_file(path, &v, &n, &err), SS_E_INVAL);
	assert_null(v);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 2);
	unlink(path);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyfile_format),
		cmocka_unit_test(test_keyring_parse),
		cmocka_unit_test(test_perms),
		cmocka_unit_test(test_create_and_rotate),
		cmocka_unit_test(test_load_dir_kubelet),
		cmocka_unit_test(test_recipients_file),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
