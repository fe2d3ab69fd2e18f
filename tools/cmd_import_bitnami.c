/*
 * cmd_import_bitnami.c: `sealctl import bitnami`: Bitnami SealedSecrets
 * opened offline with their controller's RSA keys (import/, bitnami.h) and
 * sealed again as ours, scope mapped, template kept. Plaintext exists only
 * in guarded memory, one value at a time. Every file is converted in memory
 * first; only when all of them converted are they written (each atomically),
 * so one value that does not open leaves every file as it was.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sealsync/bitnami.h"
#include "sealsync/file.h"
#include "sealsync/jsonalloc.h"

#include "cmd_import.h"
#include "cmd_manifest.h"

#define IMP_MAX_DOCS 4096
#define IMP_MAX_FILES 100000

static const char import_bitnami_help[] =
	"usage: sealctl import bitnami --key KEY [--key ...] (-r age1... | -R FILE)...\n"
	"                              [-o yaml|json] [-w OUT] PATH...\n"
	"\n"
	"Converts Bitnami SealedSecrets (bitnami.com/v1alpha1) in the files and\n"
	"folders PATH into sealsync SealedSecrets, offline: each value is opened\n"
	"with the controller's private keys and sealed again to the recipients.\n"
	"Their scope maps to ours (strict -> strict, namespace-wide -> namespace,\n"
	"cluster-wide -> cluster); their strict scope does not bind the data key,\n"
	"ours does: each value is bound to the key it is listed under. The\n"
	"template (type, labels, annotations, immutable) is kept, their\n"
	"sealedsecrets.bitnami.com/ annotations dropped. spec.template.data Go\n"
	"templates and the legacy spec.data are refused by name; literal\n"
	"template.data values are sealed. Other documents are kept (re-emitted:\n"
	"comments are lost). Files are rewritten in place, atomically, and only\n"
	"when every value of every file opened; files without a Bitnami\n"
	"SealedSecret are left alone.\n"
	"\n"
	"  -k, --key KEY              the controller's private key: PEM, or its key\n"
	"                             Secret(s) as YAML/JSON (kubectl get secret -o\n"
	"                             yaml); repeatable, every key is tried\n"
	"  -r, --recipient R          an age1... recipient (repeatable)\n"
	"  -R, --recipients-file F    age recipients file (repeatable)\n"
	"  -o, --format yaml|json     output format (default yaml)\n"
	"  -w, --output OUT           write the result of the one input file to OUT\n"
	"                             (- for stdout) instead of in place\n"
	"\n"
	"The controller's keys open every Bitnami secret of the cluster: keep them\n"
	"off workstations where you can (docs/MIGRATION.md).\n";

struct imp_out {
	char *path;
	struct ss_buf text;
	mode_t mode;
};

struct imp_ctx {
	struct sealctl_recipients rcpt;
	const char *keyfiles[SS_BITNAMI_MAX_KEYS];
	size_t nkeys;
	enum ss_emit_format fmt;
	const char *write_to;
	struct ss_bitnami_keys *keys;
	struct imp_out *outs;
	size_t nouts;
	struct ss_bitnami_tally tally;
	struct ss_err err;
};

static const struct option imp_long[] = {
	{"key", required_argument, NULL, 'k'},
	{"recipient", required_argument, NULL, 'r'},
	{"recipients-file", required_argument, NULL, 'R'},
	{"format", required_argument, NULL, 'o'},
	{"output", required_argument, NULL, 'w'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* One option; 0, or an exit code. */
static int imp_opt(struct imp_ctx *c, int ch, const char *verb)
{
	int rc = 0;

	switch (ch) {
	case 'k':
		if (c->nkeys >= SS_BITNAMI_MAX_KEYS)
			return sealctl_usage(verb, "more than %d --key", SS_BITNAMI_MAX_KEYS);
		c->keyfiles[c->nkeys++] = optarg;
		return 0;
	case 'r': rc = sealctl_recipients_add(&c->rcpt, optarg, &c->err); break;
	case 'R': rc = sealctl_recipients_add_file(&c->rcpt, optarg, &c->err); break;
	case 'o':
		if (ss_emit_parse_format(optarg, &c->fmt) != 0)
			return sealctl_usage(verb, "-o is the output format, yaml or json (write "
					     "to a file with -w FILE)");
		return 0;
	case 'w': c->write_to = optarg; return 0;
	default:
		return sealctl_usage(verb, "unknown option or missing argument: %s", optarg != NULL ? optarg : "");
	}
	return rc != 0 ? sealctl_fail(&c->err) : 0;
}

/* Parses argv; 0 to go on, -1 after --help, else an exit code. */
static int imp_parse(struct imp_ctx *c, int argc, char **argv)
{
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "k:r:R:o:w:h", imp_long, NULL)) != -1) {
		if (ch == 'h') {
			fputs(import_bitnami_help, stdout);
			return -1;
		}
		if (ch == '?' || ch == ':')
			return sealctl_usage(argv[0], "unknown option or missing argument: %s",
					     argv[optind - 1]);
		if ((rc = imp_opt(c, ch, argv[0])) != 0)
			return rc;
	}
	if (c->nkeys == 0)
		return sealctl_usage(argv[0], "give the controller's private key with --key");
	if (c->rcpt.n == 0)
		return sealctl_usage(argv[0], "give at least one recipient (-r or -R)");
	if (optind >= argc)
		return sealctl_usage(argv[0], "give the files or folders to convert");
	if (c->write_to != NULL && argc - optind != 1)
		return sealctl_usage(argv[0], "-w takes one input file");
	return 0;
}

/* Every document of f into docs: converted, or kept as it is. *nconv: how
 * many Bitnami objects were converted. */
static int imp_docs(struct imp_ctx *c, const struct cm_file *f, json_t **docs, size_t *ndocs,
		    size_t *nconv, struct ss_err *err)
{
	size_t i, before = c->tally.nobjs;
	struct ss_origin o;
	int rc = 0;

	for (i = 0; rc == 0 && i < ss_docset_count(f->ds); i++) {
		if (i >= IMP_MAX_DOCS)
			return ss_err_set(err, SS_E_LIMIT, "%s: more than %d documents", f->name,
					  IMP_MAX_DOCS);
		cm_origin(f, i, &o);
		rc = ss_bitnami_convert_doc(c->keys, ss_docset_get(f->ds, i), &o, c->rcpt.v,
					    c->rcpt.n, &docs[i], &c->tally, err);
		*ndocs += rc == 0;
	}
	*nconv = c->tally.nobjs - before;
	return rc;
}

/* Keeps the converted text of path for the write phase. */
static int imp_keep(struct imp_ctx *c, const char *path, struct ss_buf *text, struct ss_err *err)
{
	struct imp_out *o;
	struct stat st;

	if (c->nouts >= IMP_MAX_FILES)
		return ss_err_set(err, SS_E_LIMIT, "more than %d files", IMP_MAX_FILES);
	if (c->nouts % 64 == 0) {
		o = realloc(c->outs, (c->nouts + 64) * sizeof(*o));
		if (o == NULL)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		c->outs = o;
	}
	o = &c->outs[c->nouts];
	o->path = strdup(path);
	if (o->path == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	o->mode = stat(path, &st) == 0 ? st.st_mode & 0777 : 0644;
	o->text = *text;
	ss_buf_init(text, text->max); /* ownership moved to o */
	c->nouts++;
	return 0;
}

/* One file: converted in memory, checked, kept for the write phase. */
static int imp_file(const char *path, size_t index, size_t total, void *ctx)
{
	struct imp_ctx *c = ctx;
	json_t **docs = calloc(IMP_MAX_DOCS, sizeof(*docs));
	size_t i, ndocs = 0, nconv = 0;
	struct ss_buf out;
	struct cm_file f;
	int rc;

	(void)index, (void)total;
	if (docs == NULL)
		return ss_err_set(&c->err, SS_E_NOMEM, "out of memory");
	ss_buf_init(&out, (size_t)SEALCTL_SEALED_MAX * 4);
	rc = cm_file_load(&f, path, 0, &c->err);
	if (rc == 0)
		rc = imp_docs(c, &f, docs, &ndocs, &nconv, &c->err);
	if (rc == 0 && nconv == 0 && c->write_to != NULL)
		rc = ss_err_set(&c->err, SS_E_NOTFOUND, "%s: no Bitnami SealedSecret", f.name);
	if (rc == 0 && nconv > 0)
		rc = ss_emit_docs(docs, ndocs, c->fmt, &out, &c->err);
	if (rc == 0 && nconv > 0 && (rc = cm_check_sealed_text(f.name, &out, &c->err)) != 0)
		ss_err_prefix(&c->err, "the converted file would not be valid");
	if (rc == 0 && nconv > 0)
		rc = imp_keep(c, path, &out, &c->err);
	for (i = 0; i < ndocs; i++)
		json_decref(docs[i]);
	free(docs);
	cm_file_release(&f);
	ss_buf_release(&out);
	return rc;
}

/* The write phase: every converted file, atomically (or to -w). */
static int imp_write(struct imp_ctx *c)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < c->nouts; i++) {
		const struct imp_out *o = &c->outs[i];

		if (c->write_to != NULL && strcmp(c->write_to, "-") == 0)
			rc = cm_write_stdout(&o->text, &c->err);
		else
			rc = ss_file_write_atomic(c->write_to != NULL ? c->write_to : o->path,
						  o->text.data, o->text.len, o->mode, &c->err);
		if (rc != 0 && i > 0)
			ss_err_prefix(&c->err, "%zu of %zu files were written before this one",
				      i, c->nouts);
	}
	return rc;
}

static int imp_keys(struct imp_ctx *c)
{
	size_t i;
	int rc;

	rc = ss_bitnami_crypto_init(&c->err);
	if (rc == 0)
		rc = ss_bitnami_keys_new(&c->keys, &c->err);
	for (i = 0; rc == 0 && i < c->nkeys; i++)
		rc = ss_bitnami_keys_add_file(c->keys, c->keyfiles[i], &c->err);
	return rc;
}

static void imp_report(const struct imp_ctx *c)
{
	fprintf(stderr, "sealctl: import bitnami: %zu SealedSecret(s), %zu value(s) in %zu "
			"file(s) converted%s\n", c->tally.nobjs, c->tally.nvalues, c->nouts,
		c->write_to == NULL ? " in place" : "");
	if (c->tally.nstrict > 0)
		fprintf(stderr, "sealctl: import bitnami: %zu strict SealedSecret(s): Bitnami's "
				"strict scope binds namespace and name only; each value is now "
				"also bound to the key it is listed under\n", c->tally.nstrict);
}

int sealctl_cmd_import_bitnami(int argc, char **argv)
{
	struct imp_ctx *c = calloc(1, sizeof(*c));
	size_t i;
	int rc;

	if (c == NULL)
		return SEALCTL_EXIT_FAIL;
	ss_json_use_zeroing_alloc(); /* key Secrets' tls.key pass through jansson */
	ss_err_clear(&c->err);
	c->fmt = SS_EMIT_YAML;
	rc = imp_parse(c, argc, argv);
	if (rc == 0)
		rc = imp_keys(c) != 0 ? sealctl_fail(&c->err) : 0;
	if (rc == 0) {
		rc = cm_walk(argv + optind, argc - optind, imp_file, c, &c->err);
		if (rc == 0)
			rc = imp_write(c);
		if (rc == 0)
			imp_report(c);
		rc = rc != 0 ? sealctl_fail(&c->err) : SEALCTL_EXIT_OK;
	}
	for (i = 0; i < c->nouts; i++) {
		free(c->outs[i].path);
		ss_buf_release(&c->outs[i].text);
	}
	free(c->outs);
	ss_bitnami_keys_free(c->keys);
	free(c);
	return rc < 0 ? SEALCTL_EXIT_OK : rc;
}
