/* sealed_int.h: the SealedSecret's inside, shared by manifest/sealed*.c. */
#ifndef SEALSYNC_SEALED_INT_H
#define SEALSYNC_SEALED_INT_H

#include "sealsync/sealed.h"

struct sealed_item {
	char key[SS_SCOPE_FIELD_MAX + 1];
	unsigned char *age; /* binary age file (ciphertext: plain malloc) */
	size_t len;
	struct ss_age_info info;
	unsigned line; /* line of the value in its file, 0 unknown */
};

struct ss_sealed {
	char name[SS_OBJ_NAME_MAX + 1];
	char ns[SS_OBJ_LABEL_MAX + 1];
	enum ss_scope_mode mode;
	char *file; /* NULL for built ones */
	int doc;
	unsigned line;
	struct sealed_item *items; /* sorted by key */
	size_t n, cap;
	json_t *tmpl; /* NULL when none */
};

/* 0 when k is a valid Secret data key: 1..253 of [-._a-zA-Z0-9]. */
int sealed_check_key(const char *k);

/* Index of key k, or -1. */
long sealed_find(const struct ss_sealed *s, const char *k);

/* Records s's origin (file, line of item i or of the document) in err. */
void sealed_err_at(const struct ss_sealed *s, long i, const char *field, struct ss_err *err);

/* Validates a template mapping (type, immutable, metadata labels/annotations). */
int sealed_check_template(const json_t *t, const struct ss_origin *o, struct ss_err *err);

#endif
