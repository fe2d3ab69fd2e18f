/*
 * render_client.c: the agent's side of the render server (renderer.h):
 * one connection per job, request and reply as render_wire.c defines,
 * bounded in size and time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "render_int.h"
#include "sealsync/buf.h"

static int dial(const char *path, unsigned timeout_sec, struct ss_err *err)
{
	struct sockaddr_un sa;
	int fd;

	if (render_sock_addr(path, &sa) != 0)
		return ss_err_set(err, SS_E_USAGE, "render server socket path %s is too long", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ss_err_set(err, SS_E_NET, "render server %s: %s", path, strerror(errno));
	if (render_sock_timeouts(fd, timeout_sec) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		ss_err_set(err, SS_E_NET, "render server %s: %s", path, strerror(errno));
		close(fd);
		return SS_E_NET;
	}
	return fd;
}

static int take_reply(const struct ss_buf *reply, const char *server, unsigned char **out,
		      size_t *len, struct ss_err *err)
{
	const unsigned char *o = NULL;
	size_t n = 0;
	int rc = render_wire_get_reply(reply->data, reply->len, &o, &n, err);

	if (rc > 0)
		return ss_err_set(err, SS_E_NET, "render server %s: a malformed reply", server);
	if (rc < 0)
		return rc;
	*out = malloc(n + 1);
	if (*out == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	memcpy(*out, o, n);
	(*out)[n] = '\0';
	*len = n;
	return 0;
}

int render_client_run(const struct ss_renderer_opts *o, const struct ss_renderer_file *files,
		      size_t nfiles, const struct ss_renderer_job *job, unsigned char **out,
		      size_t *len, struct ss_err *err)
{
	unsigned t = o->timeout_sec ? o->timeout_sec : SS_RENDERER_DEFAULT_TIMEOUT;
	struct ss_buf req, reply;
	int fd, rc;

	*out = NULL;
	*len = 0;
	ss_buf_init(&req, RENDER_MAX_MESSAGE);
	ss_buf_init(&reply, RENDER_MAX_MESSAGE);
	rc = render_wire_put_request(&req, o, job, files, nfiles);
	if (rc != 0) {
		rc = ss_err_set(err, SS_E_LIMIT, "render of unit %s: the job is over the render server's size limits",
				o->unit != NULL ? o->unit : "?");
		goto out;
	}
	/* the server kills the tool at t; its reply comes right after */
	fd = dial(o->server, t + 15, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	errno = 0; /* an end of stream sets none: a stale one would name a wrong cause */
	if (render_sock_send(fd, &req) != 0 || render_sock_recv(fd, &reply, RENDER_MAX_MESSAGE) != 0)
		rc = ss_err_set(err, SS_E_NET, "render server %s: the exchange failed: %s", o->server,
				errno != 0 ? strerror(errno) : "closed");
	else
		rc = take_reply(&reply, o->server, out, len, err);
	close(fd);
out:
	ss_buf_release(&req);
	ss_buf_release(&reply);
	return rc;
}
