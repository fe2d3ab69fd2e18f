/*
 * render_wire.c: the render server protocol, both directions (renderer.h).
 *
 * One job per connection, in the byte order of the machine (both ends are
 * the same image in one Pod):
 *   request  "SSR1", u32 timeout_sec, u32 memory_mib, u64 max_output,
 *            str tool, str cwd, str what, str unit, u32 nargs, str args...,
 *            u32 nfiles, per file: u8 symlink, str path, u64 len, bytes
 *   reply    "SSR1", u8 ok; ok: u64 len, bytes (the tool's stdout);
 *            else: i32 code, str message, str file, u32 line, str field
 * str is u32 length + bytes. Every length is checked against a cap before
 * anything is allocated: a peer cannot make the other side allocate more
 * than the request cap (the Git revision cap plus headroom).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"
#include "sealsync/buf.h"

#define WIRE_MAGIC "SSR1"
#define WIRE_MAX_STR 4096u

static int put(struct ss_buf *b, const void *p, size_t n)
{
	return ss_buf_append(b, p, n);
}

static int put_u32(struct ss_buf *b, uint32_t v)
{
	return put(b, &v, sizeof(v));
}

static int put_u64(struct ss_buf *b, uint64_t v)
{
	return put(b, &v, sizeof(v));
}

static int put_str(struct ss_buf *b, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > WIRE_MAX_STR)
		return SS_E_LIMIT;
	return put_u32(b, (uint32_t)n) || (n > 0 && put(b, s, n)) ? SS_E_LIMIT : 0;
}

int render_wire_put_request(struct ss_buf *b, const struct ss_renderer_opts *o,
			    const struct ss_renderer_job *job, const struct ss_renderer_file *files,
			    size_t nfiles)
{
	size_t i, nargs = 0;
	int rc;

	while (job->args != NULL && job->args[nargs] != NULL)
		nargs++;
	rc = put(b, WIRE_MAGIC, 4) || put_u32(b, o->timeout_sec) || put_u32(b, o->memory_mib) ||
	     put_u64(b, o->max_output) || put_str(b, job->tool) || put_str(b, job->cwd) ||
	     put_str(b, job->what) || put_str(b, o->unit) || put_u32(b, (uint32_t)nargs);
	for (i = 0; rc == 0 && i < nargs; i++)
		rc = put_str(b, job->args[i]);
	if (rc == 0)
		rc = put_u32(b, (uint32_t)nfiles);
	for (i = 0; rc == 0 && i < nfiles; i++) {
		uint8_t l = files[i].symlink ? 1 : 0;

		rc = put(b, &l, 1) || put_str(b, files[i].path) || put_u64(b, files[i].len) ||
		     (files[i].len > 0 && put(b, files[i].data, files[i].len));
	}
	return rc != 0 ? SS_E_LIMIT : 0;
}

int render_wire_put_reply(struct ss_buf *b, int rc, const unsigned char *out, size_t len,
			  const struct ss_err *e)
{
	uint8_t ok = rc == 0;
	int32_t code = rc;

	if (put(b, WIRE_MAGIC, 4) || put(b, &ok, 1))
		return SS_E_LIMIT;
	if (ok)
		return put_u64(b, len) || (len > 0 && put(b, out, len)) ? SS_E_LIMIT : 0;
	return put(b, &code, sizeof(code)) || put_str(b, e->msg) || put_str(b, e->file) ||
			       put_u32(b, e->line) || put_str(b, e->field)
		       ? SS_E_LIMIT
		       : 0;
}

/* A reader over one received message. */
struct rd {
	const unsigned char *p;
	size_t left;
};

static int get(struct rd *r, void *out, size_t n)
{
	if (n > r->left)
		return -1;
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

/* A string as a pointer into the message, copied NUL-terminated into a
 * fresh allocation. */
static int get_str(struct rd *r, char **out)
{
	uint32_t n;

	*out = NULL;
	if (get(r, &n, sizeof(n)) != 0 || n > WIRE_MAX_STR || n > r->left)
		return -1;
	*out = strndup((const char *)r->p, n);
	r->p += n;
	r->left -= n;
	return *out != NULL ? 0 : -1;
}

void render_request_release(struct render_request *q)
{
	size_t i;

	for (i = 0; i < q->nfiles; i++)
		free((char *)q->files[i].path);
	for (i = 0; i < SS_RENDERER_MAX_ARGS; i++)
		free(q->args[i]);
	free(q->files);
	free(q->tool);
	free(q->cwd);
	free(q->what);
	free(q->unit);
	memset(q, 0, sizeof(*q));
}

/* One file entry; on failure nothing is left allocated. */
static int get_file(struct rd *r, struct ss_renderer_file *f)
{
	uint8_t l;
	uint64_t len;
	char *path;

	if (get(r, &l, 1) != 0 || get_str(r, &path) != 0)
		return -1;
	if (get(r, &len, sizeof(len)) != 0 || len > r->left) {
		free(path);
		return -1;
	}
	f->path = path;
	f->symlink = l != 0;
	f->data = r->p; /* borrowed from the message */
	f->len = (size_t)len;
	r->p += len;
	r->left -= (size_t)len;
	return 0;
}

/* The list is built in a local and handed to q only whole, so a short
 * message frees what it had decoded here, not in the caller. */
static int get_files(struct rd *r, struct render_request *q)
{
	struct ss_renderer_file *files;
	uint32_t n;
	size_t i, j;

	if (get(r, &n, sizeof(n)) != 0 || n > SS_RENDERER_MAX_FILES)
		return -1;
	files = calloc(n ? n : 1, sizeof(*files));
	if (files == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (get_file(r, &files[i]) != 0)
			goto fail;
	q->files = files;
	q->nfiles = n;
	return 0;
fail:
	for (j = 0; j < i; j++)
		free((char *)files[j].path);
	free(files);
	return -1;
}

int render_wire_get_request(const unsigned char *msg, size_t len, struct render_request *q)
{
	struct rd r = {msg, len};
	char magic[4];
	uint32_t nargs;
	uint64_t max_output;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (get(&r, magic, 4) != 0 || memcmp(magic, WIRE_MAGIC, 4) != 0 ||
	    get(&r, &q->o.timeout_sec, 4) != 0 || get(&r, &q->o.memory_mib, 4) != 0 ||
	    get(&r, &max_output, 8) != 0 || get_str(&r, &q->tool) != 0 ||
	    get_str(&r, &q->cwd) != 0 || get_str(&r, &q->what) != 0 ||
	    get_str(&r, &q->unit) != 0 || get(&r, &nargs, 4) != 0 || nargs > SS_RENDERER_MAX_ARGS)
		return -1;
	for (i = 0; i < nargs; i++)
		if (get_str(&r, &q->args[i]) != 0)
			return -1;
	if (get_files(&r, q) != 0 || r.left != 0)
		return -1;
	q->o.max_output = (size_t)max_output;
	q->o.unit = q->unit;
	q->job.tool = q->tool;
	q->job.cwd = q->cwd;
	q->job.what = q->what;
	q->job.args = (const char *const *)q->args;
	return 0;
}

int render_wire_get_reply(const unsigned char *msg, size_t len, const unsigned char **out,
			  size_t *outlen, struct ss_err *err)
{
	struct rd r = {msg, len};
	char magic[4], *m = NULL, *file = NULL, *field = NULL;
	uint8_t ok;
	uint64_t n;
	int32_t code;
	uint32_t line;

	if (get(&r, magic, 4) != 0 || memcmp(magic, WIRE_MAGIC, 4) != 0 || get(&r, &ok, 1) != 0)
		return 1;
	if (ok) {
		if (get(&r, &n, 8) != 0 || n != r.left)
			return 1;
		*out = r.p;
		*outlen = (size_t)n;
		return 0;
	}
	if (get(&r, &code, 4) != 0 || code >= 0 || get_str(&r, &m) != 0 ||
	    get_str(&r, &file) != 0 || get(&r, &line, 4) != 0 || get_str(&r, &field) != 0) {
		free(m);
		free(file);
		return 1;
	}
	ss_err_at(err, file[0] != '\0' ? file : NULL, line, -1);
	ss_err_field(err, field[0] != '\0' ? field : NULL, NULL);
	ss_err_set(err, code, "%s", m);
	free(m);
	free(file);
	free(field);
	return code;
}
