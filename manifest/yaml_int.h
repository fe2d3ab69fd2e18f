/*
 * yaml_int.h: internals of the YAML loader (yaml_*.c), not a public API.
 *
 * The loader works in three steps per document, as go-yaml v2 does:
 * libyaml events -> a node tree with anchors resolved (yaml_tree.c) ->
 * decoding with go-yaml's rules into jansson (yaml_decode.c, scalar typing
 * in yaml_scalar.c), recording the line of every member (yaml_lines.c).
 */
#ifndef SEALSYNC_YAML_INT_H
#define SEALSYNC_YAML_INT_H

#include <jansson.h>
#include <stddef.h>

#include "sealsync/err.h"
#include "sealsync/yaml.h"

enum ss_ynode_kind { SS_YN_SCALAR, SS_YN_MAPPING, SS_YN_SEQUENCE, SS_YN_ALIAS };

struct ss_ynode {
	enum ss_ynode_kind kind;
	unsigned line;          /* 1-based line in the file */
	char *tag;              /* resolved tag, NULL when none */
	unsigned char *value;   /* scalar bytes (NUL-terminated copy), wiped on free */
	size_t len;
	int implicit;           /* libyaml's plain_implicit */
	struct ss_ynode **kids; /* mapping: key, value, key, value...; sequence: items */
	size_t nkids;
	size_t capkids;
	struct ss_ynode *target; /* alias: the anchored node (not owned) */
	int busy;                /* being decoded: an alias to it is a cycle */
};

/* One document's node tree; owns every node. */
struct ss_ytree {
	struct ss_ynode *root;   /* NULL for an empty document */
	struct ss_ynode **all;
	size_t nall;
	size_t capall;
};

/* Where errors are reported. */
struct ss_yctx {
	const char *file;
	int doc;                 /* index as Kubernetes counts */
	unsigned first_line;     /* file line of the chunk's first line */
	const struct ss_yaml_limits *lim;
	struct ss_err *err;
};

/* Parses the first YAML document of chunk (as go-yaml's Unmarshal does) into
 * t, which must be zeroed. Errors name the file line. */
int ss_ytree_parse(struct ss_yctx *c, const unsigned char *chunk, size_t len, struct ss_ytree *t);
void ss_ytree_release(struct ss_ytree *t);

struct ss_ylines;
int ss_ylines_new(struct ss_ylines **out);
void ss_ylines_free(struct ss_ylines *l);
/* Records that member key (or item index when key is NULL) of container
 * parent came from line. */
int ss_ylines_put(struct ss_ylines *l, const json_t *parent, const char *key, size_t index,
		  unsigned line);
unsigned ss_ylines_get(const struct ss_ylines *l, const json_t *parent, const char *key,
		       size_t index);
unsigned ss_ylines_path(const struct ss_ylines *l, const json_t *root, const char *path);

/* Decodes t into *out with go-yaml v2 + sigs.k8s.io/yaml semantics. */
int ss_ydecode(struct ss_yctx *c, const struct ss_ytree *t, struct ss_ylines *lines,
	       json_t **out);

/* Types one scalar as go-yaml v2 does into a JSON value. */
int ss_yscalar_resolve(struct ss_yctx *c, const struct ss_ynode *n, json_t **out);

/* The JSON member name sigs.k8s.io/yaml makes of scalar key node n
 * ("true", "16", "1.5", ...); *out is malloc'd, the caller frees it. */
int ss_yscalar_key(struct ss_yctx *c, const struct ss_ynode *n, char **out);

#endif
