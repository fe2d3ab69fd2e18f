/*
 * health.h: the status of one live Kubernetes object by the kstatus rules of
 * sigs.k8s.io/cli-utils (pkg/kstatus/status), as Flux's health checks use
 * them (agent/sync/health.c). Pure: no I/O, no allocation.
 *
 * In order, the first rule that decides:
 *  1. metadata.deletionTimestamp set: Terminating;
 *  2. metadata.generation and status.observedGeneration both set and
 *     different: InProgress (the controller has not seen the change yet);
 *  3. a condition Reconciling=True: InProgress; Stalled=True: Failed;
 *  4. per kind: Deployment (ProgressDeadlineExceeded: Failed; replica counts;
 *     Progressing reason NewReplicaSetAvailable and Available=True: Current),
 *     StatefulSet, DaemonSet, ReplicaSet (counts), Job (Flux's rule:
 *     Complete: Current, Failed: Failed, anything else InProgress), PVC
 *     (Bound), CRD (Established; NamesAccepted=False: Failed), Pod (phases,
 *     CrashLoopBackOff: Failed, Unschedulable after 15 s: Failed), Service
 *     (a LoadBalancer without a clusterIP: InProgress), ConfigMap, Secret,
 *     CronJob, PodDisruptionBudget: Current;
 *  5. any other kind: its Ready condition if it has one (True: Current,
 *     otherwise InProgress), else Current.
 *
 * msg gets a short explanation built from counts, condition reasons and
 * condition messages the controllers wrote: never a data value.
 */
#ifndef SEALSYNC_HEALTH_H
#define SEALSYNC_HEALTH_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

enum ss_health {
	SS_HEALTH_CURRENT,
	SS_HEALTH_IN_PROGRESS,
	SS_HEALTH_FAILED,
	SS_HEALTH_TERMINATING,
	SS_HEALTH_NOT_FOUND, /* set by the caller: the object does not exist */
	SS_HEALTH_UNKNOWN    /* set by the caller (cannot read it), an unknown Pod phase, no kind */
};

/* "Current", "InProgress", "Failed", "Terminating", "NotFound", "Unknown". */
const char *ss_health_name(enum ss_health h);

/*
 * The status of obj (borrowed; the object as the API server returns it).
 * now is the wall clock (a Pod's 15 s scheduling window). msg (cap bytes,
 * may be NULL) gets the reason, truncated to fit. An object without
 * apiVersion or kind (a List item) is SS_HEALTH_UNKNOWN.
 */
enum ss_health ss_health_compute(const json_t *obj, time_t now, char *msg, size_t cap);

#endif
