/* events.c: Kubernetes Events for sync results (see events.h). */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "sealsync/events.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"

/* Kubernetes caps an Event message at 1 KiB (Flux truncates the same way). */
#define EVENT_MESSAGE_MAX 1024

/*
 * The message quotes file names, which whoever commits chooses: control
 * characters are escaped (kubectl shows an Event on one line) and so are
 * bytes that are not UTF-8, which JSON cannot carry: left in, they made
 * the Event impossible to encode, and it was lost. Escaping never cuts a
 * character, so the cap cannot leave half of one either.
 */
static void event_message(const struct ss_event *ev, char *msg, size_t cap)
{
	char raw[EVENT_MESSAGE_MAX * 2];

	if (ev->reason != NULL)
		snprintf(raw, sizeof(raw), "unit %s revision %s: %s", ev->unit,
			 ev->revision != NULL ? ev->revision : "",
			 ev->message != NULL ? ev->message : "");
	else if (ev->ok)
		snprintf(raw, sizeof(raw), "unit %s applied revision %s", ev->unit,
			 ev->revision != NULL ? ev->revision : "");
	else
		snprintf(raw, sizeof(raw), "unit %s revision %s: %s", ev->unit,
			 ev->revision != NULL ? ev->revision : "",
			 ev->message != NULL ? ev->message : "sync failed");
	ss_log_escape(raw, SS_LOG_ESC_LINE, msg, cap);
}

static json_t *event_json(const struct ss_event *ev)
{
	char name[512], cm[300], stamp[32], msg[EVENT_MESSAGE_MAX];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(cm, sizeof(cm), "%s-inv-%s", ev->agent_name, ev->unit);
	/* Unique like kubectl's: object name plus a nanosecond-ish suffix. */
	snprintf(name, sizeof(name), "%s.%lx%05lx", cm, (unsigned long)tv.tv_sec,
		 (unsigned long)tv.tv_usec);
	event_message(ev, msg, sizeof(msg));
	return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},"
			 "s:s,s:s,s:i,s:s}",
			 "apiVersion", "v1", "kind", "Event", "metadata", "name", name,
			 "namespace", ev->agent_ns, "involvedObject", "apiVersion", "v1", "kind",
			 "ConfigMap", "name", cm, "namespace", ev->agent_ns, "reason",
			 ev->reason != NULL ? ev->reason : ev->ok ? "SyncSucceeded" : "SyncFailed",
			 "message", msg, "type",
			 ev->ok ? "Normal" : "Warning", "source", "component", "sealsync-agent",
			 "firstTimestamp", stamp, "lastTimestamp", stamp, "count", 1,
			 "reportingComponent", "sealsync-agent");
}

int ss_event_post(struct ss_kube *k, const struct ss_event *ev, struct ss_err *err)
{
	json_t *o = event_json(ev);
	int rc;

	if (o == NULL)
		/* The message is always encodable; the names come from the
		 * configuration. */
		return ss_err_set(err, SS_E_NOMEM,
				  "cannot build the Event: out of memory or a configured "
				  "name that is not UTF-8");
	rc = ss_kube_create(k, o, NULL, err);
	json_decref(o);
	return rc;
}
