/*
 * file.h: bounded file reading and atomic file writing.
 *
 * Everything read from outside has a size cap. Files that sealsync changes in
 * place are written atomically: a temp file in the same folder (mode given),
 * fsync, rename over the target, fsync of the folder. They only ever hold
 * ciphertext or public data; nothing here is for plaintext.
 */
#ifndef SEALSYNC_FILE_H
#define SEALSYNC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"

/*
 * Reads all of path ("-" means stdin) into out, which must be initialised;
 * out->max is the cap. SS_E_LIMIT names the file when it is too large,
 * SS_E_IO on open/read errors. The error's file field is set to path.
 */
int ss_file_read(const char *path, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/* Reads all of fd into out (cap out->max). */
int ss_fd_read(int fd, const char *name, struct ss_buf *out, struct ss_err *err) SS_MUST_CHECK;

/* Writes data to path atomically with the given mode (see above). */
int ss_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct ss_err *err) SS_MUST_CHECK;

/* Writes all of data to fd, retrying on EINTR and short writes. */
int ss_fd_write_all(int fd, const void *data, size_t len) SS_MUST_CHECK;

#endif
