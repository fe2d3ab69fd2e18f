/* health.c: kstatus rules for one live object (see health.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sealsync/health.h"

#define POD_SCHEDULE_WINDOW_SEC 15

const char *ss_health_name(enum ss_health h)
{
	static const char *const names[] = {"Current",     "InProgress", "Failed",
					    "Terminating", "NotFound",   "Unknown"};

	return (unsigned)h < sizeof(names) / sizeof(names[0]) ? names[h] : "Unknown";
}

struct eval {
	const json_t *obj;
	time_t now;
	char *msg;
	size_t cap;
};

static enum ss_health say(struct eval *e, enum ss_health h, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum ss_health say(struct eval *e, enum ss_health h, const char *fmt, ...)
{
	va_list ap;

	if (e->msg != NULL && e->cap > 0) {
		va_start(ap, fmt);
		vsnprintf(e->msg, e->cap, fmt, ap);
		va_end(ap);
	}
	return h;
}

/* obj at a dotted path ("status.readyReplicas"), or NULL. */
static const json_t *at(const json_t *obj, const char *path)
{
	char key[64];
	size_t n;

	while (obj != NULL && *path != '\0') {
		n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path += n + (path[n] == '.');
	}
	return obj;
}

/* An integer field, or dflt when missing or not an integer (GetIntField). */
static long long num(const json_t *obj, const char *path, long long dflt)
{
	const json_t *v = at(obj, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static const char *str(const json_t *obj, const char *path, const char *dflt)
{
	const char *s = json_string_value(at(obj, path));

	return s != NULL ? s : dflt;
}

/* The condition of that type, or NULL. */
static const json_t *cond(const json_t *obj, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach(at(obj, "status.conditions"), i, c) {
		if (strcmp(str(c, "type", ""), type) == 0)
			return c;
	}
	return NULL;
}

static int cond_is(const json_t *obj, const char *type, const char *status)
{
	const json_t *c = cond(obj, type);

	return c != NULL && strcmp(str(c, "status", ""), status) == 0;
}

/* Rules 1-3; SS_HEALTH_UNKNOWN when they do not decide. */
static enum ss_health generic(struct eval *e)
{
	const json_t *gen = at(e->obj, "metadata.generation");
	const json_t *seen = at(e->obj, "status.observedGeneration");
	const json_t *c;

	if (str(e->obj, "metadata.deletionTimestamp", "")[0] != '\0')
		return say(e, SS_HEALTH_TERMINATING, "scheduled for deletion");
	if (json_is_integer(gen) && json_is_integer(seen) &&
	    json_integer_value(gen) != json_integer_value(seen))
		return say(e, SS_HEALTH_IN_PROGRESS, "generation is %lld, observed generation %lld",
			   (long long)json_integer_value(gen), (long long)json_integer_value(seen));
	if (cond_is(e->obj, "Reconciling", "True")) {
		c = cond(e->obj, "Reconciling");
		return say(e, SS_HEALTH_IN_PROGRESS, "Reconciling: %s", str(c, "message", ""));
	}
	if (cond_is(e->obj, "Stalled", "True")) {
		c = cond(e->obj, "Stalled");
		return say(e, SS_HEALTH_FAILED, "Stalled: %s", str(c, "message", ""));
	}
	return SS_HEALTH_UNKNOWN;
}

static enum ss_health deployment_counts(struct eval *e)
{
	long long spec = num(e->obj, "spec.replicas", 1), have = num(e->obj, "status.replicas", 0);
	long long updated = num(e->obj, "status.updatedReplicas", 0);
	long long ready = num(e->obj, "status.readyReplicas", 0);
	long long avail = num(e->obj, "status.availableReplicas", 0);

	if (spec > have)
		return say(e, SS_HEALTH_IN_PROGRESS, "replicas %lld/%lld", have, spec);
	if (spec > updated)
		return say(e, SS_HEALTH_IN_PROGRESS, "updated %lld/%lld", updated, spec);
	if (have > spec)
		return say(e, SS_HEALTH_IN_PROGRESS, "pending termination: %lld", have - spec);
	if (updated > avail)
		return say(e, SS_HEALTH_IN_PROGRESS, "available %lld/%lld", avail, updated);
	if (spec > ready)
		return say(e, SS_HEALTH_IN_PROGRESS, "ready %lld/%lld", ready, spec);
	return SS_HEALTH_UNKNOWN;
}

static enum ss_health deployment(struct eval *e)
{
	const json_t *prog = cond(e->obj, "Progressing");
	/* Without a progress deadline the controller sets no Progressing
	 * condition (kstatus treats it as progressing). */
	int progressing = num(e->obj, "spec.progressDeadlineSeconds", INT_MAX) == INT_MAX;
	enum ss_health h;

	if (prog != NULL && strcmp(str(prog, "reason", ""), "ProgressDeadlineExceeded") == 0)
		return say(e, SS_HEALTH_FAILED, "progress deadline exceeded: %s",
			   str(prog, "message", ""));
	if (prog != NULL && strcmp(str(prog, "status", ""), "True") == 0 &&
	    strcmp(str(prog, "reason", ""), "NewReplicaSetAvailable") == 0)
		progressing = 1;
	h = deployment_counts(e);
	if (h != SS_HEALTH_UNKNOWN)
		return h;
	if (!progressing)
		return say(e, SS_HEALTH_IN_PROGRESS, "new ReplicaSet not available yet");
	if (!cond_is(e->obj, "Available", "True"))
		return say(e, SS_HEALTH_IN_PROGRESS, "Deployment not Available");
	return say(e, SS_HEALTH_CURRENT, "Deployment is available, replicas %lld",
		   num(e->obj, "status.replicas", 0));
}

static enum ss_health statefulset(struct eval *e)
{
	long long spec = num(e->obj, "spec.replicas", 1), have = num(e->obj, "status.replicas", 0);
	long long ready = num(e->obj, "status.readyReplicas", 0);
	long long current = num(e->obj, "status.currentReplicas", 0);
	long long updated = num(e->obj, "status.updatedReplicas", 0);
	long long part = num(e->obj, "spec.updateStrategy.rollingUpdate.partition", -1);

	if (strcmp(str(e->obj, "spec.updateStrategy.type", ""), "OnDelete") == 0)
		return say(e, SS_HEALTH_CURRENT, "update strategy OnDelete");
	if (spec > have)
		return say(e, SS_HEALTH_IN_PROGRESS, "replicas %lld/%lld", have, spec);
	if (spec > ready)
		return say(e, SS_HEALTH_IN_PROGRESS, "ready %lld/%lld", ready, spec);
	if (have > spec)
		return say(e, SS_HEALTH_IN_PROGRESS, "pending termination: %lld", have - spec);
	if (part != -1)
		return updated < spec - part ?
			       say(e, SS_HEALTH_IN_PROGRESS, "updated %lld/%lld", updated, spec - part) :
			       say(e, SS_HEALTH_CURRENT, "partition rollout complete");
	if (spec > current)
		return say(e, SS_HEALTH_IN_PROGRESS, "current %lld/%lld", current, spec);
	if (strcmp(str(e->obj, "status.currentRevision", ""),
		   str(e->obj, "status.updateRevision", "")) != 0)
		return say(e, SS_HEALTH_IN_PROGRESS, "waiting for the updated revision");
	return say(e, SS_HEALTH_CURRENT, "all replicas ready, replicas %lld", have);
}

static enum ss_health daemonset(struct eval *e)
{
	long long want = num(e->obj, "status.desiredNumberScheduled", -1);
	long long cur = num(e->obj, "status.currentNumberScheduled", 0);
	long long upd = num(e->obj, "status.updatedNumberScheduled", 0);
	long long avail = num(e->obj, "status.numberAvailable", 0);
	long long ready = num(e->obj, "status.numberReady", 0);

	/* The controller always sets these once it acted on the object. */
	if (!json_is_integer(at(e->obj, "metadata.generation")) ||
	    !json_is_integer(at(e->obj, "status.observedGeneration")))
		return say(e, SS_HEALTH_IN_PROGRESS, "not observed by its controller yet");
	if (want == -1)
		return say(e, SS_HEALTH_IN_PROGRESS, "no desiredNumberScheduled yet");
	if (want > cur)
		return say(e, SS_HEALTH_IN_PROGRESS, "current %lld/%lld", cur, want);
	if (want > upd)
		return say(e, SS_HEALTH_IN_PROGRESS, "updated %lld/%lld", upd, want);
	if (want > avail)
		return say(e, SS_HEALTH_IN_PROGRESS, "available %lld/%lld", avail, want);
	if (want > ready)
		return say(e, SS_HEALTH_IN_PROGRESS, "ready %lld/%lld", ready, want);
	return say(e, SS_HEALTH_CURRENT, "all scheduled, %lld", want);
}

static enum ss_health replicaset(struct eval *e)
{
	long long spec = num(e->obj, "spec.replicas", 1), have = num(e->obj, "status.replicas", 0);
	long long ready = num(e->obj, "status.readyReplicas", 0);
	long long avail = num(e->obj, "status.availableReplicas", 0);
	long long labelled = num(e->obj, "status.fullyLabeledReplicas", 0);

	if (cond_is(e->obj, "ReplicaFailure", "True"))
		return say(e, SS_HEALTH_IN_PROGRESS, "ReplicaFailure: %s",
			   str(cond(e->obj, "ReplicaFailure"), "message", ""));
	if (spec > labelled)
		return say(e, SS_HEALTH_IN_PROGRESS, "labelled %lld/%lld", labelled, spec);
	if (spec > avail)
		return say(e, SS_HEALTH_IN_PROGRESS, "available %lld/%lld", avail, spec);
	if (spec > ready)
		return say(e, SS_HEALTH_IN_PROGRESS, "ready %lld/%lld", ready, spec);
	if (have > spec)
		return say(e, SS_HEALTH_IN_PROGRESS, "pending termination: %lld", have - spec);
	return say(e, SS_HEALTH_CURRENT, "available, replicas %lld", have);
}

/* Flux's rule: a Job is Current only once Complete; running is InProgress. */
static enum ss_health job(struct eval *e)
{
	if (cond_is(e->obj, "Complete", "True"))
		return say(e, SS_HEALTH_CURRENT, "Job complete, succeeded %lld",
			   num(e->obj, "status.succeeded", 0));
	if (cond_is(e->obj, "Failed", "True"))
		return say(e, SS_HEALTH_FAILED, "Job failed (%s): %s",
			   str(cond(e->obj, "Failed"), "reason", ""),
			   str(cond(e->obj, "Failed"), "message", ""));
	return say(e, SS_HEALTH_IN_PROGRESS, "Job running: active %lld, succeeded %lld, failed %lld",
		   num(e->obj, "status.active", 0), num(e->obj, "status.succeeded", 0),
		   num(e->obj, "status.failed", 0));
}

static enum ss_health pvc(struct eval *e)
{
	const char *phase = str(e->obj, "status.phase", "unknown");

	if (strcmp(phase, "Bound") != 0)
		return say(e, SS_HEALTH_IN_PROGRESS, "not Bound (phase %s)", phase);
	return say(e, SS_HEALTH_CURRENT, "Bound");
}

static enum ss_health crd(struct eval *e)
{
	const json_t *names = cond(e->obj, "NamesAccepted"), *est = cond(e->obj, "Established");

	if (names != NULL && strcmp(str(names, "status", ""), "False") == 0)
		return say(e, SS_HEALTH_FAILED, "names not accepted (%s): %s",
			   str(names, "reason", ""), str(names, "message", ""));
	if (est != NULL && strcmp(str(est, "status", ""), "False") == 0 &&
	    strcmp(str(est, "reason", ""), "Installing") != 0)
		return say(e, SS_HEALTH_FAILED, "not Established (%s): %s", str(est, "reason", ""),
			   str(est, "message", ""));
	if (est != NULL && strcmp(str(est, "status", ""), "True") == 0)
		return say(e, SS_HEALTH_CURRENT, "Established");
	return say(e, SS_HEALTH_IN_PROGRESS, "being installed");
}

static int crash_looping(const json_t *obj)
{
	const json_t *cs;
	size_t i;

	json_array_foreach(at(obj, "status.containerStatuses"), i, cs) {
		if (strcmp(str(cs, "state.waiting.reason", ""), "CrashLoopBackOff") == 0)
			return 1;
	}
	return 0;
}

static time_t created_at(const json_t *obj)
{
	const char *ts = str(obj, "metadata.creationTimestamp", "");
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static enum ss_health pod_pending(struct eval *e)
{
	const json_t *c = cond(e->obj, "PodScheduled");

	if (c != NULL && strcmp(str(c, "status", ""), "False") == 0 &&
	    strcmp(str(c, "reason", ""), "Unschedulable") == 0) {
		if (e->now - created_at(e->obj) < POD_SCHEDULE_WINDOW_SEC)
			return say(e, SS_HEALTH_IN_PROGRESS, "not scheduled yet");
		return say(e, SS_HEALTH_FAILED, "cannot be scheduled: %s", str(c, "message", ""));
	}
	return say(e, SS_HEALTH_IN_PROGRESS, "Pending");
}

static enum ss_health pod(struct eval *e)
{
	const char *phase = str(e->obj, "status.phase", "");

	/* kstatus: a Pod that ran to its end is Current, whatever its exit. */
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
		return say(e, SS_HEALTH_CURRENT, "completed (phase %s)", phase);
	if (strcmp(phase, "Running") == 0) {
		if (cond_is(e->obj, "Ready", "True"))
			return say(e, SS_HEALTH_CURRENT, "Ready");
		if (crash_looping(e->obj))
			return say(e, SS_HEALTH_FAILED, "a container is in CrashLoopBackOff");
		return say(e, SS_HEALTH_IN_PROGRESS, "running, not Ready");
	}
	if (strcmp(phase, "Pending") == 0)
		return pod_pending(e);
	if (phase[0] == '\0')
		return say(e, SS_HEALTH_IN_PROGRESS, "no phase yet");
	return say(e, SS_HEALTH_UNKNOWN, "unknown phase %s", phase);
}

static enum ss_health service(struct eval *e)
{
	if (strcmp(str(e->obj, "spec.type", "ClusterIP"), "LoadBalancer") == 0 &&
	    str(e->obj, "spec.clusterIP", "")[0] == '\0')
		return say(e, SS_HEALTH_IN_PROGRESS, "LoadBalancer without a clusterIP yet");
	return say(e, SS_HEALTH_CURRENT, "Service is ready");
}

static enum ss_health always(struct eval *e)
{
	return say(e, SS_HEALTH_CURRENT, "always ready");
}

static enum ss_health ready_condition(struct eval *e)
{
	const json_t *c = cond(e->obj, "Ready");

	if (c == NULL)
		return say(e, SS_HEALTH_CURRENT, "no Ready condition");
	if (strcmp(str(c, "status", ""), "True") == 0)
		return say(e, SS_HEALTH_CURRENT, "Ready");
	return say(e, SS_HEALTH_IN_PROGRESS, "Ready is %s (%s): %s", str(c, "status", ""),
		   str(c, "reason", ""), str(c, "message", ""));
}

struct kind_rule {
	const char *group, *kind;
	enum ss_health (*fn)(struct eval *e);
};

static const struct kind_rule rules[] = {
	{"apps", "Deployment", deployment},
	{"extensions", "Deployment", deployment},
	{"apps", "StatefulSet", statefulset},
	{"apps", "DaemonSet", daemonset},
	{"extensions", "DaemonSet", daemonset},
	{"apps", "ReplicaSet", replicaset},
	{"extensions", "ReplicaSet", replicaset},
	{"batch", "Job", job},
	{"batch", "CronJob", always},
	{"", "PersistentVolumeClaim", pvc},
	{"", "Pod", pod},
	{"", "Service", service},
	{"", "ConfigMap", always},
	{"", "Secret", always},
	{"policy", "PodDisruptionBudget", always},
	{"apiextensions.k8s.io", "CustomResourceDefinition", crd},
};

enum ss_health ss_health_compute(const json_t *obj, time_t now, char *msg, size_t cap)
{
	struct eval e = {obj, now, msg, cap};
	const char *av = str(obj, "apiVersion", ""), *kind = str(obj, "kind", "");
	const char *slash = strchr(av, '/');
	size_t glen = slash != NULL ? (size_t)(slash - av) : 0, i;
	enum ss_health h;

	if (msg != NULL && cap > 0)
		msg[0] = '\0';
	/* without them no rule can be chosen: never Current by default */
	if (*av == '\0' || *kind == '\0')
		return say(&e, SS_HEALTH_UNKNOWN, "no apiVersion or kind: its rules are unknown");
	h = generic(&e);
	if (h != SS_HEALTH_UNKNOWN)
		return h;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp(rules[i].kind, kind) == 0 && strlen(rules[i].group) == glen &&
		    strncmp(rules[i].group, av, glen) == 0)
			return rules[i].fn(&e);
	}
	return ready_condition(&e);
}
