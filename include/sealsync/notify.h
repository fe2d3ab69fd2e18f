/*
 * notify.h: notifications out (docs/OPERATIONS.md "Notifications").
 *
 * Targets come from the config's `notify:` list (config.h): a generic JSON
 * webhook signed with HMAC-SHA256 over "<timestamp>.<body>", a Slack
 * incoming webhook, or Microsoft Teams through Workflows (Adaptive Card).
 *
 * Where it sits: below sync/ and keys/ (they call ss_notify_event), above
 * config.c and log.c; it includes no header of kube/, git/, keys/, sync/ or
 * serve/. The notifier is one per process, like the log: a caller needs no
 * handle, and every function is a no-op until ss_notify_start succeeded.
 *
 * Delivery never delays a sync: ss_notify_event renders the payload and
 * appends it to each target's bounded queue, under a mutex, and returns.
 * Each target has its own thread and libcurl easy handle that drains its
 * queue: https only (http:// only with `insecure: true`), TLS verified
 * (system CAs, or caFile), no redirects, a deadline per attempt; 5xx, 408,
 * 429 and connection errors are retried with exponential backoff (1 s
 * doubling to 30 s, equal jitter) until delivered; another 4xx, a TLS
 * failure or a 3xx drops the event (counted as rejected). When a queue is
 * full the oldest event is dropped and counted.
 *
 * Secrets: a target's URL and HMAC key are credentials. They are read from
 * files at start into guarded memory (sodium_malloc) and never appear in
 * logs, errors, Events or metrics: a failed attempt is logged with the
 * target's name, the curl code or HTTP status, never curl's error text
 * (which can hold the URL). libcurl copies the URL into its own memory
 * (plain malloc, not wiped): SECURITY.md's boundary. Payloads carry reason
 * codes and object identities, never a value, a token, a URL or API-server
 * error text: a reason that is not a short code is replaced by "other".
 */
#ifndef SEALSYNC_NOTIFY_H
#define SEALSYNC_NOTIFY_H

#include <stddef.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"

struct ss_config;

/* Index into ss_config_notify_events (config.h), which holds the names. */
enum ss_notify_event {
	SS_NOTIFY_FAILURE = 0,   /* a unit's sync failed (first of a streak) */
	SS_NOTIFY_RECOVERY,      /* a unit synced after a failure */
	SS_NOTIFY_HEALTH,        /* a unit's health changed (the health checks) */
	SS_NOTIFY_ROTATION,      /* the managed key was rotated */
	SS_NOTIFY_PRUNE_REFUSED, /* a prune was refused (allowEmpty, pruneClusterScoped) */
};

/* Objects per payload; more are counted in "objectsOmitted". */
#define SS_NOTIFY_MAX_OBJECTS 20
/* Longest reason code; longer or other than [A-Za-z0-9._-]: "other". */
#define SS_NOTIFY_REASON_MAX 63

struct ss_notify_object {
	const char *api_version, *kind, *namespace_, *name; /* namespace_ "" or NULL: cluster */
};

/* One event. Every pointer is borrowed for the call only. */
struct ss_notify_msg {
	enum ss_notify_event event;
	const char *unit;     /* NULL: agent-wide (rotation) */
	const char *revision; /* NULL or "": none */
	const char *reason;   /* a reason code (see SS_NOTIFY_REASON_MAX) */
	const struct ss_notify_object *objects;
	size_t nobjects;
};

struct ss_notify_opts {
	const struct ss_config *cfg; /* targets, queue bound, agent name */
	const char *shard;           /* NULL: no "shard" in payloads */
	int deliver;                 /* 0: read and check the targets only (-n, --once) */
};

/*
 * Reads every target's URL (and HMAC key) file into guarded memory and
 * checks them (permissions as for key files; https unless insecure; a URL
 * curl can parse); with deliver, starts one thread per target. Call after
 * the key holder was forked (no thread may exist before). Errors name the
 * target and the file, never the URL. Nothing is kept on error.
 */
int ss_notify_start(const struct ss_notify_opts *o, struct ss_err *err) SS_MUST_CHECK;

/* Stops the threads (an attempt in flight is given its deadline), drops
 * what is queued, wipes the URLs and keys. Safe without a start. */
void ss_notify_stop(void);

/*
 * The hook: queues m for every target that subscribes to its event. Never
 * blocks on the network; may be called from any thread. A no-op when no
 * notifier runs. The health checks call it with SS_NOTIFY_HEALTH, unit,
 * revision, the new status as the reason ("Current", "InProgress",
 * "Failed", ...) and the objects whose status changed.
 */
void ss_notify_event(const struct ss_notify_msg *m);

/*
 * A unit's sync result, for failure/recovery: the first failure of a
 * streak sends a failure (reason: the stage that stopped it, failed: the
 * object the error names, or NULL), the first success after it a recovery.
 * A prune refusal is sent once per failure streak and reason
 * (ss_notify_prune_refused).
 */
void ss_notify_sync_result(const char *unit, const char *revision, int ok, const char *stage,
			   const struct ss_notify_object *failed);

/* A refused prune of unit's objects; repeated refusals with the same reason
 * are sent once until the unit next syncs successfully. */
void ss_notify_prune_refused(const char *unit, const char *revision, const char *reason,
			     const struct ss_notify_object *objs, size_t n);

/*
 * Appends the Prometheus families (sealsync_notifications_sent_total,
 * _failed_total (attempts), _dropped_total{reason=overflow|rejected},
 * sealsync_notifications_queued), one series per target; nothing when no
 * notifier runs.
 */
int ss_notify_metrics(struct ss_buf *out) SS_MUST_CHECK;

#endif
