/*
 * sops_meta.c: the `sops` metadata mapping (see sops.h). Only what we can
 * check is accepted: X25519 age recipients, the selection settings and the
 * MAC. Every other key source or setting is refused by name, so a file is
 * never half understood.
 */
#include <string.h>

#include "sealsync/keys.h"

#include "sops_int.h"

/* Key sources and settings we refuse when present and non-empty. */
static const char *const refused[] = {
	"pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms", "key_groups",
	"encrypted_comment_regex", "unencrypted_comment_regex",
};

static const char *const known[] = {
	"age", "lastmodified", "mac", "version", "encrypted_regex", "unencrypted_regex",
	"encrypted_suffix", "unencrypted_suffix", "mac_only_encrypted", "shamir_threshold",
};

static int is_empty(const json_t *v)
{
	return json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_integer(v) && json_integer_value(v) == 0);
}

static int in_list(const char *k, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(k, list[i]) == 0)
			return 1;
	return 0;
}

static int check_keys(const json_t *sops, struct ss_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)sops, k, v) {
		if (in_list(k, refused, sizeof(refused) / sizeof(refused[0]))) {
			if (is_empty(v))
				continue;
			ss_err_field(err, "sops", k);
			return ss_err_set(err, SS_E_UNSUPPORTED,
					  "sops %s is not supported: only age X25519 recipients", k);
		}
		if (strcmp(k, "shamir_threshold") == 0 && !is_empty(v) &&
		    !(json_is_integer(v) && json_integer_value(v) == 1)) {
			ss_err_field(err, "sops", k);
			return ss_err_set(err, SS_E_UNSUPPORTED, "sops shamir key groups are not supported");
		}
		if (!in_list(k, known, sizeof(known) / sizeof(known[0]))) {
			ss_err_field(err, "sops", k);
			return ss_err_set(err, SS_E_UNSUPPORTED, "unknown sops metadata field");
		}
	}
	return 0;
}

/* One sops.age entry: an X25519 recipient (age1...) and its armored file. */
static int age_entry(const json_t *e, size_t i, struct sops_meta *m, struct ss_err *err)
{
	struct ss_recipient r;
	const char *rcpt = json_string_value(json_object_get(e, "recipient"));
	const char *enc = json_string_value(json_object_get(e, "enc"));

	if (rcpt == NULL || enc == NULL) {
		ss_err_field(err, "sops.age", NULL);
		return ss_err_set(err, SS_E_INVAL, "sops.age[%zu] needs recipient and enc strings", i);
	}
	if (ss_recipient_parse(rcpt, &r, NULL) != 0) {
		ss_err_field(err, "sops.age", NULL);
		/* name the kind (ssh-ed25519, ssh-rsa, age1yubikey...): public text */
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "sops.age[%zu]: recipient type %.*s: only X25519 age recipients (age1...) are supported",
				  i, (int)strcspn(rcpt, " \t\n"), rcpt);
	}
	m->age_enc[m->nage++] = enc;
	return 0;
}

static int parse_age(const json_t *sops, struct sops_meta *m, struct ss_err *err)
{
	const json_t *age = json_object_get(sops, "age");
	size_t i;
	int rc;

	if (!json_is_array(age) || json_array_size(age) == 0) {
		ss_err_field(err, "sops.age", NULL);
		return ss_err_set(err, SS_E_UNSUPPORTED, "no sops age recipients: only age is supported");
	}
	if (json_array_size(age) > SS_SOPS_MAX_AGE) {
		ss_err_field(err, "sops.age", NULL);
		return ss_err_set(err, SS_E_LIMIT, "more than %d sops age recipients", SS_SOPS_MAX_AGE);
	}
	for (i = 0; i < json_array_size(age); i++) {
		rc = age_entry(json_array_get(age, i), i, m, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int compile(const json_t *sops, const char *k, regex_t *re, int *has, struct ss_err *err)
{
	const json_t *v = json_object_get(sops, k);

	if (v == NULL || is_empty(v))
		return 0;
	if (!json_is_string(v) ||
	    regcomp(re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0) {
		ss_err_field(err, "sops", k);
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "sops %s is not a POSIX extended regular expression", k);
	}
	*has = 1;
	return 0;
}

static const char *opt_str(const json_t *sops, const char *k)
{
	const char *s = json_string_value(json_object_get(sops, k));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* RFC 3339 as sops writes it; the string itself is the MAC's AAD. */
static int check_time(const char *t)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (t == NULL || strlen(t) < sizeof(pat))
		return SS_E_INVAL;
	for (i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != pat[i])
			return SS_E_INVAL;
	return 0;
}

int sops_meta_parse(const json_t *doc, struct sops_meta *m, struct ss_err *err)
{
	const json_t *sops = json_object_get(doc, "sops");
	int rc;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(sops))
		return ss_err_set(err, SS_E_INVAL, "sops metadata is not a mapping");
	rc = check_keys(sops, err);
	if (rc == 0)
		rc = parse_age(sops, m, err);
	if (rc != 0)
		return rc;
	m->lastmodified = json_string_value(json_object_get(sops, "lastmodified"));
	m->mac = json_string_value(json_object_get(sops, "mac"));
	if (check_time(m->lastmodified) != 0 || m->mac == NULL) {
		ss_err_field(err, "sops", m->mac == NULL ? "mac" : "lastmodified");
		return ss_err_set(err, SS_E_INVAL, "sops metadata needs lastmodified (RFC 3339) and mac");
	}
	m->enc_suffix = opt_str(sops, "encrypted_suffix");
	m->unenc_suffix = opt_str(sops, "unencrypted_suffix");
	m->mac_only_encrypted = json_is_true(json_object_get(sops, "mac_only_encrypted"));
	rc = compile(sops, "encrypted_regex", &m->enc_re, &m->has_enc_re, err);
	if (rc == 0)
		rc = compile(sops, "unencrypted_regex", &m->unenc_re, &m->has_unenc_re, err);
	return rc;
}

void sops_meta_release(struct sops_meta *m)
{
	if (m->has_enc_re)
		regfree(&m->enc_re);
	if (m->has_unenc_re)
		regfree(&m->unenc_re);
	memset(m, 0, sizeof(*m));
}

static int any_suffix(const char *const *path, size_t n, const char *suffix)
{
	size_t i, sl = strlen(suffix), pl;

	for (i = 0; i < n; i++) {
		pl = strlen(path[i]);
		if (pl >= sl && strcmp(path[i] + pl - sl, suffix) == 0)
			return 1;
	}
	return 0;
}

static int any_match(const char *const *path, size_t n, const regex_t *re)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (regexec(re, path[i], 0, NULL, 0) == 0)
			return 1;
	return 0;
}

/* sops' shouldBeEncrypted, rule by rule and in its order. */
int sops_meta_encrypted(const struct sops_meta *m, const char *const *path, size_t npath)
{
	int enc = 1;

	if (m->unenc_suffix != NULL && any_suffix(path, npath, m->unenc_suffix))
		enc = 0;
	if (m->enc_suffix != NULL)
		enc = any_suffix(path, npath, m->enc_suffix);
	if (m->has_unenc_re && any_match(path, npath, &m->unenc_re))
		enc = 0;
	if (m->has_enc_re)
		enc = any_match(path, npath, &m->enc_re);
	return enc;
}
