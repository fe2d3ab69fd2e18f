/*
 * render.h: --render DIR|-: the merged manifests of a unit, for review.
 *
 * Secret values are replaced by "<redacted: N bytes>" unless show_secrets,
 * which only stdout ("-") accepts: plaintext never goes to a file. DIR gets
 * one file per unit, <unit>.yaml (0644: it holds no secret values).
 */
#ifndef SEALSYNC_RENDER_H
#define SEALSYNC_RENDER_H

#include "sealsync/err.h"

struct ss_bundle;

int ss_render_bundle(struct ss_bundle *b, const char *unit, const char *target,
		     int show_secrets, struct ss_err *err) SS_MUST_CHECK;

#endif
