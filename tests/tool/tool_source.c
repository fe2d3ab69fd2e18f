/*
 * tool_source.c: the Git source and SSH signatures for the shell tests.
 *
 *   source-poll SOURCE-OPTS [--last COMMIT]
 *       prints "<commit> changed|unchanged fetched|cached"
 *   source-ls SOURCE-OPTS [--last COMMIT] [--commit C] [--path P]...
 *       polls (unless --commit), then prints "<path> <size> <sha256>" for
 *       each file, sorted
 *   sshsig-verify --signers FILE --sig FILE --msg FILE [--namespace NS]
 *       prints the principal
 *
 * Errors: "error: <kind>: <message>" on stderr, exit 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/source.h"
#include "sealsync/sshsig.h"
#include "tool.h"

#define MAX_PATHS 32

struct source_args {
	struct ss_source_opts o;
	const char *last, *commit;
	const char *paths[MAX_PATHS];
	size_t npaths;
};

static int report(const struct ss_err *e)
{
	char msg[1024];

	ss_err_format(e, msg, sizeof(msg));
	fprintf(stderr, "error: %s: %s\n", ss_strerror(e->code), msg);
	return 1;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "warning: %s\n", msg);
}

static size_t size_arg(const char *s)
{
	return (size_t)strtoull(s, NULL, 10);
}

static int source_args_parse(int argc, char **argv, struct source_args *a)
{
	static const struct option lo[] = {
		{"url", 1, 0, 'u'},          {"ref", 1, 0, 'r'},           {"cache", 1, 0, 'c'},
		{"last", 1, 0, 'l'},         {"timeout", 1, 0, 't'},       {"token-file", 1, 0, 'T'},
		{"username", 1, 0, 'U'},     {"password-file", 1, 0, 'P'}, {"ssh-key", 1, 0, 'k'},
		{"known-hosts", 1, 0, 'K'},  {"ca-file", 1, 0, 'C'},       {"insecure", 0, 0, 'i'},
		{"allowed-signers", 1, 0, 's'}, {"allow-rewind", 0, 0, 'R'}, {"max-blob", 1, 0, 'b'},
		{"max-total", 1, 0, 'B'},    {"commit", 1, 0, 'm'},        {"path", 1, 0, 'p'},
		{0, 0, 0, 0}};
	int c;

	memset(a, 0, sizeof(*a));
	a->o.warn = warn_cb;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u': a->o.url = optarg; break;
		case 'r': a->o.ref = optarg; break;
		case 'c': a->o.cache_dir = optarg; break;
		case 'l': a->last = optarg; break;
		case 't': a->o.timeout_sec = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': a->o.token_file = optarg; break;
		case 'U': a->o.username = optarg; break;
		case 'P': a->o.password_file = optarg; break;
		case 'k': a->o.ssh_key_file = optarg; break;
		case 'K': a->o.known_hosts_file = optarg; break;
		case 'C': a->o.ca_file = optarg; break;
		case 'i': a->o.insecure = 1; break;
		case 's': a->o.allowed_signers_file = optarg; break;
		case 'R': a->o.allow_rewind = 1; break;
		case 'b': a->o.max_blob = size_arg(optarg); break;
		case 'B': a->o.max_total = size_arg(optarg); break;
		case 'm': a->commit = optarg; break;
		case 'p':
			if (a->npaths == MAX_PATHS)
				return 2;
			a->paths[a->npaths++] = optarg;
			break;
		default: return 2;
		}
	}
	return optind == argc ? 0 : 2;
}

static int run_poll(int argc, char **argv)
{
	struct source_args a;
	struct ss_source *s = NULL;
	struct ss_err e;
	char commit[41];
	int changed = 0, rc;

	if (source_args_parse(argc, argv, &a) != 0)
		return 2;
	ss_err_clear(&e);
	if ((rc = ss_source_open(&a.o, &s, &e)) == 0)
		rc = ss_source_poll(s, a.last, commit, &changed, &e);
	if (rc == 0)
		printf("%s %s %s\n", commit, changed ? "changed" : "unchanged",
		       ss_source_fetched(s) ? "fetched" : "cached");
	ss_source_free(s);
	return rc == 0 ? 0 : report(&e);
}

static void print_tree(const struct ss_tree *t)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[sizeof(h) * 2 + 1];
	size_t i, n;

	for (i = 0; i < ss_tree_count(t); i++) {
		const unsigned char *d = ss_tree_data(t, i, &n);

		if (ss_tree_is_symlink(t, i)) { /* "path -> target": regular files' lines stay as they were */
			printf("%s -> %.*s\n", ss_tree_path(t, i), (int)n, (const char *)d);
			continue;
		}
		crypto_hash_sha256(h, d, n);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		printf("%s %zu %s\n", ss_tree_path(t, i), n, hex);
	}
}

static int run_ls(int argc, char **argv)
{
	static const char *const whole[] = {""};
	struct source_args a;
	struct ss_source *s = NULL;
	struct ss_tree *t = NULL;
	struct ss_err e;
	char commit[41];
	int changed = 0, rc;

	if (source_args_parse(argc, argv, &a) != 0)
		return 2;
	ss_err_clear(&e);
	rc = ss_source_open(&a.o, &s, &e);
	if (rc == 0 && a.commit != NULL)
		snprintf(commit, sizeof(commit), "%s", a.commit);
	else if (rc == 0)
		rc = ss_source_poll(s, a.last, commit, &changed, &e);
	if (rc == 0)
		rc = ss_source_read_tree(s, commit, a.npaths ? a.paths : (const char *const *)whole,
					 a.npaths ? a.npaths : 1, &t, &e);
	if (rc == 0)
		print_tree(t);
	ss_tree_free(t);
	ss_source_free(s);
	return rc == 0 ? 0 : report(&e);
}

static int read_all(const char *path, struct ss_buf *b, struct ss_err *e)
{
	ss_buf_init(b, 1 << 20);
	return ss_file_read(path, b, e);
}

static int run_sshsig(int argc, char **argv)
{
	const char *signers = NULL, *sigf = NULL, *msgf = NULL, *ns = "git";
	struct ss_buf sb, mb;
	struct ss_signers *sg = NULL;
	struct ss_sshsig *sig = NULL;
	struct ss_err e;
	char principal[256];
	int i, rc;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--signers") == 0) signers = argv[i + 1];
		else if (strcmp(argv[i], "--sig") == 0) sigf = argv[i + 1];
		else if (strcmp(argv[i], "--msg") == 0) msgf = argv[i + 1];
		else if (strcmp(argv[i], "--namespace") == 0) ns = argv[i + 1];
		else return 2;
	}
	if (signers == NULL || sigf == NULL || msgf == NULL || i != argc)
		return 2;
	ss_err_clear(&e);
	ss_buf_init(&sb, 0);
	ss_buf_init(&mb, 0);
	if ((rc = ss_signers_load(signers, &sg, &e)) == 0 && (rc = read_all(sigf, &sb, &e)) == 0 &&
	    (rc = read_all(msgf, &mb, &e)) == 0 &&
	    (rc = ss_sshsig_parse(ss_buf_str(&sb), sb.len, &sig, &e)) == 0)
		rc = ss_sshsig_verify(sig, mb.data, mb.len, ns, sg, principal, sizeof(principal), &e);
	if (rc == 0)
		printf("%s\n", principal);
	ss_sshsig_free(sig);
	ss_signers_free(sg);
	ss_buf_release(&sb);
	ss_buf_release(&mb);
	return rc == 0 ? 0 : report(&e);
}

#define SOURCE_USAGE                                                                          \
	"--url URL --cache DIR [--ref REF] [--last C] [--timeout S] [--token-file F] "          \
	"[--username U --password-file F] [--ssh-key F --known-hosts F] [--ca-file F] "         \
	"[--insecure] [--allowed-signers F] [--allow-rewind] [--max-blob N] [--max-total N]"
SS_TOOL_COMMAND(poll, "source-poll", SOURCE_USAGE, run_poll)
SS_TOOL_COMMAND(ls, "source-ls", SOURCE_USAGE " [--commit C] [--path P]...", run_ls)
SS_TOOL_COMMAND(sshsig, "sshsig-verify", "--signers F --sig F --msg F [--namespace NS]",
		run_sshsig)
