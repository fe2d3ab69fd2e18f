/*
 * udiff.h: a unified diff of two texts, line by line (Myers' O(ND)
 * algorithm), printed as `diff -u` does: "--- A" / "+++ B" headers, hunks
 * "@@ -l,n +l,n @@" with `context` lines around each change (counts of 1
 * are omitted, an empty side is "-0,0"), and "\ No newline at end of file"
 * after a last line without one. The diff is minimal while the edit
 * distance stays under SS_UDIFF_MAX_EDITS; past it the middle (after the
 * common head and tail) is printed as all removed then all added, which is
 * still a correct diff, so memory stays bounded (O(D^2) for the trace).
 *
 * Output is appended to a caller-initialised ss_buf (its ceiling applies).
 * Errors: SS_E_NOMEM, SS_E_LIMIT (the buffer's ceiling, or more than
 * SS_UDIFF_MAX_LINES lines on one side); the buffer may then hold part of
 * the diff. Inputs are borrowed; nothing is printed when a equals b.
 */
#ifndef SEALSYNC_UDIFF_H
#define SEALSYNC_UDIFF_H

#include <stddef.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"

#define SS_UDIFF_MAX_EDITS 4000
#define SS_UDIFF_MAX_LINES 1000000

/* *changed (may be NULL) is 1 when the texts differ. label_a/label_b are
 * printed after "--- " and "+++ " as given. */
int ss_udiff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
	     const char *label_b, unsigned context, struct ss_buf *out, int *changed) SS_MUST_CHECK;

#endif
