/* test_renderer.c: the renderer's symlink rule (ss_renderer_copy_create)
 * and the kustomization walk (ss_kustomize_scan): which references and
 * links pass, and that a refusal names the file and field. The confined
 * child itself is covered by tests/e2e/t43*.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sealsync/renderer.h"

#define F(p, d) {p, (const unsigned char *)(d), sizeof(d) - 1, 0}
#define L(p, t) {p, (const unsigned char *)(t), sizeof(t) - 1, 1}

static char tmp[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ss-renderer-XXXXXX");
	return mkdtemp(tmp) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmp);
}

/* The copy with files + one link: 0 or the error code, err filled. */
static int copy_with_link(const char *path, const char *target, struct ss_err *e)
{
	struct ss_renderer_file files[4] = {F("a/b/x.yaml", "x: 1\n"), F("a/c.yaml", "c: 1\n"),
					    L("a/b/other", "x.yaml")};
	struct ss_renderer_copy *c = NULL;
	int rc;

	files[3].path = path;
	files[3].data = (const unsigned char *)target;
	files[3].len = strlen(target);
	files[3].symlink = 1;
	ss_err_clear(e);
	rc = ss_renderer_copy_create(tmp, files, 4, &c, e);
	ss_renderer_copy_free(c);
	return rc;
}

static void test_links_inside(void **state)
{
	struct ss_err e;

	(void)state;
	assert_int_equal(copy_with_link("a/l", "b/x.yaml", &e), 0);
	assert_int_equal(copy_with_link("a/b/l", "../c.yaml", &e), 0);
	assert_int_equal(copy_with_link("a/b/l", "./x.yaml", &e), 0);
	assert_int_equal(copy_with_link("l", "a/b", &e), 0);
	assert_int_equal(copy_with_link("a/b/l", "..", &e), 0);
}

static void test_links_refused(void **state)
{
	static const char *const bad[][2] = {
		{"a/l", "/etc/passwd"},        {"a/l", "../../x"},
		{"a/b/l", "../../../keys.txt"}, {"a/l", "b/other"}, /* through a link */
		{"a/l", "b/other/../x.yaml"},  {"a/l", "nothing.yaml"},
		{"a/l", "c.yaml/x"},           {"l", ".."}};
	struct ss_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(copy_with_link(bad[i][0], bad[i][1], &e), SS_E_UNSUPPORTED);
		assert_string_equal(e.file, bad[i][0]);
		assert_non_null(strstr(e.msg, "refused"));
	}
}

static int scan(const char *kust, struct ss_err *e)
{
	struct ss_renderer_file files[] = {
		{"app/kustomization.yaml", (const unsigned char *)kust, strlen(kust), 0},
		F("app/cm.yaml", "kind: ConfigMap\n"), F("base/kustomization.yaml", "resources: [d.yaml]\n"),
		F("base/d.yaml", "kind: ConfigMap\n"), F("app/t.yaml", "kind: LabelTransformer\n"),
		F("app/plug.yaml", "kind: MyPlugin\n")};
	struct ss_kustomize_scan s;
	int rc;

	ss_err_clear(e);
	rc = ss_kustomize_scan(files, sizeof(files) / sizeof(files[0]), "app", &s, e);
	if (rc == 0) {
		assert_int_equal(s.n, strstr(kust, "../base") != NULL ? 2 : 1);
		assert_string_equal(s.dirs[0], "app");
	}
	ss_kustomize_scan_release(&s);
	return rc;
}

static void test_scan_local(void **state)
{
	struct ss_err e;

	(void)state;
	assert_int_equal(scan("resources: [cm.yaml, ../base]\n", &e), 0);
	assert_int_equal(scan("resources: [./cm.yaml]\ntransformers: [t.yaml]\n", &e), 0);
	assert_int_equal(scan("patchesStrategicMerge:\n  - |\n    kind: X\n", &e), 0);
	assert_int_equal(scan("configMapGenerator:\n  - name: g\n    files: [k=cm.yaml]\n", &e), 0);
}

static void test_scan_refused(void **state)
{
	static const char *const bad[][2] = {
		{"resources: [https://h/x.yaml]\n", "resources[0]"},
		{"bases: [git@github.com:o/r]\n", "bases[0]"},
		{"resources: [cm.yaml, \"github.com/o/r//base?ref=v1\"]\n", "resources[1]"},
		{"resources: [example.com/o/r]\n", "resources[0]"},
		{"components: [git::https://h/r]\n", "components[0]"},
		{"resources: [/etc/passwd]\n", "resources[0]"},
		{"resources: [../../x]\n", "resources[0]"},
		{"resources: [missing]\n", "resources[0]"},
		{"openapi:\n  path: http://h/s.json\n", "openapi.path"},
		{"patches:\n  - path: http://h/p.yaml\n", "patches[0].path"},
		{"secretGenerator:\n  - name: s\n    envs: [ssh://h/e]\n", "secretGenerator[0].envs[0]"},
		{"helmCharts:\n  - name: x\n", "helmCharts"},
		{"transformers: [plug.yaml]\n", "transformers[0]"},
		{"generators:\n  - |\n    kind: Exec\n", "generators[0]"}};
	struct ss_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(scan(bad[i][0], &e) < 0);
		assert_string_equal(e.file, "app/kustomization.yaml");
		assert_string_equal(e.field, bad[i][1]);
	}
}

/* A render server that reads one whole request and hangs up, no reply. */
static pid_t hangup_server(const char *path)
{
	struct sockaddr_un sa;
	uint64_t n;
	char buf[4096];
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), cfd;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path));
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd < 0 || read(cfd, &n, sizeof(n)) != (ssize_t)sizeof(n))
			_exit(1);
		while (n > 0) {
			ssize_t r = read(cfd, buf, n < sizeof(buf) ? n : sizeof(buf));

			if (r <= 0)
				_exit(1);
			n -= (uint64_t)r;
		}
		close(cfd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* The server hung up: the error says so, not whatever errno an earlier,
 * unrelated call of the agent's thread left behind. */
static void test_server_hangup(void **state)
{
	static const struct ss_renderer_file files[] = {F("a/x.yaml", "x: 1\n")};
	struct ss_renderer_opts o;
	struct ss_renderer_job job = {"/bin/true", NULL, "a", "a (test)"};
	char path[128];
	unsigned char *out = NULL;
	size_t len = 0;
	struct ss_err e;
	int st = -1;
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/render.sock", tmp);
	pid = hangup_server(path);
	memset(&o, 0, sizeof(o));
	o.unit = "u";
	o.tmp_dir = tmp;
	o.server = path;
	ss_err_clear(&e);
	errno = EACCES; /* stale, from before the exchange */
	assert_int_equal(ss_renderer_run(&o, files, 1, &job, &out, &len, &e), SS_E_NET);
	assert_null(out);
	assert_non_null(strstr(e.msg, "closed"));
	assert_null(strstr(e.msg, strerror(EACCES)));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(unlink(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_inside),
		cmocka_unit_test(test_links_refused),
		cmocka_unit_test(test_scan_local),
		cmocka_unit_test(test_scan_refused),
		cmocka_unit_test(test_server_hangup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
