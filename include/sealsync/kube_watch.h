/*
 * kube_watch.h: watches of the objects an agent owns, and what its own
 * applies returned (agent/kube/kube_watch.c).
 *
 * One watch per kind, across namespaces, with the owner-label selector
 * (never one per unit). Each starts with a LIST (handed over whole, so the
 * caller can see what is gone) and then watches from the list's
 * resourceVersion with allowWatchBookmarks; a stream that ends is resumed
 * from the last resourceVersion seen. An expired one, a 410 reply or an
 * ERROR event carrying a 410 Status inside the 200 stream, leads to a
 * re-list. Other failures back off (1 s doubling to 30 s) and resume.
 *
 * Everything runs on the caller's thread: ss_kube_watch_poll never blocks
 * on the streams (a re-list is an ordinary blocking LIST). The watch set
 * borrows k, which must outlive it; it shares k's credentials, not its
 * connections (a struct ss_kube is not thread-safe; this is one thread).
 * Responses about Secrets are read into guarded memory.
 */
#ifndef SEALSYNC_KUBE_WATCH_H
#define SEALSYNC_KUBE_WATCH_H

#include <jansson.h>

#include "sealsync/err.h"

struct ss_kube;
struct ss_kube_watch;

enum ss_watch_event {
	SS_WATCH_UPSERT, /* ADDED or MODIFIED: obj is the object */
	SS_WATCH_DELETE, /* DELETED: obj is its last state */
	SS_WATCH_LISTED  /* a (re-)list: obj is the List; every item also came as UPSERT */
};

/* api_version and kind name the watched kind; obj is borrowed. */
typedef void (*ss_watch_fn)(void *ctx, enum ss_watch_event ev, const char *api_version,
			    const char *kind, const json_t *obj);

/* selector: the label selector of every watch (copied). */
int ss_kube_watch_new(struct ss_kube *k, const char *selector, ss_watch_fn fn, void *ctx,
		      struct ss_kube_watch **out, struct ss_err *err) SS_MUST_CHECK;
void ss_kube_watch_free(struct ss_kube_watch *w);

/* Adds a watch of a kind (once; again is a no-op). It starts at the next
 * poll. SS_E_NOTFOUND for a kind discovery does not know. */
int ss_kube_watch_add(struct ss_kube_watch *w, const char *api_version, const char *kind,
		      struct ss_err *err) SS_MUST_CHECK;

/* Moves every stream on without blocking, delivers their events, (re)starts
 * the ones due. Returns 0; a failed (re-)list is reported in err and retried
 * later (the return is then that code). */
int ss_kube_watch_poll(struct ss_kube_watch *w, struct ss_err *err);

/* 1 when every kind has listed since its last failure and is streaming. */
int ss_kube_watch_healthy(const struct ss_kube_watch *w);

/* The field manager k applies with (its managedFields entry). */
const char *ss_kube_field_manager(const struct ss_kube *k);

/*
 * Called with the object the server returned for each successful real
 * (not dry-run) apply of ss_kube_apply and ss_kube_apply_batch; obj is
 * borrowed and wiped afterwards. NULL fn: none.
 */
typedef void (*ss_apply_observer)(void *ctx, const json_t *obj);
void ss_kube_set_apply_observer(struct ss_kube *k, ss_apply_observer fn, void *ctx);

#endif
