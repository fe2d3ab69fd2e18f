/*
 * age_open.c: opening, inspecting and resealing sealed values (see age.h).
 *
 * Order of checks, each with its own error code: armor, header, unwrap
 * (hinted identities first, then all of them, within the X25519 budget),
 * header MAC, scope (only once the MAC has authenticated the stanza), payload
 * nonce, STREAM. No plaintext is released before the scope check passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"
#include "sealsync/hkdf.h"
#include "sealsync/secmem.h"

#include "internal.h"

struct open_keys {
	unsigned char file_key[SS_AGE_FILE_KEY_LEN];
	unsigned char payload_key[32];
};

/* A decoded input: the binary age file, dearmored into tmp when needed. */
struct input {
	struct ss_buf tmp;
	const unsigned char *bin;
	size_t len;
};

static int input_decode(const unsigned char *in, size_t inlen, struct input *x, struct ss_err *err)
{
	int rc;

	ss_buf_init(&x->tmp, inlen);
	x->bin = in;
	x->len = inlen;
	if (!ss_age_is_armored(in, inlen))
		return 0;
	rc = ss_age_armor_decode(in, inlen, &x->tmp, err);
	x->bin = x->tmp.data != NULL ? x->tmp.data : (const unsigned char *)"";
	x->len = x->tmp.len;
	return rc;
}

static void fill_info(const struct ss_age_header *h, size_t binlen, struct ss_age_info *info)
{
	if (info == NULL)
		return;
	info->has_scope = h->has_scope;
	info->scope = h->scope;
	if (h->has_scope) {
		info->scope_off = h->st[h->scope_stanza].off;
		info->scope_len = h->st[h->scope_stanza].textlen;
	}
	info->n_x25519 = h->n_x25519;
	info->n_hints = h->n_hints;
	memcpy(info->hints, h->hints, sizeof(info->hints));
	info->header_len = h->len;
	info->payload_len = binlen - h->len;
}

/*
 * A header to parse into: not zeroed (35 KiB; the parse initialises what it
 * uses), only arena cleared so ss_age_header_release is safe before a parse.
 */
static struct ss_age_header *header_new(void)
{
	struct ss_age_header *h = malloc(sizeof(*h));

	if (h != NULL)
		h->arena = NULL;
	return h;
}

struct unwrap_ctx {
	const struct ss_keyring *kr;
	const struct ss_age_header *h;
	unsigned *budget;
	size_t ops;
	size_t index;
};

/* One X25519 operation: identity j on X25519 stanza i. */
static int try_pair(struct unwrap_ctx *u, size_t i, size_t j, unsigned char *file_key)
{
	const struct ss_age_stanza *s = &u->h->st[u->h->x25519[i]];
	int rc;

	if (*u->budget == 0)
		return SS_E_LIMIT;
	(*u->budget)--;
	u->ops++;
	rc = ss_age_x25519_unwrap(ss_keyring_get(u->kr, j), u->h->shares[i], s->body, file_key);
	if (rc == 0)
		u->index = j;
	return rc;
}

/* pass 0: only identities whose tag matches the stanza's hint; pass 1: the others. */
static int unwrap_pass(struct unwrap_ctx *u, int pass, unsigned char *file_key)
{
	size_t i, j, n = ss_keyring_count(u->kr);
	int hinted, rc;

	for (i = 0; i < u->h->n_x25519; i++) {
		for (j = n; j-- > 0;) { /* newest first: recent values are the common case */
			hinted = u->h->has_hint &&
				 memcmp(ss_identity_tag(ss_keyring_get(u->kr, j)), u->h->hints[i],
					SS_AGE_HINT_LEN) == 0;
			if (hinted != (pass == 0))
				continue;
			rc = try_pair(u, i, j, file_key);
			if (rc != SS_E_NOMATCH)
				return rc;
		}
	}
	return SS_E_NOMATCH;
}

/*
 * No identity opened the value: name the hint tags of the keys it is sealed
 * to (public, in its header), so the user can tell which key is needed.
 */
static int no_match(const struct unwrap_ctx *u, struct ss_err *err)
{
	char hints[SS_AGE_MAX_X25519 * 10 + 1] = "", t[16];
	size_t i, at = 0;

	if (!u->h->has_hint || u->h->n_hints == 0)
		return ss_err_set(err, SS_E_NOMATCH,
				  "no identity matches any of the %zu X25519 stanzas (wrong key?)",
				  u->h->n_x25519);
	for (i = 0; i < u->h->n_hints && at < sizeof(hints); i++) {
		ss_age_hint_format(u->h->hints[i], t, sizeof(t));
		at += (size_t)snprintf(hints + at, sizeof(hints) - at, "%s%s", i ? ", " : "", t);
	}
	return ss_err_set(err, SS_E_NOMATCH,
			  "no identity matches any of the %zu X25519 stanzas: wrong key; the value "
			  "is sealed to the key(s) with hint %s (`sealctl inspect -R FILE` shows "
			  "which recipient has which hint)", u->h->n_x25519, hints);
}

static int unwrap(struct unwrap_ctx *u, unsigned char *file_key, struct ss_err *err)
{
	int rc;

	if (u->h->n_x25519 == 0)
		return ss_err_set(err, SS_E_NOMATCH, "no X25519 stanza: the file is for another kind of recipient");
	if (u->kr == NULL || ss_keyring_count(u->kr) == 0)
		return ss_err_set(err, SS_E_NOMATCH, "no identities to try");
	rc = unwrap_pass(u, 0, file_key);
	if (rc == SS_E_NOMATCH)
		rc = unwrap_pass(u, 1, file_key);
	if (rc == SS_E_NOMATCH)
		return no_match(u, err);
	if (rc == SS_E_AGE_HEADER)
		return ss_err_set(err, rc, "header: X25519 stanza gives an all-zero shared secret");
	if (rc == SS_E_LIMIT)
		return ss_err_set(err, rc, "X25519 operation budget exhausted (%zu used)", u->ops);
	if (rc != 0)
		return ss_err_set(err, rc, "unwrap: %s", ss_strerror(rc));
	return 0;
}

static int check_scope(const struct ss_age_open_opts *o, const struct ss_age_header *h,
		       struct ss_err *err)
{
	if (!h->has_scope) {
		if (o->allow_unscoped)
			return 0;
		return ss_err_set(err, SS_E_UNSCOPED,
				  "value has no sealsync/scope stanza (plain age file?); refused without --allow-unscoped");
	}
	return o->expect != NULL ? ss_scope_check(&h->scope, o->expect, err) : 0;
}

/*
 * Everything after the header is parsed: keys, MAC, scope, payload. k is the
 * caller's guarded scratch; k->file_key stays set for a rewrap.
 */
static int open_parsed(const struct ss_age_open_opts *o, const struct input *x,
		       const struct ss_age_header *h, struct open_keys *k, struct ss_buf *pt,
		       struct ss_age_info *info, struct ss_err *err)
{
	unsigned local = SS_AGE_X25519_BUDGET_DEFAULT;
	struct unwrap_ctx u = {o->kr, h, o->x25519_budget ? o->x25519_budget : &local, 0, 0};
	unsigned char mac[32];
	const unsigned char *payload = x->bin + h->len;
	size_t plen = x->len - h->len;
	int rc;

	rc = unwrap(&u, k->file_key, err);
	if (info != NULL) {
		info->identity_index = u.index;
		info->x25519_ops = u.ops;
	}
	if (rc != 0)
		goto out;
	rc = ss_age_header_mac(k->file_key, x->bin, h->mac_input_len, mac);
	if (rc != 0 || crypto_verify_32(mac, h->mac) != 0) {
		rc = ss_err_set(err, SS_E_AGE_MAC, "header MAC does not verify (header tampered with)");
		goto out;
	}
	rc = check_scope(o, h, err);
	if (rc != 0)
		goto out;
	if (plen < SS_AGE_NONCE_LEN) {
		rc = ss_err_set(err, SS_E_AGE_HEADER, "payload nonce is missing or short (truncated file)");
		goto out;
	}
	rc = ss_hkdf_sha256(payload, SS_AGE_NONCE_LEN, k->file_key, sizeof(k->file_key),
			    (const unsigned char *)"payload", 7, k->payload_key, sizeof(k->payload_key));
	if (rc == 0)
		rc = ss_age_stream_open(k->payload_key, payload + SS_AGE_NONCE_LEN, plen - SS_AGE_NONCE_LEN, pt, err);
out:
	return rc;
}

/* Parses in and opens it; k (guarded, the caller's) keeps the file key. */
static int open_input(const struct ss_age_open_opts *o, struct input *x, struct ss_age_header *h,
		      struct open_keys *k, struct ss_buf *pt, struct ss_age_info *info,
		      struct ss_err *err)
{
	int rc = ss_age_header_parse(x->bin, x->len, h, err);

	if (rc != 0)
		return rc;
	fill_info(h, x->len, info);
	if (k == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return open_parsed(o, x, h, k, pt, info, err);
}

static int delegate_open(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
			 struct ss_buf *pt, struct ss_age_info *info, struct ss_err *err)
{
	unsigned fresh = SS_AGE_X25519_BUDGET_DEFAULT;

	return o->open_fn(o->delegate_ctx, in, inlen, o->expect, o->allow_unscoped,
			  o->x25519_budget != NULL ? o->x25519_budget : &fresh, pt, info, err);
}

int ss_age_open(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
		struct ss_buf *pt, struct ss_age_info *info, struct ss_err *err)
{
	struct ss_age_header *h = header_new();
	struct open_keys *k;
	struct input x;
	int rc;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (h == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (o->open_fn != NULL) { /* privsep: the key holder opens it */
		free(h);
		return delegate_open(o, in, inlen, pt, info, err);
	}
	k = ss_secmem_scratch(sizeof(*k));
	rc = input_decode(in, inlen, &x, err);
	if (rc == 0)
		rc = open_input(o, &x, h, k, pt, info, err);
	ss_secmem_unscratch(k);
	ss_age_header_release(h);
	free(h);
	ss_buf_release(&x.tmp);
	return rc;
}

int ss_age_inspect(const unsigned char *in, size_t inlen, struct ss_age_info *info,
		   struct ss_err *err)
{
	struct ss_age_header *h = header_new();
	struct input x;
	int rc;

	memset(info, 0, sizeof(*info));
	if (h == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = input_decode(in, inlen, &x, err);
	if (rc == 0)
		rc = ss_age_header_parse(x.bin, x.len, h, err);
	if (rc == 0)
		fill_info(h, x.len, info);
	ss_age_header_release(h);
	free(h);
	ss_buf_release(&x.tmp);
	return rc;
}

int ss_age_value_decode(const char *text, size_t len, struct ss_buf *out, struct ss_err *err)
{
	const unsigned char *p = (const unsigned char *)text;

	if (ss_age_is_armored(p, len))
		return ss_age_armor_decode(p, len, out, err);
	while (len > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r'))
		p++, len--;
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len == 0)
		return ss_err_set(err, SS_E_INVAL, "empty value");
	return ss_base64_decode((const char *)p, len, out, err);
}

/*
 * The rewrap: the file key the input's header wraps, wrapped again to `to`,
 * with the input's scope stanza copied byte for byte; the payload (nonce and
 * STREAM) is appended unchanged. So whoever checks the result without a key
 * can see that the plaintext cannot have changed (ss_age_check_rewrap).
 */
static int rewrap_opened(const struct ss_age_seal_opts *to, const struct input *x,
			 const struct ss_age_header *h, const struct open_keys *k,
			 struct ss_buf *out, struct ss_err *err)
{
	const struct ss_age_stanza *sc = h->has_scope ? &h->st[h->scope_stanza] : NULL;
	struct ss_age_seal_opts so = *to;
	struct ss_buf file;
	int rc;

	so.scope = NULL;
	if (so.nrecipients == 0 || so.recipients == NULL || so.nrecipients > SS_AGE_MAX_X25519)
		return ss_err_set(err, so.nrecipients == 0 ? SS_E_INVAL : SS_E_LIMIT,
				  "reseal: 1 to %d recipients", SS_AGE_MAX_X25519);
	ss_buf_init(&file, out->max);
	rc = ss_age_header_build(&so, sc != NULL ? x->bin + sc->off : NULL,
				 sc != NULL ? sc->textlen : 0, k->file_key, &file);
	if (rc == 0)
		rc = ss_buf_append(&file, x->bin + h->len, x->len - h->len);
	if (rc == 0)
		rc = ss_buf_append(out, file.data, file.len);
	if (rc == SS_E_INVAL)
		ss_err_set(err, rc, "reseal: a recipient is not a valid X25519 key");
	else if (rc != 0)
		ss_err_set(err, rc, "reseal: %s", ss_strerror(rc));
	ss_buf_release(&file);
	return rc;
}

/* Opens in fully (MAC, scope, every payload chunk), then rewraps it. */
static int reseal_here(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
		       const struct ss_age_seal_opts *to, struct ss_buf *out, struct ss_err *err)
{
	struct ss_age_header *h = header_new();
	struct open_keys *k = ss_secmem_scratch(sizeof(struct open_keys));
	struct ss_buf pt;
	struct input x;
	int rc;

	ss_buf_init_secure(&pt, inlen);
	x.bin = NULL;
	ss_buf_init(&x.tmp, inlen);
	if (h == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = input_decode(in, inlen, &x, err);
	if (rc == 0)
		rc = open_input(o, &x, h, k, &pt, NULL, err);
	if (rc == 0)
		rc = rewrap_opened(to, &x, h, k, out, err);
	ss_age_header_release(h);
out:
	free(h);
	ss_secmem_unscratch(k);
	ss_buf_release(&pt);
	ss_buf_release(&x.tmp);
	return rc;
}

int ss_age_reseal(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
		  const struct ss_age_seal_opts *to, struct ss_buf *out, struct ss_err *err)
{
	unsigned fresh = SS_AGE_X25519_BUDGET_DEFAULT;

	if (o->reseal_fn != NULL) /* privsep: the file key stays in the key holder */
		return o->reseal_fn(o->delegate_ctx, in, inlen, o->expect, o->allow_unscoped,
				    o->x25519_budget != NULL ? o->x25519_budget : &fresh, to, out,
				    err);
	return reseal_here(o, in, inlen, to, out, err);
}
