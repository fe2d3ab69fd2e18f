/*
 * object.h: Kubernetes object identity and duplicate detection.
 *
 * An object is identified by (group, kind, namespace, name). The version is
 * recorded but is not part of the identity: apps/v1 and apps/v1beta1
 * Deployments with the same name are the same object to the API server.
 *
 * Every object keeps its origin (file, document index, line) so that errors
 * name the place. Errors never carry field values other than identity
 * fields (apiVersion, kind, names), which are public by nature.
 */
#ifndef SEALSYNC_OBJECT_H
#define SEALSYNC_OBJECT_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/err.h"

struct ss_docset;

/*
 * Where an object came from. All pointers are borrowed. When ds is set,
 * errors look up the exact line of the offending field in document ds_index
 * (ss_docset_field_line); otherwise they use line (the document's start).
 */
struct ss_origin {
	const char *file;           /* file name as the user knows it */
	int doc;                    /* 0-based document index, -1 unknown */
	unsigned line;              /* 1-based line of the document, 0 unknown */
	const struct ss_docset *ds; /* optional, for field lines */
	size_t ds_index;
};

/* Bounds from Kubernetes' validation (DNS-1123 subdomain and label). */
#define SS_OBJ_NAME_MAX 253
#define SS_OBJ_LABEL_MAX 63

struct ss_objid {
	char group[SS_OBJ_NAME_MAX + 1];   /* "" for the core group */
	char version[SS_OBJ_LABEL_MAX + 1];
	char kind[SS_OBJ_LABEL_MAX + 1];
	char ns[SS_OBJ_LABEL_MAX + 1];     /* "" when the object names none */
	char name[SS_OBJ_NAME_MAX + 1];
};

/*
 * Records origin o (with the line of `field` when known) and field/key in
 * err. Any of field/key may be NULL. Exposed so that codecs built on top of
 * objects (SealedSecret) report places the same way.
 */
void ss_origin_err(struct ss_err *err, const struct ss_origin *o, const char *field,
		   const char *key);

/*
 * Reads and validates the identity of obj: apiVersion ("group/version" or
 * "version"), kind, metadata.name (DNS-1123 subdomain; RBAC kinds allow
 * path-segment names such as "system:auth-delegator"), metadata.namespace
 * (DNS-1123 label, optional). On error out is zeroed and err names the
 * origin, document and field; the return is SS_E_INVAL.
 */
int ss_object_identity(const json_t *obj, const struct ss_origin *o, struct ss_objid *out,
		       struct ss_err *err) SS_MUST_CHECK;

/* 0 when s is a DNS-1123 subdomain (<= 253, [a-z0-9.-], alnum at ends). */
int ss_object_check_subdomain(const char *s);
/* 0 when s is a DNS-1123 label (<= 63, [a-z0-9-], alnum at ends). */
int ss_object_check_label(const char *s);

/* "group/version Kind ns/name" (or without "ns/" and "group/"). */
void ss_objid_describe(const struct ss_objid *id, char *buf, size_t len);

/*
 * A set of identities that refuses duplicates. The caller sets id->ns to the
 * effective namespace (the unit's target namespace for namespaced objects
 * that name none) before adding, since only discovery knows which kinds are
 * namespaced.
 */
struct ss_objset;

int ss_objset_new(struct ss_objset **out) SS_MUST_CHECK;
void ss_objset_free(struct ss_objset *s); /* NULL accepted */

/*
 * Adds id with origin o (the file name is copied). SS_E_DUP when an object
 * with the same group, kind, namespace and name is already in the set; err
 * then names the new origin as location and the first one in the message.
 * SS_E_LIMIT past SS_OBJSET_MAX objects, SS_E_NOMEM. o->ds must live as
 * long as the set: the first one's field line is looked up only then.
 */
#define SS_OBJSET_MAX 1000000
int ss_objset_add(struct ss_objset *s, const struct ss_objid *id, const struct ss_origin *o,
		  struct ss_err *err) SS_MUST_CHECK;

size_t ss_objset_count(const struct ss_objset *s);

/* 1 when the set holds an object with id's identity, 0 otherwise. */
int ss_objset_contains(const struct ss_objset *s, const struct ss_objid *id);

#endif
