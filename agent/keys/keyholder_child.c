/*
 * keyholder_child.c: the key-holder process (see keyholder.h). It owns the
 * only copy of the identities, reads typed requests from one socket and
 * answers each with KH_OK or KH_ERR. An unknown or malformed message ends
 * it (like OpenSSH's monitor: the parent is then broken or hostile).
 * It parses age values and identity text, nothing else.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyholder_int.h"
#include "sealsync/age.h"
#include "sealsync/secmem.h"
#include "sealsync/sops.h"

struct child {
	int fd;
	struct ss_keyring *kr;
	const struct ss_keyholder_debug *debug;
};

static int reply_err(struct child *c, int code, uint32_t ops, const char *msg)
{
	unsigned char head[8];
	int32_t code32 = code;
	size_t n = strnlen(msg, KH_ERR_TEXT_MAX);

	memcpy(head, &code32, 4);
	memcpy(head + 4, &ops, 4);
	return kh_send(c->fd, KH_ERR, head, sizeof(head), msg, n);
}

static int do_load(struct child *c, const struct ss_buf *body)
{
	struct ss_keyring *kr = NULL;
	struct ss_err err;
	uint32_t n;
	int rc;

	ss_err_clear(&err);
	rc = ss_keyring_new(&kr);
	if (rc != 0)
		return reply_err(c, rc, 0, "out of memory");
	rc = ss_keyring_parse(kr, (const char *)body->data, body->len, "identities", &err);
	if (rc != 0) {
		ss_keyring_free(kr);
		return reply_err(c, rc, 0, err.msg);
	}
	ss_keyring_free(c->kr);
	c->kr = kr;
	n = (uint32_t)ss_keyring_count(kr);
	return kh_send(c->fd, KH_OK, &n, sizeof(n), NULL, 0);
}

/* Splits OPEN/RESEAL bodies; the scope fields are made NUL-terminated. */
static int take_params(const struct ss_buf *body, struct kh_params *p, size_t *off)
{
	struct ss_err err;

	if (body->len < sizeof(*p))
		return SS_E_INVAL;
	memcpy(p, body->data, sizeof(*p));
	*off = sizeof(*p);
	if (!p->has_scope)
		return 0;
	p->scope.ns[SS_SCOPE_FIELD_MAX] = '\0';
	p->scope.name[SS_SCOPE_FIELD_MAX] = '\0';
	p->scope.key[SS_SCOPE_FIELD_MAX] = '\0';
	if ((unsigned)p->scope.mode > SS_SCOPE_CLUSTER)
		return SS_E_INVAL;
	return ss_scope_validate(&p->scope, &err);
}

static void open_opts(const struct child *c, struct kh_params *p, struct ss_age_open_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kr = c->kr;
	o->expect = p->has_scope ? &p->scope : NULL;
	o->allow_unscoped = p->allow_unscoped != 0;
	o->x25519_budget = &p->budget;
}

static int do_open(struct child *c, const struct ss_buf *body)
{
	struct ss_age_open_opts o;
	struct kh_params p;
	struct ss_buf pt;
	struct ss_err err;
	uint32_t before, ops;
	size_t off;
	int rc;

	if (take_params(body, &p, &off) != 0)
		return SS_E_INVAL; /* malformed request: end the process */
	if (c->kr == NULL)
		return reply_err(c, SS_E_NOTFOUND, 0, "no identities loaded yet");
	open_opts(c, &p, &o);
	before = p.budget;
	ss_err_clear(&err);
	ss_buf_init_secure(&pt, body->len - off + 1);
	rc = ss_age_open(&o, body->data + off, body->len - off, &pt, NULL, &err);
	ops = before - p.budget;
	if (rc == 0)
		rc = kh_send(c->fd, KH_OK, &ops, sizeof(ops), pt.data, pt.len);
	else
		rc = reply_err(c, rc, ops, err.msg);
	ss_buf_release(&pt);
	return rc;
}

static int do_reseal(struct child *c, const struct ss_buf *body)
{
	struct ss_recipient to[SS_AGE_MAX_X25519];
	struct ss_age_seal_opts so;
	struct ss_age_open_opts o;
	struct kh_params p;
	struct ss_buf out;
	struct ss_err err;
	uint32_t n, before, ops;
	size_t off, i;
	int rc;

	if (take_params(body, &p, &off) != 0 || body->len - off < 4)
		return SS_E_INVAL;
	memcpy(&n, body->data + off, 4);
	off += 4;
	if (n == 0 || n > SS_AGE_MAX_X25519 || body->len - off < (size_t)n * 32)
		return SS_E_INVAL;
	for (i = 0; i < n; i++, off += 32)
		memcpy(to[i].pk, body->data + off, 32);
	if (c->kr == NULL)
		return reply_err(c, SS_E_NOTFOUND, 0, "no identities loaded yet");
	open_opts(c, &p, &o);
	memset(&so, 0, sizeof(so));
	so.recipients = to;
	so.nrecipients = n;
	before = p.budget;
	ss_err_clear(&err);
	ss_buf_init(&out, SS_KH_MAX_VALUE);
	rc = ss_age_reseal(&o, body->data + off, body->len - off, &so, &out, &err);
	ops = before - p.budget;
	if (rc == 0)
		rc = kh_send(c->fd, KH_OK, &ops, sizeof(ops), out.data, out.len);
	else
		rc = reply_err(c, rc, ops, err.msg);
	ss_buf_release(&out);
	return rc;
}

/* u32 budget, then the age file; the reply is exactly the 32-byte key.
 * ss_sops_open_datakey refuses sealsync stanzas (sops.h, DESIGN §3.2). */
static int do_open_sops_key(struct child *c, const struct ss_buf *body)
{
	struct ss_age_open_opts o;
	struct ss_err err;
	unsigned char *key;
	uint32_t budget, before, ops;
	int rc;

	if (body->len < 4)
		return SS_E_INVAL;
	memcpy(&budget, body->data, 4);
	if (c->kr == NULL)
		return reply_err(c, SS_E_NOTFOUND, 0, "no identities loaded yet");
	key = ss_secmem_alloc(SS_SOPS_KEY_LEN);
	if (key == NULL)
		return reply_err(c, SS_E_NOMEM, 0, "out of memory");
	memset(&o, 0, sizeof(o));
	o.kr = c->kr;
	o.x25519_budget = &budget;
	before = budget;
	ss_err_clear(&err);
	rc = ss_sops_open_datakey(&o, body->data + 4, body->len - 4, key, &err);
	ops = before - budget;
	if (rc == 0)
		rc = kh_send(c->fd, KH_OK, &ops, sizeof(ops), key, SS_SOPS_KEY_LEN);
	else
		rc = reply_err(c, rc, ops, err.msg);
	ss_secmem_free(key);
	return rc;
}

static int do_recipients(struct child *c)
{
	unsigned char keys[64 * 32];
	uint32_t n = 0;
	size_t i, total = c->kr != NULL ? ss_keyring_count(c->kr) : 0;
	struct ss_recipient r;

	/* the newest 64 are enough for the agent's checks */
	for (i = total > 64 ? total - 64 : 0; i < total; i++, n++) {
		ss_identity_recipient(ss_keyring_get(c->kr, i), &r);
		memcpy(keys + (size_t)n * 32, r.pk, 32);
	}
	return kh_send(c->fd, KH_OK, &n, sizeof(n), keys, (size_t)n * 32);
}

static int do_debug(struct child *c, unsigned type, const struct ss_buf *body)
{
	char text[257];
	size_t n = c->debug->fn(type, body->data, body->len, text, sizeof(text) - 1);
	uint32_t n32 = (uint32_t)(n < sizeof(text) ? n : sizeof(text) - 1);

	return kh_send(c->fd, KH_OK, &n32, sizeof(n32), text, n32);
}

/* One request. Nonzero ends the child. */
static int serve_one(struct child *c)
{
	struct kh_hdr h;
	struct ss_buf body;
	int rc;

	rc = kh_recv_hdr(c->fd, &h);
	if (rc != 0)
		return rc;
	ss_buf_init_secure(&body, SS_KH_MAX_BODY); /* LOAD carries identities */
	rc = kh_recv_body(c->fd, h.len, &body);
	if (rc != 0)
		goto out;
	if (h.type == KH_LOAD)
		rc = do_load(c, &body);
	else if (h.type == KH_OPEN)
		rc = do_open(c, &body);
	else if (h.type == KH_RESEAL)
		rc = do_reseal(c, &body);
	else if (h.type == KH_OPEN_SOPS_KEY)
		rc = do_open_sops_key(c, &body);
	else if (h.type == KH_RECIPIENTS && h.len == 0)
		rc = do_recipients(c);
	else if (h.type >= SS_KH_DEBUG_BASE && h.type < SS_KH_DEBUG_BASE + 0x100 && c->debug != NULL)
		rc = do_debug(c, h.type, &body);
	else
		rc = SS_E_INVAL;
out:
	ss_buf_release(&body);
	return rc;
}

static void close_other_fds(int keep)
{
	/* stderr stays for sanitizer reports; everything else goes */
	if (keep > 3)
		(void)close_range(3, (unsigned)keep - 1, 0);
	(void)close_range((unsigned)keep + 1, ~0u, 0);
	(void)close_range(0, 1, 0);
}

/* No core dumps, no ptrace by other users: this process holds the keys. */
static void harden(void)
{
	struct rlimit rl = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void kh_child_main(int fd, int sandbox, const struct ss_keyholder_debug *debug)
{
	char hello[4 + 256];
	uint32_t ok = 0;
	size_t n;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);  /* the parent handles reloads */
	signal(SIGINT, SIG_IGN);  /* a terminal's ^C: the parent stops us by EOF */
	signal(SIGTERM, SIG_DFL); /* not the parent's flag-setting handler */
	harden();
	close_other_fds(fd);
	memset(hello, 0, sizeof(hello));
	if (!sandbox)
		snprintf(hello + 4, sizeof(hello) - 4, "disabled by --no-sandbox");
	else if (kh_sandbox_apply(hello + 4, sizeof(hello) - 4) == 0)
		ok = 1;
	memcpy(hello, &ok, 4);
	n = 4 + strnlen(hello + 4, sizeof(hello) - 5);
	if (kh_send(fd, KH_HELLO, hello, n, NULL, 0) == 0)
		kh_serve(fd, debug);
	_exit(0);
}

int kh_serve(int fd, const struct ss_keyholder_debug *debug)
{
	struct child c = {fd, NULL, debug};
	int rc;

	while ((rc = serve_one(&c)) == 0)
		;
	ss_keyring_free(c.kr); /* wipes the identities */
	return rc == SS_E_IO ? 0 : rc;
}
