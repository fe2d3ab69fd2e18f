/*
 * server_hook.c: POST /hook, GitHub's webhook signature scheme.
 *
 * X-Hub-Signature-256: sha256=<64 lowercase hex> is HMAC-SHA256 of the raw
 * body keyed with the shared secret. The MAC is compared with
 * crypto_verify_32 (constant time). Anything short of a valid signature is
 * a 401 and changes nothing: no sync is triggered, nothing is parsed.
 */
#include <string.h>

#include <sodium.h>

#include "server_int.h"
#include "sealsync/log.h"

#define SIG_HEADER "X-Hub-Signature-256"
#define SIG_PREFIX "sha256="

/* 0 when header is a well-formed, valid signature of body. */
static int check_signature(const struct ss_server *s, const char *header,
			   const struct ss_buf *body)
{
	unsigned char given[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t n = 0;
	int rc;

	if (header == NULL || strncmp(header, SIG_PREFIX, strlen(SIG_PREFIX)) != 0)
		return -1;
	header += strlen(SIG_PREFIX);
	if (strlen(header) != 2 * sizeof(given) ||
	    sodium_hex2bin(given, sizeof(given), header, strlen(header), NULL, &n, NULL) != 0 ||
	    n != sizeof(given))
		return -1;
	crypto_auth_hmacsha256_init(&st, s->hook_secret.data, s->hook_len);
	crypto_auth_hmacsha256_update(&st, body->data != NULL ? body->data : (const unsigned char *)"",
				      body->len);
	crypto_auth_hmacsha256_final(&st, mac);
	rc = crypto_verify_32(mac, given);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
	return rc;
}

int srv_hook(struct ss_server *s, struct srv_req *q, struct srv_reply *r)
{
	if (s->hook_len == 0)
		return srv_json_error(r, 404, "webhook not configured (--webhook-secret)");
	if (check_signature(s, srv_header(q, SIG_HEADER), &q->body) != 0) {
		ss_log(SS_LOG_WARN, "webhook refused: bad or missing signature", NULL);
		return srv_json_error(r, 401, "bad or missing " SIG_HEADER);
	}
	ss_log(SS_LOG_INFO, "webhook accepted: syncing now", NULL);
	if (s->o.trigger != NULL)
		s->o.trigger(s->o.trigger_ctx);
	return srv_json(r, 202, json_pack("{s:b}", "accepted", 1));
}
