/*
 * source_local.c: a checked-out working tree and the local repository it
 * belongs to, for --diff --local (see source.h). Nothing here touches the
 * network or writes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sealsync/file.h"

#include "source_int.h"

#define DIR_MAX_FILES 100000
#define DIR_MAX_DEPTH 64

int ss_source_open_local(const char *dir, struct ss_source **out, struct ss_err *err)
{
	struct ss_source *s;
	const char *where;

	*out = NULL;
	if (sodium_init() < 0 || git_libgit2_init() < 0)
		return ss_err_set(err, SS_E_INTERNAL, "cannot initialise libgit2");
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		git_libgit2_shutdown();
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	s->o.ref = "(working tree)";
	s->o.max_blob = SS_SOURCE_DEFAULT_MAX_BLOB;
	s->o.max_total = SS_SOURCE_DEFAULT_MAX_TOTAL;
	/* Found upwards as git finds it, and stopped where git would stop. */
	if (git_repository_open_ext(&s->repo, dir, 0, getenv("GIT_CEILING_DIRECTORIES")) != 0) {
		ss_source_free(s);
		return ss_err_set(err, SS_E_NOTFOUND,
				  "%s is in no Git repository: --local compares sealed values with "
				  "the revision last applied, read from the repository", dir);
	}
	where = git_repository_workdir(s->repo);
	s->url_safe = strdup(where != NULL ? where : git_repository_path(s->repo));
	if (s->url_safe == NULL) {
		ss_source_free(s);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

int ss_source_has_commit(struct ss_source *s, const char *commit)
{
	git_commit *c = NULL;
	git_oid id;
	int found;

	if (strlen(commit) != GIT_OID_HEXSZ || git_oid_fromstr(&id, commit) != 0)
		return 0;
	found = git_commit_lookup(&c, s->repo, &id) == 0;
	git_commit_free(c);
	return found;
}

struct dir_walk {
	struct ss_tree *t;
	const char *root;
	size_t total, files;
	struct ss_err *err;
};

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s%s%s", a, a[0] != '\0' && b[0] != '\0' ? "/" : "", b);
	return p;
}

/* One regular file: rel is its path below the root (taken over). */
static int dir_file(struct dir_walk *w, char *rel, const char *full)
{
	struct ss_buf data;
	int rc;

	if (++w->files > DIR_MAX_FILES) {
		free(rel);
		return ss_err_set(w->err, SS_E_LIMIT, "more than %d files", DIR_MAX_FILES);
	}
	ss_buf_init(&data, SS_SOURCE_DEFAULT_MAX_BLOB);
	rc = ss_file_read(full, &data, w->err);
	if (rc == 0 && data.len > SS_SOURCE_DEFAULT_MAX_TOTAL - w->total)
		rc = ss_err_set(w->err, SS_E_LIMIT, "the working tree's files exceed %u bytes",
				SS_SOURCE_DEFAULT_MAX_TOTAL);
	if (rc == 0 && data.data == NULL && ss_buf_putc(&data, 0) == 0)
		data.len = 0; /* an empty file: still a NUL-terminated buffer */
	if (rc == 0) {
		w->total += data.len;
		rc = source_tree_push(w->t, rel, data.data, data.len);
	}
	if (rc == 0) {
		rel = NULL;
		data.data = NULL; /* the tree owns it now (plain malloc: no secret) */
	}
	free(rel);
	ss_buf_release(&data);
	return rc;
}

static int dir_walk_at(struct dir_walk *w, const char *rel, int depth);

static int dir_entry(struct dir_walk *w, const char *rel, const char *name, int depth)
{
	char *sub = join(rel, name), *full = NULL;
	struct stat st;
	int rc = 0;

	if (sub == NULL || (full = join(w->root, sub)) == NULL) {
		free(sub);
		return ss_err_set(w->err, SS_E_NOMEM, "out of memory");
	}
	if (lstat(full, &st) != 0)
		rc = ss_err_set(w->err, SS_E_IO, "cannot stat %s: %s", full, strerror(errno));
	else if (S_ISDIR(st.st_mode) && strcmp(name, ".git") != 0)
		rc = dir_walk_at(w, sub, depth + 1);
	else if (S_ISREG(st.st_mode)) {
		rc = dir_file(w, sub, full);
		sub = NULL;
	}
	free(sub);
	free(full);
	return rc;
}

static int dir_walk_at(struct dir_walk *w, const char *rel, int depth)
{
	char *full = join(w->root, rel);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (full == NULL)
		return ss_err_set(w->err, SS_E_NOMEM, "out of memory");
	if (depth > DIR_MAX_DEPTH)
		rc = ss_err_set(w->err, SS_E_LIMIT, "%s: folders nested deeper than %d", full,
				DIR_MAX_DEPTH);
	else if ((d = opendir(full)) == NULL)
		rc = ss_err_set(w->err, SS_E_IO, "cannot read the folder %s: %s", full,
				strerror(errno));
	else {
		while (rc == 0 && (e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				rc = dir_entry(w, rel, e->d_name, depth);
		closedir(d);
	}
	free(full);
	return rc;
}

/* "./apps/" -> "apps"; "" and "." -> "" (the whole tree). */
static void clean_path(const char *p, char *out, size_t cap)
{
	size_t n;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (p[0] == '/')
		p++;
	if (strcmp(p, ".") == 0)
		p = "";
	snprintf(out, cap, "%s", p);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
}

static int read_one_path(struct dir_walk *w, const char *path)
{
	char rel[4096], *full;
	struct stat st;
	int rc;

	clean_path(path, rel, sizeof(rel));
	if (strstr(rel, "..") != NULL)
		return ss_err_set(w->err, SS_E_USAGE, "path %s leaves the working tree", path);
	if ((full = join(w->root, rel)) == NULL)
		return ss_err_set(w->err, SS_E_NOMEM, "out of memory");
	if (lstat(full, &st) != 0) {
		ss_err_at(w->err, rel, 0, -1);
		rc = ss_err_set(w->err, SS_E_NOTFOUND, "path not found in the working tree %s",
				w->root);
	} else if (S_ISDIR(st.st_mode))
		rc = dir_walk_at(w, rel, 0);
	else if (S_ISREG(st.st_mode)) {
		char *copy = strdup(rel);

		rc = copy != NULL ? dir_file(w, copy, full) : ss_err_set(w->err, SS_E_NOMEM,
									  "out of memory");
	} else
		rc = ss_err_set(w->err, SS_E_UNSUPPORTED, "%s: not a regular file or folder", rel);
	free(full);
	return rc;
}

int ss_tree_read_dir(const char *root, const char *const *paths, size_t npaths,
		     struct ss_tree **out, struct ss_err *err)
{
	struct dir_walk w = {NULL, root, 0, 0, err};
	size_t i;
	int rc = 0;

	*out = NULL;
	w.t = source_tree_new();
	if (w.t == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; i < npaths && rc == 0; i++)
		rc = read_one_path(&w, paths[i]);
	if (rc != 0) {
		ss_tree_free(w.t);
		return rc;
	}
	source_tree_sort(w.t);
	*out = w.t;
	return 0;
}
