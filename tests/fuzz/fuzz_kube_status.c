// fuzz-link: ss_manifest
// fuzz-src: agent/kube/kube_status.c agent/kube/kube_redact.c
/*
 * libFuzzer: the Kubernetes client's error text from a server response
 * (Status parsing, causes, snippets) and its redaction. Input: a value to
 * redact, a NUL byte, then the response body.
 *
 * Checked: the message is NUL-terminated within its buffer, and a value
 * that shares no character with the "[REDACTED]" mark never survives in
 * it (with shared characters a mark next to text can spell the value
 * anew without leaking anything, so that case is not asserted).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/kube/kube_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int shares_mark_char(const uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memchr("[REDACT]", v[i], 8) != NULL)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct kube_redact r;
	char msg[512];
	size_t vlen;

	if (nul == NULL || size > 65536)
		return 0;
	vlen = (size_t)(nul - data);
	memset(&r, 0, sizeof(r));
	if (kube_redact_add(&r, data, vlen) != 0)
		abort();
	kube_status_message("apply v1 Secret ns/x", 422, nul + 1, size - vlen - 1, &r, 1, msg,
			    sizeof(msg));
	if (memchr(msg, 0, sizeof(msg)) == NULL)
		abort();
	if (vlen >= 4 && !shares_mark_char(data, vlen) && memmem(msg, strlen(msg), data, vlen))
		abort();
	kube_redact_clear(&r);
	return 0;
}
