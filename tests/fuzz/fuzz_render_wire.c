// fuzz-link: ss_common
// fuzz-src: agent/render/render_wire.c
/*
 * libFuzzer: the render server protocol (agent/render/render_wire.c), the
 * bytes one side of the render socket gets from the other. The first
 * byte picks the direction: even, a request as the render server reads
 * it; odd, a reply as the agent reads it. The rest is the message.
 *
 * Checked: a request that parses encodes again, and that encoding parses
 * to the same encoding (nothing is lost or made up between the two); a
 * reply is ok (its output inside the message), malformed, or the job's
 * negative error code with a NUL-terminated message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/render/render_int.h"
#include "sealsync/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode(const struct render_request *q, struct ss_buf *b)
{
	ss_buf_init(b, 1u << 24);
	if (render_wire_put_request(b, &q->o, &q->job, q->files, q->nfiles) != 0)
		abort(); /* what was read fits the same caps when written */
}

static void request(const uint8_t *m, size_t n)
{
	struct render_request q, q2;
	struct ss_buf b, b2;

	if (render_wire_get_request(m, n, &q) != 0) {
		render_request_release(&q);
		return;
	}
	encode(&q, &b);
	if (render_wire_get_request(b.data, b.len, &q2) != 0)
		abort();
	encode(&q2, &b2);
	if (b.len != b2.len || memcmp(b.data, b2.data, b.len) != 0)
		abort();
	ss_buf_release(&b);
	ss_buf_release(&b2);
	render_request_release(&q);
	render_request_release(&q2);
}

static void reply(const uint8_t *m, size_t n)
{
	const unsigned char *out = NULL;
	struct ss_err err;
	size_t len = 0;
	int rc;

	ss_err_clear(&err);
	rc = render_wire_get_reply(m, n, &out, &len, &err);
	if (rc == 0 && (out < m || len > n || out + len != m + n))
		abort(); /* the output is the message's tail */
	if (rc < 0 && (err.code != rc || memchr(err.msg, 0, sizeof(err.msg)) == NULL))
		abort();
	if (rc > 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > (1u << 20))
		return 0;
	if (data[0] % 2 == 0)
		request(data + 1, size - 1);
	else
		reply(data + 1, size - 1);
	return 0;
}
