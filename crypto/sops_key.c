/*
 * sops_key.c: opening a SOPS data key (sops.age[].enc) with our identities
 * (see sops.h). This is the only way a SOPS file reaches a private key, and
 * it must not become a way to read a sealed value without its scope check
 * (DESIGN §3.2): a file with any sealsync stanza is refused before a key is
 * tried, and the plaintext must be exactly one 32-byte data key.
 */
#include <stdio.h>
#include <string.h>

#include "sealsync/sops.h"

#include "internal.h"

/* A readable name for a stanza type in an error (it is public header text). */
static void type_name(const struct ss_age_stanza *s, char *buf, size_t len)
{
	size_t i, n = s->arglen[0] < len - 1 ? s->arglen[0] : len - 1;

	for (i = 0; i < n; i++)
		buf[i] = (s->arg[0][i] > 0x20 && s->arg[0][i] < 0x7f) ? s->arg[0][i] : '?';
	buf[n] = '\0';
}

/* Every stanza X25519; sealsync stanzas mark a sealed value, not a data key. */
static int check_stanzas(const struct ss_age_header *h, struct ss_err *err)
{
	char name[64];
	size_t i;

	for (i = 0; i < h->n; i++) {
		const struct ss_age_stanza *s = &h->st[i];

		if (ss_age_arg_is(s, 0, "X25519"))
			continue;
		type_name(s, name, sizeof(name));
		if (ss_age_arg_is(s, 0, SS_AGE_SCOPE_TYPE) || ss_age_arg_is(s, 0, SS_AGE_HINT_TYPE))
			return ss_err_set(err, SS_E_SCOPE,
					  "a %s stanza: this is a sealed value, not a SOPS data key",
					  name);
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "age stanza type %s is not supported for SOPS data keys (only X25519 recipients)",
				  name);
	}
	if (h->n_x25519 == 0)
		return ss_err_set(err, SS_E_AGE_HEADER, "no X25519 stanza in the SOPS data key");
	return 0;
}

/* Armor, header parse and the stanza check, on public data only. */
static int inspect(const unsigned char *in, size_t inlen, struct ss_err *err)
{
	struct ss_age_header h;
	struct ss_buf bin;
	const unsigned char *p = in;
	size_t n = inlen;
	int rc;

	memset(&h, 0, sizeof(h));
	ss_buf_init(&bin, inlen);
	if (ss_age_is_armored(in, inlen)) {
		rc = ss_age_armor_decode(in, inlen, &bin, err);
		if (rc != 0)
			goto out;
		p = bin.data;
		n = bin.len;
	}
	rc = ss_age_header_parse(p, n, &h, err);
	if (rc == 0)
		rc = check_stanzas(&h, err);
out:
	ss_age_header_release(&h);
	ss_buf_release(&bin);
	return rc;
}

static int open_here(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
		     unsigned char *key, struct ss_err *err)
{
	struct ss_age_open_opts mine = *o;
	struct ss_buf pt;
	int rc;

	mine.expect = NULL;
	mine.allow_unscoped = 1; /* safe: check_stanzas refused any scoped file */
	mine.open_fn = NULL;
	ss_buf_init_secure(&pt, SS_SOPS_KEY_LEN + 1);
	rc = ss_age_open(&mine, in, inlen, &pt, NULL, err);
	if (rc == SS_E_LIMIT && pt.len > SS_SOPS_KEY_LEN)
		rc = ss_err_set(err, SS_E_INVAL, "a SOPS data key is 32 bytes; this file holds more");
	else if (rc == 0 && pt.len != SS_SOPS_KEY_LEN)
		rc = ss_err_set(err, SS_E_INVAL, "a SOPS data key is 32 bytes; this file holds %zu",
				pt.len);
	if (rc == 0)
		memcpy(key, pt.data, SS_SOPS_KEY_LEN);
	ss_buf_release(&pt);
	return rc;
}

int ss_sops_open_datakey(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
			 unsigned char key[SS_SOPS_KEY_LEN], struct ss_err *err)
{
	unsigned fresh = SS_AGE_X25519_BUDGET_DEFAULT;
	unsigned *budget = o->x25519_budget != NULL ? o->x25519_budget : &fresh;
	int rc;

	if (o->sops_key_fn != NULL)
		return o->sops_key_fn(o->delegate_ctx, in, inlen, budget, key, err);
	rc = inspect(in, inlen, err);
	if (rc != 0)
		return rc;
	return open_here(o, in, inlen, key, err);
}
