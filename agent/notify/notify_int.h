/* notify_int.h: inside agent/notify/ (see notify.h). */
#ifndef SEALSYNC_NOTIFY_INT_H
#define SEALSYNC_NOTIFY_INT_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "sealsync/config.h"
#include "sealsync/notify.h"

enum notify_type { NOTIFY_WEBHOOK, NOTIFY_SLACK, NOTIFY_TEAMS };

/* A rendered payload (no secret in it: malloc is fine). */
struct notify_entry {
	char *body;
	size_t len;
};

struct notify_counts {
	unsigned long sent, failed, dropped_overflow, dropped_rejected;
};

struct notify_target {
	const struct ss_notify_target_config *tc; /* borrowed from the config */
	enum notify_type type;
	char *url;                 /* sodium_malloc, NUL-terminated */
	unsigned char *key;        /* sodium_malloc (webhook) */
	size_t key_len;
	pthread_t thread;
	int started;
	/* under mu: the queue (a ring), the entry in flight, the counters */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct notify_entry *ring;
	size_t cap, head, n;
	struct notify_entry inflight; /* body NULL: none */
	int drop_inflight;            /* overflow took it: do not retry */
	int stop;
	struct notify_counts counts;
};

/* Renders m for a target type into e->body (malloc'd JSON). */
int notify_render(enum notify_type type, const struct ss_notify_msg *m, const char *agent,
		  const char *shard, time_t now, struct notify_entry *e);

/* Sanitised reason code: r itself when it is one, else "other". */
const char *notify_reason(const char *r);

/* The target's delivery thread (notify_send.c). */
void *notify_thread(void *arg);

/* Reads the URL and key files of t into guarded memory, checked. */
int notify_target_load(struct notify_target *t, struct ss_err *err);
void notify_target_wipe(struct notify_target *t);

#endif
