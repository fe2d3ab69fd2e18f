/*
 * scope.h: where a sealed value may be used (DESIGN.md section 3.2).
 *
 *   strict     binds namespace + name + data key
 *   namespace  binds the namespace
 *   cluster    binds nothing
 *
 * The scope travels inside the age header as a `sealsync/scope` stanza, which
 * the header MAC authenticates. The fields a mode does not bind are empty.
 * Field values are Kubernetes names and data keys: 1..253 characters of
 * [-._a-zA-Z0-9] (age stanza arguments must be non-empty visible ASCII, and
 * a space would split them).
 */
#ifndef SEALSYNC_SCOPE_H
#define SEALSYNC_SCOPE_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_SCOPE_FIELD_MAX 253

enum ss_scope_mode { SS_SCOPE_STRICT, SS_SCOPE_NAMESPACE, SS_SCOPE_CLUSTER };

struct ss_scope {
	enum ss_scope_mode mode;
	char ns[SS_SCOPE_FIELD_MAX + 1];
	char name[SS_SCOPE_FIELD_MAX + 1];
	char key[SS_SCOPE_FIELD_MAX + 1];
};

/* "strict" | "namespace" | "cluster" -> mode. SS_E_INVAL otherwise. */
int ss_scope_parse_mode(const char *s, enum ss_scope_mode *out) SS_MUST_CHECK;

/* Static name of a mode ("strict", ...); "?" for an unknown value. */
const char *ss_scope_mode_name(enum ss_scope_mode m);

/*
 * Fills out for mode from ns/name/key. Fields the mode does not bind are
 * ignored (may be NULL) and left empty; the bound ones must be valid (see
 * above). SS_E_INVAL names the missing or bad field, never echoing more than
 * the field name.
 */
int ss_scope_make(struct ss_scope *out, enum ss_scope_mode mode, const char *ns,
		  const char *name, const char *key, struct ss_err *err) SS_MUST_CHECK;

/* Checks that s is well-formed for its mode (as ss_scope_make would). */
int ss_scope_validate(const struct ss_scope *s, struct ss_err *err) SS_MUST_CHECK;

/*
 * 0 when a value sealed with scope `sealed` may be used at `used`: the modes
 * must be equal (the stanza alone decides; a manifest that claims another
 * mode is refused), then the fields the mode binds must be equal.
 * SS_E_SCOPE otherwise, with a message naming both, for example
 * "sealed for strict prod/db/password, used at strict prod/db/user".
 */
int ss_scope_check(const struct ss_scope *sealed, const struct ss_scope *used,
		   struct ss_err *err) SS_MUST_CHECK;

/* "strict prod/db/password", "namespace prod" or "cluster"; always NUL-terminated. */
void ss_scope_describe(const struct ss_scope *s, char *buf, size_t len);

#endif
