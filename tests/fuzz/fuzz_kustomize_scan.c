// fuzz-link: ss_manifest
// fuzz-src: agent/render/kustomize_scan.c
/*
 * libFuzzer: the kustomization walk (agent/render/kustomize_scan.c) on a
 * repository made of the input. The first line is the unit's folder; then
 * each file starts on a line "@@ PATH" (a symlink: "@@> PATH", its content
 * the target) and runs to the next such line.
 *
 * Checked: a walk that succeeds names the unit's folder first and only
 * kustomization files of the repository (regular files) inside folders that
 * do not climb out of it; a walk that fails leaves the result empty and
 * sets the error it returns; and a URL's userinfo (a token, say) that
 * appears once in the input never reaches the error message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/renderer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_FILES 64

struct repo {
	struct ss_renderer_file f[FZ_MAX_FILES];
	char *paths[FZ_MAX_FILES];
	size_t n;
	char dir[256];
};

static const uint8_t *line_end(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl : end;
}

/* The next "\n@@" after p, or end. */
static const uint8_t *next_header(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || end - nl < 3)
			return end;
		if (nl[1] == '@' && nl[2] == '@')
			return nl + 1;
		p = nl + 1;
	}
	return end;
}

static void repo_load(struct repo *r, const uint8_t *p, size_t size)
{
	const uint8_t *end = p + size, *le = line_end(p, end), *body, *next, *name;
	size_t dl = (size_t)(le - p) < sizeof(r->dir) - 1 ? (size_t)(le - p) : sizeof(r->dir) - 1;

	memcpy(r->dir, p, dl);
	r->dir[dl] = '\0';
	/* p is at "@@" of a header line */
	for (p = next_header(le, end); p < end && r->n < FZ_MAX_FILES; p = next) {
		int link = end - p > 2 && p[2] == '>';

		name = p + 2 + link;
		if (name < end && *name == ' ')
			name++;
		le = line_end(name, end);
		body = le < end ? le + 1 : end;
		next = body < end ? next_header(le, end) : end;
		r->paths[r->n] = strndup((const char *)name, (size_t)(le - name));
		if (r->paths[r->n] == NULL)
			abort();
		r->f[r->n].path = r->paths[r->n];
		r->f[r->n].data = body;
		r->f[r->n].len = next > body ? (size_t)(next - body) : 0;
		r->f[r->n].symlink = link;
		r->n++;
	}
}

static int in_repo(const struct repo *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!r->f[i].symlink && strcmp(r->f[i].path, path) == 0)
			return 1;
	return 0;
}

static void check_ok(const struct repo *r, const struct ss_kustomize_scan *s)
{
	size_t i, dl;

	if (s->n == 0 || s->n > SS_KUSTOMIZE_MAX_DIRS)
		abort();
	for (i = 0; i < s->n; i++) {
		const char *d = s->dirs[i];

		dl = strlen(d);
		if (d[0] == '/' || strcmp(d, "..") == 0 || strncmp(d, "../", 3) == 0 ||
		    strstr(d, "/../") != NULL || (dl >= 3 && strcmp(d + dl - 3, "/..") == 0))
			abort(); /* a folder outside the repository */
		if (!in_repo(r, s->files[i]) || strncmp(s->files[i], d, dl) != 0)
			abort(); /* not a kustomization file of that folder */
	}
}

/* The userinfo of the first URL in a file's content (not in the unit's
 * folder or a path: those are the operator's and Git's, shown as they
 * are), when it appears only once in the whole input. */
static int userinfo(const struct repo *r, const uint8_t *data, size_t size, const uint8_t **u,
		    size_t *ul)
{
	const uint8_t *at = NULL, *e, *end = NULL;
	size_t i;

	for (i = 0; i < r->n && at == NULL; i++) {
		at = memmem(r->f[i].data, r->f[i].len, "://", 3);
		end = r->f[i].data + r->f[i].len;
	}
	if (at == NULL)
		return 0;
	at += 3;
	for (e = at; e < end && *e != '@' && *e != '/' && *e != '\n' && *e != '"'; e++)
		;
	if (e >= end || *e != '@' || e - at < 6)
		return 0;
	*u = at;
	*ul = (size_t)(e - at);
	return memmem(e, (size_t)(data + size - e), at, *ul) == NULL &&
	       memmem(data, (size_t)(at - data), at, *ul) == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_kustomize_scan s;
	struct repo *r;
	struct ss_err err;
	const uint8_t *u;
	size_t i, ul;
	int rc;

	if (size == 0 || size > 65536)
		return 0;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		abort();
	repo_load(r, data, size);
	ss_err_clear(&err);
	rc = ss_kustomize_scan(r->f, r->n, r->dir, &s, &err);
	if (rc == 0)
		check_ok(r, &s);
	else if (rc > 0 || s.n != 0 || err.code != rc)
		abort();
	if (rc != 0 && userinfo(r, data, size, &u, &ul) && memmem(err.msg, strlen(err.msg), u, ul))
		abort(); /* a token in a remote reference was repeated */
	ss_kustomize_scan_release(&s);
	for (i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r);
	return 0;
}
