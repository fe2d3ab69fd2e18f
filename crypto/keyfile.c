/*
 * keyfile.c: identity files and recipients files on disk (see keys.h):
 * permission policy, loading (file or kubelet-style folder), age-keygen's
 * format, creation and rotation. Key text is read into guarded memory.
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
#include "sealsync/keys.h"
#include "sealsync/secmem.h"

#include "internal.h"

static int check_stat(const struct stat *st, const char *path, struct ss_err *err)
{
	const char *why = NULL;
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (!S_ISREG(st->st_mode))
		why = "not a regular file";
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		why = "writable by group or others";
	else if (st->st_mode & S_IROTH)
		why = "readable by others";
	else if (st->st_uid != geteuid() && st->st_uid != 0)
		why = "owned by another user";
	if (why == NULL)
		return 0;
	ss_err_set(err, SS_E_PERM, "refusing key file with mode %04o: %s (want 0600, or 0440 for a Secret volume)",
		   mode, why);
	ss_err_at(err, path, 0, -1);
	return SS_E_PERM;
}

int ss_keyfile_check_perms(const char *path, struct ss_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		ss_err_set(err, errno == ENOENT ? SS_E_NOTFOUND : SS_E_IO, "cannot stat: %s",
			   strerror(errno));
		ss_err_at(err, path, 0, -1);
		return err != NULL ? err->code : SS_E_IO;
	}
	return check_stat(&st, path, err);
}

/* Clears O_NONBLOCK again so the read loop sees ordinary blocking reads. */
static int clear_nonblock(int fd, struct ss_err *err)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
		return ss_err_set(err, SS_E_IO, "cannot set file flags: %s", strerror(errno));
	return 0;
}

/*
 * Opens path and checks the permissions of what was opened (no stat/open
 * race). O_NONBLOCK because opening a FIFO for reading blocks until a writer
 * appears: a FIFO (or device) given as a key file must be refused, not hang.
 */
static int keyfile_open(const char *path, int *fd, struct ss_err *err)
{
	struct stat st;
	int rc;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (*fd < 0) {
		rc = ss_err_set(err, errno == ENOENT ? SS_E_NOTFOUND : SS_E_IO, "cannot open key file: %s",
				strerror(errno));
		ss_err_at(err, path, 0, -1);
		return rc;
	}
	if (fstat(*fd, &st) != 0)
		rc = ss_err_set(err, SS_E_IO, "cannot stat: %s", strerror(errno));
	else
		rc = check_stat(&st, path, err);
	if (rc == 0)
		rc = clear_nonblock(*fd, err);
	if (rc != 0) {
		ss_err_at(err, path, 0, -1);
		close(*fd);
		*fd = -1;
	}
	return rc;
}

/* Reads a checked key file into a secure buffer the caller releases. */
static int keyfile_read(const char *path, struct ss_buf *text, struct ss_err *err)
{
	int fd, rc;

	ss_buf_init_secure(text, SS_KEYFILE_MAX);
	rc = keyfile_open(path, &fd, err);
	if (rc != 0)
		return rc;
	rc = ss_fd_read(fd, path, text, err);
	close(fd);
	return rc;
}

int ss_keyring_load_file(struct ss_keyring *kr, const char *path, struct ss_err *err)
{
	struct ss_buf text;
	int rc = keyfile_read(path, &text, err);

	if (rc == 0)
		rc = ss_keyring_parse(kr, (const char *)text.data, text.len, path, err);
	ss_buf_release(&text);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the sorted names in dir that do not start with '.'. */
static int list_dir(const char *dir, char ***names, size_t *n, struct ss_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **p;
	size_t cnt = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL) {
		rc = ss_err_set(err, errno == ENOENT ? SS_E_NOTFOUND : SS_E_IO, "cannot open folder: %s",
				strerror(errno));
		ss_err_at(err, dir, 0, -1);
		return rc;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		/* gcc 12's analyzer does not carry the old contents over when realloc
		 * moves v, so it reports the names already held as leaked. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
		if (cnt >= SS_KEYRING_MAX || (p = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
#pragma GCC diagnostic pop
			rc = ss_err_set(err, cnt >= SS_KEYRING_MAX ? SS_E_LIMIT : SS_E_NOMEM, "too many files");
			ss_err_at(err, dir, 0, -1);
			break;
		}
		v = p;
		if ((v[cnt] = strdup(e->d_name)) == NULL) {
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
			break;
		}
		cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return rc;
}

static int load_dir_entries(struct ss_keyring *tmp, const char *dir, char **names, size_t n,
			    struct ss_err *err)
{
	char path[4096];
	struct stat st;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (w < 0 || (size_t)w >= sizeof(path))
			return ss_err_set(err, SS_E_LIMIT, "path too long");
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue; /* sub-folders and dangling links are not key files */
		rc = ss_keyring_load_file(tmp, path, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int ss_keyring_load_dir(struct ss_keyring *kr, const char *dir, struct ss_err *err)
{
	struct ss_keyring *tmp = NULL;
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	rc = ss_keyring_new(&tmp);
	if (rc != 0)
		return ss_err_set(err, rc, "out of memory");
	rc = list_dir(dir, &names, &n, err);
	if (rc == 0)
		rc = load_dir_entries(tmp, dir, names, n, err);
	if (rc == 0 && ss_keyring_count(tmp) == 0) {
		rc = ss_err_set(err, SS_E_NOTFOUND, "no identity file in folder");
		ss_err_at(err, dir, 0, -1);
	}
	if (rc == 0 && (rc = ss_keyring_move(kr, tmp)) != 0) {
		ss_err_set(err, rc, "too many identities (limit %d)", SS_KEYRING_MAX);
		ss_err_at(err, dir, 0, -1);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ss_keyring_free(tmp);
	return rc;
}

int ss_keyfile_format(const struct ss_identity *id, time_t created, struct ss_buf *out)
{
	char stamp[32], pub[SS_RECIPIENT_STR_MAX];
	char *sec = ss_secmem_alloc(SS_IDENTITY_STR_MAX);
	struct ss_recipient r;
	struct tm tm;
	int rc;

	if (sec == NULL)
		return SS_E_NOMEM;
	ss_identity_recipient(id, &r);
	if (gmtime_r(&created, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		rc = SS_E_INVAL;
		goto out;
	}
	rc = ss_recipient_format(&r, pub, sizeof(pub));
	if (rc == 0)
		rc = ss_identity_format(id, sec, SS_IDENTITY_STR_MAX);
	if (rc == 0)
		rc = ss_buf_printf(out, "# created: %s\n# public key: %s\n%s\n", stamp, pub, sec);
out:
	ss_secmem_free(sec);
	return rc;
}

/* A new identity's block in a secure buffer; its public key in *r. */
static int new_block(struct ss_buf *block, struct ss_recipient *r)
{
	struct ss_identity *id = NULL;
	int rc = ss_identity_generate(&id);

	if (rc != 0)
		return rc;
	ss_identity_recipient(id, r);
	rc = ss_keyfile_format(id, time(NULL), block);
	ss_identity_free(id);
	return rc;
}

int ss_keyfile_create(const char *path, struct ss_recipient *recipient, struct ss_err *err)
{
	struct ss_buf block;
	struct ss_recipient r;
	int fd = -1, rc;

	ss_buf_init_secure(&block, 4096);
	rc = new_block(&block, &r);
	if (rc != 0) {
		ss_err_set(err, rc, "cannot make a key: %s", ss_strerror(rc));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = ss_err_set(err, errno == EEXIST ? SS_E_CONFLICT : SS_E_IO, "%s",
				errno == EEXIST ? "file exists; refusing to overwrite a key file" : strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || ss_fd_write_all(fd, block.data, block.len) != 0 || fsync(fd) != 0) {
		rc = ss_err_set(err, SS_E_IO, "cannot write: %s", strerror(errno));
		unlink(path);
		goto out;
	}
	if (recipient != NULL)
		*recipient = r;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		ss_err_at(err, path, 0, -1);
	ss_buf_release(&block);
	return rc;
}

/* The current file plus a new block, after checking the current file parses. */
static int rotate_text(const char *path, struct ss_buf *text, struct ss_recipient *r,
		       struct ss_err *err)
{
	struct ss_keyring *check = NULL;
	int rc = keyfile_read(path, text, err);

	if (rc != 0)
		return rc;
	rc = ss_keyring_new(&check);
	if (rc == 0)
		rc = ss_keyring_parse(check, (const char *)text->data, text->len, path, err);
	ss_keyring_free(check);
	if (rc == 0 && text->len > 0 && text->data[text->len - 1] != '\n')
		rc = ss_buf_putc(text, '\n');
	if (rc == 0)
		rc = new_block(text, r);
	if (rc != 0 && err != NULL && err->code == 0)
		ss_err_set(err, rc, "cannot rotate: %s", ss_strerror(rc));
	return rc;
}

int ss_keyfile_rotate(const char *path, struct ss_recipient *recipient, struct ss_err *err)
{
	struct ss_buf text;
	struct ss_recipient r;
	struct stat st;
	int rc;

	if (lstat(path, &st) != 0 && errno == ENOENT)
		return ss_keyfile_create(path, recipient, err);
	ss_err_clear(err);
	rc = rotate_text(path, &text, &r, err);
	/* The temp file is created 0600 and renamed over path: no other copy remains. */
	if (rc == 0)
		rc = ss_file_write_atomic(path, text.data, text.len, 0600, err);
	if (rc == 0 && recipient != NULL)
		*recipient = r;
	ss_buf_release(&text);
	return rc;
}

int ss_keyfile_append_new(const char *path, struct ss_err *err)
{
	return ss_keyfile_rotate(path, NULL, err);
}

struct rcpt_ctx {
	struct ss_recipient *v;
	size_t n;
	const char *path;
	struct ss_err *err;
};

static int rcpt_line(void *vctx, const char *line, size_t len, unsigned lineno)
{
	struct rcpt_ctx *c = vctx;
	char tmp[SS_RECIPIENT_STR_MAX];
	int rc;

	while (len > 0 && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0 || line[0] == '#')
		return 0;
	if (c->n >= SS_RECIPIENTS_MAX)
		rc = ss_err_set(c->err, SS_E_LIMIT, "too many recipients (limit %d)", SS_RECIPIENTS_MAX);
	else if (len >= sizeof(tmp) || memchr(line, '\0', len) != NULL)
		rc = ss_err_set(c->err, SS_E_INVAL, "not an age1 recipient");
	else {
		memcpy(tmp, line, len);
		tmp[len] = '\0';
		rc = ss_recipient_parse(tmp, &c->v[c->n], c->err);
	}
	if (rc != 0) {
		ss_err_at(c->err, c->path, lineno, -1);
		return rc;
	}
	c->n++;
	return 0;
}

int ss_recipients_load_file(const char *path, struct ss_recipient **out, size_t *n,
			    struct ss_err *err)
{
	struct rcpt_ctx c = {NULL, 0, path, err};
	struct ss_buf text;
	int rc;

	*out = NULL;
	*n = 0;
	ss_buf_init(&text, SS_KEYFILE_MAX);
	c.v = calloc(SS_RECIPIENTS_MAX, sizeof(*c.v));
	if (c.v == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = ss_file_read(path, &text, err);
	if (rc == 0)
		rc = ss_text_lines((const char *)ss_buf_str(&text), text.len, rcpt_line, &c);
	if (rc == 0 && c.n == 0) {
		rc = ss_err_set(err, SS_E_INVAL, "no recipient in file");
		ss_err_at(err, path, 0, -1);
	}
	if (rc == 0) {
		*out = c.v;
		*n = c.n;
		c.v = NULL;
	}
out:
	free(c.v);
	ss_buf_release(&text);
	return rc;
}
