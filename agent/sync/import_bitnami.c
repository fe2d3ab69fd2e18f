/*
 * import_bitnami.c: `sealsync-agent --import-bitnami FILE|-` (see
 * sealsync/agent_import.h, docs/MIGRATION.md "In-cluster import").
 *
 * The same conversion as `sealctl import bitnami` (import/, bitnami.h), but
 * the controller's private keys never leave the cluster: they are read
 * from Bitnami's key Secrets through the API server into guarded memory
 * (ss_kube_get_secrets_raw), the RSA keys then live in OpenSSL's secure
 * heap, each value is opened into guarded memory and sealed again at once.
 * Only ciphertext reaches stdout; stderr gets counts, never a value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sealsync/agent_import.h"
#include "sealsync/bitnami.h"
#include "sealsync/buf.h"
#include "sealsync/emit.h"
#include "sealsync/file.h"
#include "sealsync/keys.h"
#include "sealsync/keystore.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sealsync/yaml.h"

#define IB_INPUT_MAX (64u << 20)
#define IB_MAX_DOCS 4096
#define IB_OUTPUT_MAX (256u << 20)

struct ib_ctx {
	const struct ss_config *cfg;
	struct ss_recipient r[SS_CONFIG_MAX_RECIPIENTS + 1]; /* active key, then extras */
	size_t nr;
	struct ss_bitnami_keys *keys;
	struct ss_bitnami_tally tally;
};

/* Whom to seal to: what the agent advertises (its active key, then the
 * extra recipients), so that the agent opens every converted value. */
static int ib_recipients(struct ib_ctx *c, struct ss_err *err)
{
	const struct ss_config *cfg = c->cfg;
	struct ss_keystore *ks = NULL;
	size_t i;
	int rc = 0;

	if (cfg->identities_file != NULL || cfg->identities_dir != NULL || cfg->keys_managed) {
		rc = ss_keystore_open(cfg, &ks, err);
		if (rc == 0)
			rc = ss_keystore_load(ks, 0, err);
		if (rc == 0)
			c->nr = ss_keystore_recipients(ks, c->r, 1, NULL, NULL);
		ss_keystore_free(ks); /* wipes the identities: only the public key is kept */
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < cfg->nextra_recipients; i++)
		if (ss_recipient_parse(cfg->extra_recipients[i], &c->r[c->nr++], err) != 0) {
			ss_err_prefix(err, "--extra-recipient %zu", i + 1);
			return SS_E_INVAL;
		}
	if (c->nr == 0)
		return ss_err_set(err, SS_E_USAGE, "no recipients to seal to");
	return 0;
}

/* Bitnami's key Secrets, read into guarded memory, into c->keys. */
static int ib_keys(struct ib_ctx *c, struct ss_err *err)
{
	const char *ns = c->cfg->bitnami_namespace ? c->cfg->bitnami_namespace : "kube-system";
	const char *sel = c->cfg->bitnami_selector ? c->cfg->bitnami_selector
						   : "sealedsecrets.bitnami.com/sealed-secrets-key";
	struct ss_kube_opts o;
	struct ss_kube *k = NULL;
	struct ss_buf raw;
	char name[600];
	int rc;

	ss_buf_init_secure(&raw, 1);
	ss_kube_opts_default(&o);
	o.kubeconfig = c->cfg->kubeconfig;
	o.context = c->cfg->context;
	o.max_retries = c->cfg->max_retries;
	rc = ss_bitnami_crypto_init(err); /* the secure heap before any key */
	if (rc == 0)
		rc = ss_bitnami_keys_new(&c->keys, err);
	if (rc == 0)
		rc = ss_kube_open(&o, &k, err);
	if (rc == 0)
		rc = ss_kube_get_secrets_raw(k, ns, NULL, sel, &raw, err);
	snprintf(name, sizeof(name), "Secrets in namespace %s with label %s", ns, sel);
	if (rc == 0 && ss_bitnami_keys_add_text(c->keys, name, raw.data, raw.len, err) != 0)
		rc = ss_err_set(err, SS_E_NOTFOUND, "no Bitnami controller key in the %s (a "
				"kubernetes.io/tls Secret with data.tls.key): give "
				"--bitnami-namespace and --bitnami-selector", name);
	ss_buf_release(&raw);
	ss_kube_free(k);
	return rc;
}

/* The input as one text: the file, or stdin for "-" (ciphertext only). */
static int ib_read(const char *path, struct ss_buf *in, struct ss_err *err)
{
	unsigned char chunk[65536];
	ssize_t n;

	if (strcmp(path, "-") != 0)
		return ss_file_read(path, in, err);
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0)
		if (ss_buf_append(in, chunk, (size_t)n) != 0)
			return ss_err_set(err, SS_E_LIMIT, "stdin: over %u MiB", IB_INPUT_MAX >> 20);
	if (n < 0)
		return ss_err_set(err, SS_E_IO, "stdin: cannot read");
	return 0;
}

/* Document i of ds: converted when Bitnami's, kept as it is otherwise. */
static int ib_doc(struct ib_ctx *c, const char *name, const struct ss_docset *ds, size_t i,
		  json_t **out, struct ss_err *err)
{
	struct ss_origin o = {name, ss_docset_index(ds, i), 0, ds, i};

	return ss_bitnami_convert_doc(c->keys, ss_docset_get(ds, i), &o, c->r, c->nr, out,
				      &c->tally, err);
}

static int ib_convert(struct ib_ctx *c, const char *name, const struct ss_buf *in,
		      struct ss_buf *out, struct ss_err *err)
{
	json_t **docs = calloc(IB_MAX_DOCS, sizeof(*docs));
	struct ss_docset *ds = NULL;
	size_t i, n = 0;
	int rc = docs == NULL ? ss_err_set(err, SS_E_NOMEM, "out of memory") : 0;

	if (rc == 0)
		rc = ss_yaml_load(name, in->data, in->len, NULL, &ds, err);
	if (rc == 0 && ss_docset_count(ds) > IB_MAX_DOCS)
		rc = ss_err_set(err, SS_E_LIMIT, "%s: more than %d documents", name, IB_MAX_DOCS);
	for (i = 0; rc == 0 && i < ss_docset_count(ds); i++) {
		rc = ib_doc(c, name, ds, i, &docs[i], err);
		n += rc == 0;
	}
	if (rc == 0 && c->tally.nobjs == 0)
		rc = ss_err_set(err, SS_E_NOTFOUND, "%s: no Bitnami SealedSecret "
				"(apiVersion bitnami.com/v1alpha1, kind SealedSecret)", name);
	if (rc == 0)
		rc = ss_emit_docs(docs, n, SS_EMIT_YAML, out, err);
	for (i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
	ss_docset_free(ds);
	return rc;
}

static void ib_report(const struct ib_ctx *c)
{
	char objs[32], values[32], strict[32];

	snprintf(objs, sizeof(objs), "%zu", c->tally.nobjs);
	snprintf(values, sizeof(values), "%zu", c->tally.nvalues);
	snprintf(strict, sizeof(strict), "%zu", c->tally.nstrict);
	ss_log(SS_LOG_INFO, "bitnami SealedSecrets converted", "sealedsecrets", objs, "values",
	       values, NULL);
	if (c->tally.nstrict > 0)
		ss_log(SS_LOG_INFO, "Bitnami's strict scope binds namespace and name only; each "
		       "value is now also bound to the key it is listed under", "strict", strict,
		       NULL);
}

int ss_agent_import_bitnami(const struct ss_config *cfg, FILE *out, struct ss_err *err)
{
	const char *path = cfg->import_bitnami;
	const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	struct ib_ctx c;
	struct ss_buf in, text;
	int rc;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	ss_buf_init(&in, IB_INPUT_MAX);
	ss_buf_init(&text, IB_OUTPUT_MAX);
	rc = ib_read(path, &in, err); /* first: a bad path costs no key read */
	if (rc == 0)
		rc = ib_recipients(&c, err);
	if (rc == 0)
		rc = ib_keys(&c, err);
	if (rc == 0)
		rc = ib_convert(&c, name, &in, &text, err);
	/* All or nothing: stdout gets the result only when every value opened. */
	if (rc == 0 && (fwrite(text.data, 1, text.len, out) != text.len || fflush(out) != 0))
		rc = ss_err_set(err, SS_E_IO, "cannot write to stdout");
	if (rc == 0)
		ib_report(&c);
	ss_bitnami_keys_free(c.keys);
	ss_buf_release(&in);
	ss_buf_release(&text);
	return rc;
}
