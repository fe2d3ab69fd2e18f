/*
 * fields.c: managed fields and the server-side apply merge.
 *
 * A field set is a FieldsV1 tree as the real server stores it:
 * {"f:data":{"f:key":{}}}. An empty object is an owned leaf. This is an
 * approximation of structured-merge-diff that README.md documents: every
 * list is atomic (owned and replaced whole, no "k:"/"v:" keys), and a
 * non-empty map is never owned itself, only its leaves.
 */
#include <stdio.h>
#include <string.h>

#include "apisrv.h"

struct fpath {
	const char *k[APISRV_MAX_DEPTH + 2];
	int n;
};

typedef int (*leaf_fn)(void *ctx, const struct fpath *p);

/* Fields the server owns: never in a field set, never merged from a body. */
static const char *const meta_system[] = {"uid", "resourceVersion", "generation",
					  "creationTimestamp", "managedFields", "selfLink",
					  "deletionTimestamp", NULL};

static int walk_leaves(const json_t *set, struct fpath *p, leaf_fn fn, void *ctx)
{
	const char *k;
	json_t *child;
	int rc;

	json_object_foreach((json_t *)set, k, child) {
		if (p->n >= APISRV_MAX_DEPTH + 1 || !json_is_object(child))
			continue;
		p->k[p->n++] = k;
		if (json_object_size(child) == 0)
			rc = fn(ctx, p);
		else
			rc = walk_leaves(child, p, fn, ctx);
		p->n--;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int set_has_leaf(const json_t *set, const struct fpath *p)
{
	for (int i = 0; i < p->n && set; i++)
		set = json_object_get(set, p->k[i]);
	return json_is_object(set) && json_object_size(set) == 0;
}

static int set_add(json_t *set, const struct fpath *p)
{
	json_t *next;

	for (int i = 0; i < p->n; i++) {
		next = json_object_get(set, p->k[i]);
		if (!next) {
			next = json_object();
			if (!next || json_object_set_new(set, p->k[i], next) != 0)
				return SS_E_NOMEM;
		}
		set = next;
	}
	return 0;
}

/* Removes the leaf at p and every parent that becomes empty. */
static void set_remove(json_t *set, const struct fpath *p, int i)
{
	json_t *child = json_object_get(set, p->k[i]);

	if (!child)
		return;
	if (i + 1 < p->n) {
		set_remove(child, p, i + 1);
		if (json_object_size(child) != 0)
			return;
	}
	json_object_del(set, p->k[i]);
}

/* The value at a field path in an object ("f:" prefixes dropped). */
static json_t *obj_get(const json_t *obj, const struct fpath *p)
{
	for (int i = 0; i < p->n && obj; i++)
		obj = json_is_object(obj) ? json_object_get(obj, p->k[i] + 2) : NULL;
	return (json_t *)obj;
}

static void obj_del(json_t *obj, const struct fpath *p)
{
	for (int i = 0; i + 1 < p->n && obj; i++)
		obj = json_object_get(obj, p->k[i] + 2);
	if (json_is_object(obj) && p->n > 0)
		json_object_del(obj, p->k[p->n - 1] + 2);
}

static void path_format(const struct fpath *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->n && off < len; i++) {
		int w = snprintf(buf + off, len - off, ".%s", p->k[i] + 2);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static json_t *set_of_value(const json_t *v, int depth)
{
	json_t *set = json_object();
	const char *k;
	json_t *child;
	char key[600];

	if (!set || !json_is_object(v) || depth > APISRV_MAX_DEPTH)
		return set;
	json_object_foreach((json_t *)v, k, child) {
		snprintf(key, sizeof(key), "f:%s", k);
		if (json_object_set_new(set, key, set_of_value(child, depth + 1)) != 0) {
			json_decref(set);
			return NULL;
		}
	}
	return set;
}

/* A copy of a request object without the fields the server owns. */
static json_t *strip_system(const json_t *obj)
{
	json_t *c = json_deep_copy(obj);
	json_t *meta = c ? json_object_get(c, "metadata") : NULL;

	for (int i = 0; meta && meta_system[i]; i++)
		json_object_del(meta, meta_system[i]);
	return c;
}

/* The fields a body sets: everything but identity and system fields. */
static json_t *fieldset_of(const json_t *obj)
{
	json_t *c = strip_system(obj), *meta, *set;

	if (!c)
		return NULL;
	json_object_del(c, "apiVersion");
	json_object_del(c, "kind");
	json_object_del(c, "status");
	meta = json_object_get(c, "metadata");
	if (meta) {
		json_object_del(meta, "name");
		json_object_del(meta, "namespace");
		if (json_object_size(meta) == 0)
			json_object_del(c, "metadata");
	}
	set = set_of_value(c, 0);
	json_decref(c);
	return set;
}

static void merge_into(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *sv, *dv;

	json_object_foreach((json_t *)src, k, sv) {
		dv = json_object_get(dst, k);
		if (json_is_object(dv) && json_is_object(sv) && json_object_size(sv) > 0)
			merge_into(dv, sv);
		else
			json_object_set_new(dst, k, json_deep_copy(sv));
	}
}

static json_t *mf_entry_new(const char *manager, const char *op, const char *api_version,
			    const char *now, json_t *set)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "manager", manager, "operation", op,
			 "apiVersion", api_version ? api_version : "v1", "time", now,
			 "fieldsType", "FieldsV1", "fieldsV1", set);
}

static json_t *mf_of(const json_t *obj)
{
	json_t *mf = obj ? json_object_get(json_object_get(obj, "metadata"), "managedFields")
			 : NULL;

	return json_is_array(mf) ? json_deep_copy(mf) : json_array();
}

static int mf_is(const json_t *e, const char *manager, const char *op)
{
	return strcmp(json_string_value(json_object_get(e, "manager")) ?: "", manager) == 0 &&
	       (!op || strcmp(json_string_value(json_object_get(e, "operation")) ?: "", op) == 0);
}

static json_t *mf_set(const json_t *e)
{
	json_t *s = json_object_get(e, "fieldsV1");

	return json_is_object(s) ? s : NULL;
}

/* Drops entries that own nothing, and stores mf (stolen) in obj. */
static int mf_store(json_t *obj, json_t *mf)
{
	json_t *meta = json_object_get(obj, "metadata");
	size_t i = 0;

	while (i < json_array_size(mf)) {
		json_t *s = mf_set(json_array_get(mf, i));
		if (!s || json_object_size(s) == 0)
			json_array_remove(mf, i);
		else
			i++;
	}
	if (!json_is_object(meta)) {
		json_decref(mf);
		return SS_E_INVAL;
	}
	if (json_array_size(mf) == 0) {
		json_decref(mf);
		json_object_del(meta, "managedFields");
		return 0;
	}
	return json_object_set_new(meta, "managedFields", mf) ? SS_E_NOMEM : 0;
}

/* ---- apply ------------------------------------------------------------ */

struct conflict_ctx {
	const json_t *live, *applied, *aset;
	const json_t *entry;
	size_t entry_idx;
	struct apisrv_apply_result *res;
	json_t *mf;
	int force;
};

static int conflict_leaf(void *vctx, const struct fpath *p)
{
	struct conflict_ctx *c = vctx;
	struct apisrv_conflict *cf;

	if (!set_has_leaf(c->aset, p) || json_equal(obj_get(c->live, p), obj_get(c->applied, p)))
		return 0;
	if (c->force)
		return 0;
	if (c->res->nconflicts >= APISRV_MAX_CONFLICTS)
		return 0;
	cf = &c->res->conflicts[c->res->nconflicts++];
	snprintf(cf->manager, sizeof(cf->manager), "%s",
		 json_string_value(json_object_get(c->entry, "manager")) ?: "");
	snprintf(cf->api_version, sizeof(cf->api_version), "%s",
		 json_string_value(json_object_get(c->entry, "apiVersion")) ?: "");
	path_format(p, cf->field, sizeof(cf->field));
	return 0;
}

/* Forced: the applier takes the field from the other manager. */
static int take_leaf(void *vctx, const struct fpath *p)
{
	struct conflict_ctx *c = vctx;

	if (set_has_leaf(c->aset, p) && !json_equal(obj_get(c->live, p), obj_get(c->applied, p)))
		set_remove(mf_set(json_array_get(c->mf, c->entry_idx)), p, 0);
	return 0;
}

static void find_conflicts(struct conflict_ctx *c, const char *manager)
{
	struct fpath p = {.n = 0};
	size_t i;
	json_t *e;
	json_t *orig = json_deep_copy(c->mf);

	json_array_foreach(orig, i, e) {
		if (mf_is(e, manager, NULL) || !mf_set(e))
			continue;
		c->entry = e;
		c->entry_idx = i;
		walk_leaves(mf_set(e), &p, c->force ? take_leaf : conflict_leaf, c);
	}
	json_decref(orig);
}

struct prune_ctx {
	json_t *obj, *mf;
	const json_t *aset;
	const char *manager;
};

/* A field the applier set before and no longer sets goes, unless shared. */
static int prune_leaf(void *vctx, const struct fpath *p)
{
	struct prune_ctx *c = vctx;
	size_t i;
	json_t *e;

	if (set_has_leaf(c->aset, p))
		return 0;
	json_array_foreach(c->mf, i, e) {
		if (mf_is(e, c->manager, "Apply"))
			continue;
		if (mf_set(e) && set_has_leaf(mf_set(e), p))
			return 0;
	}
	obj_del(c->obj, p);
	return 0;
}

static json_t *mf_find(json_t *mf, const char *manager, const char *op, size_t *idx)
{
	size_t i;
	json_t *e;

	json_array_foreach(mf, i, e) {
		if (mf_is(e, manager, op)) {
			if (idx)
				*idx = i;
			return e;
		}
	}
	return NULL;
}

static int apply_existing(const json_t *live, const json_t *body, json_t *aset,
			  const char *manager, const char *now, struct apisrv_apply_result *res,
			  int force)
{
	struct conflict_ctx cc = {.live = live, .applied = body, .aset = aset, .res = res,
				  .force = force};
	struct prune_ctx pc = {.aset = aset, .manager = manager};
	struct fpath p = {.n = 0};
	json_t *obj = NULL, *entry;
	const char *av = json_string_value(json_object_get(body, "apiVersion"));
	int rc = SS_E_NOMEM;

	cc.mf = mf_of(live);
	find_conflicts(&cc, manager);
	if (res->nconflicts > 0) {
		rc = 0;
		goto out;
	}
	obj = json_deep_copy(live);
	if (!obj || !cc.mf)
		goto out;
	entry = mf_find(cc.mf, manager, "Apply", NULL);
	pc.obj = obj;
	pc.mf = cc.mf;
	if (entry && mf_set(entry)) {
		walk_leaves(mf_set(entry), &p, prune_leaf, &pc);
		json_object_set(entry, "fieldsV1", aset);
		json_object_set_new(entry, "apiVersion", json_string(av ? av : "v1"));
	} else if (json_array_append_new(cc.mf, mf_entry_new(manager, "Apply", av, now,
							     json_incref(aset))) != 0) {
		goto out;
	}
	merge_into(obj, body);
	rc = mf_store(obj, cc.mf);
	cc.mf = NULL;
	if (rc != 0)
		goto out;
	res->changed = !json_equal(obj, live);
	entry = mf_find(json_object_get(json_object_get(obj, "metadata"), "managedFields"),
			manager, "Apply", NULL);
	if (entry && res->changed)
		json_object_set_new(entry, "time", json_string(now));
	res->obj = obj;
	obj = NULL;
out:
	json_decref(cc.mf);
	json_decref(obj);
	return rc;
}

int apisrv_fields_apply(const json_t *live, const json_t *applied, const char *manager,
			int force, const char *now, struct apisrv_apply_result *res,
			struct ss_err *err)
{
	json_t *body = NULL, *aset = NULL, *mf = NULL;
	const char *av = json_string_value(json_object_get(applied, "apiVersion"));
	int rc = SS_E_NOMEM;

	memset(res, 0, sizeof(*res));
	body = strip_system(applied);
	aset = body ? fieldset_of(body) : NULL;
	if (!aset)
		goto out;
	if (live) {
		rc = apply_existing(live, body, aset, manager, now, res, force);
		goto out;
	}
	mf = json_array();
	if (!mf || json_array_append_new(mf, mf_entry_new(manager, "Apply", av, now,
							  json_incref(aset))) != 0)
		goto out;
	rc = mf_store(body, mf);
	mf = NULL;
	if (rc != 0)
		goto out;
	res->changed = 1;
	res->obj = body;
	body = NULL;
out:
	json_decref(mf);
	json_decref(aset);
	json_decref(body);
	if (rc == SS_E_NOMEM)
		ss_err_set(err, rc, "out of memory");
	else if (rc != 0)
		ss_err_set(err, rc, "object without metadata");
	return rc;
}

/* ---- update ----------------------------------------------------------- */

struct update_ctx {
	const json_t *live, *next, *uset;
	json_t *keep;    /* filtered set being built */
	json_t *changed; /* leaves the updater changed */
};

static int keep_present(void *vctx, const struct fpath *p)
{
	struct update_ctx *c = vctx;

	if (set_has_leaf(c->uset, p) && !set_has_leaf(c->changed, p))
		return set_add(c->keep, p);
	return 0;
}

static int collect_changed(void *vctx, const struct fpath *p)
{
	struct update_ctx *c = vctx;

	if (!c->live || !json_equal(obj_get(c->live, p), obj_get(c->next, p)))
		return set_add(c->changed, p);
	return 0;
}

static int add_leaf(void *set, const struct fpath *p)
{
	return set_add(set, p);
}

static int update_entries(json_t *mf, struct update_ctx *c, const char *manager,
			  const char *now, const char *av)
{
	struct fpath p = {.n = 0};
	size_t i;
	json_t *e, *mine = NULL;
	int rc = 0;

	json_array_foreach(mf, i, e) {
		if (!mf_set(e))
			continue;
		c->keep = json_object();
		if (!c->keep)
			return SS_E_NOMEM;
		rc = walk_leaves(mf_set(e), &p, keep_present, c);
		json_object_set_new(e, "fieldsV1", c->keep);
		if (rc != 0)
			return rc;
		if (mf_is(e, manager, "Update"))
			mine = e;
	}
	if (json_object_size(c->changed) == 0)
		return 0;
	if (!mine) {
		mine = mf_entry_new(manager, "Update", av, now, json_object());
		if (!mine || json_array_append_new(mf, mine) != 0)
			return SS_E_NOMEM;
	}
	json_object_set_new(mine, "time", json_string(now));
	return walk_leaves(c->changed, &p, add_leaf, mf_set(mine));
}

int apisrv_fields_update(const json_t *live, json_t *next, const char *manager,
			 const char *now, struct ss_err *err)
{
	struct update_ctx c = {.live = live, .next = next};
	struct fpath p = {.n = 0};
	const char *av = json_string_value(json_object_get(next, "apiVersion"));
	json_t *mf = mf_of(live);
	int rc = SS_E_NOMEM;

	c.uset = fieldset_of(next);
	c.changed = json_object();
	if (!mf || !c.uset || !c.changed)
		goto out;
	rc = walk_leaves(c.uset, &p, collect_changed, &c);
	if (rc == 0)
		rc = update_entries(mf, &c, manager, now, av);
	if (rc == 0) {
		rc = mf_store(next, mf);
		mf = NULL;
	}
out:
	json_decref(mf);
	json_decref((json_t *)c.uset);
	json_decref(c.changed);
	if (rc != 0)
		ss_err_set(err, rc, "cannot record managed fields");
	return rc;
}
