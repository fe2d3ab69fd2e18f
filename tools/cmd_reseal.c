/*
 * cmd_reseal.c: `sealctl reseal`, re-encrypt SealedSecrets in files or
 * trees to the current recipients (after a key rotation, or to add an
 * escrow key). Values already sealed to exactly those recipients are left
 * alone, so a file that needs nothing keeps its bytes. Changed values are
 * spliced into the file's text (comments and layout kept) and the file is
 * written atomically; only ciphertext is ever written. Scope stanzas are
 * copied from the old values, never recomputed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sealsync/file.h"

#include "cmd_manifest.h"

static const char reseal_help[] =
	"usage: sealctl reseal -i IDENTITIES [-i ...] -r age1... [-r ...] [-R FILE]\n"
	"                      [--in-place] [--allow-unscoped] [PATH...]\n"
	"       sealctl reseal --agent URL [--agent-ca FILE] [--pin age1...]\n"
	"                      [--pin sha256//BASE64]\n"
	"                      [--in-place] [PATH...]\n"
	"\n"
	"Re-encrypts every value of the SealedSecrets in PATHs (files, or folders\n"
	"walked for .yaml, .yml and .json files) to exactly the given recipients,\n"
	"decrypting with the identities. A value already sealed to exactly those\n"
	"recipients (same number of X25519 stanzas, each recipient's hint tag\n"
	"present) is kept as it is, and a file with nothing to change is not\n"
	"rewritten. Each value keeps its scope stanza. Without --in-place, one\n"
	"file (or stdin) is resealed to stdout; folders and several files need\n"
	"--in-place, which rewrites each file atomically and prints a progress\n"
	"line per changed file on stderr.\n"
	"\n"
	"  -i, --identity P           identity file or folder (repeatable)\n"
	"  -r, --recipient R          a new recipient (repeatable)\n"
	"  -R, --recipients-file F    age recipients file (repeatable)\n"
	"  --in-place                 rewrite the files\n"
	"  --allow-unscoped           also reseal values without a scope stanza\n"
	"  --agent URL                let the agent reseal (POST URL/v1/reseal) to its\n"
	"                             recipients (GET URL/v1/recipients): no -i, -r\n"
	"  --agent-ca FILE            CA bundle for the agent's certificate\n"
	"  --pin age1...              refuse unless every recipient the agent\n"
	"                             advertises is one of these (repeatable)\n"
	"  --pin sha256//BASE64       the agent's TLS public key (SHA-256 of its\n"
	"                             DER SubjectPublicKeyInfo); required with\n"
	"                             recipient pins (repeatable)\n"
	"\n"
	"With --agent, every value of the reply must be a rewrap of the original:\n"
	"payload and scope stanza byte-identical, one stanza per recipient, same\n"
	"keys; otherwise nothing is written and the value is named.\n";

struct reseal_ctx {
	const struct cm_opts *o;
	struct ss_keyring *kr;
	size_t files, changed, values, current, failures;
};

static int want(const char *k, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i], k) == 0)
			return 1;
	return 0;
}

static int reseal_local(struct reseal_ctx *c, struct ss_sealed *s, const char *const *keys,
			size_t nkeys, struct ss_err *err)
{
	struct ss_age_seal_opts to = {c->o->rcpt.v, c->o->rcpt.n, NULL};
	struct ss_age_open_opts ao;
	size_t i;
	int rc = 0;

	memset(&ao, 0, sizeof(ao));
	ao.kr = c->kr;
	ao.allow_unscoped = c->o->allow_unscoped;
	for (i = 0; rc == 0 && i < ss_sealed_count(s); i++)
		if (want(ss_sealed_key(s, i), keys, nkeys))
			rc = ss_sealed_reseal_value(s, i, &ao, &to, err);
	return rc;
}

/*
 * The agent's reply is not trusted: every value must be a rewrap of ours
 * (payload and scope stanza byte-identical, one stanza per recipient the
 * agent advertised, pinned with --pin), with the same keys in the same order,
 * before any of it is used. See SECURITY.md for what stays unverifiable.
 */
static int check_reply(const struct reseal_ctx *c, const struct ss_sealed *s,
		       const struct ss_sealed *r, struct ss_err *err)
{
	const unsigned char *a, *b;
	size_t i, alen, blen;
	int rc = 0;

	if (strcmp(ss_sealed_name(r), ss_sealed_name(s)) != 0 ||
	    strcmp(ss_sealed_namespace(r), ss_sealed_namespace(s)) != 0 ||
	    ss_sealed_mode(r) != ss_sealed_mode(s) || ss_sealed_count(r) != ss_sealed_count(s))
		return ss_err_set(err, SS_E_SIG, "the agent's reply is another SealedSecret "
				  "(name, namespace, scope or number of keys differ)");
	for (i = 0; rc == 0 && i < ss_sealed_count(s); i++) {
		if (strcmp(ss_sealed_key(r, i), ss_sealed_key(s, i)) != 0)
			return ss_err_set(err, SS_E_SIG, "the agent's reply has other keys");
		b = ss_sealed_value(s, i, &blen);
		a = ss_sealed_value(r, i, &alen);
		rc = ss_age_check_rewrap(b, blen, a, alen, c->o->rcpt.v, c->o->rcpt.n, err);
		if (rc != 0) {
			ss_err_prefix(err, "the agent's reply is refused");
			ss_err_field(err, "spec.encryptedData", ss_sealed_key(s, i));
		}
	}
	return rc;
}

/* The agent reseals the whole SealedSecret; only the keys asked for change. */
static int reseal_remote(struct reseal_ctx *c, struct ss_sealed *s, const char *const *keys,
			 size_t nkeys, struct ss_err *err)
{
	struct ss_sealed *r = NULL;
	size_t i, len;
	int rc = cm_agent_reseal(c->o, s, &r, err);

	if (rc == 0)
		rc = check_reply(c, s, r, err);
	for (i = 0; rc == 0 && i < ss_sealed_count(s); i++) {
		const unsigned char *v;

		if (!want(ss_sealed_key(s, i), keys, nkeys))
			continue;
		v = ss_sealed_value(r, i, &len);
		rc = ss_sealed_set_value(s, ss_sealed_key(s, i), v, len, err);
	}
	ss_sealed_free(r);
	return rc;
}

/* Reseals the values of s that need it; *nkeys receives their names. */
static int reseal_sealed(struct reseal_ctx *c, struct ss_sealed *s, const char **keys,
			 size_t *nkeys, struct ss_err *err)
{
	size_t i;

	*nkeys = 0;
	for (i = 0; i < ss_sealed_count(s); i++) {
		if (ss_sealed_value_has_recipients(s, i, c->o->rcpt.v, c->o->rcpt.n))
			c->current++;
		else
			keys[(*nkeys)++] = ss_sealed_key(s, i);
	}
	if (*nkeys == 0)
		return 0;
	return c->o->agent.url != NULL ? reseal_remote(c, s, keys, *nkeys, err)
				       : reseal_local(c, s, keys, *nkeys, err);
}

/* Reseals one document of f into the text in cur (spliced when changed). */
static int reseal_doc(struct reseal_ctx *c, const struct cm_file *f, size_t d,
		      struct ss_buf *cur, struct ss_buf *next, size_t *nvalues, struct ss_err *err)
{
	const char *keys[SS_SEALED_MAX_KEYS];
	struct ss_sealed *s = NULL;
	struct ss_origin o;
	size_t nkeys = 0;
	int rc;

	cm_origin(f, d, &o);
	rc = ss_sealed_parse(ss_docset_get(f->ds, d), &o, &s, err);
	if (rc == 0) {
		rc = reseal_sealed(c, s, keys, &nkeys, err);
		if (rc != 0 && err != NULL && err->file[0] == '\0')
			cm_err_at_value(err, &o);
	}
	if (rc == 0 && nkeys > 0) {
		ss_buf_reset(next);
		rc = ss_sealed_splice(f->name, ss_buf_str(cur), cur->len, s, keys, nkeys, next, err);
		if (rc == 0) {
			struct ss_buf t = *cur;

			*cur = *next;
			*next = t;
		}
	}
	*nvalues += nkeys;
	ss_sealed_free(s);
	return rc;
}

static int reseal_write(struct reseal_ctx *c, const struct cm_file *f, const char *path,
			const struct ss_buf *text, int changed, struct ss_err *err)
{
	struct stat st;
	int rc;

	if (!c->o->in_place)
		return cm_write_stdout(text, err);
	if (!changed)
		return 0;
	rc = cm_check_sealed_text(f->name, text, err);
	if (rc != 0) {
		ss_err_prefix(err, "the resealed file would not be valid");
		return rc;
	}
	if (stat(path, &st) != 0)
		st.st_mode = 0644;
	return ss_file_write_atomic(path, text->data, text->len, st.st_mode & 0777, err);
}

static int reseal_one(struct reseal_ctx *c, const char *path, size_t index, size_t total,
		      struct ss_err *err)
{
	struct ss_buf cur, next;
	struct cm_file f;
	size_t d, nvalues = 0;
	int rc;

	ss_buf_init(&cur, SEALCTL_SEALED_MAX);
	ss_buf_init(&next, SEALCTL_SEALED_MAX);
	rc = cm_file_load(&f, path, 0, err);
	if (rc == 0 && ss_buf_append(&cur, f.text.data, f.text.len) != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "file too large");
	for (d = 0; rc == 0 && d < ss_docset_count(f.ds); d++)
		if (cm_is_sealed_like(ss_docset_get(f.ds, d)))
			rc = reseal_doc(c, &f, d, &cur, &next, &nvalues, err);
	if (rc == 0)
		rc = reseal_write(c, &f, path, &cur, nvalues > 0, err);
	if (rc == 0 && nvalues > 0) {
		c->changed++;
		c->values += nvalues;
		if (c->o->in_place)
			fprintf(stderr, "sealctl: reseal: [%zu/%zu] %s: %zu value(s) resealed\n",
				index + 1, total, f.name, nvalues);
	}
	cm_file_release(&f);
	ss_buf_release(&cur);
	ss_buf_release(&next);
	return rc;
}

static int reseal_file(const char *path, size_t index, size_t total, void *ctx)
{
	struct reseal_ctx *c = ctx;
	struct ss_err err;

	c->files++;
	ss_err_clear(&err);
	if (reseal_one(c, path, index, total, &err) != 0) {
		c->failures++;
		sealctl_fail(&err);
	}
	return 0;
}

static int has_tls_pin(const struct sealctl_agent *a)
{
	size_t i;

	for (i = 0; i < a->npins; i++)
		if (sealctl_agent_is_tls_pin(a->pins[i]))
			return 1;
	return 0;
}

static int reseal_check_usage(char **argv, const struct cm_opts *o)
{
	struct stat st;

	if (o->agent.url != NULL && (o->nids > 0 || o->rcpt.n > 0))
		return sealctl_usage(argv[0], "with --agent, the agent holds the keys: no -i, -r, -R");
	if (o->agent.url != NULL && o->agent.npins > 0 && !has_tls_pin(&o->agent))
		return sealctl_usage(argv[0], "--pin age1... needs the agent's TLS key pinned "
				     "too (--pin sha256//...): recipients are public, anyone can "
				     "serve them");
	if (o->agent.url == NULL && o->nids == 0)
		return sealctl_usage(argv[0], "give the identities with -i");
	if (o->agent.url == NULL && o->rcpt.n == 0)
		return sealctl_usage(argv[0], "give the new recipients with -r or -R");
	if (o->in_place && o->npaths == 0)
		return sealctl_usage(argv[0], "--in-place needs files or folders");
	if (!o->in_place && (o->npaths > 1 ||
			     (o->npaths == 1 && stat(o->paths[0], &st) == 0 && S_ISDIR(st.st_mode))))
		return sealctl_usage(argv[0], "several files or a folder need --in-place");
	return 0;
}

int sealctl_cmd_reseal(int argc, char **argv)
{
	static char *stdin_path[] = {"-"};
	struct reseal_ctx c;
	struct cm_opts o;
	struct ss_err err;
	int rc;

	rc = cm_parse(argc, argv, CM_IDENTITIES | CM_RECIPIENTS | CM_IN_PLACE | CM_UNSCOPED | CM_AGENT,
		      reseal_help, &o);
	if (rc != 0 || o.help)
		return rc;
	rc = reseal_check_usage(argv, &o);
	if (rc == 0)
		rc = cm_agent_setup(&o, argv[0]);
	if (rc != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.o = &o;
	ss_err_clear(&err);
	if (o.agent.url == NULL && cm_keyring(&o, &c.kr, &err) != 0)
		return sealctl_fail(&err);
	rc = o.npaths > 0 ? cm_walk(o.paths, o.npaths, reseal_file, &c, &err)
			  : cm_walk(stdin_path, 1, reseal_file, &c, &err);
	ss_keyring_free(c.kr);
	if (rc != 0)
		return sealctl_fail(&err);
	if (o.in_place)
		fprintf(stderr, "sealctl: reseal: %zu file(s), %zu rewritten, %zu value(s) "
				"resealed, %zu already current, %zu failure(s)\n",
			c.files, c.changed, c.values, c.current, c.failures);
	return c.failures > 0 ? SEALCTL_EXIT_FAIL : SEALCTL_EXIT_OK;
}
