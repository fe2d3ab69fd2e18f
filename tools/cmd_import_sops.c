/*
 * cmd_import_sops.c: `sealctl import sops`, Secrets that sops encrypted to
 * an age recipient become SealedSecrets bound (strict scope) to the
 * namespace and name in their MAC-covered content (sops.h). The plaintext
 * only passes through guarded memory; only ciphertext is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/sops.h"

#include "cmd_import.h"
#include "cmd_manifest.h"

#define IMPORT_MAX_DOCS 1024

static const char import_sops_help[] =
	"usage: sealctl import sops -i IDENTITIES [-i ...] -r age1... [-R FILE]\n"
	"                           [--agent URL ...] [-o yaml|json] [FILE...]\n"
	"\n"
	"Converts Secrets encrypted by sops to age recipients (FILEs or stdin)\n"
	"into SealedSecrets on stdout. Each file is decrypted with the age\n"
	"identities (-i; one of the file's sops.age recipients), its MAC checked\n"
	"as sops does, and every value sealed to the recipients in the strict\n"
	"scope of the namespace and name the Secret itself names: a Secret\n"
	"without metadata.namespace is refused (none is supplied for it). PGP,\n"
	"cloud KMS, Vault, key groups and non-X25519 age recipients are refused.\n"
	"\n"
	"  -i, --identity P        age identity file or folder (repeatable)\n"
	"  -r, --recipient R       an age1... recipient to seal to (repeatable)\n"
	"  -R, --recipients-file F age recipients file (repeatable)\n"
	"  --agent URL             also seal to the agent's recipients\n"
	"  --agent-ca FILE         CA bundle for the agent's certificate\n"
	"  --pin age1...           see `sealctl seal --help`\n"
	"  -o, --output yaml|json  output format (default yaml)\n";

struct import_ctx {
	const struct cm_opts *o;
	struct ss_keyring *kr;
	struct ss_sealed *out[IMPORT_MAX_DOCS];
	size_t n;
};

static int import_doc(const json_t *doc, const struct ss_origin *o, void *ctx,
		      struct ss_err *err)
{
	struct import_ctx *c = ctx;
	struct ss_sealed_seal_opts so = {c->o->rcpt.v, c->o->rcpt.n, SS_SCOPE_STRICT, NULL};
	struct ss_age_open_opts ao;
	json_t *secret = NULL;
	int rc;

	if (!ss_sops_is(doc)) {
		ss_origin_err(err, o, NULL, NULL);
		return ss_err_set(err, SS_E_INVAL, "not a SOPS-encrypted document (no sops metadata)");
	}
	if (c->n >= IMPORT_MAX_DOCS)
		return ss_err_set(err, SS_E_LIMIT, "more than %d Secrets", IMPORT_MAX_DOCS);
	memset(&ao, 0, sizeof(ao));
	ao.kr = c->kr;
	rc = ss_sops_decrypt(doc, o, &ao, &secret, err);
	if (rc == 0)
		rc = ss_sealed_from_secret(secret, o, &so, &c->out[c->n], err);
	if (rc == 0)
		c->n++;
	json_decref(secret);
	return rc;
}

static int import_file(struct import_ctx *c, const char *path, struct ss_err *err)
{
	struct cm_file f;
	int rc = cm_file_load(&f, path, 1, err);

	if (rc == 0)
		rc = cm_each_doc(&f, import_doc, c, err);
	cm_file_release(&f);
	return rc;
}

static int import_emit(struct import_ctx *c, struct ss_err *err)
{
	json_t *docs[IMPORT_MAX_DOCS];
	struct ss_buf out;
	size_t i, n = 0;
	int rc = 0;

	if (c->n == 0)
		return ss_err_set(err, SS_E_INVAL, "no SOPS Secret in the input");
	ss_buf_init(&out, (size_t)SEALCTL_SEALED_MAX * 4);
	for (i = 0; rc == 0 && i < c->n; i++)
		if ((rc = ss_sealed_to_json(c->out[i], &docs[i], err)) == 0)
			n++;
	if (rc == 0)
		rc = ss_emit_docs(docs, n, c->o->fmt, &out, err);
	if (rc == 0)
		rc = cm_write_stdout(&out, err);
	for (i = 0; i < n; i++)
		json_decref(docs[i]);
	ss_buf_release(&out);
	return rc;
}

static int import_run(struct import_ctx *c, struct ss_err *err)
{
	const struct cm_opts *o = c->o;
	int k, rc;

	rc = cm_keyring(o, &c->kr, err);
	for (k = 0; rc == 0 && k < (o->npaths > 0 ? o->npaths : 1); k++)
		rc = import_file(c, o->npaths > 0 ? o->paths[k] : "-", err);
	if (rc == 0)
		rc = import_emit(c, err);
	return rc;
}

int cmd_import_sops(int argc, char **argv)
{
	struct import_ctx *c;
	struct cm_opts o;
	struct ss_err err;
	size_t i;
	int rc;

	rc = cm_parse(argc, argv, CM_IDENTITIES | CM_RECIPIENTS | CM_FORMAT | CM_AGENT,
		      import_sops_help, &o);
	if (rc == 0 && !o.help)
		rc = cm_agent_setup(&o, argv[0]);
	if (rc != 0 || o.help)
		return rc;
	if (o.nids == 0)
		return sealctl_usage(argv[0], "give the sops age identities with -i");
	if (o.rcpt.n == 0)
		return sealctl_usage(argv[0], "give at least one recipient (-r, -R or --agent)");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SEALCTL_EXIT_FAIL;
	c->o = &o;
	ss_err_clear(&err);
	rc = import_run(c, &err);
	for (i = 0; i < c->n; i++)
		ss_sealed_free(c->out[i]);
	ss_keyring_free(c->kr);
	free(c);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}
