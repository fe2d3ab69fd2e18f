/*
 * yaml_decode.c: node tree -> jansson, with go-yaml v2's decoder rules in
 * strict mode (yaml.UnmarshalStrict, as sigs.k8s.io/yaml YAMLToJSONStrict
 * calls it) and sigs.k8s.io/yaml's conversion to JSON:
 *  - an alias decodes its anchor again (a copy); an alias inside its own
 *    anchor is an error;
 *  - `<<` merges a mapping, an alias of one, or a sequence of them (last
 *    first); in strict mode a key set twice, by a merge or not, is an error;
 *  - keys become JSON member names (ss_yscalar_key); collections as keys are
 *    an error;
 *  - go-yaml's "excessive aliasing" check is reproduced, and max_nodes and
 *    max_depth bound the output, so an alias bomb stops early.
 */
#include <stdlib.h>
#include <string.h>

#include "yaml_int.h"

#define MERGE_TAG "tag:yaml.org,2002:merge"

struct ss_ydec {
	struct ss_yctx *c;
	struct ss_ylines *lines;
	size_t decodes;    /* go-yaml's decodeCount */
	size_t aliased;    /* go-yaml's aliasCount */
	size_t alias_depth;
};

static int dec_fail(struct ss_ydec *d, int code, unsigned line, const char *what)
{
	struct ss_yctx *c = d->c;

	ss_err_at(c->err, c->file, line, c->doc);
	return ss_err_set(c->err, code, "%s", what);
}

/* go-yaml's allowedAliasRatio. */
static double allowed_alias_ratio(size_t decodes)
{
	if (decodes <= 400000)
		return 0.99;
	if (decodes >= 4000000)
		return 0.10;
	return 0.99 - 0.89 * ((double)(decodes - 400000) / 3600000.0);
}

/* One call of go-yaml's decoder.unmarshal. */
static int dec_count(struct ss_ydec *d, const struct ss_ynode *n)
{
	d->decodes++;
	if (d->alias_depth > 0)
		d->aliased++;
	if (d->aliased > 100 && d->decodes > 1000 &&
	    (double)d->aliased / (double)d->decodes > allowed_alias_ratio(d->decodes))
		return dec_fail(d, SS_E_LIMIT, n->line,
				"document contains excessive aliasing (alias expansion bomb?)");
	if (d->decodes > d->c->lim->max_nodes)
		return dec_fail(d, SS_E_LIMIT, n->line,
				"too many nodes after alias expansion (limit max_nodes)");
	return 0;
}

static int dec_node(struct ss_ydec *d, const struct ss_ynode *n, size_t depth, json_t **out);
static int dec_mapping_into(struct ss_ydec *d, const struct ss_ynode *n, size_t depth,
			    json_t *obj);

static int dec_alias_enter(struct ss_ydec *d, const struct ss_ynode *n)
{
	if (n->target->busy)
		return dec_fail(d, SS_E_INVAL, n->line, "anchor value contains itself");
	n->target->busy = 1;
	d->alias_depth++;
	return 0;
}

static void dec_alias_leave(struct ss_ydec *d, const struct ss_ynode *n)
{
	n->target->busy = 0;
	d->alias_depth--;
}

/* d.unmarshal(node, existing map) for one merge source. */
static int dec_merge_one(struct ss_ydec *d, const struct ss_ynode *n, size_t depth, json_t *obj)
{
	int rc;

	if ((rc = dec_count(d, n)) != 0)
		return rc;
	if (n->kind != SS_YN_ALIAS)
		return dec_mapping_into(d, n, depth, obj);
	if ((rc = dec_alias_enter(d, n)) != 0)
		return rc;
	rc = dec_merge_one(d, n->target, depth, obj);
	dec_alias_leave(d, n);
	return rc;
}

static int is_map_source(const struct ss_ynode *n)
{
	if (n->kind == SS_YN_ALIAS)
		n = n->target;
	return n->kind == SS_YN_MAPPING;
}

static int dec_merge(struct ss_ydec *d, const struct ss_ynode *n, size_t depth, json_t *obj)
{
	size_t i;
	int rc;

	if (n->kind != SS_YN_SEQUENCE) {
		if (!is_map_source(n))
			goto bad;
		return dec_merge_one(d, n, depth, obj);
	}
	/* Earlier sources take precedence in go-yaml (they are applied last);
	 * in strict mode an overlap is an error anyway. */
	for (i = n->nkids; i-- > 0;) {
		if (!is_map_source(n->kids[i]))
			goto bad;
		if ((rc = dec_merge_one(d, n->kids[i], depth, obj)) != 0)
			return rc;
	}
	return 0;
bad:
	return dec_fail(d, SS_E_INVAL, n->line,
			"map merge requires map or sequence of maps as the value");
}

static int is_merge_key(const struct ss_ynode *k)
{
	return k->kind == SS_YN_SCALAR && k->len == 2 && memcmp(k->value, "<<", 2) == 0 &&
	       (k->implicit || (k->tag != NULL && strcmp(k->tag, MERGE_TAG) == 0));
}

/* Decodes key node k (counted as go-yaml does) into a member name. */
static int dec_key(struct ss_ydec *d, const struct ss_ynode *k, char **name)
{
	const struct ss_ynode *s = k;
	int rc;

	*name = NULL;
	if ((rc = dec_count(d, k)) != 0)
		return rc;
	if (k->kind == SS_YN_ALIAS) {
		if ((rc = dec_alias_enter(d, k)) != 0)
			return rc;
		rc = dec_count(d, k->target);
		dec_alias_leave(d, k);
		if (rc != 0)
			return rc;
		s = k->target;
	}
	if (s->kind != SS_YN_SCALAR)
		return dec_fail(d, SS_E_INVAL, k->line, "invalid map key: a mapping or sequence");
	return ss_yscalar_key(d->c, s, name);
}

static int dec_member(struct ss_ydec *d, const struct ss_ynode *k, const struct ss_ynode *v,
		      size_t depth, json_t *obj)
{
	char *name = NULL, what[SS_ERR_MSG_MAX / 2];
	json_t *val = NULL;
	int rc;

	if ((rc = dec_key(d, k, &name)) != 0)
		goto out;
	if ((rc = dec_node(d, v, depth, &val)) != 0)
		goto out;
	if (json_object_get(obj, name) != NULL) {
		/* Key names are not secret; values never appear in errors. */
		snprintf(what, sizeof(what), "mapping key \"%.200s\" already set in map", name);
		ss_err_field(d->c->err, NULL, name);
		rc = dec_fail(d, SS_E_DUP, k->line, what);
		goto out;
	}
	if (json_object_set_new(obj, name, val) != 0) {
		val = NULL;
		rc = SS_E_NOMEM;
		goto out;
	}
	val = NULL;
	rc = ss_ylines_put(d->lines, obj, name, 0, k->line);
out:
	json_decref(val);
	free(name);
	return rc;
}

static int dec_mapping_into(struct ss_ydec *d, const struct ss_ynode *n, size_t depth, json_t *obj)
{
	size_t i;
	int rc;

	if (depth > d->c->lim->max_depth)
		return dec_fail(d, SS_E_LIMIT, n->line, "YAML nested too deeply (limit max_depth)");
	for (i = 0; i + 1 < n->nkids; i += 2) {
		if (is_merge_key(n->kids[i]))
			rc = dec_merge(d, n->kids[i + 1], depth, obj);
		else
			rc = dec_member(d, n->kids[i], n->kids[i + 1], depth, obj);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int dec_sequence(struct ss_ydec *d, const struct ss_ynode *n, size_t depth, json_t **out)
{
	json_t *arr = json_array(), *item;
	size_t i;
	int rc = 0;

	if (arr == NULL)
		return SS_E_NOMEM;
	if (depth > d->c->lim->max_depth)
		rc = dec_fail(d, SS_E_LIMIT, n->line, "YAML nested too deeply (limit max_depth)");
	for (i = 0; rc == 0 && i < n->nkids; i++) {
		item = NULL;
		if ((rc = dec_node(d, n->kids[i], depth, &item)) != 0)
			break;
		if (json_array_append_new(arr, item) != 0)
			rc = SS_E_NOMEM;
		else
			rc = ss_ylines_put(d->lines, arr, NULL, i, n->kids[i]->line);
	}
	if (rc == 0)
		*out = arr;
	else
		json_decref(arr);
	return rc;
}

static int dec_node(struct ss_ydec *d, const struct ss_ynode *n, size_t depth, json_t **out)
{
	json_t *obj;
	int rc;

	*out = NULL;
	if ((rc = dec_count(d, n)) != 0)
		return rc;
	switch (n->kind) {
	case SS_YN_ALIAS:
		if ((rc = dec_alias_enter(d, n)) != 0)
			return rc;
		rc = dec_node(d, n->target, depth, out);
		dec_alias_leave(d, n);
		return rc;
	case SS_YN_SCALAR:
		return ss_yscalar_resolve(d->c, n, out);
	case SS_YN_SEQUENCE:
		return dec_sequence(d, n, depth + 1, out);
	case SS_YN_MAPPING:
		if ((obj = json_object()) == NULL)
			return SS_E_NOMEM;
		if ((rc = dec_mapping_into(d, n, depth + 1, obj)) != 0) {
			json_decref(obj);
			return rc;
		}
		*out = obj;
		return 0;
	}
	return SS_E_INTERNAL;
}

int ss_ydecode(struct ss_yctx *c, const struct ss_ytree *t, struct ss_ylines *lines, json_t **out)
{
	struct ss_ydec d;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.c = c;
	d.lines = lines;
	if (t->root == NULL) {
		*out = json_null();
		return 0;
	}
	d.decodes = 1; /* go-yaml counts the document node too */
	return dec_node(&d, t->root, 0, out);
}
