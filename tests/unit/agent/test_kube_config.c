/* Unit tests for agent/kube_config.c, kube_kubeconfig.c, kube_yaml.c:
 * kubeconfig and in-cluster credentials. Files are written at run time
 * into a fresh temp folder; the "keys" are dummy bytes, not real keys. */
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

#include "../../../agent/kube/kube_int.h"

static char tmpdir[256];

/* base64("-----BEGIN CERTIFICATE-----\nCA\n") etc. are built at run time. */
static void b64(const char *in, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, (const unsigned char *)in, strlen(in),
			  sodium_base64_VARIANT_ORIGINAL);
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *kpath(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ss-kube-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return sodium_init() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Opens kubeconfig `name` with context ctx; returns the code and err. */
static int open_kc(const char *name, const char *ctx, int insecure, struct ss_kube **k,
		   struct ss_err *err)
{
	struct ss_kube_opts o;

	ss_kube_opts_default(&o);
	o.kubeconfig = kpath(name);
	o.context = ctx;
	o.allow_insecure = insecure;
	ss_err_clear(err);
	return ss_kube_open(&o, k, err);
}

static void write_kc(const char *name, const char *cluster_extra, const char *user_body)
{
	char text[4096], ca[256];

	b64("-----BEGIN CERTIFICATE-----\nTESTCA\n", ca, sizeof(ca));
	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
		 "clusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:6443/\n"
		 "    certificate-authority-data: %s\n%s"
		 "- name: c2\n  cluster:\n    server: https://example.invalid:8443\n"
		 "contexts:\n- name: main\n  context: {cluster: c1, user: u1, namespace: team-a}\n"
		 "- name: other\n  context: {cluster: c2, user: u1}\n"
		 "users:\n- name: u1\n  user:\n%s",
		 ca, cluster_extra, user_body);
	write_file(name, text);
}

static void test_data_forms(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;

	(void)state;
	write_kc("kc1", "", "    token: tok-abcdef-123\n");
	assert_int_equal(open_kc("kc1", NULL, 0, &k, &e), 0);
	assert_string_equal(ss_kube_server(k), "https://127.0.0.1:6443");
	assert_string_equal(ss_kube_namespace(k), "team-a");
	assert_int_equal(ss_kube_insecure(k), 0);
	assert_int_equal(k->conn.ca_len, strlen("-----BEGIN CERTIFICATE-----\nTESTCA\n"));
	assert_memory_equal(k->conn.ca, "-----BEGIN CERTIFICATE-----\nTESTCA\n", k->conn.ca_len);
	assert_string_equal(k->conn.token, "tok-abcdef-123");
	assert_null(k->conn.cert);
	ss_kube_free(k);
}

static void test_other_context(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;

	(void)state;
	write_kc("kc2", "", "    token: tok\n");
	assert_int_equal(open_kc("kc2", "other", 0, &k, &e), 0);
	assert_string_equal(ss_kube_server(k), "https://example.invalid:8443");
	assert_string_equal(ss_kube_namespace(k), "default");
	assert_null(k->conn.ca); /* system store */
	ss_kube_free(k);
	assert_int_equal(open_kc("kc2", "nope", 0, &k, &e), SS_E_NOTFOUND);
	assert_null(k);
	assert_string_equal(e.field, "contexts");
	assert_non_null(strstr(e.msg, "nope"));
	assert_string_equal(e.file, kpath("kc2"));
}

static void test_file_forms(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;
	char user[1024];

	(void)state;
	write_file("ca.pem", "CA-PEM\n");
	write_file("cert.pem", "CERT-PEM\n");
	write_file("key.pem", "KEY-PEM\n");
	write_file("token", "file-token-xyz\n\n");
	snprintf(user, sizeof(user),
		 "    client-certificate: cert.pem\n    client-key: %s\n    tokenFile: token\n",
		 kpath("key.pem"));
	write_kc("kc3", "", user);
	/* certificate-authority-data wins over the file form, as in client-go */
	assert_int_equal(open_kc("kc3", NULL, 0, &k, &e), 0);
	assert_memory_equal(k->conn.cert, "CERT-PEM\n", 9);
	assert_memory_equal(k->conn.key, "KEY-PEM\n", 8);
	assert_string_equal(k->conn.token, "file-token-xyz");
	ss_kube_free(k);
	write_file("kc4", "current-context: x\nclusters:\n- name: c\n  cluster:\n"
			  "    server: https://h\n    certificate-authority: ca.pem\n"
			  "contexts:\n- name: x\n  context:\n    cluster: c\n");
	assert_int_equal(open_kc("kc4", NULL, 0, &k, &e), 0);
	assert_memory_equal(k->conn.ca, "CA-PEM\n", 7);
	assert_null(k->conn.token); /* no user: anonymous */
	ss_kube_free(k);
}

static void test_missing_fields(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;

	(void)state;
	write_file("kc5", "clusters:\n- name: c\n  cluster: {server: https://h}\n"
			  "contexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(open_kc("kc5", NULL, 0, &k, &e), SS_E_INVAL);
	assert_string_equal(e.field, "current-context");
	write_file("kc6", "current-context: x\nclusters:\n- name: c\n  cluster: {}\n"
			  "contexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(open_kc("kc6", NULL, 0, &k, &e), SS_E_INVAL);
	assert_string_equal(e.field, "clusters[0].cluster.server");
	assert_string_equal(e.file, kpath("kc6"));
	assert_int_equal(e.line, 4); /* the mapping that lacks it */
	write_file("kc7", "current-context: x\nclusters:\n- name: c\n  cluster: {server: https://h}\n"
			  "contexts:\n- name: x\n  context: {cluster: c, user: ghost}\n");
	assert_int_equal(open_kc("kc7", NULL, 0, &k, &e), SS_E_NOTFOUND);
	assert_string_equal(e.field, "users");
	write_file("kc8", "current-context: x\nclusters:\n- name: c\n  cluster: {server: http://h}\n"
			  "contexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(open_kc("kc8", NULL, 0, &k, &e), SS_E_UNSUPPORTED);
	assert_string_equal(e.field, "clusters[0].cluster.server");
	assert_int_equal(open_kc("does-not-exist", NULL, 0, &k, &e), SS_E_NOTFOUND);
	assert_null(k);
	/* would connect elsewhere than meant: refused, not ignored */
	write_kc("kc8b", "    tls-server-name: api.internal\n", "    token: t\n");
	assert_int_equal(open_kc("kc8b", NULL, 0, &k, &e), SS_E_UNSUPPORTED);
	assert_string_equal(e.field, "clusters[0].cluster.tls-server-name");
	write_kc("kc8c", "    proxy-url: http://proxy:3128\n", "    token: t\n");
	assert_int_equal(open_kc("kc8c", NULL, 0, &k, &e), SS_E_UNSUPPORTED);
	assert_string_equal(e.field, "clusters[0].cluster.proxy-url");
}

static void test_insecure_refused(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;

	(void)state;
	write_kc("kc9", "    insecure-skip-tls-verify: true\n", "    token: t\n");
	assert_int_equal(open_kc("kc9", NULL, 0, &k, &e), SS_E_PERM);
	assert_null(k);
	assert_string_equal(e.field, "clusters[0].cluster.insecure-skip-tls-verify");
	assert_int_equal(e.line, 9);
	assert_int_equal(open_kc("kc9", NULL, 1, &k, &e), 0);
	assert_int_equal(ss_kube_insecure(k), 1);
	ss_kube_free(k);
	/* YAML 1.1 spellings of true are refused too */
	write_kc("kc9b", "    insecure-skip-tls-verify: yes\n", "    token: t\n");
	assert_int_equal(open_kc("kc9b", NULL, 0, &k, &e), SS_E_PERM);
	write_kc("kc9c", "    insecure-skip-tls-verify: false\n", "    token: t\n");
	assert_int_equal(open_kc("kc9c", NULL, 0, &k, &e), 0);
	assert_int_equal(ss_kube_insecure(k), 0);
	ss_kube_free(k);
}

static void test_bad_user(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;
	char user[512], formatted[1200];

	(void)state;
	write_kc("kc10", "", "    exec:\n      command: aws\n");
	assert_int_equal(open_kc("kc10", NULL, 0, &k, &e), SS_E_UNSUPPORTED);
	assert_string_equal(e.field, "users[0].user.exec");
	/* a malformed key: the error names the field, never the data */
	snprintf(user, sizeof(user), "    client-certificate-data: Q0VSVA==\n"
				     "    client-key-data: S3-cr3t!!KeyMaterial\n");
	write_kc("kc11", "", user);
	assert_int_equal(open_kc("kc11", NULL, 0, &k, &e), SS_E_INVAL);
	assert_string_equal(e.field, "users[0].user.client-key-data");
	ss_err_format(&e, formatted, sizeof(formatted));
	assert_null(strstr(formatted, "S3-cr3t"));
	assert_non_null(strstr(formatted, "kc11"));
	write_kc("kc12", "", "    client-certificate-data: Q0VSVA==\n");
	assert_int_equal(open_kc("kc12", NULL, 0, &k, &e), SS_E_INVAL);
	assert_string_equal(e.field, "users[0].user.client-key-data");
	write_kc("kc13", "", "    tokenFile: no-such-token\n");
	assert_int_equal(open_kc("kc13", NULL, 0, &k, &e), SS_E_NOTFOUND);
	assert_string_equal(e.field, "users[0].user.tokenFile");
	write_file("empty-token", "\n");
	write_kc("kc14", "", "    tokenFile: empty-token\n");
	assert_int_equal(open_kc("kc14", NULL, 0, &k, &e), SS_E_INVAL);
	assert_null(k);
}

static void test_token_refresh(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;

	(void)state;
	write_file("rot-token", "first-token\n");
	write_kc("kc15", "", "    tokenFile: rot-token\n");
	assert_int_equal(open_kc("kc15", NULL, 0, &k, &e), 0);
	assert_string_equal(k->conn.token, "first-token");
	/* rotated on disk (as kubelet does): read again once it is old */
	write_file("rot-token", "second-token\n");
	assert_int_equal(kube_conn_refresh_token(&k->conn, &e), 0);
	assert_string_equal(k->conn.token, "first-token");
	k->conn.token_read_at -= KUBE_TOKEN_REREAD_S;
	assert_int_equal(kube_conn_refresh_token(&k->conn, &e), 0);
	assert_string_equal(k->conn.token, "second-token");
	ss_kube_free(k);
}

static void test_json_and_bounds(void **state)
{
	struct ss_kube *k = NULL;
	struct ss_err e;
	char text[8192];
	size_t o = 0;
	int i;

	(void)state;
	write_file("kc.json", "{\"current-context\":\"x\",\"clusters\":[{\"name\":\"c\","
			      "\"cluster\":{\"server\":\"https://10.0.0.1\"}}],"
			      "\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"c\","
			      "\"namespace\":\"ns1\"}}]}");
	assert_int_equal(open_kc("kc.json", NULL, 0, &k, &e), 0);
	assert_string_equal(ss_kube_server(k), "https://10.0.0.1");
	assert_string_equal(ss_kube_namespace(k), "ns1");
	ss_kube_free(k);
	/* billion laughs: refused by the node bound, quickly */
	o += (size_t)snprintf(text + o, sizeof(text) - o, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
				      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
				      i - 1, i - 1);
	write_file("laughs", text);
	assert_int_equal(open_kc("laughs", NULL, 0, &k, &e), SS_E_LIMIT);
	assert_string_equal(e.file, kpath("laughs"));
	write_file("broken", "clusters: [\n");
	assert_int_equal(open_kc("broken", NULL, 0, &k, &e), SS_E_INVAL);
	assert_true(e.line > 0);
	write_file("scalar", "just a string\n");
	assert_int_equal(open_kc("scalar", NULL, 0, &k, &e), SS_E_INVAL);
}

static void test_in_cluster(void **state)
{
	struct kube_conn c;
	struct ss_err e;
	char sa[400];

	(void)state;
	snprintf(sa, sizeof(sa), "%s/sa", tmpdir);
	assert_int_equal(mkdir(sa, 0700), 0);
	write_file("sa/ca.crt", "SA-CA\n");
	write_file("sa/token", "sa-token-value\n");
	write_file("sa/namespace", "kube-system");
	ss_err_clear(&e);
	assert_int_equal(kube_conn_in_cluster(sa, "10.96.0.1", "443", &c, &e), 0);
	assert_string_equal(c.server, "https://10.96.0.1:443");
	assert_string_equal(c.ns, "kube-system");
	assert_string_equal(c.token, "sa-token-value");
	assert_memory_equal(c.ca, "SA-CA\n", 6);
	kube_conn_release(&c);
	assert_int_equal(kube_conn_in_cluster(sa, "fd00::1", "6443", &c, &e), 0);
	assert_string_equal(c.server, "https://[fd00::1]:6443");
	kube_conn_release(&c);
	assert_int_equal(kube_conn_in_cluster(sa, NULL, "443", &c, &e), SS_E_INVAL);
	assert_non_null(strstr(e.msg, "KUBERNETES_SERVICE_HOST"));
	write_file("sa/namespace", "");
	assert_int_equal(kube_conn_in_cluster(sa, "h", "1", &c, &e), 0);
	assert_string_equal(c.ns, "default");
	kube_conn_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_forms),
		cmocka_unit_test(test_other_context),
		cmocka_unit_test(test_file_forms),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_insecure_refused),
		cmocka_unit_test(test_bad_user),
		cmocka_unit_test(test_token_refresh),
		cmocka_unit_test(test_json_and_bounds),
		cmocka_unit_test(test_in_cluster),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
