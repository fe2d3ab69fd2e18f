/*
 * age_rewrap.c: checking, without any key, that a resealed value is a rewrap
 * of the original (see ss_age_check_rewrap in age.h).
 */
#include <string.h>

#include "sealsync/age.h"

/* The value's parts as ss_age_inspect sees them (binary input only). */
static int parts_of(const unsigned char *in, size_t len, const char *which,
		    struct ss_age_info *info, struct ss_err *err)
{
	int rc;

	if (ss_age_is_armored(in, len))
		return ss_err_set(err, SS_E_INVAL, "the %s value is armored, not a binary age file",
				  which);
	rc = ss_age_inspect(in, len, info, err);
	if (rc != 0)
		ss_err_prefix(err, "the %s value", which);
	return rc;
}

/* The hint tags of after are those of to, in order (public, but a typo check). */
static int check_hints(const struct ss_age_info *a, const struct ss_recipient *to, size_t nto,
		       struct ss_err *err)
{
	unsigned char tag[SS_AGE_HINT_LEN];
	size_t i;

	if (a->n_x25519 != nto || a->n_hints != nto)
		return ss_err_set(err, SS_E_SIG, "the resealed value has %zu X25519 stanzas and "
				  "%zu hint tags for %zu recipients", a->n_x25519, a->n_hints, nto);
	for (i = 0; i < nto; i++)
		if (ss_age_hint_for(&to[i], tag) != 0 ||
		    memcmp(tag, a->hints[i], SS_AGE_HINT_LEN) != 0)
			return ss_err_set(err, SS_E_SIG, "the resealed value's stanza %zu is not "
					  "for recipient %zu", i + 1, i + 1);
	return 0;
}

int ss_age_check_rewrap(const unsigned char *before, size_t blen, const unsigned char *after,
			size_t alen, const struct ss_recipient *to, size_t nto,
			struct ss_err *err)
{
	struct ss_age_info b, a;
	int rc = parts_of(before, blen, "original", &b, err);

	if (rc == 0)
		rc = parts_of(after, alen, "resealed", &a, err);
	if (rc != 0)
		return rc;
	if (a.payload_len != b.payload_len ||
	    memcmp(after + a.header_len, before + b.header_len, b.payload_len) != 0)
		return ss_err_set(err, SS_E_SIG, "the resealed value's payload differs from the "
				  "original (a reseal only rewraps the header)");
	if (a.has_scope != b.has_scope || a.scope_len != b.scope_len ||
	    (b.has_scope && memcmp(after + a.scope_off, before + b.scope_off, b.scope_len) != 0))
		return ss_err_set(err, SS_E_SIG, "the resealed value's sealsync/scope stanza "
				  "differs from the original");
	return to != NULL ? check_hints(&a, to, nto, err) : 0;
}
