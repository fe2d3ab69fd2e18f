/*
 * render_sock.c: the Unix socket between agent and render server, both
 * ends: its address, its timeouts, and length-prefixed messages.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "render_int.h"
#include "sealsync/buf.h"

int render_sock_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, n);
	return 0;
}

int render_sock_timeouts(int fd, unsigned sec)
{
	struct timeval tv = {(time_t)sec, 0};

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
			       setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0
		       ? -1
		       : 0;
}

static ssize_t vwrite(int fd, void *p, size_t n)
{
	return write(fd, p, n);
}

/* All n bytes through f (read, or write as vwrite), as OpenSSH's atomicio. */
static int xfer_all(ssize_t (*f)(int, void *, size_t), int fd, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = f(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int render_sock_send(int fd, const struct ss_buf *b)
{
	uint64_t n = b->len;

	return xfer_all(vwrite, fd, &n, sizeof(n)) != 0 ||
			       (b->len > 0 && xfer_all(vwrite, fd, b->data, b->len) != 0)
		       ? -1
		       : 0;
}

int render_sock_recv(int fd, struct ss_buf *b, size_t max)
{
	uint64_t n;

	if (xfer_all(read, fd, &n, sizeof(n)) != 0 || n > max || n > b->max)
		return -1;
	if (ss_buf_reserve(b, (size_t)n) != 0 || xfer_all(read, fd, b->data, (size_t)n) != 0)
		return -1;
	b->len = (size_t)n;
	b->data[n] = '\0';
	return 0;
}
