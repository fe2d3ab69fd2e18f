/* file.c: bounded reads and atomic writes (see include/sealsync/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sealsync/file.h"

int ss_fd_read(int fd, const char *name, struct ss_buf *out, struct ss_err *err)
{
	unsigned char chunk[16384];
	ssize_t n;
	int rc;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ss_err_set(err, SS_E_IO, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		rc = ss_buf_append(out, chunk, (size_t)n);
		if (rc == SS_E_LIMIT) {
			rc = ss_err_set(err, SS_E_LIMIT, "file is larger than the limit of %zu bytes",
					out->max);
			goto out;
		}
		if (rc != 0) {
			rc = ss_err_set(err, rc, "cannot read: %s", ss_strerror(rc));
			goto out;
		}
	}
	rc = 0;
out:
	sodium_memzero(chunk, sizeof(chunk));
	if (rc != 0)
		ss_err_at(err, name, 0, -1);
	return rc;
}

int ss_file_read(const char *path, struct ss_buf *out, struct ss_err *err)
{
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return ss_fd_read(STDIN_FILENO, "<stdin>", out, err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = ss_err_set(err, errno == ENOENT ? SS_E_NOTFOUND : SS_E_IO, "cannot open: %s",
				strerror(errno));
		ss_err_at(err, path, 0, -1);
		return rc;
	}
	rc = ss_fd_read(fd, path, out, err);
	close(fd);
	return rc;
}

int ss_fd_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SS_E_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return SS_E_NOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL)
			rc = SS_E_IO;
		close(fd);
	}
	free(copy);
	return rc;
}

int ss_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct ss_err *err)
{
	char tmp[4096];
	int fd = -1, rc;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		rc = ss_err_set(err, SS_E_LIMIT, "path too long");
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = ss_err_set(err, SS_E_IO, "cannot create temp file: %s", strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0 || ss_fd_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		rc = ss_err_set(err, SS_E_IO, "cannot write: %s", strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = ss_err_set(err, SS_E_IO, "cannot write: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = ss_err_set(err, SS_E_IO, "cannot replace: %s", strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	rc = fsync_dir_of(path);
	if (rc != 0)
		ss_err_set(err, rc, "cannot sync folder");
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0' && n > 0 && (size_t)n < sizeof(tmp))
		unlink(tmp);
	if (rc != 0)
		ss_err_at(err, path, 0, -1);
	return rc;
}
