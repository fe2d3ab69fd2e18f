/*
 * render_copy.c: the private copy of a revision's files that a renderer
 * works on (renderer.h). Git content only, so ciphertext only.
 *
 * A symlink is the one way a repository could make the tool read outside
 * the copy (a key file, the ServiceAccount token). The copy recreates a
 * link only when its target, walked component by component from the link's
 * folder, passes through real folders of the copy and ends on a file or
 * folder of the copy: then the kernel resolves it exactly as we did. Any
 * other link (absolute, a ".." out of the copy, through another link, to
 * nothing) refuses the whole copy, naming the link.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render_int.h"

#define COPY_PATH_MAX 4096

struct ss_renderer_copy {
	char *base;    /* <tmp>/render-XXXXXX */
	char *tree;    /* base/tree */
	char *scratch; /* base/scratch */
};

const char *ss_renderer_copy_root(const struct ss_renderer_copy *c)
{
	return c->tree;
}

const char *ss_renderer_copy_scratch(const struct ss_renderer_copy *c)
{
	return c->scratch;
}

/* Makes every folder writable and searchable first: a tool may have left
 * a 0500 folder in scratch, which would stop the removal. */
static int unlock_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_D || flag == FTW_DNR)
		(void)chmod(p, (st->st_mode & 07777) | 0700);
	return 0;
}

static int remove_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		(void)rmdir(p);
	else
		(void)unlink(p);
	return 0;
}

void ss_renderer_copy_free(struct ss_renderer_copy *c)
{
	if (c == NULL)
		return;
	if (c->base != NULL) {
		(void)nftw(c->base, unlock_cb, 16, FTW_PHYS);
		(void)nftw(c->base, remove_cb, 16, FTW_PHYS | FTW_DEPTH);
	}
	free(c->base);
	free(c->tree);
	free(c->scratch);
	free(c);
}

/* A Git path is relative, with no empty, "." or ".." component. */
static int path_ok(const char *p)
{
	const char *s = p;

	if (p[0] == '\0' || p[0] == '/' || strlen(p) >= COPY_PATH_MAX - 256)
		return 0;
	while (*s != '\0') {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
		if (*s == '\0' && s[-1] == '/')
			return 0;
	}
	return 1;
}

/* mkdir -p of path's parent folders below root (all 0700). */
int render_make_parents(const char *root, const char *path)
{
	char full[COPY_PATH_MAX];
	const char *s;

	for (s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/')) {
		if (snprintf(full, sizeof(full), "%s/%.*s", root, (int)(s - path), path) >=
		    (int)sizeof(full))
			return -1;
		if (mkdir(full, 0700) != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int write_file(const char *root, const struct ss_renderer_file *f, struct ss_err *err)
{
	char full[COPY_PATH_MAX];
	size_t off = 0;
	ssize_t w;
	int fd;

	snprintf(full, sizeof(full), "%s/%s", root, f->path);
	if (render_make_parents(root, f->path) != 0)
		return ss_err_set(err, SS_E_IO, "cannot create the folders of %s: %s", f->path,
				  strerror(errno));
	fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ss_err_set(err, SS_E_IO, "cannot create %s in the copy: %s", f->path,
				  strerror(errno));
	while (off < f->len) {
		w = write(fd, f->data + off, f->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return ss_err_set(err, SS_E_IO, "cannot write %s in the copy", f->path);
		}
		off += (size_t)w;
	}
	return close(fd) == 0 ? 0 : ss_err_set(err, SS_E_IO, "cannot write %s in the copy", f->path);
}

static int make_dirs(struct ss_renderer_copy *c, const char *tmp_dir, struct ss_err *err)
{
	size_t n = strlen(tmp_dir) + 32;

	if (mkdir(tmp_dir, 0700) != 0 && errno != EEXIST)
		return ss_err_set(err, SS_E_IO, "cannot create %s: %s", tmp_dir, strerror(errno));
	c->base = malloc(n);
	c->tree = malloc(n + 8);
	c->scratch = malloc(n + 16);
	if (c->base == NULL || c->tree == NULL || c->scratch == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(c->base, n, "%s/render-XXXXXX", tmp_dir);
	if (mkdtemp(c->base) == NULL) {
		free(c->base);
		c->base = NULL; /* nothing to remove */
		return ss_err_set(err, SS_E_IO, "cannot create a folder in %s: %s", tmp_dir,
				  strerror(errno));
	}
	snprintf(c->tree, n + 8, "%s/tree", c->base);
	snprintf(c->scratch, n + 16, "%s/scratch", c->base);
	if (mkdir(c->tree, 0700) != 0 || mkdir(c->scratch, 0700) != 0)
		return ss_err_set(err, SS_E_IO, "cannot create the copy's folders: %s",
				  strerror(errno));
	return 0;
}

static int copy_files(struct ss_renderer_copy *c, const struct ss_renderer_file *files,
		      size_t nfiles, struct ss_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < nfiles; i++) {
		if (!path_ok(files[i].path)) {
			ss_err_at(err, files[i].path, 0, -1);
			return ss_err_set(err, SS_E_UNSUPPORTED, "not a plain relative path");
		}
		if (files[i].symlink)
			continue;
		if ((rc = write_file(c->tree, &files[i], err)) != 0)
			return rc;
	}
	for (i = 0; i < nfiles; i++) {
		if (!files[i].symlink)
			continue;
		if ((rc = render_link_check(files, nfiles, &files[i], err)) != 0)
			return rc;
		if ((rc = render_link_make(c->tree, &files[i], err)) != 0)
			return rc;
	}
	return 0;
}

int ss_renderer_copy_create(const char *tmp_dir, const struct ss_renderer_file *files,
			    size_t nfiles, struct ss_renderer_copy **out, struct ss_err *err)
{
	struct ss_renderer_copy *c;
	int rc;

	*out = NULL;
	if (tmp_dir == NULL || tmp_dir[0] != '/')
		return ss_err_set(err, SS_E_USAGE, "the render folder must be an absolute path");
	if (nfiles > SS_RENDERER_MAX_FILES)
		return ss_err_set(err, SS_E_LIMIT, "more than %u files to render",
				  SS_RENDERER_MAX_FILES);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = make_dirs(c, tmp_dir, err);
	if (rc == 0)
		rc = copy_files(c, files, nfiles, err);
	if (rc != 0) {
		ss_renderer_copy_free(c);
		return rc;
	}
	*out = c;
	return 0;
}
