/*
 * agent_client.h: sealctl's client for the agent's HTTP endpoints
 * (`--agent URL`): GET /v1/recipients, POST /v1/reseal, POST /v1/verify.
 *
 * Trust: an unauthenticated recipient list would let a man in the middle
 * read every secret sealed afterwards. So the URL must be https, the
 * certificate is verified (against --agent-ca, else the system CAs; with
 * only a TLS pin, the pinned key stands in for the CA: the agent's
 * generated self-signed certificate),
 * redirects are refused, responses are capped, and --pin age1... (repeatable)
 * makes every recipient the agent advertises for sealing a pinned one.
 * --pin sha256//BASE64 (repeatable) pins the agent's TLS public key (the
 * SHA-256 of its DER SubjectPublicKeyInfo, curl's format) on every request:
 * recipient pins alone do not authenticate the endpoint, since recipients
 * are public and anyone can serve them.
 */
#ifndef SEALCTL_AGENT_CLIENT_H
#define SEALCTL_AGENT_CLIENT_H

#include <stddef.h>

#include "sealsync/buf.h"
#include "sealsync/err.h"
#include "sealctl.h"

#define SEALCTL_AGENT_MAX_PINS 16

/* 1 when pin is a TLS public-key pin ("sha256//..."), 0 for a recipient pin. */
int sealctl_agent_is_tls_pin(const char *pin);

struct sealctl_agent {
	const char *url;     /* https://host:port (no trailing path) */
	const char *ca_file; /* PEM bundle; NULL: system CAs */
	const char *pins[SEALCTL_AGENT_MAX_PINS];
	size_t npins;
};

/*
 * The recipients the agent seals to (its active key, then its extra
 * recipients), appended to out. text (may be NULL) gets the response as
 * received (age's recipients-file format). SS_E_USAGE for a non-https URL,
 * SS_E_NET / SS_E_PERM (TLS) for transport errors, SS_E_SIG when a
 * recipient is not pinned, SS_E_INVAL for a malformed answer.
 */
int sealctl_agent_recipients(const struct sealctl_agent *a, struct sealctl_recipients *out,
			     struct ss_buf *text, struct ss_err *err) SS_MUST_CHECK;

/*
 * POSTs body to path ("/v1/reseal", "/v1/verify"); *status gets the HTTP
 * status and resp the body (any status). Errors as above.
 */
int sealctl_agent_post(const struct sealctl_agent *a, const char *path, const void *body,
		       size_t len, long *status, struct ss_buf *resp, struct ss_err *err) SS_MUST_CHECK;

#endif
