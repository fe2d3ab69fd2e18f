/* render_int.h: shared inside agent/render/ only. */
#ifndef SS_RENDER_INT_H
#define SS_RENDER_INT_H

#include <stddef.h>

#include "sealsync/renderer.h"

/* render_link.c: refuses a symlink that could resolve outside files. */
int render_link_check(const struct ss_renderer_file *files, size_t nfiles,
		      const struct ss_renderer_file *l, struct ss_err *err);
int render_link_make(const char *root, const struct ss_renderer_file *l, struct ss_err *err);
/* render_copy.c: mkdir -p (0700) of path's parents below root; -1 errno. */
int render_make_parents(const char *root, const char *path);

/*
 * render_confine.c. Prepared in the parent (may allocate, may log);
 * applied in the child between fork and exec (system calls only: the
 * agent has threads, so the child may not allocate).
 */
struct render_confine {
	int landlock_fd;   /* ruleset, -1 when Landlock is unavailable */
	int landlock_abi;
	int no_sandbox;
	unsigned long long as_bytes;
	unsigned cpu_sec;
	char *envp[12];    /* cleared environment, NULL-terminated */
	char envbuf[6][4200];
};

int render_confine_prepare(struct render_confine *cf, const struct ss_renderer_copy *c,
			   const struct ss_renderer_job *job, const struct ss_renderer_opts *o,
			   struct ss_err *err);
void render_confine_release(struct render_confine *cf);
/* In the child: returns only on failure (errno-ish code). */
int render_confine_apply(const struct render_confine *cf);
/* The seccomp filter (render_seccomp.c), in the child. */
int render_seccomp_apply(void);
/* Landlock (render_landlock.c): a ruleset for c and tool in *fd, or
 * *fd = -1 and *abi = 0 when the kernel has none (not an error). */
int render_landlock_ruleset(const struct ss_renderer_copy *c, const char *tool, int *fd,
			    int *abi, struct ss_err *err);
int render_landlock_restrict(int fd);

/* render_wire.c: the render server protocol (see there). */
struct ss_buf;
struct render_request {
	struct ss_renderer_opts o;  /* timeout, memory, output cap, unit */
	struct ss_renderer_job job; /* pointing into the fields below */
	char *tool, *cwd, *what, *unit;
	char *args[SS_RENDERER_MAX_ARGS + 1];
	struct ss_renderer_file *files; /* paths owned, data borrowed from the message */
	size_t nfiles;
};
int render_wire_put_request(struct ss_buf *b, const struct ss_renderer_opts *o,
			    const struct ss_renderer_job *job, const struct ss_renderer_file *files,
			    size_t nfiles);
int render_wire_put_reply(struct ss_buf *b, int rc, const unsigned char *out, size_t len,
			  const struct ss_err *e);
/* 0, or -1 for a malformed message. */
int render_wire_get_request(const unsigned char *msg, size_t len, struct render_request *q);
void render_request_release(struct render_request *q);
/* 0 with *out borrowed from msg; the job's error code (< 0, err filled);
 * or 1 for a malformed message. */
int render_wire_get_reply(const unsigned char *msg, size_t len, const unsigned char **out,
			  size_t *outlen, struct ss_err *err);
/* render_sock.c: the socket's address (-1 when path does not fit), its
 * receive and send timeouts (-1 with errno), and whole length-prefixed
 * messages over it. */
#define RENDER_MAX_MESSAGE (SS_RENDERER_DEFAULT_MAX_OUTPUT + 16u * 1024 * 1024)
struct sockaddr_un;
int render_sock_addr(const char *path, struct sockaddr_un *sa);
int render_sock_timeouts(int fd, unsigned sec);
int render_sock_send(int fd, const struct ss_buf *b);
/* The message in b (max bytes at most); -1 on EOF, error, timeout or a
 * message over max. */
int render_sock_recv(int fd, struct ss_buf *b, size_t max);

/* render_client.c: the job sent to the render server (renderer.h). */
int render_client_run(const struct ss_renderer_opts *o, const struct ss_renderer_file *files,
		      size_t nfiles, const struct ss_renderer_job *job, unsigned char **out,
		      size_t *len, struct ss_err *err);

#endif
