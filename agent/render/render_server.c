/*
 * render_server.c: `sealsync-agent --render-server SOCKET`: renders jobs
 * the agent sends over a Unix socket (renderer.h, render_wire.c). In
 * deploy/ this runs in its own container of the Pod, with no key volume,
 * no ServiceAccount token and its own memory limit; each job still runs in
 * a confined child, as it would in the agent.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "render_int.h"
#include "sealsync/buf.h"
#include "sealsync/log.h"

#define SERVER_IO_TIMEOUT 30

static int listen_on(const char *path, struct ss_err *err)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if (render_sock_addr(path, &sa) != 0)
		return ss_err_set(err, SS_E_USAGE, "socket path %s is too long", path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path); /* a previous server's */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, 0660) != 0 ||
	    listen(fd, 8) != 0) {
		ss_err_set(err, SS_E_IO, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return SS_E_IO;
	}
	return fd;
}

static unsigned min_nonzero(unsigned a, unsigned b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* The job's own caps, never above the server's. */
static void job_opts(struct render_request *q, const struct ss_renderer_opts *o)
{
	size_t cap = o->max_output ? o->max_output : SS_RENDERER_DEFAULT_MAX_OUTPUT;

	q->o.tmp_dir = o->tmp_dir;
	q->o.server = NULL;
	q->o.timeout_sec = min_nonzero(q->o.timeout_sec, o->timeout_sec ? o->timeout_sec
									 : SS_RENDERER_DEFAULT_TIMEOUT);
	q->o.max_output = q->o.max_output && q->o.max_output < cap ? q->o.max_output : cap;
	q->o.memory_mib = o->memory_mib;
	q->o.no_sandbox = o->no_sandbox;
}

static int run_job(struct render_request *q, const struct ss_renderer_opts *o,
		   unsigned char **out, size_t *len, struct ss_err *err)
{
	struct ss_renderer_copy *c = NULL;
	int rc;

	job_opts(q, o);
	rc = ss_renderer_copy_create(q->o.tmp_dir, q->files, q->nfiles, &c, err);
	if (rc == 0)
		rc = ss_renderer_exec(c, &q->job, &q->o, out, len, err);
	ss_renderer_copy_free(c);
	return rc;
}

static void serve_one(int fd, const struct ss_renderer_opts *o)
{
	struct render_request q;
	struct ss_buf msg, reply;
	unsigned char *out = NULL;
	struct ss_err err;
	size_t len = 0;
	int rc;

	ss_err_clear(&err);
	memset(&q, 0, sizeof(q));
	ss_buf_init(&msg, RENDER_MAX_MESSAGE);
	ss_buf_init(&reply, RENDER_MAX_MESSAGE);
	(void)render_sock_timeouts(fd, SERVER_IO_TIMEOUT); /* cannot fail on an accepted socket */
	if (render_sock_recv(fd, &msg, RENDER_MAX_MESSAGE) != 0)
		goto out;
	if (render_wire_get_request(msg.data, msg.len, &q) != 0)
		rc = ss_err_set(&err, SS_E_INVAL, "a malformed render request");
	else
		rc = run_job(&q, o, &out, &len, &err);
	if (rc != 0)
		ss_log_err(SS_LOG_WARN, "render job failed", &err, "unit", q.unit ? q.unit : "?", NULL);
	if (render_wire_put_reply(&reply, rc, out, len, &err) == 0)
		(void)render_sock_send(fd, &reply);
out:
	free(out);
	render_request_release(&q);
	ss_buf_release(&msg);
	ss_buf_release(&reply);
}

int ss_renderer_serve(const char *socket_path, const struct ss_renderer_opts *o,
		      volatile int *stop, struct ss_err *err)
{
	int lfd = listen_on(socket_path, err);

	if (lfd < 0)
		return lfd;
	ss_log(SS_LOG_INFO, "render server listening", "socket", socket_path, NULL);
	while (!*stop) {
		struct pollfd p = {lfd, POLLIN, 0};
		int cfd;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		serve_one(cfd, o);
		close(cfd);
	}
	close(lfd);
	(void)unlink(socket_path);
	return 0;
}
