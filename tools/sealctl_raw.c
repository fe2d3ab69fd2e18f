/*
 * sealctl_raw.c: the single-value verbs, `seal --raw`, `recover --raw` and
 * `inspect --raw`. A value is standard base64 of a binary age file on one
 * line (what a SealedSecret holds), or age's ASCII armor.
 *
 * Plaintext is read into and decrypted into guarded memory, and written to
 * stdout only; error messages never hold a value or a key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sealsync/base64.h"
#include "sealsync/file.h"

#include "sealctl.h"

enum { OPT_SCOPE = 256, OPT_NS, OPT_NAME, OPT_KEY, OPT_ARMOR, OPT_RAW, OPT_FROM, OPT_UNSCOPED };

#define SCOPE_OPTIONS                                                          \
	{"scope", required_argument, NULL, OPT_SCOPE},                         \
	{"namespace", required_argument, NULL, OPT_NS},                        \
	{"name", required_argument, NULL, OPT_NAME},                           \
	{"key", required_argument, NULL, OPT_KEY},                             \
	{"raw", no_argument, NULL, OPT_RAW},                                   \
	{"from-file", required_argument, NULL, OPT_FROM},                      \
	{"help", no_argument, NULL, 'h'}

#define SCOPE_HELP                                                              \
	"  --scope MODE       strict (default), namespace or cluster\n"          \
	"  -n, --namespace NS namespace (strict, namespace)\n"                    \
	"  --name NAME        Secret name (strict)\n"                              \
	"  --key KEY          data key (strict)\n"

static const char seal_help[] =
	"usage: sealctl seal --raw -r age1... [-r ...] [-R FILE] [--from-file F]\n"
	"                    [--scope strict|namespace|cluster] [-n NS]\n"
	"                    [--name NAME] [--key KEY] [--armor]\n"
	"\n"
	"Seals one value (stdin, or F; taken byte for byte, a final newline\n"
	"included) to every recipient, bound to its scope. Prints standard base64\n"
	"of the binary age file on one line, or age's ASCII armor with --armor.\n"
	"The result opens with `base64 -d | age -d -i keys.txt`.\n"
	"\n"
	"  -r, --recipient R  an age1... recipient (repeatable)\n"
	"  -R, --recipients-file FILE  age recipients file (repeatable)\n"
	"  --from-file F      read the value from F instead of stdin\n"
	SCOPE_HELP
	"  --armor            print age ASCII armor\n";

static const char recover_help[] =
	"usage: sealctl recover --raw -i IDENTITIES [-i ...] [--allow-unscoped]\n"
	"                       [--scope MODE --namespace NS --name NAME --key KEY]\n"
	"                       [--from-file F]\n"
	"\n"
	"Disaster recovery: decrypts one sealed value (base64 or armor, from stdin\n"
	"or F) and writes the plaintext to stdout, with a warning on stderr.\n"
	"With scope options the value must have been sealed for that place (mode\n"
	"defaults to strict). A value with no scope stanza (plain `age -e` output)\n"
	"is refused unless --allow-unscoped.\n"
	"\n"
	"  -i, --identity P   identity file, or folder of identity files (repeatable);\n"
	"                     refused when others can read it or anyone else write it\n"
	"  --allow-unscoped   accept a value without a scope stanza\n"
	"  --from-file F      read the value from F instead of stdin\n"
	SCOPE_HELP;

static const char inspect_help[] =
	"usage: sealctl inspect --raw [-r age1... | -R FILE] [--from-file F]\n"
	"\n"
	"Prints what a sealed value (base64 or armor, stdin or F) claims: its\n"
	"scope, the hint tag of each recipient, and sizes. Never a value. Nothing\n"
	"shown is authenticated without the identity. With -r/-R, tags that match\n"
	"a given recipient are labelled with it.\n";

/* Options of all three verbs, parsed together. */
struct raw_opts {
	struct sealctl_scope_opts scope;
	struct sealctl_recipients rcpt;
	char *ids[64];
	size_t nids;
	const char *from;
	int armor, allow_unscoped, help;
};

static int take_recipient(struct raw_opts *o, int c, const char *arg, struct ss_err *err)
{
	return c == 'r' ? sealctl_recipients_add(&o->rcpt, arg, err)
			: sealctl_recipients_add_file(&o->rcpt, arg, err);
}

/* 0, or an exit code (1 bad recipient, 2 usage). */
static int parse_opts(int argc, char **argv, const char *shortopts, const struct option *lopts,
		      struct raw_opts *o)
{
	struct ss_err err;
	int c;

	memset(o, 0, sizeof(*o));
	ss_err_clear(&err);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lopts, NULL)) != -1) {
		switch (c) {
		case 'h': o->help = 1; break;
		case 'r': case 'R':
			if (take_recipient(o, c, optarg, &err) != 0)
				return sealctl_fail(&err);
			break;
		case 'i':
			if (o->nids >= sizeof(o->ids) / sizeof(o->ids[0]))
				return sealctl_usage(argv[0], "too many -i");
			o->ids[o->nids++] = optarg;
			break;
		case OPT_SCOPE: o->scope.mode = optarg; break;
		case 'n': case OPT_NS: o->scope.ns = optarg; break;
		case OPT_NAME: o->scope.name = optarg; break;
		case OPT_KEY: o->scope.key = optarg; break;
		case OPT_ARMOR: o->armor = 1; break;
		case OPT_UNSCOPED: o->allow_unscoped = 1; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_RAW: break;
		default: return sealctl_bad_option(argv[0], argv[optind - 1], lopts);
		}
	}
	if (optind != argc)
		return sealctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int write_out(const struct ss_buf *b, int newline)
{
	if (b->len > 0 && ss_fd_write_all(STDOUT_FILENO, b->data, b->len) != 0)
		return SS_E_IO;
	return newline ? ss_fd_write_all(STDOUT_FILENO, "\n", 1) : 0;
}

static int seal_run(const struct raw_opts *o, struct ss_err *err)
{
	struct ss_scope scope;
	struct ss_age_seal_opts so = {o->rcpt.v, o->rcpt.n, &scope};
	struct ss_buf pt, file, text;
	int rc;

	ss_buf_init_secure(&pt, SEALCTL_VALUE_MAX);
	ss_buf_init(&file, SEALCTL_SEALED_MAX);
	ss_buf_init(&text, SEALCTL_SEALED_MAX * 2);
	rc = sealctl_scope_build(&o->scope, &scope, err);
	if (rc == 0)
		rc = sealctl_read_input(o->from, &pt, err);
	if (rc == 0)
		rc = ss_age_seal(&so, pt.data != NULL ? pt.data : (const unsigned char *)"", pt.len, &file, err);
	if (rc == 0)
		rc = o->armor ? ss_age_armor_encode(file.data, file.len, &text)
			      : ss_base64_encode(file.data, file.len, &text);
	if (rc == 0 && (rc = write_out(&text, !o->armor)) != 0)
		ss_err_set(err, rc, "cannot write to stdout");
	ss_buf_release(&pt);
	ss_buf_release(&file);
	ss_buf_release(&text);
	return rc;
}

int sealctl_cmd_seal_raw(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"recipient", required_argument, NULL, 'r'}, {"recipients-file", required_argument, NULL, 'R'},
		{"armor", no_argument, NULL, OPT_ARMOR}, SCOPE_OPTIONS, {NULL, 0, NULL, 0}};
	struct raw_opts o;
	struct ss_err err;
	int rc = parse_opts(argc, argv, "r:R:n:ah", lopts, &o);

	if (rc != 0 || o.help) {
		if (o.help)
			fputs(seal_help, stdout);
		return rc;
	}
	if (o.rcpt.n == 0)
		return sealctl_usage(argv[0], "at least one recipient (-r or -R) is required");
	ss_err_clear(&err);
	rc = seal_run(&o, &err);
	if (rc == SS_E_USAGE)
		return sealctl_usage(argv[0], "%s", err.msg);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}

/* Reads stdin or --from-file and decodes the base64 or armored value. */
static int read_value(const struct raw_opts *o, struct ss_buf *bin, struct ss_err *err)
{
	struct ss_buf text;
	int rc;

	ss_buf_init(&text, SEALCTL_SEALED_MAX * 2);
	rc = sealctl_read_input(o->from, &text, err);
	if (rc == 0 && (rc = ss_age_value_decode(ss_buf_str(&text), text.len, bin, err)) != 0)
		ss_err_at(err, o->from != NULL ? o->from : "<stdin>", 0, -1);
	ss_buf_release(&text);
	return rc;
}

static int recover_run(const struct raw_opts *o, struct ss_err *err)
{
	struct ss_keyring *kr = NULL;
	struct ss_scope expect;
	struct ss_age_open_opts oo = {NULL, NULL, o->allow_unscoped, NULL, NULL, NULL, NULL};
	struct ss_age_info info;
	struct ss_buf bin, pt;
	char where[3 * SS_SCOPE_FIELD_MAX + 16] = "no scope";
	int rc;

	ss_buf_init(&bin, SEALCTL_SEALED_MAX);
	ss_buf_init_secure(&pt, SEALCTL_SEALED_MAX);
	rc = sealctl_scope_given(&o->scope) ? sealctl_scope_build(&o->scope, &expect, err) : 0;
	oo.expect = sealctl_scope_given(&o->scope) ? &expect : NULL;
	if (rc == 0 && (rc = ss_keyring_new(&kr)) != 0)
		ss_err_set(err, rc, "out of memory");
	if (rc == 0)
		rc = sealctl_load_identities(kr, (char **)o->ids, o->nids, err);
	oo.kr = kr;
	if (rc == 0)
		rc = read_value(o, &bin, err);
	if (rc == 0 && (rc = ss_age_open(&oo, bin.data, bin.len, &pt, &info, err)) != 0)
		ss_err_at(err, o->from != NULL ? o->from : "<stdin>", 0, -1);
	if (rc == 0 && (rc = write_out(&pt, 0)) != 0)
		ss_err_set(err, rc, "cannot write to stdout");
	if (rc == 0 && info.has_scope)
		ss_scope_describe(&info.scope, where, sizeof(where));
	if (rc == 0)
		fprintf(stderr, "sealctl: WARNING: wrote a DECRYPTED SECRET (%zu bytes, %s) to stdout; "
				"do not keep it on disk\n", pt.len, where);
	ss_keyring_free(kr);
	ss_buf_release(&bin);
	ss_buf_release(&pt); /* on a payload failure it holds a discarded prefix */
	return rc;
}

int sealctl_cmd_recover_raw(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"identity", required_argument, NULL, 'i'}, {"allow-unscoped", no_argument, NULL, OPT_UNSCOPED},
		SCOPE_OPTIONS, {NULL, 0, NULL, 0}};
	struct raw_opts o;
	struct ss_err err;
	int rc = parse_opts(argc, argv, "i:n:h", lopts, &o);

	if (rc != 0 || o.help) {
		if (o.help)
			fputs(recover_help, stdout);
		return rc;
	}
	if (o.nids == 0)
		return sealctl_usage(argv[0], "-i IDENTITIES is required");
	ss_err_clear(&err);
	rc = recover_run(&o, &err);
	if (rc == SS_E_USAGE)
		return sealctl_usage(argv[0], "%s", err.msg);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}

/* Plaintext size implied by a STREAM payload length (nonce included). */
static size_t plaintext_size(size_t payload_len)
{
	size_t enc, chunks;

	if (payload_len < 16 + 16)
		return 0;
	enc = payload_len - 16;
	chunks = (enc + SS_AGE_CHUNK + 16 - 1) / (SS_AGE_CHUNK + 16);
	return enc - 16 * chunks;
}

static void print_tags(const struct ss_age_info *info, const struct sealctl_recipients *r)
{
	unsigned char tag[SS_AGE_HINT_LEN];
	char t[16], pub[SS_RECIPIENT_STR_MAX];
	size_t i, j;

	for (i = 0; i < info->n_hints; i++) {
		ss_age_hint_format(info->hints[i], t, sizeof(t));
		printf("recipient %zu: hint %s", i + 1, t);
		for (j = 0; j < r->n; j++)
			if (ss_age_hint_for(&r->v[j], tag) == 0 &&
			    memcmp(tag, info->hints[i], sizeof(tag)) == 0 &&
			    ss_recipient_format(&r->v[j], pub, sizeof(pub)) == 0)
				printf(" (%s)", pub);
		printf("\n");
	}
}

static void print_info(const struct ss_age_info *info, const struct sealctl_recipients *r)
{
	char where[3 * SS_SCOPE_FIELD_MAX + 16] = "none (unscoped: refused unless --allow-unscoped)";

	if (info->has_scope)
		ss_scope_describe(&info->scope, where, sizeof(where));
	printf("format: age v1\nscope: %s\nx25519 recipients: %zu\n", where, info->n_x25519);
	if (info->n_hints == 0)
		printf("hints: none\n");
	print_tags(info, r);
	printf("header bytes: %zu\npayload bytes: %zu\nplaintext bytes: %zu\n", info->header_len,
	       info->payload_len, plaintext_size(info->payload_len));
}

int sealctl_cmd_inspect_raw(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"recipient", required_argument, NULL, 'r'}, {"recipients-file", required_argument, NULL, 'R'},
		{"raw", no_argument, NULL, OPT_RAW}, {"from-file", required_argument, NULL, OPT_FROM},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct ss_age_info info;
	struct raw_opts o;
	struct ss_err err;
	struct ss_buf bin;
	int rc = parse_opts(argc, argv, "r:R:h", lopts, &o);

	if (rc != 0 || o.help) {
		if (o.help)
			fputs(inspect_help, stdout);
		return rc;
	}
	ss_err_clear(&err);
	ss_buf_init(&bin, SEALCTL_SEALED_MAX);
	rc = read_value(&o, &bin, &err);
	if (rc == 0 && (rc = ss_age_inspect(bin.data, bin.len, &info, &err)) != 0)
		ss_err_at(&err, o.from != NULL ? o.from : "<stdin>", 0, -1);
	if (rc == 0)
		print_info(&info, &o.rcpt);
	ss_buf_release(&bin);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}
