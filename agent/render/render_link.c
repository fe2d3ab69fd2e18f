/*
 * render_link.c: which symlinks of a revision the private copy may hold
 * (see render_copy.c for why the rule is this strict).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "render_int.h"

#define LINK_MAX_TARGET 1024

enum entry_kind { ENTRY_NONE, ENTRY_FILE, ENTRY_DIR, ENTRY_LINK };

/* What path (len bytes) is in the file set. */
static enum entry_kind entry_kind(const struct ss_renderer_file *files, size_t n, const char *path,
				  size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = files[i].path;

		if (strncmp(p, path, len) != 0)
			continue;
		if (p[len] == '\0')
			return files[i].symlink ? ENTRY_LINK : ENTRY_FILE;
		if (p[len] == '/')
			return ENTRY_DIR;
	}
	return ENTRY_NONE;
}

static int refuse(const struct ss_renderer_file *l, const char *why, struct ss_err *err)
{
	ss_err_at(err, l->path, 0, -1);
	return ss_err_set(err, SS_E_UNSUPPORTED,
			  "symlink to \"%.*s\" refused: %s; the renderer only follows links to files or folders inside the unit's files",
			  (int)(l->len > 200 ? 200 : l->len), (const char *)l->data, why);
}

/* Drops the last component of the path in buf (length *n). */
static int pop(char *buf, size_t *n)
{
	if (*n == 0)
		return -1;
	while (*n > 0 && buf[*n - 1] != '/')
		(*n)--;
	if (*n > 0)
		(*n)--; /* the '/' */
	buf[*n] = '\0';
	return 0;
}

static int push(char *buf, size_t *n, const char *c, size_t cl)
{
	if (*n + cl + 2 > LINK_MAX_TARGET * 2)
		return -1;
	if (*n > 0)
		buf[(*n)++] = '/';
	memcpy(buf + *n, c, cl);
	*n += cl;
	buf[*n] = '\0';
	return 0;
}

/* The folder that holds the link, as the walk's start. */
static size_t link_dir(const struct ss_renderer_file *l, char *buf)
{
	const char *slash = strrchr(l->path, '/');
	size_t n = slash != NULL ? (size_t)(slash - l->path) : 0;

	if (n >= LINK_MAX_TARGET * 2)
		n = 0;
	memcpy(buf, l->path, n);
	buf[n] = '\0';
	return n;
}

/* One step of the walk: component c of the target, last or not. */
static int step(const struct ss_renderer_file *files, size_t nfiles,
		const struct ss_renderer_file *l, char *cur, size_t *n, const char *c, size_t cl,
		int last, struct ss_err *err)
{
	enum entry_kind k;

	if (cl == 0 || (cl == 1 && c[0] == '.'))
		return 0;
	if (cl == 2 && c[0] == '.' && c[1] == '.')
		return pop(cur, n) == 0 ? 0 : refuse(l, "it leaves the repository's copy", err);
	if (push(cur, n, c, cl) != 0)
		return refuse(l, "the target is too long", err);
	k = entry_kind(files, nfiles, cur, *n);
	if (k == ENTRY_LINK)
		return refuse(l, "it passes through another symlink", err);
	if (k == ENTRY_NONE)
		return refuse(l, "it points to nothing in the unit's files", err);
	if (!last && k != ENTRY_DIR)
		return refuse(l, "it points to nothing in the unit's files", err);
	return 0;
}

int render_link_check(const struct ss_renderer_file *files, size_t nfiles,
		      const struct ss_renderer_file *l, struct ss_err *err)
{
	char cur[LINK_MAX_TARGET * 2 + 1];
	const char *t = (const char *)l->data, *end = t + l->len, *c;
	size_t n;
	int rc;

	if (l->len == 0 || l->len > LINK_MAX_TARGET || memchr(t, '\0', l->len) != NULL)
		return refuse(l, "not a usable target", err);
	if (t[0] == '/')
		return refuse(l, "an absolute target leaves the repository's copy", err);
	n = link_dir(l, cur);
	for (c = t; c < end;) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t cl = slash != NULL ? (size_t)(slash - c) : (size_t)(end - c);

		rc = step(files, nfiles, l, cur, &n, c, cl, slash == NULL || slash + 1 == end, err);
		if (rc != 0)
			return rc;
		c += cl + (slash != NULL ? 1 : 0);
	}
	return 0;
}

int render_link_make(const char *root, const struct ss_renderer_file *l, struct ss_err *err)
{
	char full[4096], target[LINK_MAX_TARGET + 1];

	memcpy(target, l->data, l->len);
	target[l->len] = '\0';
	snprintf(full, sizeof(full), "%s/%s", root, l->path);
	if (render_make_parents(root, l->path) != 0 || symlink(target, full) != 0)
		return ss_err_set(err, SS_E_IO, "cannot create the symlink %s in the copy: %s",
				  l->path, strerror(errno));
	return 0;
}
