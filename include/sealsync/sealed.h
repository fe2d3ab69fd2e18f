/*
 * sealed.h: the SealedSecret codec (apiVersion sealsync.dev/v1, DESIGN 3.3).
 *
 *   apiVersion: sealsync.dev/v1
 *   kind: SealedSecret
 *   metadata: {name: db-creds, namespace: prod}
 *   spec:
 *     scope: strict            # strict (default) | namespace | cluster
 *     encryptedData:
 *       password: <standard base64 of a binary age file, or age armor>
 *     template:                # the Secret's type, labels, annotations, immutable
 *       type: Opaque
 *       metadata: {labels: {app: db}}
 *
 * Parsing validates everything that can be checked without a key: the
 * identity, spec.scope, every value decodes (base64 or armor) to an age
 * header that parses, and each value's scope stanza has spec.scope's mode
 * and, as far as the manifest tells, its place (strict: the manifest's
 * namespace, name and the data key; namespace: the namespace). That check is
 * on the header as the file claims it; unsealing checks it again after the
 * MAC has authenticated the stanza.
 *
 * Errors name the file, line, document, field (e.g. "spec.encryptedData")
 * and data key; never a value, plaintext or ciphertext.
 */
#ifndef SEALSYNC_SEALED_H
#define SEALSYNC_SEALED_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/age.h"
#include "sealsync/buf.h"
#include "sealsync/emit.h"
#include "sealsync/err.h"
#include "sealsync/object.h"
#include "sealsync/scope.h"

#define SS_SEALED_API_VERSION "sealsync.dev/v1"
#define SS_SEALED_KIND "SealedSecret"
#define SS_SEALED_MAX_KEYS 1024            /* data keys per SealedSecret */
#define SS_SEALED_MAX_VALUE (1024u * 1024) /* plaintext bytes per Secret (Kubernetes' cap) */
#define SS_SEALED_MAX_SEALED (2u * 1024 * 1024) /* sealed bytes per value */

struct ss_sealed;

/* 1 when doc says apiVersion sealsync.dev/v1 and kind SealedSecret. */
int ss_sealed_is(const json_t *doc);

/*
 * Parses and validates doc (see above). o is the origin for errors; its
 * file name is copied and field lines are looked up now, so the result does
 * not borrow from o or its docset. *out = NULL on error.
 * SS_E_INVAL (structure, base64, an unknown field), SS_E_AGE_HEADER /
 * SS_E_AGE_ARMOR (not an age file), SS_E_SCOPE (a stanza's mode or place
 * differs from the manifest), SS_E_LIMIT, SS_E_NOMEM.
 * A value without a scope stanza parses (ss_sealed_unscoped says so); it is
 * refused when unsealed unless opts allow it.
 */
int ss_sealed_parse(const json_t *doc, const struct ss_origin *o, struct ss_sealed **out,
		    struct ss_err *err) SS_MUST_CHECK;

/*
 * A new, empty SealedSecret to fill with ss_sealed_set_value. ns may be ""
 * (then strict and namespace scopes need it at seal time).
 */
int ss_sealed_new(const char *name, const char *ns, enum ss_scope_mode mode,
		  struct ss_sealed **out, struct ss_err *err) SS_MUST_CHECK;

void ss_sealed_free(struct ss_sealed *s); /* NULL accepted */

const char *ss_sealed_name(const struct ss_sealed *s);
const char *ss_sealed_namespace(const struct ss_sealed *s); /* "" when none */
enum ss_scope_mode ss_sealed_mode(const struct ss_sealed *s);
/* The origin's file name ("" for built ones) and document index (-1). */
const char *ss_sealed_file(const struct ss_sealed *s);
int ss_sealed_doc(const struct ss_sealed *s);

/* Data keys, sorted by byte order; i < ss_sealed_count. */
size_t ss_sealed_count(const struct ss_sealed *s);
const char *ss_sealed_key(const struct ss_sealed *s, size_t i);
/* The binary age file of key i (borrowed). */
const unsigned char *ss_sealed_value(const struct ss_sealed *s, size_t i, size_t *len);
/* What the header of key i claims (parsed at set/parse time). */
const struct ss_age_info *ss_sealed_info(const struct ss_sealed *s, size_t i);
/* 1 when some value has no scope stanza. */
int ss_sealed_unscoped(const struct ss_sealed *s);

/*
 * The scope a value of key `key` must carry, for namespace effective_ns
 * (the manifest's, or the unit's target namespace when it names none).
 */
int ss_sealed_expected_scope(const struct ss_sealed *s, const char *effective_ns,
			     const char *key, struct ss_scope *out, struct ss_err *err) SS_MUST_CHECK;

/*
 * Sets (adds or replaces) key's value to the binary age file age (copied).
 * The header is parsed (SS_E_AGE_HEADER) but its scope is not checked here.
 */
int ss_sealed_set_value(struct ss_sealed *s, const char *key, const unsigned char *age,
			size_t len, struct ss_err *err) SS_MUST_CHECK;

/* The template (borrowed, may be NULL) and its replacement (copied; NULL clears). */
const json_t *ss_sealed_template(const struct ss_sealed *s);
int ss_sealed_set_template(struct ss_sealed *s, const json_t *tmpl, struct ss_err *err) SS_MUST_CHECK;

/*
 * Decrypts every value into a v1 Secret: name, namespace effective_ns
 * (NULL or "": the manifest's own; callers pass the manifest's namespace
 * when it names one, else the unit's target; with neither, strict and
 * namespace scopes fail with SS_E_INVAL), the template's type (default Opaque), labels,
 * annotations and immutable, and `data` = base64 of each plaintext. Each
 * value must open with the scope {effective_ns, name, key} in its own mode
 * (o->expect is ignored; o->allow_unscoped and o->x25519_budget are used).
 * Plaintext lives only in guarded buffers and in jansson strings: run with
 * the zeroing allocator (jsonalloc.h). *secret_out = NULL on error; err
 * names the origin, field spec.encryptedData and the key.
 */
int ss_sealed_unseal(const struct ss_sealed *s, const char *effective_ns,
		     const struct ss_age_open_opts *o, json_t **secret_out,
		     struct ss_err *err) SS_MUST_CHECK;

/* The manifest as JSON, keys in the stable order of emit.h (new reference). */
int ss_sealed_to_json(const struct ss_sealed *s, json_t **out, struct ss_err *err) SS_MUST_CHECK;

/* Appends the manifest as YAML or JSON (one document). */
int ss_sealed_emit(const struct ss_sealed *s, enum ss_emit_format f, struct ss_buf *out,
		   struct ss_err *err) SS_MUST_CHECK;

/*
 * The standard base64 text of key i's value, appended to out (for splicing
 * a value into existing text).
 */
int ss_sealed_value_base64(const struct ss_sealed *s, size_t i, struct ss_buf *out) SS_MUST_CHECK;

/*
 * Sealing a Secret. The Secret's data (base64) and stringData are joined; a
 * key in both, or a key that is not a valid Secret key, is refused. ns
 * overrides metadata.namespace when not NULL. Each value is sealed to the
 * recipients with the scope its mode binds. Type, labels, annotations and
 * immutable become the template.
 */
struct ss_sealed_seal_opts {
	const struct ss_recipient *recipients;
	size_t nrecipients;
	enum ss_scope_mode mode;
	const char *ns; /* NULL: the Secret's own metadata.namespace */
};

int ss_sealed_from_secret(const json_t *secret, const struct ss_origin *o,
			  const struct ss_sealed_seal_opts *so, struct ss_sealed **out,
			  struct ss_err *err) SS_MUST_CHECK;

/*
 * Seals one plaintext value (pt, len: the caller's guarded memory) as key
 * `key` of s, with the scope s's mode binds, to so's recipients (so->mode
 * and so->ns are not used: s has them). Refused like a Secret's values: a
 * bad key, a value over SS_SEALED_MAX_VALUE, a template label or annotation
 * that holds the value. For building a SealedSecret from values that do not
 * come as a Secret manifest (sealctl import). err names the key.
 */
int ss_sealed_seal_value(struct ss_sealed *s, const char *key, const unsigned char *pt,
			 size_t len, const struct ss_sealed_seal_opts *so,
			 struct ss_err *err) SS_MUST_CHECK;

/*
 * Rewraps key i to `to` with the identities in o (same file key, scope
 * stanza and payload kept verbatim, see ss_age_reseal), and checks the result
 * with ss_age_check_rewrap before it replaces the value (SS_E_SIG when a
 * delegate returned anything else). Plaintext only in guarded memory.
 */
int ss_sealed_reseal_value(struct ss_sealed *s, size_t i, const struct ss_age_open_opts *o,
			   const struct ss_age_seal_opts *to, struct ss_err *err) SS_MUST_CHECK;

/*
 * 1 when key i's value is already sealed to exactly the recipients in
 * `to` (as many X25519 stanzas as recipients, and each recipient's hint tag
 * present), so a reseal can leave it as it is.
 */
int ss_sealed_value_has_recipients(const struct ss_sealed *s, size_t i,
				   const struct ss_recipient *r, size_t n);

/*
 * Merging into an existing file without re-serialising it (--merge-into,
 * reseal in place). text (len bytes, UTF-8) is the file; the document to
 * change is the SealedSecret whose metadata.name is s's name and whose
 * metadata.namespace is s's namespace (or absent). For each of s's keys in
 * keys[0..nkeys) (keys NULL: all of s's keys), the value is replaced where
 * it stands, or added at the end of spec.encryptedData in the mapping's own
 * style and indentation. Every other byte of text is kept, comments
 * included. Appends the result to out.
 * SS_E_NOTFOUND (no such document), SS_E_INVAL (not YAML),
 * SS_E_UNSUPPORTED (an anchor, alias or tag on a value to replace), SS_E_LIMIT.
 * The caller should load and parse the result again before writing it.
 */
int ss_sealed_splice(const char *name, const char *text, size_t len, const struct ss_sealed *s,
		     const char *const *keys, size_t nkeys, struct ss_buf *out,
		     struct ss_err *err) SS_MUST_CHECK;

/*
 * The opposite (sealctl unset): removes key's entry, its whole line, from
 * the SealedSecret name in ns (or naming none) in text, keeping every other
 * byte. SS_E_NOTFOUND (no such document or key), SS_E_INVAL (the last key),
 * SS_E_UNSUPPORTED (a flow mapping, or a key not on its value's line).
 * The caller should load and parse the result again before writing it.
 */
int ss_sealed_splice_remove(const char *file, const char *text, size_t len, const char *name,
			    const char *ns, const char *key, struct ss_buf *out,
			    struct ss_err *err) SS_MUST_CHECK;

#endif
