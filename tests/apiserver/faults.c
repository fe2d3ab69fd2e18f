/*
 * faults.c: fault injection rules, set by --fault and by POST /_admin/faults.
 *
 * A rule: type (an HTTP status such as 500 or 429, "reset" to close the
 * connection without a response, "latency" to delay), an optional method
 * and path prefix, and either a count (the next N matching requests) or a
 * rate (0..1, drawn from a generator seeded by --seed, so a run with the
 * same requests in the same order injects the same faults).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

void faults_init(struct apisrv_faults *fs, unsigned long long seed)
{
	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->mu, NULL);
	fs->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

void faults_release(struct apisrv_faults *fs)
{
	pthread_mutex_destroy(&fs->mu);
}

static int parse_long(const char *v, long min, long max, long *out)
{
	char *end = NULL;
	long x = strtol(v, &end, 10);

	if (!*v || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int set_type(struct apisrv_fault *f, const char *v)
{
	long code;

	if (strcasecmp(v, "reset") == 0)
		f->type = FAULT_RESET;
	else if (strcasecmp(v, "latency") == 0)
		f->type = FAULT_LATENCY;
	else if (parse_long(v, 400, 599, &code) == 0) {
		f->type = FAULT_STATUS;
		f->code = (int)code;
	} else
		return -1;
	return 0;
}

static int set_dry_run(struct apisrv_fault *f, const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		f->dry_run = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		f->dry_run = 0;
	else if (!strcmp(v, "any"))
		f->dry_run = -1;
	else
		return -1;
	return 0;
}

/* One key=value of a rule. */
static int fault_set(struct apisrv_fault *f, const char *k, const char *v, struct ss_err *err)
{
	char *end = NULL;
	int rc = 0;

	if (!strcmp(k, "type"))
		rc = set_type(f, v);
	else if (!strcmp(k, "method") || !strcmp(k, "verb"))
		rc = snprintf(f->method, sizeof(f->method), "%s", v) >= (int)sizeof(f->method);
	else if (!strcmp(k, "path"))
		rc = snprintf(f->path, sizeof(f->path), "%s", v) >= (int)sizeof(f->path);
	else if (!strcmp(k, "count"))
		rc = parse_long(v, 1, 1000000000L, &f->count);
	else if (!strcmp(k, "ms") || !strcmp(k, "latency"))
		rc = parse_long(v, 0, 60000, &f->latency_ms);
	else if (!strcmp(k, "retry-after") || !strcmp(k, "retryAfter") ||
		 !strcmp(k, "retry_after"))
		rc = parse_long(v, 0, 3600, &f->retry_after);
	else if (!strcmp(k, "dryrun") || !strcmp(k, "dryRun"))
		rc = set_dry_run(f, v);
	else if (!strcmp(k, "message"))
		rc = snprintf(f->message, sizeof(f->message), "%s", v) >= (int)sizeof(f->message);
	else if (!strcmp(k, "rate")) {
		f->rate = strtod(v, &end);
		rc = (!*v || *end || !(f->rate >= 0.0 && f->rate <= 1.0));
	} else
		return ss_err_set(err, SS_E_INVAL, "fault: unknown key \"%.40s\"", k);
	if (rc != 0)
		return ss_err_set(err, SS_E_INVAL, "fault: bad value for \"%.40s\"", k);
	return 0;
}

static int fault_push(struct apisrv_faults *fs, struct apisrv_fault *f, struct ss_err *err)
{
	if (f->type == 0)
		return ss_err_set(err, SS_E_INVAL, "fault: type is required");
	if (f->count == 0 && f->rate == 0.0)
		f->rate = 1.0; /* neither: every matching request */
	if (f->type == FAULT_STATUS && f->code == 429 && f->retry_after == 0)
		f->retry_after = 1;
	pthread_mutex_lock(&fs->mu);
	if (fs->n >= FAULTS_MAX) {
		pthread_mutex_unlock(&fs->mu);
		return ss_err_set(err, SS_E_LIMIT, "fault: at most %d rules", FAULTS_MAX);
	}
	fs->f[fs->n++] = *f;
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

int faults_add_spec(struct apisrv_faults *fs, const char *spec, struct ss_err *err)
{
	struct apisrv_fault f;
	char buf[512], *save = NULL, *tok;
	int rc;

	memset(&f, 0, sizeof(f));
	f.dry_run = -1;
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return ss_err_set(err, SS_E_LIMIT, "fault: spec too long");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			return ss_err_set(err, SS_E_INVAL, "fault: expected key=value in \"%.40s\"", tok);
		*eq = '\0';
		rc = fault_set(&f, tok, eq + 1, err);
		if (rc != 0)
			return rc;
	}
	return fault_push(fs, &f, err);
}

static int add_json_one(struct apisrv_faults *fs, const json_t *j, struct ss_err *err)
{
	struct apisrv_fault f;
	const char *k;
	json_t *v;
	char val[300];
	int rc;

	memset(&f, 0, sizeof(f));
	f.dry_run = -1;
	if (!json_is_object(j))
		return ss_err_set(err, SS_E_INVAL, "fault: expected an object");
	json_object_foreach((json_t *)j, k, v) {
		if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(val, sizeof(val), "%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(val, sizeof(val), "%s", json_is_true(v) ? "true" : "false");
		else
			return ss_err_set(err, SS_E_INVAL, "fault: bad value for \"%.40s\"", k);
		rc = fault_set(&f, k, val, err);
		if (rc != 0)
			return rc;
	}
	return fault_push(fs, &f, err);
}

int faults_add_json(struct apisrv_faults *fs, const json_t *j, struct ss_err *err)
{
	size_t i;
	json_t *x;
	int rc;

	if (!json_is_array(j))
		return add_json_one(fs, j, err);
	json_array_foreach(j, i, x) {
		rc = add_json_one(fs, x, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void faults_clear(struct apisrv_faults *fs)
{
	pthread_mutex_lock(&fs->mu);
	fs->n = 0;
	pthread_mutex_unlock(&fs->mu);
}

static const char *type_name(const struct apisrv_fault *f, char *buf, size_t len)
{
	if (f->type == FAULT_RESET)
		snprintf(buf, len, "reset");
	else if (f->type == FAULT_LATENCY)
		snprintf(buf, len, "latency");
	else
		snprintf(buf, len, "%d", f->code);
	return buf;
}

json_t *faults_to_json(struct apisrv_faults *fs)
{
	json_t *a = json_array();
	char t[16];

	pthread_mutex_lock(&fs->mu);
	for (size_t i = 0; a && i < fs->n; i++) {
		const struct apisrv_fault *f = &fs->f[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:I}",
						   "type", type_name(f, t, sizeof(t)), "method",
						   f->method, "path", f->path, "rate", f->rate,
						   "count", (json_int_t)f->count, "ms",
						   (json_int_t)f->latency_ms, "retryAfter",
						   (json_int_t)f->retry_after, "hits",
						   (json_int_t)f->hits));
	}
	pthread_mutex_unlock(&fs->mu);
	return a;
}

/* xorshift64*: small, seeded, repeatable. */
static double rng_next(struct apisrv_faults *fs)
{
	uint64_t x = fs->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fs->rng = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

/* method is "PATCH patch": the HTTP method, then the Kubernetes verb. */
static int method_matches(const char *want, const char *method)
{
	const char *sp = strchr(method, ' ');
	size_t ml = sp ? (size_t)(sp - method) : strlen(method);

	if (strlen(want) == ml && strncasecmp(want, method, ml) == 0)
		return 1;
	return sp && strcmp(want, sp + 1) == 0;
}

static int fault_fires(struct apisrv_faults *fs, struct apisrv_fault *f, const char *method,
		       const char *path, int dry_run)
{
	if (f->dry_run >= 0 && f->dry_run != dry_run)
		return 0;
	if (f->method[0] && !method_matches(f->method, method))
		return 0;
	if (f->path[0] && strncmp(path, f->path, strlen(f->path)) != 0)
		return 0;
	if (f->count > 0) {
		f->count--;
		if (f->count == 0)
			f->rate = -1.0; /* spent */
		f->hits++;
		return 1;
	}
	if (f->rate > 0.0 && rng_next(fs) < f->rate) {
		f->hits++;
		return 1;
	}
	return 0;
}

void faults_pick(struct apisrv_faults *fs, const char *method, const char *path,
		 int dry_run, struct apisrv_fault *hit, long *latency_ms)
{
	memset(hit, 0, sizeof(*hit));
	*latency_ms = 0;
	pthread_mutex_lock(&fs->mu);
	for (size_t i = 0; i < fs->n; i++) {
		struct apisrv_fault *f = &fs->f[i];
		if (f->rate < 0.0)
			continue;
		if (f->type == FAULT_LATENCY) {
			if (fault_fires(fs, f, method, path, dry_run))
				*latency_ms += f->latency_ms;
		} else if (hit->type == 0 && fault_fires(fs, f, method, path, dry_run)) {
			*hit = *f;
		}
	}
	pthread_mutex_unlock(&fs->mu);
}

const char *faults_name(const struct apisrv_fault *f, char *buf, size_t len)
{
	return type_name(f, buf, len);
}
