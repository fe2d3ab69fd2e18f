/* Unit tests for health.h: one case per kstatus rule (and Flux's Job rule),
 * each from an object shaped as the API server returns it. End to end with
 * real controllers: tests/e2e/t4400-health.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sealsync/health.h"

#define NOW 1800000000 /* 2027-01-15T08:00:00Z */

static enum ss_health eval(const char *text, char *msg, size_t cap)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	enum ss_health h;

	if (o == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	h = ss_health_compute(o, NOW, msg, cap);
	json_decref(o);
	return h;
}

static void expect(const char *text, enum ss_health want, const char *in_msg)
{
	char msg[256];
	enum ss_health h = eval(text, msg, sizeof(msg));

	if (h != want)
		fail_msg("%s: got %s (%s), want %s", text, ss_health_name(h), msg,
			 ss_health_name(want));
	if (in_msg != NULL && strstr(msg, in_msg) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", text, msg, in_msg);
}

#define DEP_AVAILABLE                                                                         \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"," \
	"\"generation\":2},\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600},"         \
	"\"status\":{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":2,"           \
	"\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":["                         \
	"{\"type\":\"Available\",\"status\":\"True\"},"                                        \
	"{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}"

static void test_deployment(void **state)
{
	(void)state;
	expect(DEP_AVAILABLE, SS_HEALTH_CURRENT, "available");
	/* The controller has not seen generation 3 yet. */
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"generation\":3},"
	       "\"status\":{\"observedGeneration\":2}}",
	       SS_HEALTH_IN_PROGRESS, "observed generation 2");
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"replicas\":2,"
	       "\"progressDeadlineSeconds\":5},\"status\":{\"replicas\":2,\"updatedReplicas\":2,"
	       "\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":"
	       "\"ProgressDeadlineExceeded\",\"message\":\"ReplicaSet web-1 has timed out\"}]}}",
	       SS_HEALTH_FAILED, "timed out");
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"replicas\":3},"
	       "\"status\":{\"replicas\":3,\"updatedReplicas\":3,\"availableReplicas\":1}}",
	       SS_HEALTH_IN_PROGRESS, "available 1/3");
	/* Counts right, but the new ReplicaSet is not reported available. */
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"replicas\":1,"
	       "\"progressDeadlineSeconds\":600},\"status\":{\"replicas\":1,\"updatedReplicas\":1,"
	       "\"readyReplicas\":1,\"availableReplicas\":1,\"conditions\":[{\"type\":"
	       "\"Available\",\"status\":\"True\"},{\"type\":\"Progressing\",\"status\":\"True\","
	       "\"reason\":\"ReplicaSetUpdated\"}]}}",
	       SS_HEALTH_IN_PROGRESS, "ReplicaSet");
}

static void test_generic_rules(void **state)
{
	(void)state;
	expect("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"deletionTimestamp\":"
	       "\"2027-01-01T00:00:00Z\"}}",
	       SS_HEALTH_TERMINATING, "deletion");
	expect("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"k\":\"v\"}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Secret\"}", SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"x.dev/v1\",\"kind\":\"Thing\",\"status\":{\"conditions\":["
	       "{\"type\":\"Stalled\",\"status\":\"True\",\"message\":\"bad spec\"}]}}",
	       SS_HEALTH_FAILED, "bad spec");
	expect("{\"apiVersion\":\"x.dev/v1\",\"kind\":\"Thing\",\"status\":{\"conditions\":["
	       "{\"type\":\"Reconciling\",\"status\":\"True\"}]}}",
	       SS_HEALTH_IN_PROGRESS, "Reconciling");
	expect("{\"apiVersion\":\"x.dev/v1\",\"kind\":\"Thing\",\"status\":{\"conditions\":["
	       "{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"Waiting\"}]}}",
	       SS_HEALTH_IN_PROGRESS, "Waiting");
	expect("{\"apiVersion\":\"x.dev/v1\",\"kind\":\"Thing\",\"status\":{\"conditions\":["
	       "{\"type\":\"Ready\",\"status\":\"True\"}]}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"x.dev/v1\",\"kind\":\"Thing\"}", SS_HEALTH_CURRENT, NULL);
}

static void test_job_follows_flux(void **state)
{
	(void)state;
	expect("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"startTime\":"
	       "\"2027-01-01T00:00:00Z\",\"active\":1}}",
	       SS_HEALTH_IN_PROGRESS, "active 1"); /* kstatus would say Current */
	expect("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"succeeded\":1,"
	       "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	       SS_HEALTH_CURRENT, "succeeded 1");
	expect("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"failed\":1,"
	       "\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\",\"reason\":"
	       "\"BackoffLimitExceeded\"}]}}",
	       SS_HEALTH_FAILED, "BackoffLimitExceeded");
}

static void test_statefulset_daemonset_replicaset(void **state)
{
	(void)state;
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"replicas\":2},"
	       "\"status\":{\"replicas\":2,\"readyReplicas\":1}}",
	       SS_HEALTH_IN_PROGRESS, "ready 1/2");
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"replicas\":2},"
	       "\"status\":{\"replicas\":2,\"readyReplicas\":2,\"currentReplicas\":2,"
	       "\"currentRevision\":\"a\",\"updateRevision\":\"a\"}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"replicas\":2},"
	       "\"status\":{\"replicas\":2,\"readyReplicas\":2,\"currentReplicas\":2,"
	       "\"currentRevision\":\"a\",\"updateRevision\":\"b\"}}",
	       SS_HEALTH_IN_PROGRESS, "revision");
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"generation\":1}}",
	       SS_HEALTH_IN_PROGRESS, "observed");
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"generation\":1},"
	       "\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":2,"
	       "\"currentNumberScheduled\":2,\"updatedNumberScheduled\":2,\"numberAvailable\":2,"
	       "\"numberReady\":1}}",
	       SS_HEALTH_IN_PROGRESS, "ready 1/2");
	expect("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"spec\":{\"replicas\":1},"
	       "\"status\":{\"replicas\":1,\"fullyLabeledReplicas\":1,\"availableReplicas\":1,"
	       "\"readyReplicas\":1}}",
	       SS_HEALTH_CURRENT, NULL);
}

static void test_pvc_crd_service(void **state)
{
	(void)state;
	expect("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":"
	       "\"Pending\"}}",
	       SS_HEALTH_IN_PROGRESS, "Pending");
	expect("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":"
	       "\"Bound\"}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	       "\"status\":{\"conditions\":[{\"type\":\"Established\",\"status\":\"True\"}]}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	       "\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"False\","
	       "\"reason\":\"NameConflict\"}]}}",
	       SS_HEALTH_FAILED, "NameConflict");
	expect("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\"}",
	       SS_HEALTH_IN_PROGRESS, NULL);
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"type\":\"LoadBalancer\"}}",
	       SS_HEALTH_IN_PROGRESS, "clusterIP");
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"clusterIP\":\"10.0.0.9\"}}",
	       SS_HEALTH_CURRENT, NULL);
}

static void test_pod_phases(void **state)
{
	(void)state;
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Running\","
	       "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Running\","
	       "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":"
	       "\"CrashLoopBackOff\"}}}]}}",
	       SS_HEALTH_FAILED, "CrashLoopBackOff");
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Succeeded\"}}",
	       SS_HEALTH_CURRENT, NULL);
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"creationTimestamp\":"
	       "\"2027-01-15T07:59:55Z\"},\"status\":{\"phase\":\"Pending\",\"conditions\":[{"
	       "\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\"}]}}",
	       SS_HEALTH_IN_PROGRESS, "not scheduled");
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"creationTimestamp\":"
	       "\"2027-01-15T07:00:00Z\"},\"status\":{\"phase\":\"Pending\",\"conditions\":[{"
	       "\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\"}]}}",
	       SS_HEALTH_FAILED, "scheduled");
	expect("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{}}", SS_HEALTH_IN_PROGRESS,
	       NULL);
}

static void test_message_is_bounded(void **state)
{
	char small[8];

	(void)state;
	assert_int_equal(eval(DEP_AVAILABLE, small, sizeof(small)), SS_HEALTH_CURRENT);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(eval(DEP_AVAILABLE, NULL, 0), SS_HEALTH_CURRENT);
	assert_string_equal(ss_health_name(SS_HEALTH_IN_PROGRESS), "InProgress");
}

/* A List item carries no apiVersion or kind (tests/apiserver and the
 * real server alike): its rules cannot be chosen, so it is never Current
 * by default; a not-ready Deployment would otherwise pass. */
static void test_no_kind_is_unknown(void **state)
{
	(void)state;
	expect("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2},"
	       "\"status\":{\"replicas\":2,\"readyReplicas\":0}}",
	       SS_HEALTH_UNKNOWN, "no apiVersion or kind");
	expect("{\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"web\"}}",
	       SS_HEALTH_UNKNOWN, "no apiVersion or kind");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment),
		cmocka_unit_test(test_generic_rules),
		cmocka_unit_test(test_job_follows_flux),
		cmocka_unit_test(test_statefulset_daemonset_replicaset),
		cmocka_unit_test(test_pvc_crd_service),
		cmocka_unit_test(test_pod_phases),
		cmocka_unit_test(test_message_is_bounded),
		cmocka_unit_test(test_no_kind_is_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
