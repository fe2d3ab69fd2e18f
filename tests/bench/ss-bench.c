/*
 * ss-bench: the measuring helper of bench/run.sh.
 *
 *   ss-bench exec --out FILE -- CMD [ARG...]
 *       Runs CMD (stdin, stdout and stderr inherited) and appends one line
 *       "wall_s=W user_s=U sys_s=S maxrss_kib=M exit=E" to FILE. Times come
 *       from CLOCK_MONOTONIC and wait4's rusage, peak RSS from ru_maxrss, so
 *       the figures are the child's alone. Exits with CMD's exit code.
 *
 *   ss-bench crypto --values N --identities K [--recipients R] [--size B]
 *       In process: seals N random values of B bytes (strict scope) to R
 *       recipients, then opens them all with a keyring of K identities in
 *       which the sealing key is the OLDEST (so without the hint stanza each
 *       value would cost K X25519 operations). Every opened value is compared
 *       with what was sealed. Prints key=value lines: per-value CPU and wall
 *       times of seal and open, X25519 operations spent opening, libsodium's
 *       own X25519 time per operation, and peak RSS.
 *
 *   ss-bench raw --server URL --ca FILE --token FILE --plan FILE [--concurrency N]
 *       The raw-request bound of row 3r: a plan of requests with
 *       pre-serialized bodies, stage by stage, N at a time (raw.c).
 *
 * It measures; it never judges. bench/report.py turns the figures into rows.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sealsync/age.h"
#include "sealsync/buf.h"
#include "sealsync/err.h"
#include "sealsync/keys.h"
#include "sealsync/scope.h"

#include "raw.h"

#define BENCH_MAX_VALUES 1000000L
#define BENCH_MAX_SIZE (64L * 1024)
#define BENCH_SEALED_MAX (BENCH_MAX_SIZE + 4096)

struct bench_opts {
	long values;
	long identities;
	long recipients;
	long size;
};

/* One sealed value and the plaintext it must open to. */
struct bench_value {
	struct ss_buf sealed;
	unsigned char *pt; /* sodium_malloc'd, size bytes */
	struct ss_scope scope;
};

static double clock_sec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_sec(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static int usage(void)
{
	fputs("usage: ss-bench exec --out FILE -- CMD [ARG...]\n"
	      "       ss-bench crypto --values N --identities K [--recipients R] [--size B]\n"
	      "       ss-bench raw --server URL --ca FILE --token FILE --plan FILE "
	      "[--concurrency N]\n",
	      stderr);
	return 2;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return SS_E_USAGE;
	*out = v;
	return 0;
}

/* ---- exec ---- */

static int exec_report(const char *path, double wall, const struct rusage *ru, int status)
{
	FILE *f = fopen(path, "a");
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	if (f == NULL) {
		fprintf(stderr, "ss-bench: %s: %s\n", path, strerror(errno));
		return SS_E_IO;
	}
	fprintf(f, "wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kib=%ld exit=%d\n", wall,
		tv_sec(&ru->ru_utime), tv_sec(&ru->ru_stime), ru->ru_maxrss, code);
	if (fclose(f) != 0)
		return SS_E_IO;
	return code;
}

static int cmd_exec(int argc, char **argv)
{
	const char *out = NULL;
	struct rusage ru;
	double t0;
	int i, status = 0;
	pid_t pid;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else
			return usage();
	if (out == NULL || i + 1 >= argc)
		return usage();
	t0 = clock_sec(CLOCK_MONOTONIC);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[i + 1], &argv[i + 1]);
		fprintf(stderr, "ss-bench: %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 1;
	status = exec_report(out, clock_sec(CLOCK_MONOTONIC) - t0, &ru, status);
	return status < 0 ? 1 : status;
}

/* ---- crypto ---- */

static int crypto_parse(int argc, char **argv, struct bench_opts *o)
{
	o->values = 1000;
	o->identities = 1;
	o->recipients = 1;
	o->size = 32;
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		int rc = SS_E_USAGE;

		if (strcmp(k, "--values") == 0)
			rc = parse_long(v, 1, BENCH_MAX_VALUES, &o->values);
		else if (strcmp(k, "--identities") == 0)
			rc = parse_long(v, 1, SS_KEYRING_MAX, &o->identities);
		else if (strcmp(k, "--recipients") == 0)
			rc = parse_long(v, 1, SS_AGE_MAX_X25519, &o->recipients);
		else if (strcmp(k, "--size") == 0)
			rc = parse_long(v, 0, BENCH_MAX_SIZE, &o->size);
		if (rc != 0)
			return rc;
	}
	return argc % 2 == 0 ? 0 : SS_E_USAGE;
}

/*
 * K identities; the first (oldest) is the one values are sealed to, the
 * other R-1 recipients are throwaway keys (escrow, other clusters).
 */
static int crypto_keys(const struct bench_opts *o, struct ss_keyring **kr_out,
		       struct ss_recipient *rcpt)
{
	struct ss_keyring *kr = NULL;
	struct ss_identity *id = NULL;
	int rc;

	*kr_out = NULL;
	if ((rc = ss_keyring_new(&kr)) != 0)
		goto out;
	for (long i = 0; i < o->identities; i++) {
		if ((rc = ss_identity_generate(&id)) != 0 || (rc = ss_keyring_add(kr, id)) != 0)
			goto out;
		id = NULL;
	}
	ss_identity_recipient(ss_keyring_get(kr, 0), &rcpt[0]);
	for (long i = 1; i < o->recipients; i++) {
		if ((rc = ss_identity_generate(&id)) != 0)
			goto out;
		ss_identity_recipient(id, &rcpt[i]);
		ss_identity_free(id);
		id = NULL;
	}
	*kr_out = kr;
	kr = NULL;
out:
	ss_identity_free(id);
	ss_keyring_free(kr);
	return rc;
}

static int values_alloc(const struct bench_opts *o, struct bench_value **out)
{
	struct bench_value *v = calloc((size_t)o->values, sizeof(*v));
	struct ss_err err;
	char key[32];

	*out = NULL;
	if (v == NULL)
		return SS_E_NOMEM;
	for (long i = 0; i < o->values; i++) {
		ss_buf_init(&v[i].sealed, BENCH_SEALED_MAX);
		v[i].pt = sodium_malloc((size_t)o->size + 1);
		snprintf(key, sizeof(key), "key%06ld", i);
		if (v[i].pt == NULL) {
			*out = v;
			return SS_E_NOMEM;
		}
		if (ss_scope_make(&v[i].scope, SS_SCOPE_STRICT, "bench", "db", key, &err) != 0) {
			*out = v;
			return err.code;
		}
		randombytes_buf(v[i].pt, (size_t)o->size);
	}
	*out = v;
	return 0;
}

static void values_free(struct bench_value *v, long n)
{
	if (v == NULL)
		return;
	for (long i = 0; i < n; i++) {
		ss_buf_release(&v[i].sealed);
		sodium_free(v[i].pt);
	}
	free(v);
}

static void print_times(const char *what, double wall, double cpu, long n)
{
	printf("%s_wall_us=%.3f\n%s_cpu_us=%.3f\n", what, wall * 1e6 / (double)n, what,
	       cpu * 1e6 / (double)n);
}

static int crypto_seal_all(const struct bench_opts *o, const struct ss_recipient *rcpt,
			   struct bench_value *v)
{
	struct ss_age_seal_opts so;
	double w0, c0;
	struct ss_err err;

	ss_err_clear(&err);
	memset(&so, 0, sizeof(so));
	so.recipients = rcpt;
	so.nrecipients = (size_t)o->recipients;
	w0 = clock_sec(CLOCK_MONOTONIC);
	c0 = clock_sec(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < o->values; i++) {
		so.scope = &v[i].scope;
		if (ss_age_seal(&so, v[i].pt, (size_t)o->size, &v[i].sealed, &err) != 0) {
			fprintf(stderr, "ss-bench: seal %ld: %s\n", i, err.msg);
			return err.code;
		}
	}
	print_times("seal", clock_sec(CLOCK_MONOTONIC) - w0,
		    clock_sec(CLOCK_PROCESS_CPUTIME_ID) - c0, o->values);
	return 0;
}

/* Opens every value in its scope, checks the plaintext, counts X25519 operations. */
static int crypto_open_all(const struct bench_opts *o, const struct ss_keyring *kr,
			   struct bench_value *v)
{
	struct ss_age_open_opts oo;
	struct ss_age_info info;
	struct ss_buf pt;
	unsigned budget = UINT_MAX;
	unsigned long long ops = 0;
	double w0, c0;
	struct ss_err err;
	int rc = 0;

	ss_err_clear(&err);
	ss_buf_init_secure(&pt, (size_t)o->size + 1);
	memset(&oo, 0, sizeof(oo));
	oo.kr = kr;
	oo.x25519_budget = &budget;
	w0 = clock_sec(CLOCK_MONOTONIC);
	c0 = clock_sec(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < o->values && rc == 0; i++) {
		ss_buf_reset(&pt);
		oo.expect = &v[i].scope;
		rc = ss_age_open(&oo, v[i].sealed.data, v[i].sealed.len, &pt, &info, &err);
		if (rc != 0)
			fprintf(stderr, "ss-bench: open %ld: %s\n", i, err.msg);
		else if (pt.len != (size_t)o->size || sodium_memcmp(pt.data, v[i].pt, pt.len) != 0)
			rc = ss_err_set(&err, SS_E_INTERNAL, "value %ld opened to other bytes", i);
		ops += info.x25519_ops;
	}
	if (rc == 0) {
		print_times("open", clock_sec(CLOCK_MONOTONIC) - w0,
			    clock_sec(CLOCK_PROCESS_CPUTIME_ID) - c0, o->values);
		printf("open_x25519_ops=%llu\n", ops);
	}
	ss_buf_release(&pt);
	return rc;
}

/* libsodium's own X25519 (one crypto_scalarmult per operation), CPU time. */
static int crypto_sodium_x25519(long n)
{
	unsigned char sk[32], pk[32], out[32];
	double c0;

	randombytes_buf(sk, sizeof(sk));
	if (crypto_scalarmult_base(pk, sk) != 0)
		return SS_E_INTERNAL;
	c0 = clock_sec(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++)
		if (crypto_scalarmult(out, sk, pk) != 0)
			return SS_E_INTERNAL;
	printf("sodium_x25519_cpu_us=%.3f\n",
	       (clock_sec(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / (double)n);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static int cmd_crypto(int argc, char **argv)
{
	struct ss_recipient rcpt[SS_AGE_MAX_X25519];
	struct ss_keyring *kr = NULL;
	struct bench_value *v = NULL;
	struct bench_opts o;
	struct rusage ru;
	int rc;

	if (crypto_parse(argc, argv, &o) != 0)
		return usage();
	if (sodium_init() < 0)
		return 1;
	printf("values=%ld\nidentities=%ld\nrecipients=%ld\nsize=%ld\n", o.values, o.identities,
	       o.recipients, o.size);
	if ((rc = crypto_keys(&o, &kr, rcpt)) != 0 || (rc = values_alloc(&o, &v)) != 0)
		goto out;
	if ((rc = crypto_seal_all(&o, rcpt, v)) != 0 || (rc = crypto_open_all(&o, kr, v)) != 0)
		goto out;
	if ((rc = crypto_sodium_x25519(o.values)) != 0)
		goto out;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("maxrss_kib=%ld\n", ru.ru_maxrss);
out:
	values_free(v, o.values);
	ss_keyring_free(kr);
	if (rc != 0)
		fprintf(stderr, "ss-bench: crypto failed: %s\n", ss_strerror(rc));
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "exec") == 0)
		return cmd_exec(argc - 2, argv + 2);
	if (strcmp(argv[1], "crypto") == 0)
		return cmd_crypto(argc - 2, argv + 2);
	if (strcmp(argv[1], "raw") == 0) {
		int rc = bench_raw(argc - 2, argv + 2);

		return rc == 2 ? usage() : rc;
	}
	return usage();
}
