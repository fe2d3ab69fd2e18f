/*
 * main.c: ss-apiserver, a local Kubernetes API server for tests, the demo
 * and the benchmarks. Flags, TLS material, kubeconfig, signals.
 *
 * The CA and server certificate are made at every start by the openssl
 * CLI in the state dir (keys 0600, never committed). SIGTERM or SIGINT
 * stops it cleanly. See README.md for the flags and the differences from
 * the real kube-apiserver.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "sealsync/buf.h"
#include "sealsync/file.h"

struct opts {
	unsigned port;
	const char *port_file;
	char state_dir[2048];
	char kubeconfig[2200];
	long crd_delay_ms;
	unsigned long long seed;
	size_t max_body;
};

static const char usage[] =
	"usage: ss-apiserver [--port N] [--port-file PATH] [--state-dir DIR]\n"
	"                    [--kubeconfig PATH] [--token TOKEN] [--token-ro TOKEN]\n"
	"                    [--crd-established-delay MS] [--fault SPEC]... [--seed N]\n"
	"                    [--max-body BYTES]\n"
	"A local Kubernetes API server on https://127.0.0.1 (see tests/apiserver/README.md).\n";

static const char openssl_cnf[] =
	"[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = ss-apiserver\n"
	"[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
	"subjectKeyIdentifier = hash\n"
	"[srv]\nbasicConstraints = critical,CA:FALSE\n"
	"keyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth\n"
	"subjectAltName = IP:127.0.0.1,DNS:localhost\nsubjectKeyIdentifier = hash\n"
	"authorityKeyIdentifier = keyid\n";

static int run_openssl(char *const argv[])
{
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		return SS_E_IO;
	if (pid == 0) {
		int fd = open("/dev/null", 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp("openssl", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return SS_E_IO;
	return (WIFEXITED(st) && WEXITSTATUS(st) == 0) ? 0 : SS_E_IO;
}

static int make_certs(const char *dir, struct ss_err *err)
{
	char cnf[2100], cakey[2100], cacrt[2100], key[2100], crt[2100];

	snprintf(cnf, sizeof(cnf), "%s/openssl.cnf", dir);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", dir);
	snprintf(cacrt, sizeof(cacrt), "%s/ca.crt", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(crt, sizeof(crt), "%s/server.crt", dir);
	if (ss_file_write_atomic(cnf, openssl_cnf, strlen(openssl_cnf), 0600, err) != 0)
		return SS_E_IO;
	{
		char *ca[] = {"openssl", "req", "-x509", "-config", cnf, "-extensions", "ca",
			      "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
			      "-keyout", cakey, "-out", cacrt, "-days", "7", "-subj",
			      "/CN=ss-apiserver-ca", NULL};
		char *srv[] = {"openssl", "req", "-x509", "-config", cnf, "-extensions", "srv",
			       "-CA", cacrt, "-CAkey", cakey, "-newkey", "ec", "-pkeyopt",
			       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
			       "-days", "7", "-subj", "/CN=127.0.0.1", NULL};
		if (run_openssl(ca) != 0 || run_openssl(srv) != 0)
			return ss_err_set(err, SS_E_IO, "openssl failed to make the test CA in %s", dir);
	}
	return 0;
}

static int read_text(const char *dir, const char *name, struct ss_buf *b, struct ss_err *err)
{
	char path[2200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return ss_file_read(path, b, err);
}

static int write_kubeconfig(const struct opts *o, const char *token, unsigned port,
			    const struct ss_buf *ca, struct ss_err *err)
{
	struct ss_buf kc;
	size_t bl = sodium_base64_ENCODED_LEN(ca->len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(bl);
	int rc = SS_E_NOMEM;

	ss_buf_init(&kc, 1 << 16);
	if (!b64)
		goto out;
	sodium_bin2base64(b64, bl, ca->data, ca->len, sodium_base64_VARIANT_ORIGINAL);
	rc = ss_buf_printf(&kc,
			   "apiVersion: v1\nkind: Config\nclusters:\n- name: ss-apiserver\n"
			   "  cluster:\n    server: https://127.0.0.1:%u\n"
			   "    certificate-authority-data: %s\n"
			   "users:\n- name: ss-admin\n  user:\n    token: %s\n"
			   "contexts:\n- name: ss-apiserver\n  context:\n    cluster: ss-apiserver\n"
			   "    user: ss-admin\n    namespace: default\n"
			   "current-context: ss-apiserver\n",
			   port, b64, token);
	if (rc == 0)
		rc = ss_file_write_atomic(o->kubeconfig, kc.data, kc.len, 0600, err);
out:
	free(b64);
	ss_buf_release(&kc);
	return rc;
}

static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_flag(struct opts *o, struct apisrv_http *h, const char *f, const char *v,
		      struct ss_err *err)
{
	unsigned long long n = 0;

	if (!strcmp(f, "--port") && parse_num(v, 65535, &n) == 0)
		o->port = (unsigned)n;
	else if (!strcmp(f, "--port-file"))
		o->port_file = v;
	else if (!strcmp(f, "--state-dir"))
		snprintf(o->state_dir, sizeof(o->state_dir), "%s", v);
	else if (!strcmp(f, "--kubeconfig"))
		snprintf(o->kubeconfig, sizeof(o->kubeconfig), "%s", v);
	else if (!strcmp(f, "--token") && *v && strlen(v) < sizeof(h->token))
		snprintf(h->token, sizeof(h->token), "%s", v);
	else if (!strcmp(f, "--token-ro") && *v && strlen(v) < sizeof(h->token_ro))
		snprintf(h->token_ro, sizeof(h->token_ro), "%s", v);
	else if (!strcmp(f, "--crd-established-delay") && parse_num(v, 600000, &n) == 0)
		o->crd_delay_ms = (long)n;
	else if (!strcmp(f, "--seed") && parse_num(v, ~0ULL, &n) == 0)
		o->seed = n;
	else if (!strcmp(f, "--max-body") && parse_num(v, 1ULL << 30, &n) == 0 && n > 0)
		o->max_body = (size_t)n;
	else if (!strcmp(f, "--fault"))
		return faults_add_spec(&h->faults, v, err);
	else
		return ss_err_set(err, SS_E_USAGE, "bad flag or value: %s %.100s", f, v);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o, struct apisrv_http *h,
		      struct ss_err *err)
{
	for (int i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (i + 1 >= argc)
			return ss_err_set(err, SS_E_USAGE, "%s needs a value", argv[i]);
		if (parse_flag(o, h, argv[i], argv[i + 1], err) != 0)
			return SS_E_USAGE;
	}
	return 0;
}

static int setup_state(struct opts *o, struct apisrv_http *h, struct ss_err *err)
{
	unsigned char rnd[24];

	if (!o->state_dir[0]) {
		char tmpl[] = "/tmp/ss-apiserver.XXXXXX";
		if (!mkdtemp(tmpl))
			return ss_err_set(err, SS_E_IO, "mkdtemp failed");
		snprintf(o->state_dir, sizeof(o->state_dir), "%s", tmpl);
	} else if (mkdir(o->state_dir, 0700) != 0 && errno != EEXIST) {
		return ss_err_set(err, SS_E_IO, "cannot create %s", o->state_dir);
	}
	if (!o->kubeconfig[0])
		snprintf(o->kubeconfig, sizeof(o->kubeconfig), "%s/kubeconfig", o->state_dir);
	if (!h->token[0]) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(h->token, sizeof(h->token), rnd, sizeof(rnd));
	}
	snprintf(h->log_path, sizeof(h->log_path), "%s/requests.log", o->state_dir);
	h->log = fopen(h->log_path, "w");
	if (!h->log)
		return ss_err_set(err, SS_E_IO, "cannot open %s", h->log_path);
	return make_certs(o->state_dir, err);
}

static int announce(const struct opts *o, struct apisrv_http *h, const struct ss_buf *ca,
		    struct ss_err *err)
{
	char port[32];
	int rc;

	rc = write_kubeconfig(o, h->token, h->port, ca, err);
	if (rc != 0)
		return rc;
	snprintf(port, sizeof(port), "%u\n", h->port);
	if (o->port_file) {
		rc = ss_file_write_atomic(o->port_file, port, strlen(port), 0644, err);
		if (rc != 0)
			return rc;
	}
	fputs(port, stdout);
	fflush(stdout);
	fprintf(stderr, "ss-apiserver: https://127.0.0.1:%u state %s kubeconfig %s\n", h->port,
		o->state_dir, o->kubeconfig);
	return 0;
}

static int serve_until_signal(struct opts *o, struct apisrv_http *h, struct ss_err *err)
{
	struct ss_buf cert, key, ca;
	sigset_t set;
	int sig = 0, rc;

	ss_buf_init(&cert, 1 << 16);
	ss_buf_init_secure(&key, 1 << 16);
	ss_buf_init(&ca, 1 << 16);
	rc = read_text(o->state_dir, "server.crt", &cert, err);
	if (rc == 0)
		rc = read_text(o->state_dir, "server.key", &key, err);
	if (rc == 0)
		rc = read_text(o->state_dir, "ca.crt", &ca, err);
	if (rc == 0)
		rc = http_start(h, o->port, ss_buf_str(&cert), ss_buf_str(&key), err);
	if (rc == 0)
		rc = announce(o, h, &ca, err);
	if (rc == 0) {
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigwait(&set, &sig);
	}
	http_stop(h);
	ss_buf_release(&cert);
	ss_buf_release(&key);
	ss_buf_release(&ca);
	return rc;
}

int main(int argc, char **argv)
{
	static struct apisrv_http h;
	struct opts o;
	struct ss_err err;
	sigset_t set;
	char msg[1024];
	int rc;

	memset(&o, 0, sizeof(o));
	o.max_body = 3 * 1024 * 1024;
	o.seed = 1;
	ss_err_clear(&err);
	umask(077);
	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */
	faults_init(&h.faults, 0);
	pthread_mutex_init(&h.log_mu, NULL);
	rc = parse_args(argc, argv, &o, &h, &err);
	if (rc == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc != 0) {
		ss_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "ss-apiserver: %s\n%s", msg, usage);
		return 2;
	}
	h.faults.rng = o.seed ? o.seed : 1;
	h.max_body = o.max_body;
	rc = setup_state(&o, &h, &err);
	if (rc == 0)
		rc = apisrv_store_new(o.crd_delay_ms, &h.store);
	if (rc == 0)
		rc = serve_until_signal(&o, &h, &err);
	if (rc != 0) {
		ss_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "ss-apiserver: %s\n", msg[0] ? msg : ss_strerror(rc));
	}
	apisrv_store_free(h.store);
	if (h.log)
		fclose(h.log);
	faults_release(&h.faults);
	return rc == 0 ? 0 : 1;
}
