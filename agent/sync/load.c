/* load.c: the files of a unit's revision into a bundle (see bundle.h). */
#include <stdlib.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/sops.h"
#include "sealsync/source.h"
#include "sealsync/yaml.h"

json_t *ss_item_obj(const struct ss_item *it)
{
	struct ss_item *m = (struct ss_item *)it; /* see bundle.h: logically const */

	if (m->obj == NULL && m->body != NULL) {
		m->obj = json_loads(m->body, JSON_ALLOW_NUL, NULL);
		if (m->obj != NULL) {
			ss_json_free(m->body);
			m->body = NULL;
		}
	}
	return m->obj;
}

void ss_item_freeze(struct ss_item *it)
{
	char *body;

	if (it->obj == NULL)
		return;
	body = json_dumps(it->obj, JSON_COMPACT);
	if (body == NULL)
		return;
	json_decref(it->obj);
	it->obj = NULL;
	it->body = body;
}

int ss_item_thaw(const struct ss_item *it, struct ss_err *err)
{
	if (ss_item_obj(it) == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return 0;
}

void ss_item_done(struct ss_item *it)
{
	ss_item_freeze(it);
	/* the bundle owns the docset; the origin only borrows it */
	ss_docset_drop_lines((struct ss_docset *)it->origin.ds);
}

void ss_bundle_fit(struct ss_bundle *b)
{
	struct ss_item *np;

	if (b->n == 0 || b->n == b->cap)
		return;
	np = realloc(b->items, b->n * sizeof(*np));
	if (np == NULL)
		return; /* keeps the larger array */
	b->items = np;
	b->cap = b->n;
}

void ss_bundle_init(struct ss_bundle *b)
{
	memset(b, 0, sizeof(*b));
}

void ss_bundle_release(struct ss_bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		json_decref(b->items[i].obj);
		ss_json_free(b->items[i].body);
	}
	for (i = 0; i < b->ndocsets; i++) {
		ss_docset_free(b->docsets[i]);
		free(b->files[i]);
	}
	free(b->items);
	free(b->docsets);
	free(b->files);
	memset(b, 0, sizeof(*b));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * size);
	if (np == NULL)
		return SS_E_NOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static int keep_docset(struct ss_bundle *b, struct ss_docset *ds, const char *name)
{
	size_t cap = b->capdocsets;
	char *copy = strdup(name);

	if (copy == NULL || grow((void **)&b->docsets, &cap, b->ndocsets + 1, sizeof(*b->docsets)) ||
	    grow((void **)&b->files, &b->capdocsets, b->ndocsets + 1, sizeof(*b->files))) {
		free(copy);
		return SS_E_NOMEM;
	}
	b->docsets[b->ndocsets] = ds;
	b->files[b->ndocsets] = copy;
	b->ndocsets++;
	return 0;
}

static int is_sealed_secret(const struct ss_objid *id)
{
	return strcmp(id->group, "sealsync.dev") == 0 && strcmp(id->kind, "SealedSecret") == 0;
}

/* A SOPS document waits for unseal; a unit must opt in (sops.h). */
static int add_sops_doc(struct ss_bundle *b, struct ss_item *it, json_t *obj, struct ss_err *err)
{
	if (!b->allow_sops) {
		ss_origin_err(err, &it->origin, "sops", NULL);
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "a SOPS-encrypted document; the unit must opt in with `sops: true`");
	}
	it->obj = json_incref(obj);
	it->sops = 1;
	it->namespaced = 1;
	b->n++;
	return 0;
}

static int add_doc(struct ss_bundle *b, const struct ss_docset *ds, size_t i, const char *file,
		   struct ss_err *err)
{
	struct ss_item *it;
	json_t *obj = ss_docset_get(ds, i);
	int rc;

	if (b->n >= SS_BUNDLE_MAX_ITEMS)
		return ss_err_set(err, SS_E_LIMIT, "more than %d objects in one unit",
				  SS_BUNDLE_MAX_ITEMS);
	if (grow((void **)&b->items, &b->cap, b->n + 1, sizeof(*b->items)) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	it = &b->items[b->n];
	memset(it, 0, sizeof(*it));
	it->origin.file = file;
	it->origin.doc = ss_docset_index(ds, i);
	it->origin.line = ss_docset_line(ds, i);
	it->origin.ds = ds;
	it->origin.ds_index = i;
	if (!json_is_object(obj)) {
		ss_origin_err(err, &it->origin, NULL, NULL);
		return ss_err_set(err, SS_E_INVAL, "a document must be a Kubernetes object (a mapping)");
	}
	if (ss_sops_is(obj))
		return add_sops_doc(b, it, obj, err);
	rc = ss_object_identity(obj, &it->origin, &it->id, err);
	if (rc != 0)
		return rc;
	it->obj = json_incref(obj);
	it->sealed = is_sealed_secret(&it->id);
	it->namespaced = -1;
	b->n++;
	return 0;
}

static int is_kustomization(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return strcmp(base, "kustomization.yaml") == 0 || strcmp(base, "kustomization.yml") == 0 ||
	       strcmp(base, "Kustomization") == 0;
}

static int is_manifest(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(path + n - 4, ".yml") == 0) ||
	       (n > 5 && strcmp(path + n - 5, ".json") == 0);
}

int ss_bundle_load_text(struct ss_bundle *b, const char *name, const unsigned char *text,
			size_t len, struct ss_err *err)
{
	struct ss_yaml_limits lim;
	struct ss_docset *ds = NULL;
	const char *file;
	size_t i, first;
	int rc;

	ss_yaml_limits_default(&lim);
	rc = ss_yaml_load(name, text, len, &lim, &ds, err);
	if (rc != 0)
		return rc;
	rc = ss_docset_keep_source(ds, text, len);
	if (rc == 0)
		rc = keep_docset(b, ds, name);
	if (rc != 0) {
		ss_docset_free(ds);
		return ss_err_set(err, rc, "out of memory");
	}
	file = b->files[b->ndocsets - 1];
	first = b->n;
	for (i = 0; i < ss_docset_count(ds); i++) {
		rc = add_doc(b, ds, i, file, err);
		if (rc != 0)
			return rc;
	}
	/* Identities are read: keep the items as compact JSON and the text,
	 * not trees and line tables (bundle.h). */
	for (i = first; i < b->n; i++)
		ss_item_freeze(&b->items[i]);
	ss_docset_drop_docs(ds);
	return 0;
}

void ss_bundle_drop_lines(struct ss_bundle *b)
{
	size_t i;

	for (i = 0; i < b->ndocsets; i++)
		ss_docset_drop_lines(b->docsets[i]);
}

/* True when path lies under prefix (a folder), or prefix is the root. */
static int under(const char *path, const char *prefix)
{
	size_t n;

	while (prefix[0] == '.' && prefix[1] == '/')
		prefix += 2;
	if (prefix[0] == '\0' || strcmp(prefix, ".") == 0 || strcmp(prefix, "/") == 0)
		return 1;
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	return strncmp(path, prefix, n) == 0 && path[n] == '/';
}

int ss_bundle_load_tree(struct ss_bundle *b, const struct ss_tree *tree, const char *prefix,
			struct ss_err *err)
{
	const unsigned char *data;
	const char *path;
	size_t i, len;
	int rc;

	for (i = 0; i < ss_tree_count(tree); i++) {
		path = ss_tree_path(tree, i);
		if (!under(path, prefix) || ss_tree_is_symlink(tree, i))
			continue;
		if (is_kustomization(path)) {
			data = ss_tree_data(tree, i, &len);
			rc = ss_bundle_kustomize_sops(tree, path, data, len, err);
			if (rc != 0)
				return rc;
			ss_err_at(err, path, 0, -1);
			return ss_err_set(err, SS_E_UNSUPPORTED,
					  "a kustomization below the unit's folder is not built; make its folder a unit's path (docs/REPOSITORIES.md)");
		}
		if (!is_manifest(path))
			continue;
		data = ss_tree_data(tree, i, &len);
		rc = ss_bundle_load_text(b, path, data, len, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}
