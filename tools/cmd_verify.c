/*
 * cmd_verify.c: `sealctl verify`, every SealedSecret in files or trees is
 * well-formed (and, with -i, unseals in its scope). Reports every failure,
 * not just the first, and exits 1 if there was one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_manifest.h"

static const char verify_help[] =
	"usage: sealctl verify [-i IDENTITIES ...] [-n NS] [--allow-unscoped]\n"
	"                      [-o text|json] [PATH...]\n"
	"       sealctl verify --agent URL [--agent-ca FILE] [-n NS] [PATH...]\n"
	"\n"
	"Checks every SealedSecret in PATHs (files, or folders walked for .yaml,\n"
	".yml and .json files; stdin when none): the manifest is valid, every\n"
	"value is base64 (or armor) of an age file whose scope stanza matches\n"
	"spec.scope and the manifest's place. With -i, every value must also\n"
	"decrypt in its scope. Each failure is printed as\n"
	"`sealctl: file:line: document N: field F: key K: message`; the exit code\n"
	"is 1 if there was any, and the last line counts them. Other kinds of\n"
	"documents are only parsed, but a file with no document (what a failed\n"
	"`sealctl seal >FILE` leaves) or a document that is not a Kubernetes\n"
	"object (no apiVersion and kind) is a failure; kustomization.yaml is\n"
	"exempt.\n"
	"\n"
	"  -i, --identity P        identity file or folder (repeatable)\n"
	"  -n, --namespace NS      namespace for SealedSecrets that name none\n"
	"  --allow-unscoped        accept values without a scope stanza\n"
	"  -o, --format text|json  json: one object on stdout with the counts and\n"
	"                          every failure (file, line, document, field,\n"
	"                          key, message); nothing on stderr\n"
	"  --agent URL             ask the agent instead (POST URL/v1/verify, one\n"
	"                          request per SealedSecret; https, verified)\n"
	"  --agent-ca FILE         CA bundle for the agent's certificate\n";

struct verify_ctx {
	const struct cm_opts *o;
	struct ss_keyring *kr; /* NULL: no decryption */
	size_t files, sealed, values, failures;
	json_t *report; /* -o json: the failures, else NULL */
};

/* Counts a failure, and prints it (text) or records it (-o json). */
static void verify_failed(struct verify_ctx *c, const struct ss_err *err)
{
	json_t *one;

	c->failures++;
	if (c->report == NULL) {
		sealctl_fail(err);
		return;
	}
	one = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "file", err->file, "line",
			(json_int_t)err->line, "document", (json_int_t)err->doc, "field",
			err->field, "key", err->key, "message", err->msg);
	if (one == NULL || json_array_append_new(c->report, one) != 0)
		sealctl_fail(err); /* out of memory: at least say it */
}

/* kustomize's own files carry no apiVersion/kind and are no manifests. */
static int is_kustomization(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b != NULL ? b + 1 : path;
	return strcmp(b, "kustomization.yaml") == 0 || strcmp(b, "kustomization.yml") == 0 ||
	       strcmp(b, "Kustomization") == 0;
}

/* Not a Kubernetes object: a stray or truncated file a sync would trip on. */
static int check_object(const json_t *doc, const struct ss_origin *o, struct ss_err *err)
{
	if (json_is_object(doc) && json_is_string(json_object_get(doc, "apiVersion")) &&
	    json_is_string(json_object_get(doc, "kind")))
		return 0;
	ss_err_set(err, SS_E_INVAL, "not a Kubernetes manifest (no apiVersion and kind)");
	ss_origin_err(err, o, NULL, NULL);
	return SS_E_INVAL;
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
	ss_err_clear(&err);
	if (check_object(doc, o, &err) != 0) {
		verify_failed(c, &err);
		return 0;
	}
	if (!cm_is_sealed_like(doc))
		return 0;
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
	if (rc != 0)
		verify_failed(c, &err);
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
		verify_failed(c, &err);
	} else if (ss_docset_count(f.ds) == 0) {
		ss_err_set(&err, SS_E_INVAL, "empty: no document (a failed `sealctl seal >FILE` "
			   "leaves such a file; seal with -w FILE instead)");
		ss_err_at(&err, f.name, 0, -1);
		verify_failed(c, &err);
	} else if (!is_kustomization(path)) {
		(void)cm_each_doc(&f, verify_doc, c, &err);
	}
	cm_file_release(&f);
	return 0;
}

static const char *verify_mode(const struct verify_ctx *c)
{
	return c->kr != NULL ? "decrypted" : c->o->agent.url != NULL ? "agent" : "parsed";
}

static void verify_summary(const struct verify_ctx *c)
{
	fprintf(stderr, "sealctl: verify: %zu file(s), %zu SealedSecret(s), %zu value(s)%s: ",
		c->files, c->sealed, c->values,
		c->kr != NULL ? " decrypted" : c->o->agent.url != NULL ? " checked by the agent" : "");
	if (c->failures == 0)
		fprintf(stderr, "ok\n");
	else
		fprintf(stderr, "FAILED: %zu failure(s)\n", c->failures);
}

static int verify_report_json(const struct verify_ctx *c, struct ss_err *err)
{
	struct ss_buf out;
	json_t *doc;
	int rc;

	doc = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:O}", "ok", c->failures == 0, "mode",
			verify_mode(c), "files", (json_int_t)c->files, "sealedSecrets",
			(json_int_t)c->sealed, "values", (json_int_t)c->values, "failureCount",
			(json_int_t)c->failures, "failures", c->report);
	if (doc == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	ss_buf_init(&out, (size_t)SEALCTL_SEALED_MAX * 4);
	rc = ss_emit_json(doc, &out, err);
	if (rc == 0)
		rc = cm_write_stdout(&out, err);
	ss_buf_release(&out);
	json_decref(doc);
	return rc;
}

int sealctl_cmd_verify(int argc, char **argv)
{
	static char *stdin_path[] = {"-"};
	struct verify_ctx c;
	struct cm_opts o;
	struct ss_err err;
	int rc;

	rc = cm_parse(argc, argv, CM_IDENTITIES | CM_NAMESPACE | CM_UNSCOPED | CM_AGENT | CM_REPORT,
		      verify_help, &o);
	if (rc != 0 || o.help)
		return rc;
	if (o.agent.url != NULL && o.nids > 0)
		return sealctl_usage(argv[0], "give either -i or --agent");
	if (o.agent.url == NULL && (o.agent.ca_file != NULL || o.agent.npins > 0))
		return sealctl_usage(argv[0], "--agent-ca and --pin need --agent");
	memset(&c, 0, sizeof(c));
	c.o = &o;
	if (o.fmt == SS_EMIT_JSON && (c.report = json_array()) == NULL)
		return SEALCTL_EXIT_FAIL;
	ss_err_clear(&err);
	if (o.nids > 0 && cm_keyring(&o, &c.kr, &err) != 0) {
		json_decref(c.report);
		return sealctl_fail(&err);
	}
	rc = o.npaths > 0 ? cm_walk(o.paths, o.npaths, verify_file, &c, &err)
			  : cm_walk(stdin_path, 1, verify_file, &c, &err);
	ss_keyring_free(c.kr);
	if (rc == 0)
		rc = c.report != NULL ? verify_report_json(&c, &err) : 0;
	json_decref(c.report);
	if (rc != 0)
		return sealctl_fail(&err);
	if (o.fmt != SS_EMIT_JSON)
		verify_summary(&c);
	return c.failures > 0 ? SEALCTL_EXIT_FAIL : SEALCTL_EXIT_OK;
}
