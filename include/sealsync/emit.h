/*
 * emit.h: jansson values to YAML (block style) and JSON text.
 *
 * Both writers use one stable key order: well-known Kubernetes fields first
 * (apiVersion, kind, metadata, name, namespace, labels, annotations, spec,
 * scope, encryptedData, template, type, immutable, data, stringData), then
 * every other key in byte order. The same input always gives the same bytes.
 *
 * YAML strings are written plain only when YAML 1.1 (go-yaml v2, as
 * Kubernetes reads it) would read them back as the same string; anything
 * that could be retyped ("yes", "on", "0777", "1e3", "null", "", "~", ...)
 * or that holds indicators is double-quoted. Multi-line strings without
 * awkward whitespace use literal block scalars. Loading the output with
 * ss_yaml_load gives back equal values (tested).
 *
 * Output is appended to a caller-initialised ss_buf; pass a secure buffer
 * when the value holds plaintext (sealctl recover). On error the buffer may
 * hold a partial document; the caller discards it.
 * Errors: SS_E_LIMIT (buffer ceiling, nesting deeper than SS_EMIT_MAX_DEPTH),
 * SS_E_UNSUPPORTED (a mapping key longer than SS_EMIT_MAX_KEY), SS_E_NOMEM.
 */
#ifndef SEALSYNC_EMIT_H
#define SEALSYNC_EMIT_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"

#define SS_EMIT_MAX_DEPTH 128
#define SS_EMIT_MAX_KEY 1024

enum ss_emit_format {
	SS_EMIT_YAML,
	SS_EMIT_JSON,
};

/* One YAML document (no "---" line), ending in a newline. */
int ss_emit_yaml(const json_t *v, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/* One JSON value, indented by 2, ending in a newline. */
int ss_emit_json(const json_t *v, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/*
 * Several documents: YAML separates them with "---" lines; JSON writes one
 * object as is and several as a kubectl-style "v1 List" with items.
 */
int ss_emit_docs(json_t *const *docs, size_t n, enum ss_emit_format f, struct ss_buf *out,
		 struct ss_err *err) SS_MUST_CHECK;

/* Parses "yaml" / "json" (for -o); SS_E_USAGE otherwise. */
int ss_emit_parse_format(const char *s, enum ss_emit_format *out) SS_MUST_CHECK;

/*
 * Appends the string s (n bytes, UTF-8) as a one-line YAML scalar: plain
 * when that reads back as the same string, else double-quoted. For code that
 * splices values into existing YAML text.
 */
int ss_emit_yaml_scalar(struct ss_buf *out, const char *s, size_t n) SS_MUST_CHECK;

/* The key order used by both writers: <0, 0, >0 like strcmp. */
int ss_emit_key_cmp(const char *a, const char *b);

#endif
