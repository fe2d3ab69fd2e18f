/*
 * cmd_verify.c: `sealctl verify`, every SealedSecret in files or trees is
 * well-formed (and, with -i, unseals in its scope). Reports every failure,
 * not just the first, and exits 1 if there was one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_manifest.h"
#include "sealsync/sops.h"

static const char verify_help[] =
	"usage: sealctl verify [-i IDENTITIES ...] [-n NS] [--allow-unscoped] [PATH...]\n"
	"       sealctl verify --agent URL [--agent-ca FILE] [-n NS] [PATH...]\n"
	"\n"
	"Checks every SealedSecret in PATHs (files, or folders walked for .yaml,\n"
	".yml and .json files; stdin when none): the manifest is valid, every\n"
	"value is base64 (or armor) of an age file whose scope stanza matches\n"
	"spec.scope and the manifest's place. With -i, every value must also\n"
	"decrypt in its scope, and every sops-encrypted Secret must decrypt with\n"
	"its MAC verified. Each failure is printed as\n"
	"`sealctl: file:line: document N: field F: key K: message`; the exit code\n"
	"is 1 if there was any. Other kinds of documents are only parsed.\n"
	"\n"
	"  -i, --identity P        identity file or folder (repeatable)\n"
	"  -n, --namespace NS      namespace for SealedSecrets that name none\n"
	"  --allow-unscoped        accept values without a scope stanza\n"
	"  --agent URL             ask the agent instead (POST URL/v1/verify, one\n"
	"                          request per SealedSecret; https, verified)\n"
	"  --agent-ca FILE         CA bundle for the agent's certificate\n";

struct verify_ctx {
	const struct cm_opts *o;
	struct ss_keyring *kr; /* NULL: no decryption */
	size_t files, sealed, values, failures, sops;
};

/* A SOPS Secret: with -i, it must decrypt and its MAC verify (sops.h). */
static int verify_sops(struct verify_ctx *c, const json_t *doc, const struct ss_origin *o)
{
	struct ss_age_open_opts ao;
	struct ss_err err;
	json_t *sec = NULL;

	c->sops++;
	if (c->kr == NULL)
		return 0;
	memset(&ao, 0, sizeof(ao));
	ao.kr = c->kr;
	ss_err_clear(&err);
	if (ss_sops_decrypt(doc, o, &ao, &sec, &err) != 0) {
		c->failures++;
		sealctl_fail(&err);
	}
	json_decref(sec);
	return 0;
}

/* Counts and prints a failure; never stops the walk. */
static int verify_doc(const json_t *doc, const struct ss_origin *o, void *ctx,
		      struct ss_err *unused)
{
	struct verify_ctx *c = ctx;
	struct ss_age_open_opts ao;
	struct ss_sealed *s = NULL;
	struct ss_err err;
	json_t *sec = NULL;
	int rc;

	(void)unused;
	if (ss_sops_is(doc))
		return verify_sops(c, doc, o);
	if (!cm_is_sealed_like(doc))
		return 0;
	ss_err_clear(&err);
	rc = ss_sealed_parse(doc, o, &s, &err);
	if (rc == 0 && !c->o->allow_unscoped && ss_sealed_unscoped(s)) {
		rc = ss_err_set(&err, SS_E_UNSCOPED,
				"a value has no scope stanza (the agent refuses it)");
		ss_origin_err(&err, o, "spec.encryptedData", NULL);
	}
	if (rc == 0 && c->o->agent.url != NULL) {
		rc = cm_agent_verify(c->o, s, cm_effective_ns(s, c->o), &err);
		if (rc != 0)
			cm_err_at_value(&err, o);
	} else if (rc == 0 && c->kr != NULL) {
		memset(&ao, 0, sizeof(ao));
		ao.kr = c->kr;
		ao.allow_unscoped = c->o->allow_unscoped;
		rc = ss_sealed_unseal(s, cm_effective_ns(s, c->o), &ao, &sec, &err);
		json_decref(sec);
	}
	c->sealed++;
	if (s != NULL)
		c->values += ss_sealed_count(s);
	ss_sealed_free(s);
	if (rc != 0) {
		c->failures++;
		sealctl_fail(&err);
	}
	return 0;
}

static int verify_file(const char *path, size_t index, size_t total, void *ctx)
{
	struct verify_ctx *c = ctx;
	struct cm_file f;
	struct ss_err err;

	(void)index;
	(void)total;
	c->files++;
	ss_err_clear(&err);
	if (cm_file_load(&f, path, 0, &err) != 0) {
		c->failures++;
		sealctl_fail(&err);
	} else {
		(void)cm_each_doc(&f, verify_doc, c, &err);
	}
	cm_file_release(&f);
	return 0;
}

int sealctl_cmd_verify(int argc, char **argv)
{
	static char *stdin_path[] = {"-"};
	struct verify_ctx c;
	struct cm_opts o;
	struct ss_err err;
	int rc;

	rc = cm_parse(argc, argv, CM_IDENTITIES | CM_NAMESPACE | CM_UNSCOPED | CM_AGENT,
		      verify_help, &o);
	if (rc != 0 || o.help)
		return rc;
	if (o.agent.url != NULL && o.nids > 0)
		return sealctl_usage(argv[0], "give either -i or --agent");
	if (o.agent.url == NULL && (o.agent.ca_file != NULL || o.agent.npins > 0))
		return sealctl_usage(argv[0], "--agent-ca and --pin need --agent");
	memset(&c, 0, sizeof(c));
	c.o = &o;
	ss_err_clear(&err);
	if (o.nids > 0 && cm_keyring(&o, &c.kr, &err) != 0)
		return sealctl_fail(&err);
	rc = o.npaths > 0 ? cm_walk(o.paths, o.npaths, verify_file, &c, &err)
			  : cm_walk(stdin_path, 1, verify_file, &c, &err);
	ss_keyring_free(c.kr);
	if (rc != 0)
		return sealctl_fail(&err);
	if (c.sops > 0)
		fprintf(stderr, "sealctl: verify: %zu SOPS document(s)%s\n", c.sops,
			o.nids > 0 ? " decrypted, MAC checked" : " not decrypted (no -i)");
	fprintf(stderr, "sealctl: verify: %zu file(s), %zu SealedSecret(s), %zu value(s)%s: %s\n",
		c.files, c.sealed, c.values,
		o.nids > 0 ? " decrypted" : o.agent.url != NULL ? " checked by the agent" : "",
		c.failures == 0 ? "ok" : "FAILED");
	if (c.failures > 0)
		return SEALCTL_EXIT_FAIL;
	return SEALCTL_EXIT_OK;
}
