/* leader.c: Lease-based leader election (see leader.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sealsync/config.h"
#include "sealsync/kube.h"
#include "sealsync/leader.h"
#include "sealsync/log.h"

#define LEASE_API "coordination.k8s.io/v1"

struct ss_leader {
	const struct ss_config *cfg;
	struct ss_kube *kube;
	pthread_t thread;
	pthread_mutex_t mu;
	int started, stop, leader;
	char identity[300];
	char name[300];
	char observed_rv[64];   /* the record as we last saw it */
	double observed_at;     /* when (monotonic) it last changed */
	double renewed_at;      /* our last successful renewal */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RFC 3339 with microseconds (metav1.MicroTime). */
static void micro_now(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static json_t *lease_new(const struct ss_leader *l, const char *holder, int duration,
			 const char *acquire, long transitions, const char *rv)
{
	char now[64];
	json_t *o;

	micro_now(now, sizeof(now));
	o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s,s:s,s:I}}", "apiVersion", LEASE_API,
		      "kind", "Lease", "metadata", "name", l->name, "namespace",
		      l->cfg->namespace_, "spec", "holderIdentity", holder,
		      "leaseDurationSeconds", duration, "acquireTime",
		      acquire != NULL ? acquire : now, "renewTime", now, "leaseTransitions",
		      (json_int_t)transitions);
	if (o != NULL && rv != NULL &&
	    json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string(rv))) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int lease_write(struct ss_leader *l, json_t *o, int create)
{
	struct ss_err err;
	int rc;

	if (o == NULL)
		return SS_E_NOMEM;
	ss_err_clear(&err);
	rc = create ? ss_kube_create(l->kube, o, NULL, &err) : ss_kube_update(l->kube, o, NULL, &err);
	json_decref(o);
	if (rc != 0 && rc != SS_E_CONFLICT)
		ss_log_err(SS_LOG_WARN, "lease write failed", &err, "lease", l->name, NULL);
	return rc;
}

/* One round: 0 when we hold the Lease afterwards. */
static int try_acquire(struct ss_leader *l)
{
	const char *holder, *rv, *acquire;
	json_t *o = NULL, *spec;
	struct ss_err err;
	long transitions;
	int rc, dur;

	ss_err_clear(&err);
	rc = ss_kube_get(l->kube, LEASE_API, "Lease", l->cfg->namespace_, l->name, &o, &err);
	if (rc == SS_E_NOTFOUND)
		return lease_write(l, lease_new(l, l->identity, SS_LEASE_DURATION_SEC, NULL, 0, NULL), 1);
	if (rc != 0)
		return rc;
	spec = json_object_get(o, "spec");
	holder = json_string_value(json_object_get(spec, "holderIdentity"));
	rv = json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
	acquire = json_string_value(json_object_get(spec, "acquireTime"));
	dur = (int)json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
	transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
	if (rv == NULL)
		rv = "";
	if (strcmp(rv, l->observed_rv) != 0) {
		snprintf(l->observed_rv, sizeof(l->observed_rv), "%s", rv);
		l->observed_at = mono();
	}
	holder = holder != NULL ? holder : "";
	if (holder[0] != '\0' && strcmp(holder, l->identity) != 0 &&
	    l->observed_at + (dur > 0 ? dur : SS_LEASE_DURATION_SEC) > mono())
		rc = SS_E_CONFLICT; /* held by a live leader */
	else if (strcmp(holder, l->identity) == 0)
		rc = lease_write(l, lease_new(l, l->identity, SS_LEASE_DURATION_SEC, acquire,
					      transitions, rv), 0);
	else
		rc = lease_write(l, lease_new(l, l->identity, SS_LEASE_DURATION_SEC, NULL,
					      transitions + 1, rv), 0);
	json_decref(o);
	return rc;
}

static void set_leader(struct ss_leader *l, int leader)
{
	pthread_mutex_lock(&l->mu);
	if (l->leader != leader)
		ss_log(SS_LOG_INFO, leader ? "became leader" : "lost leadership", "lease", l->name,
		       "identity", l->identity, NULL);
	l->leader = leader;
	pthread_mutex_unlock(&l->mu);
}

static int stopping(struct ss_leader *l)
{
	int s;

	pthread_mutex_lock(&l->mu);
	s = l->stop;
	pthread_mutex_unlock(&l->mu);
	return s;
}

static void *election_loop(void *arg)
{
	struct ss_leader *l = arg;
	struct timespec tick = {0, 100 * 1000 * 1000};
	int i;

	while (!stopping(l)) {
		if (try_acquire(l) == 0) {
			l->renewed_at = mono();
			set_leader(l, 1);
		} else if (ss_leader_is_leader(l) &&
			   mono() - l->renewed_at > SS_LEASE_RENEW_DEADLINE_SEC) {
			set_leader(l, 0);
		}
		for (i = 0; i < SS_LEASE_RETRY_SEC * 10 && !stopping(l); i++)
			nanosleep(&tick, NULL);
	}
	return NULL;
}

int ss_leader_start(const struct ss_config *cfg, struct ss_leader **out, struct ss_err *err)
{
	char name[300];

	/* Sharding: one election per shard, so each shard has its leader. */
	if (cfg->shard != NULL)
		snprintf(name, sizeof(name), "%s-leader-%s", cfg->name, cfg->shard);
	else
		snprintf(name, sizeof(name), "%s-leader", cfg->name);
	return ss_leader_start_named(cfg, name, out, err);
}

int ss_leader_start_named(const struct ss_config *cfg, const char *lease,
			  struct ss_leader **out, struct ss_err *err)
{
	struct ss_kube_opts o;
	struct ss_leader *l;
	char host[256];
	int rc;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL || pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	l->cfg = cfg;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(l->identity, sizeof(l->identity), "%s_%ld", host, (long)getpid());
	snprintf(l->name, sizeof(l->name), "%s", lease);
	ss_kube_opts_default(&o);
	o.kubeconfig = cfg->kubeconfig;
	o.context = cfg->context;
	o.field_manager = cfg->field_manager;
	o.max_retries = 0; /* the election loop is the retry */
	o.timeout_ms = 5000;
	rc = ss_kube_open(&o, &l->kube, err);
	if (rc == 0 && pthread_create(&l->thread, NULL, election_loop, l) != 0)
		rc = ss_err_set(err, SS_E_NOMEM, "cannot start the leader election thread");
	if (rc != 0) {
		ss_leader_stop(l);
		return rc;
	}
	l->started = 1;
	*out = l;
	return 0;
}

int ss_leader_is_leader(struct ss_leader *l)
{
	int v;

	pthread_mutex_lock(&l->mu);
	v = l->leader;
	pthread_mutex_unlock(&l->mu);
	return v;
}

const char *ss_leader_identity(const struct ss_leader *l)
{
	return l->identity;
}

/* Hands the Lease over at once instead of letting it expire. */
static void release(struct ss_leader *l)
{
	const char *rv, *holder;
	struct ss_err err;
	json_t *o = NULL;
	long transitions;

	ss_err_clear(&err);
	if (ss_kube_get(l->kube, LEASE_API, "Lease", l->cfg->namespace_, l->name, &o, &err) != 0)
		return;
	holder = json_string_value(json_object_get(json_object_get(o, "spec"), "holderIdentity"));
	rv = json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
	transitions = (long)json_integer_value(
		json_object_get(json_object_get(o, "spec"), "leaseTransitions"));
	if (holder != NULL && strcmp(holder, l->identity) == 0 &&
	    lease_write(l, lease_new(l, "", 1, NULL, transitions, rv), 0) == 0)
		ss_log(SS_LOG_INFO, "released the lease", "lease", l->name, NULL);
	json_decref(o);
}

void ss_leader_stop(struct ss_leader *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
		if (l->leader)
			release(l);
	}
	ss_kube_free(l->kube);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
