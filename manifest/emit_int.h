/* emit_int.h: helpers shared by the emitter's files (manifest/ only). */
#ifndef SEALSYNC_EMIT_INT_H
#define SEALSYNC_EMIT_INT_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/buf.h"

size_t emit_utf8_len(const unsigned char *s, size_t n);
int emit_is_special_cp(const unsigned char *s, size_t len);
int emit_plain_ok(const char *s, size_t n);
int emit_real(struct ss_buf *out, double d);
int emit_json_string(struct ss_buf *out, const char *s, size_t n);
/* The keys of obj in ss_emit_key_cmp order; *out is freed with free(). */
int emit_sorted_keys(const json_t *obj, const char ***out, size_t *n);

#endif
