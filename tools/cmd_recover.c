/*
 * cmd_recover.c: `sealctl recover`, SealedSecrets back to Secrets for
 * disaster recovery. Plaintext goes to stdout only (there is no output file
 * option on purpose), through guarded memory, with a loud warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_manifest.h"

#define RECOVER_MAX_DOCS 4096

static const char recover_help[] =
	"usage: sealctl recover -i IDENTITIES [-i ...] [-n NS] [--allow-unscoped]\n"
	"                       [-o yaml|json] [PATH...]\n"
	"\n"
	"Disaster recovery: decrypts the SealedSecrets in PATHs (files, or folders\n"
	"walked for .yaml, .yml and .json files like verify; stdin when none) and\n"
	"writes the v1 Secrets (`data` in base64) to stdout, never to a file, with\n"
	"a warning on stderr. Each value must open in its own scope: its\n"
	"namespace (-n for manifests that name none), name and key. Other kinds\n"
	"of documents are skipped. With --raw, recovers one value (see\n"
	"`sealctl recover --raw --help`).\n"
	"\n"
	"  -i, --identity P        identity file or folder (repeatable); refused\n"
	"                          when others can read it or anyone else write it\n"
	"  -n, --namespace NS      namespace for SealedSecrets that name none\n"
	"  --allow-unscoped        accept values without a scope stanza\n"
	"  -o, --format yaml|json  output format (default yaml)\n";

struct recover_ctx {
	const struct cm_opts *o;
	struct ss_keyring *kr;
	struct ss_err *err;
	json_t *docs[RECOVER_MAX_DOCS];
	size_t n;
};

static int recover_doc(const json_t *doc, const struct ss_origin *o, void *ctx,
		       struct ss_err *err)
{
	struct recover_ctx *c = ctx;
	struct ss_age_open_opts ao;
	struct ss_sealed *s = NULL;
	int rc;

	if (!cm_is_sealed_like(doc))
		return 0;
	if (c->n >= RECOVER_MAX_DOCS)
		return ss_err_set(err, SS_E_LIMIT, "more than %d SealedSecrets", RECOVER_MAX_DOCS);
	memset(&ao, 0, sizeof(ao));
	ao.kr = c->kr;
	ao.allow_unscoped = c->o->allow_unscoped;
	rc = ss_sealed_parse(doc, o, &s, err);
	if (rc == 0)
		rc = ss_sealed_unseal(s, cm_effective_ns(s, c->o), &ao, &c->docs[c->n], err);
	if (rc == 0)
		c->n++;
	ss_sealed_free(s);
	return rc;
}

static int recover_file(const char *path, size_t index, size_t total, void *ctx)
{
	struct recover_ctx *c = ctx;
	struct cm_file f;
	int rc = cm_file_load(&f, path, 0, c->err);

	(void)index;
	(void)total;
	if (rc == 0)
		rc = cm_each_doc(&f, recover_doc, c, c->err);
	cm_file_release(&f);
	return rc;
}

static int recover_emit(struct recover_ctx *c, struct ss_err *err)
{
	struct ss_buf out;
	int rc;

	if (c->n == 0)
		return ss_err_set(err, SS_E_INVAL, "no SealedSecret in the input");
	ss_buf_init_secure(&out, (size_t)SEALCTL_SEALED_MAX * 4);
	rc = ss_emit_docs(c->docs, c->n, c->o->fmt, &out, err);
	if (rc == 0) {
		fprintf(stderr, "sealctl: WARNING: writing %zu DECRYPTED Secret(s) to stdout for "
				"disaster recovery. Do not commit, log or keep this output.\n",
			c->n);
		rc = cm_write_stdout(&out, err);
	}
	ss_buf_release(&out);
	return rc;
}

int sealctl_cmd_recover(int argc, char **argv)
{
	struct recover_ctx c;
	struct cm_opts o;
	static char *stdin_path[] = {"-"};
	struct ss_err err;
	size_t i;
	int rc;

	rc = cm_parse(argc, argv, CM_IDENTITIES | CM_FORMAT | CM_NAMESPACE | CM_UNSCOPED,
		      recover_help, &o);
	if (rc != 0 || o.help)
		return rc;
	if (o.nids == 0)
		return sealctl_usage(argv[0], "give the identities with -i");
	memset(&c, 0, sizeof(c));
	c.o = &o;
	c.err = &err;
	ss_err_clear(&err);
	rc = cm_keyring(&o, &c.kr, &err);
	if (rc == 0)
		rc = o.npaths > 0 ? cm_walk(o.paths, o.npaths, recover_file, &c, &err)
				  : cm_walk(stdin_path, 1, recover_file, &c, &err);
	if (rc == 0)
		rc = recover_emit(&c, &err);
	for (i = 0; i < c.n; i++)
		json_decref(c.docs[i]);
	ss_keyring_free(c.kr);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}
