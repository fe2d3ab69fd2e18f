/*
 * server_hook.c: POST /hook, GitHub's webhook signature scheme.
 *
 * X-Hub-Signature-256: sha256=<64 lowercase hex> is HMAC-SHA256 of the raw
 * body keyed with the shared secret. The MAC is compared with
 * crypto_verify_32 (constant time). Anything short of a valid signature is
 * a 401 and changes nothing: no sync is triggered, nothing is parsed.
 *
 * Rate: the buckets are taken after the HMAC check, one for signed
 * webhooks and one for failed signatures, so that anyone who can reach the
 * port cannot spend the signed webhook's budget (the body they must send
 * first is bounded by the body budget and the request deadline).
 */
#include "server_int.h"
#include "sealsync/log.h"

#define SIG_HEADER "X-Hub-Signature-256"

static int too_many(struct srv_reply *r, unsigned wait)
{
	r->retry_after = wait;
	return srv_json_error(r, 429, "too many requests");
}

int srv_hook(struct ss_server *s, struct srv_req *q, struct srv_reply *r)
{
	unsigned wait;

	if (s->hook_len == 0)
		return srv_json_error(r, 404, "webhook not configured (--webhook-secret)");
	if (ss_server_check_signature(s->hook_secret.data, s->hook_len, srv_header(q, SIG_HEADER),
				      q->body.data, q->body.len) != 0) {
		/* Past its budget a failure is not logged either: no log flood. */
		if ((wait = srv_bucket_take(&s->hook_bad, s->o.posts_per_minute)) != 0)
			return too_many(r, wait);
		ss_log(SS_LOG_WARN, "webhook refused: bad or missing signature", NULL);
		return srv_json_error(r, 401, "bad or missing " SIG_HEADER);
	}
	if ((wait = srv_bucket_take(&s->hook_ok, s->o.posts_per_minute)) != 0)
		return too_many(r, wait);
	ss_log(SS_LOG_INFO, "webhook accepted: syncing now", NULL);
	if (s->o.trigger != NULL)
		s->o.trigger(s->o.trigger_ctx);
	return srv_json(r, 202, json_pack("{s:b}", "accepted", 1));
}
