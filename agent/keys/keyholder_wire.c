/* keyholder_wire.c: framing of the key holder's messages (keyholder_int.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyholder_int.h"

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SS_E_IO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	unsigned char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return SS_E_IO; /* EOF: the peer is gone */
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int kh_recv_exact(int fd, void *p, size_t n)
{
	return read_all(fd, p, n);
}

int kh_send(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	struct kh_hdr h;
	int rc;

	if (alen > SS_KH_MAX_BODY || blen > SS_KH_MAX_BODY - alen)
		return SS_E_LIMIT;
	h.type = type;
	h.len = (uint32_t)(alen + blen);
	rc = write_all(fd, &h, sizeof(h));
	if (rc == 0 && alen > 0)
		rc = write_all(fd, a, alen);
	if (rc == 0 && blen > 0)
		rc = write_all(fd, b, blen);
	return rc;
}

int kh_recv_hdr(int fd, struct kh_hdr *h)
{
	int rc = read_all(fd, h, sizeof(*h));

	if (rc != 0)
		return rc;
	return h->len > SS_KH_MAX_BODY ? SS_E_LIMIT : 0;
}

int kh_recv_body(int fd, size_t len, struct ss_buf *out)
{
	int rc;

	if (len == 0)
		return 0;
	rc = ss_buf_reserve(out, len);
	if (rc != 0)
		return rc;
	rc = read_all(fd, out->data + out->len, len);
	if (rc != 0) {
		sodium_memzero(out->data + out->len, len);
		return rc;
	}
	out->len += len;
	return 0;
}

int kh_discard(int fd, size_t len)
{
	unsigned char chunk[4096];
	int rc = 0;

	while (rc == 0 && len > 0) {
		size_t n = len < sizeof(chunk) ? len : sizeof(chunk);

		rc = read_all(fd, chunk, n);
		len -= n;
	}
	sodium_memzero(chunk, sizeof(chunk));
	return rc;
}
