/*
 * source_tree.c: the files of one revision, read straight from the cache's
 * object database (no work tree is ever written). Sizes are checked from
 * the object header before a blob is loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_int.h"

#define TREE_MAX_FILES 100000

struct tree_file {
	char *path;
	unsigned char *data;
	size_t len;
	int symlink;     /* data is the link's target */
	char oid[41];    /* the blob's Git object id, hex */
};

struct ss_tree {
	struct tree_file *v;
	size_t n, cap;
};

struct walk {
	struct ss_source *s;
	git_odb *odb;
	struct ss_tree *t;
	const char *prefix; /* "apps/" or "" */
	size_t total;
	struct ss_err *err;
	int rc;
};

void ss_tree_free(struct ss_tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].data);
	}
	free(t->v);
	free(t);
}

size_t ss_tree_count(const struct ss_tree *t)
{
	return t->n;
}

const char *ss_tree_path(const struct ss_tree *t, size_t i)
{
	return t->v[i].path;
}

const unsigned char *ss_tree_data(const struct ss_tree *t, size_t i, size_t *len)
{
	*len = t->v[i].len;
	return t->v[i].data;
}

struct ss_tree *source_tree_new(void)
{
	return calloc(1, sizeof(struct ss_tree));
}

int ss_tree_is_symlink(const struct ss_tree *t, size_t i)
{
	return t->v[i].symlink;
}

const char *ss_tree_oid(const struct ss_tree *t, size_t i)
{
	return t->v[i].oid;
}

static int tree_push(struct ss_tree *t, char *path, unsigned char *data, size_t len,
		     const git_oid *oid, int symlink)
{
	struct tree_file *v;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return SS_E_NOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].path = path;
	t->v[t->n].data = data;
	t->v[t->n].len = len;
	t->v[t->n].symlink = symlink;
	if (oid != NULL)
		git_oid_tostr(t->v[t->n].oid, sizeof(t->v[t->n].oid), oid);
	else /* a working tree's file (--diff --local): no object id */
		t->v[t->n].oid[0] = '\0';
	t->n++;
	return 0;
}

int source_tree_push(struct ss_tree *t, char *path, unsigned char *data, size_t len)
{
	return tree_push(t, path, data, len, NULL, 0);
}

/* The caps, checked from the object header before the blob is loaded. */
static int blob_check(struct walk *w, const git_oid *oid, size_t *size)
{
	git_object_t type;

	if (w->t->n >= TREE_MAX_FILES)
		return ss_err_set(w->err, SS_E_LIMIT, "more than %d files", TREE_MAX_FILES);
	if (git_odb_read_header(size, &type, w->odb, oid) != 0 || type != GIT_OBJECT_BLOB)
		return source_git_err(w->s, SS_E_IO, "cannot read a blob", w->err);
	if (*size > w->s->o.max_blob)
		return ss_err_set(w->err, SS_E_LIMIT, "file is %zu bytes, over the cap of %zu per file",
				  *size, w->s->o.max_blob);
	if (*size > w->s->o.max_total - w->total)
		return ss_err_set(w->err, SS_E_LIMIT,
				  "the revision's files exceed the cap of %zu bytes", w->s->o.max_total);
	return 0;
}

/* Loads one blob (a file, or a symlink's target) as path; takes ownership
 * of path. */
static int blob_add(struct walk *w, char *path, const git_oid *oid, int symlink)
{
	git_blob *blob = NULL;
	unsigned char *data = NULL;
	size_t size = 0;
	int rc = blob_check(w, oid, &size);

	if (rc == 0 && git_blob_lookup(&blob, w->s->repo, oid) != 0)
		rc = source_git_err(w->s, SS_E_IO, "cannot read a blob", w->err);
	if (rc == 0 && (data = malloc(size + 1)) == NULL)
		rc = ss_err_set(w->err, SS_E_NOMEM, "out of memory");
	if (rc != 0 || data == NULL) {
		ss_err_at(w->err, path, 0, -1);
		goto out;
	}
	memcpy(data, git_blob_rawcontent(blob), size);
	data[size] = '\0';
	w->total += size;
	/* gcc 12's analyzer loses pointers stored into the grown t->v array and
	 * reports t->v, path and data as leaked; ss_tree_free frees them. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
	if ((rc = tree_push(w->t, path, data, size, oid, symlink)) != 0) {
#pragma GCC diagnostic pop
		ss_err_set(w->err, rc, "out of memory");
		goto out;
	}
	path = NULL;
	data = NULL;
out:
	git_blob_free(blob);
	free(data);
	free(path);
	return rc;
}

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk *w = payload;
	const char *name = git_tree_entry_name(e);
	size_t n;
	char *path;

	/* files and symlinks (their target as data, flagged: the loader skips
	 * them, the renderer's copy checks where they lead); submodules
	 * (commits) are not ours to read */
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	n = strlen(w->prefix) + strlen(root) + strlen(name) + 1;
	path = malloc(n);
	if (path == NULL) {
		w->rc = ss_err_set(w->err, SS_E_NOMEM, "out of memory");
		return -1;
	}
	snprintf(path, n, "%s%s%s", w->prefix, root, name);
	w->rc = blob_add(w, path, git_tree_entry_id(e),
			 git_tree_entry_filemode(e) == GIT_FILEMODE_LINK);
	return w->rc != 0 ? -1 : 0;
}

/* "./apps/" -> "apps"; "" and "." -> "" (the whole tree). */
static char *path_clean(const char *p)
{
	size_t n;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (p[0] == '/')
		p++;
	if (strcmp(p, ".") == 0)
		p = "";
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	return strndup(p, n);
}

static int read_path(struct walk *w, git_tree *root, const char *path)
{
	git_tree_entry *e = NULL;
	git_tree *sub = NULL;
	char *prefix = NULL;
	int rc = 0;

	if (path[0] == '\0') {
		w->prefix = "";
		return git_tree_walk(root, GIT_TREEWALK_PRE, walk_cb, w) != 0 ? w->rc : 0;
	}
	if (git_tree_entry_bypath(&e, root, path) != 0) {
		ss_err_at(w->err, path, 0, -1);
		return ss_err_set(w->err, SS_E_NOTFOUND, "path not found in the commit");
	}
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		prefix = malloc(strlen(path) + 2);
		if (prefix == NULL || git_tree_lookup(&sub, w->s->repo, git_tree_entry_id(e)) != 0) {
			rc = ss_err_set(w->err, SS_E_IO, "cannot read the tree %s", path);
			goto out;
		}
		sprintf(prefix, "%s/", path);
		w->prefix = prefix;
		if (git_tree_walk(sub, GIT_TREEWALK_PRE, walk_cb, w) != 0)
			rc = w->rc != 0 ? w->rc : SS_E_IO;
	} else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
		   git_tree_entry_filemode(e) != GIT_FILEMODE_LINK) {
		if ((prefix = strdup(path)) == NULL)
			rc = ss_err_set(w->err, SS_E_NOMEM, "out of memory");
		else
			rc = blob_add(w, prefix, git_tree_entry_id(e), 0);
		prefix = NULL; /* blob_add took it */
	} else {
		ss_err_at(w->err, path, 0, -1);
		rc = ss_err_set(w->err, SS_E_UNSUPPORTED, "not a regular file or folder");
	}
out:
	git_tree_free(sub);
	git_tree_entry_free(e);
	free(prefix);
	/* False positive, as at blob_add's tree_push: the tree owns the path. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
	return rc;
#pragma GCC diagnostic pop
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tree_file *)a)->path, ((const struct tree_file *)b)->path);
}

/* Sorted bytewise by full path; overlapping paths give each file once. */
void source_tree_sort(struct ss_tree *t)
{
	size_t i, o = 0;

	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof(t->v[0]), file_cmp);
	for (i = 1; i < t->n; i++) {
		if (strcmp(t->v[i].path, t->v[o].path) == 0) {
			free(t->v[i].path);
			free(t->v[i].data);
			continue;
		}
		t->v[++o] = t->v[i];
	}
	t->n = o + 1;
}

static int open_root(struct ss_source *s, const char *commit, git_tree **root, struct ss_err *err)
{
	git_commit *c = NULL;
	git_oid id;
	int rc = 0;

	if (commit == NULL || git_oid_fromstr(&id, commit) != 0 || strlen(commit) != GIT_OID_HEXSZ)
		return ss_err_set(err, SS_E_USAGE, "not a 40-hex commit id");
	if (git_commit_lookup(&c, s->repo, &id) != 0)
		return ss_err_set(err, SS_E_NOTFOUND, "commit %s is not in the cache", commit);
	if (git_commit_tree(root, c) != 0)
		rc = source_git_err(s, SS_E_IO, "cannot read the commit's tree", err);
	git_commit_free(c);
	return rc;
}

int ss_source_read_tree(struct ss_source *s, const char *commit, const char *const *paths,
			size_t npaths, struct ss_tree **out, struct ss_err *err)
{
	struct walk w = {s, NULL, NULL, "", 0, err, 0};
	git_tree *root = NULL;
	char *p = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = open_root(s, commit, &root, err)) != 0)
		goto out;
	w.t = calloc(1, sizeof(*w.t));
	if (w.t == NULL || git_repository_odb(&w.odb, s->repo) != 0) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < npaths; i++) {
		free(p);
		if ((p = path_clean(paths[i])) == NULL) {
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
			goto out;
		}
		w.rc = 0;
		if ((rc = read_path(&w, root, p)) != 0)
			goto out;
	}
	source_tree_sort(w.t);
	*out = w.t;
	w.t = NULL;
out:
	free(p);
	ss_tree_free(w.t);
	git_odb_free(w.odb);
	git_tree_free(root);
	if (rc != 0 && err != NULL)
		ss_err_prefix(err, "source %s ref %s commit %.12s", s->url_safe, s->o.ref,
			      commit != NULL ? commit : "");
	return rc;
}
