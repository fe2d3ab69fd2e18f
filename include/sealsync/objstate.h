/*
 * objstate.h: what the agent applied, per object, and whether the cluster
 * still holds it (agent/sync/objstate.c). The steady state costs nothing
 * because of it: a unit whose commit is the one it applied and none of
 * whose objects drifted is not even loaded, and a new commit dry-runs and
 * applies only the objects whose body changed or that drifted.
 *
 * Per object (group, kind, namespace, name):
 *  - body: a keyed BLAKE2b digest (an HMAC) of the canonical JSON (sorted
 *    keys) of the object as applied. The key is random per process and
 *    lives only in guarded memory, so a digest of a Secret is no guessing
 *    oracle; a restart loses it and the first sync applies everything.
 *  - live: a keyed digest of the agent's own managedFields entry (our field
 *    manager, operation Apply) and of the live object's values at the
 *    fields it lists. Its baseline comes from each apply's response; a
 *    watch event whose live digest differs is drift: one of our fields was
 *    changed, or another manager now owns one (it left our entry). Status
 *    writes and other managers' new fields leave it unchanged;
 *    resourceVersion and generation are not used (see PERFORMANCE.md).
 *  - drifted: deleted, or live digest changed; cleared by the next apply.
 *
 * Not thread-safe: one thread (the sync loop) owns it.
 */
#ifndef SEALSYNC_OBJSTATE_H
#define SEALSYNC_OBJSTATE_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/err.h"

#define SS_OBJSTATE_DIGEST 16

struct ss_objstate;

int ss_objstate_new(size_t nunits, struct ss_objstate **out, struct ss_err *err) SS_MUST_CHECK;
/* Wipes the key and frees. NULL accepted. */
void ss_objstate_free(struct ss_objstate *s);

/* The field manager whose managedFields entry is ours (borrowed). */
void ss_objstate_set_manager(struct ss_objstate *s, const char *manager);

/* Keyed digest of obj's canonical JSON. */
void ss_objstate_body_digest(const struct ss_objstate *s, const json_t *obj,
			     unsigned char out[SS_OBJSTATE_DIGEST]);

/* 1 when obj (a desired object of unit u, digest body) needs no request:
 * applied with this body, and not drifted since. */
int ss_objstate_unchanged(const struct ss_objstate *s, size_t u, const json_t *obj,
			  const unsigned char body[SS_OBJSTATE_DIGEST]);

/* After unit u applied: its objects are exactly objs[0..n) with bodies
 * body[i], from files[i] (the path in the tree; files may be NULL); every
 * other object it had is forgotten. */
int ss_objstate_commit(struct ss_objstate *s, size_t u, json_t *const *objs,
		       const unsigned char (*body)[SS_OBJSTATE_DIGEST], const char *const *files,
		       size_t n) SS_MUST_CHECK;

/* The files of unit u's drifted objects, so a repair reads only them:
 * their number (duplicates possible), 0 when none, (size_t)-1 when one has
 * no file or there are more than max. Strings valid until the next commit. */
size_t ss_objstate_drifted_files(const struct ss_objstate *s, size_t u, const char **out,
				 size_t max);
/* obj of unit u was re-applied with body: no longer drifted. */
void ss_objstate_repaired(struct ss_objstate *s, size_t u, const json_t *obj,
			  const unsigned char body[SS_OBJSTATE_DIGEST]);
/* Forgets everything of unit u (its next sync applies all). */
void ss_objstate_forget(struct ss_objstate *s, size_t u);

/* Observers: what an apply returned, and watch events. */
void ss_objstate_applied(struct ss_objstate *s, const json_t *live);
void ss_objstate_seen(struct ss_objstate *s, const json_t *live);
void ss_objstate_deleted(struct ss_objstate *s, const json_t *last);
/* A full list of one kind: objects of that kind it lacks were deleted. */
void ss_objstate_listed(struct ss_objstate *s, const char *api_version, const char *kind,
			const json_t *list);

/* 1 when an object of unit u drifted since its last apply. */
int ss_objstate_unit_drifted(const struct ss_objstate *s, size_t u);
/* Clears and returns the "a drift was seen" flag (any unit). */
int ss_objstate_take_drift(struct ss_objstate *s);

/* (apiVersion, kind) of the objects held, for the watches: calls fn once
 * per kind that appeared since the last call. */
void ss_objstate_new_kinds(struct ss_objstate *s,
			   void (*fn)(void *ctx, const char *api_version, const char *kind),
			   void *ctx);

#endif
