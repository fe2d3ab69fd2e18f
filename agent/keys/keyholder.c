/*
 * keyholder.c: the agent's side of the key holder (see keyholder.h): fork,
 * the hello, and one function per request. Every request holds kh->mu from
 * its first write to the end of its reply, so the sync and HTTP threads
 * never interleave messages. An I/O error marks the holder dead for good.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "keyholder_int.h"
#include "sealsync/sops.h"

struct ss_keyholder {
	pthread_mutex_t mu;
	int fd;
	pid_t pid;
	int dead;
	int sandboxed;
	char reason[256];
};

static int kh_dead(struct ss_keyholder *kh, struct ss_err *err)
{
	kh->dead = 1;
	return ss_err_set(err, SS_E_IO, "key holder exited (the agent must be restarted)");
}

static int read_hello(struct ss_keyholder *kh, struct ss_err *err)
{
	struct kh_hdr h;
	struct ss_buf b;
	uint32_t ok;
	int rc;

	ss_buf_init(&b, SS_KH_MAX_BODY);
	rc = kh_recv_hdr(kh->fd, &h);
	if (rc == 0 && (h.type != KH_HELLO || h.len < 4 || h.len > 4 + 255))
		rc = SS_E_INVAL;
	if (rc == 0)
		rc = kh_recv_body(kh->fd, h.len, &b);
	if (rc == 0) {
		memcpy(&ok, b.data, 4);
		kh->sandboxed = ok == 1;
		memcpy(kh->reason, b.data + 4, b.len - 4);
		kh->reason[b.len - 4] = '\0';
	}
	ss_buf_release(&b);
	return rc != 0 ? kh_dead(kh, err) : 0;
}

int ss_keyholder_start(int sandbox, const struct ss_keyholder_debug *debug,
		       struct ss_keyholder **out, struct ss_err *err)
{
	struct ss_keyholder *kh;
	int sv[2];

	*out = NULL;
	kh = calloc(1, sizeof(*kh));
	if (kh == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&kh->mu, NULL) != 0) {
		free(kh);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		ss_keyholder_stop(kh);
		return ss_err_set(err, SS_E_IO, "key holder: socketpair: %s", strerror(errno));
	}
	fflush(NULL); /* no buffered output duplicated into the child */
	kh->pid = fork();
	if (kh->pid == 0) {
		close(sv[0]);
		kh_child_main(sv[1], sandbox, debug);
	}
	close(sv[1]);
	kh->fd = sv[0];
	if (kh->pid < 0) {
		ss_keyholder_stop(kh);
		return ss_err_set(err, SS_E_IO, "key holder: fork: %s", strerror(errno));
	}
	if (read_hello(kh, err) != 0) {
		ss_keyholder_stop(kh);
		return SS_E_IO;
	}
	*out = kh;
	return 0;
}

void ss_keyholder_stop(struct ss_keyholder *kh)
{
	if (kh == NULL)
		return;
	if (kh->fd > 0)
		close(kh->fd); /* EOF: the child wipes its keys and exits */
	if (kh->pid > 0)
		while (waitpid(kh->pid, NULL, 0) < 0 && errno == EINTR)
			;
	pthread_mutex_destroy(&kh->mu);
	free(kh);
}

int ss_keyholder_sandboxed(const struct ss_keyholder *kh, char *reason, size_t len)
{
	if (reason != NULL && len > 0)
		snprintf(reason, len, "%s", kh->sandboxed ? "" : kh->reason);
	return kh->sandboxed;
}

pid_t ss_keyholder_pid(const struct ss_keyholder *kh)
{
	return kh->pid;
}

int ss_keyholder_alive(struct ss_keyholder *kh)
{
	int alive;

	pthread_mutex_lock(&kh->mu);
	if (!kh->dead && waitpid(kh->pid, NULL, WNOHANG) == kh->pid) {
		kh->dead = 1;
		kh->pid = 0; /* reaped */
	}
	alive = !kh->dead;
	pthread_mutex_unlock(&kh->mu);
	return alive;
}

/* KH_ERR body: i32 code, u32 ops, message. */
static int read_error(struct ss_keyholder *kh, size_t len, uint32_t *ops, struct ss_err *err)
{
	struct ss_buf b;
	int32_t code;
	int rc;

	if (len < 8 || len > 8 + KH_ERR_TEXT_MAX)
		return kh_dead(kh, err);
	ss_buf_init(&b, len + 1);
	rc = kh_recv_body(kh->fd, len, &b);
	if (rc == 0) {
		memcpy(&code, b.data, 4);
		memcpy(ops, b.data + 4, 4);
		rc = code < 0 ? code : SS_E_INVAL;
		ss_err_set(err, rc, "%.*s", (int)(len - 8), (const char *)b.data + 8);
	} else {
		rc = kh_dead(kh, err);
	}
	ss_buf_release(&b);
	return rc;
}

/*
 * Sends a request (kh->mu held) and reads the reply: KH_OK's u32 prefix into
 * *word and the rest appended to out (NULL: there must be no rest), or
 * KH_ERR's code and message. A reply larger than out allows is drained and
 * is SS_E_LIMIT, so the stream stays in step.
 */
static int exchange(struct ss_keyholder *kh, uint32_t type, const void *a, size_t alen,
		    const void *b, size_t blen, uint32_t *word, struct ss_buf *out,
		    struct ss_err *err)
{
	struct kh_hdr h;
	size_t rest;

	*word = 0;
	if (kh->dead || kh_send(kh->fd, type, a, alen, b, blen) != 0 ||
	    kh_recv_hdr(kh->fd, &h) != 0)
		return kh_dead(kh, err);
	if (h.type == KH_ERR)
		return read_error(kh, h.len, word, err);
	if (h.type != KH_OK || h.len < 4 || (out == NULL && h.len != 4) ||
	    kh_recv_exact(kh->fd, word, 4) != 0)
		return kh_dead(kh, err);
	rest = h.len - 4;
	if (rest == 0)
		return 0;
	if (out == NULL) /* excluded above (len == 4); said again for the analyzer */
		return kh_dead(kh, err);
	if (ss_buf_reserve(out, rest) != 0) {
		if (kh_discard(kh->fd, rest) != 0)
			return kh_dead(kh, err);
		return ss_err_set(err, SS_E_LIMIT, "key holder reply larger than %zu bytes", out->max);
	}
	if (kh_recv_body(kh->fd, rest, out) != 0)
		return kh_dead(kh, err);
	return 0;
}

static int locked_exchange(struct ss_keyholder *kh, uint32_t type, const void *a, size_t alen,
			   const void *b, size_t blen, uint32_t *word, struct ss_buf *out,
			   struct ss_err *err)
{
	int rc;

	pthread_mutex_lock(&kh->mu);
	rc = exchange(kh, type, a, alen, b, blen, word, out, err);
	pthread_mutex_unlock(&kh->mu);
	return rc;
}

int ss_keyholder_load(struct ss_keyholder *kh, const struct ss_keyring *kr, struct ss_err *err)
{
	size_t i, n = ss_keyring_count(kr);
	struct ss_buf text;
	char *line = sodium_malloc(SS_IDENTITY_STR_MAX);
	uint32_t got = 0;
	int rc = 0;

	if (line == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	ss_buf_init_secure(&text, n * (SS_IDENTITY_STR_MAX + 1) + 1);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = ss_identity_format(ss_keyring_get(kr, i), line, SS_IDENTITY_STR_MAX);
		if (rc == 0)
			rc = ss_buf_puts(&text, line);
		if (rc == 0)
			rc = ss_buf_putc(&text, '\n');
	}
	sodium_memzero(line, SS_IDENTITY_STR_MAX);
	sodium_free(line);
	if (rc != 0)
		rc = ss_err_set(err, rc, "cannot serialise the identities");
	else
		rc = locked_exchange(kh, KH_LOAD, text.data, text.len, NULL, 0, &got, NULL, err);
	ss_buf_release(&text);
	if (rc == 0 && got != n)
		rc = ss_err_set(err, SS_E_INVAL, "key holder loaded %u of %zu identities", got, n);
	return rc;
}

int ss_keyholder_recipients(struct ss_keyholder *kh, struct ss_recipient *out, size_t max,
			    size_t *n, struct ss_err *err)
{
	struct ss_buf b;
	uint32_t got = 0;
	size_t i;
	int rc;

	*n = 0;
	ss_buf_init(&b, 64 * 32);
	rc = locked_exchange(kh, KH_RECIPIENTS, NULL, 0, NULL, 0, &got, &b, err);
	if (rc == 0 && (size_t)got * 32 != b.len)
		rc = ss_err_set(err, SS_E_INVAL, "key holder: malformed recipient list");
	for (i = 0; rc == 0 && i < got && i < max; i++)
		memcpy(out[i].pk, b.data + i * 32, 32);
	if (rc == 0)
		*n = i;
	ss_buf_release(&b);
	return rc;
}

static int make_params(struct kh_params *p, const struct ss_scope *expect, int allow_unscoped,
		       const unsigned *budget, size_t inlen, struct ss_err *err)
{
	memset(p, 0, sizeof(*p));
	if (inlen > SS_KH_MAX_VALUE)
		return ss_err_set(err, SS_E_LIMIT, "sealed value larger than %u bytes",
				  SS_KH_MAX_VALUE);
	p->allow_unscoped = allow_unscoped != 0;
	p->budget = *budget;
	p->has_scope = expect != NULL;
	if (expect != NULL)
		p->scope = *expect;
	return 0;
}

static void spend(unsigned *budget, uint32_t ops)
{
	*budget = ops < *budget ? *budget - ops : 0;
}

static int kh_open_fn(void *ctx, const unsigned char *in, size_t inlen,
		      const struct ss_scope *expect, int allow_unscoped, unsigned *budget,
		      struct ss_buf *pt, struct ss_age_info *info, struct ss_err *err)
{
	struct ss_keyholder *kh = ctx;
	struct kh_params p;
	uint32_t ops = 0;
	int rc;

	rc = make_params(&p, expect, allow_unscoped, budget, inlen, err);
	if (rc == 0)
		rc = locked_exchange(kh, KH_OPEN, &p, sizeof(p), in, inlen, &ops, pt, err);
	spend(budget, ops);
	/* The holder checked the MAC over these very bytes: the header's
	 * claims (scope, hints) are now authenticated. */
	if (rc == 0 && info != NULL && ss_age_inspect(in, inlen, info, NULL) == 0)
		info->x25519_ops = ops;
	return rc;
}

static int kh_reseal_fn(void *ctx, const unsigned char *in, size_t inlen,
			const struct ss_scope *expect, int allow_unscoped, unsigned *budget,
			const struct ss_age_seal_opts *to, struct ss_buf *out, struct ss_err *err)
{
	unsigned char keys[4 + SS_AGE_MAX_X25519 * 32];
	struct ss_keyholder *kh = ctx;
	struct kh_params p;
	struct ss_buf body;
	uint32_t n = (uint32_t)to->nrecipients, ops = 0;
	size_t i;
	int rc;

	if (n == 0 || n > SS_AGE_MAX_X25519)
		return ss_err_set(err, n == 0 ? SS_E_INVAL : SS_E_LIMIT, "reseal: 1 to %d recipients",
				  SS_AGE_MAX_X25519);
	memcpy(keys, &n, 4);
	for (i = 0; i < n; i++)
		memcpy(keys + 4 + i * 32, to->recipients[i].pk, 32);
	rc = make_params(&p, expect, allow_unscoped, budget, inlen, err);
	ss_buf_init(&body, sizeof(p) + 4 + (size_t)n * 32 + inlen);
	if (rc == 0 && (ss_buf_append(&body, &p, sizeof(p)) != 0 ||
			ss_buf_append(&body, keys, 4 + (size_t)n * 32) != 0))
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = locked_exchange(kh, KH_RESEAL, body.data, body.len, in, inlen, &ops, out, err);
	spend(budget, ops);
	ss_buf_release(&body);
	return rc;
}

/* OPEN_SOPS_KEY: the child answers with the 32-byte data key or an error;
 * it refuses scoped files itself, so a sealed value never comes back here. */
static int kh_sops_key_fn(void *ctx, const unsigned char *in, size_t inlen, unsigned *budget,
			  unsigned char *key32, struct ss_err *err)
{
	struct ss_keyholder *kh = ctx;
	struct ss_buf key;
	uint32_t b32 = *budget, ops = 0;
	int rc;

	if (inlen > SS_KH_MAX_VALUE)
		return ss_err_set(err, SS_E_LIMIT, "SOPS data key larger than %u bytes",
				  SS_KH_MAX_VALUE);
	ss_buf_init_secure(&key, SS_SOPS_KEY_LEN);
	rc = locked_exchange(kh, KH_OPEN_SOPS_KEY, &b32, sizeof(b32), in, inlen, &ops, &key, err);
	spend(budget, ops);
	if (rc == 0 && key.len != SS_SOPS_KEY_LEN)
		rc = ss_err_set(err, SS_E_INVAL, "key holder: malformed SOPS data key reply");
	if (rc == 0)
		memcpy(key32, key.data, SS_SOPS_KEY_LEN);
	ss_buf_release(&key);
	return rc;
}

void ss_keyholder_bind(struct ss_keyholder *kh, struct ss_age_open_opts *o)
{
	o->open_fn = kh_open_fn;
	o->reseal_fn = kh_reseal_fn;
	o->sops_key_fn = kh_sops_key_fn;
	o->delegate_ctx = kh;
}

int ss_keyholder_debug(struct ss_keyholder *kh, unsigned type, const void *body, size_t len,
		       char *out, size_t outmax, struct ss_err *err)
{
	struct ss_buf b;
	uint32_t word = 0;
	int rc;

	if (type < SS_KH_DEBUG_BASE || type >= SS_KH_DEBUG_BASE + 0x100 || outmax == 0)
		return ss_err_set(err, SS_E_INVAL, "not a debug request type");
	ss_buf_init(&b, 4096);
	rc = locked_exchange(kh, type, body, len, NULL, 0, &word, &b, err);
	if (rc == 0)
		snprintf(out, outmax, "%.*s", (int)b.len,
			 b.data != NULL ? (const char *)b.data : "");
	ss_buf_release(&b);
	return rc;
}
