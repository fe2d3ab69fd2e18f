/*
 * diff_int.h: shared between agent/sync/diff*.c only (not a public API).
 */
#ifndef SEALSYNC_DIFF_INT_H
#define SEALSYNC_DIFF_INT_H

#include <jansson.h>

#include "sealsync/buf.h"
#include "sealsync/diff.h"

/* Output ceiling per unit: the diff of a large unit stays bounded. */
#define DIFF_MAX (256u * 1024 * 1024)

/* 1 for a core v1 Secret. */
int diff_secret_is(const json_t *obj);

/* The per-key lines (what names the object) into keys_out, then every
 * value of both sides (either may be NULL) replaced by a marker. */
int diff_secret_mask(const char *what, json_t *live, json_t *next, struct ss_buf *keys_out)
	SS_MUST_CHECK;

/* Every value of the two maps (either may be NULL) replaced by a marker,
 * "(WORD)" or, on the side that differs, "(WORD: changed)" and so on. */
int diff_mask_values(json_t *live, json_t *next, const char *word) SS_MUST_CHECK;

/*
 * One object's diff into out: live and next (either may be NULL, not both;
 * both are changed, never freed: stripped of server fields, and masked
 * when a Secret), under the names "SIDE/UNIT/apiVersion.Kind.ns.name", sides
 * {"live", "merged"} (or the two given); note (may be NULL) is a comment
 * line printed first, extra (may be NULL) is appended last. *changed is 1
 * when anything was printed.
 */
int diff_put_object(const char *unit, const char *const *sides, json_t *live, json_t *next,
		    const char *note, const struct ss_buf *extra, struct ss_buf *out,
		    int *changed) SS_MUST_CHECK;

/* Writes out to stdout and empties it. */
int diff_flush(struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/* The unit's settings that decide what its sync would prune. */
void diff_unit_opts(const struct ss_config *cfg, const struct ss_unit_config *u,
		    struct ss_diff_opts *o);

/* Counts one object: unchanged, changed (it existed) or added. */
void diff_count(struct ss_diff_stats *st, int changed, int existed);

/* The unit's result as a log line. */
void diff_log_unit(const char *unit, const struct ss_diff_stats *st, const char *revision);

#endif
