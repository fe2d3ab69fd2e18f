/*
 * sealctl.c: the command-line tool's entry point and verb table.
 *
 * Each verb is one row: {name, handler, raw handler, help}. `handler` is the
 * manifest-level verb (SealedSecret in/out); `raw` handles `--raw`, a single
 * value. Either may be NULL. To add a verb, add a row and a handler in its
 * own file; nothing else changes.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <yaml.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "sealctl.h"
#include "cmd_manifest.h"
#include "cmd_agent.h"
#include "cmd_import.h"
#include "curl_dl.h"

struct sealctl_verb {
	const char *name;
	sealctl_handler *handler; /* manifest mode; NULL: none */
	sealctl_handler *raw;     /* with --raw; NULL: none */
	const char *help;
};

static const struct sealctl_verb verbs[] = {
	{"keygen", sealctl_cmd_keygen, NULL, "generate an identity file (age-keygen's format)"},
	{"rotate", sealctl_cmd_rotate, NULL, "append a new active identity to an identity file"},
	{"seal", sealctl_cmd_seal, sealctl_cmd_seal_raw, "seal Secrets into SealedSecrets (--raw: one value)"},
	{"reseal", sealctl_cmd_reseal, NULL, "re-encrypt SealedSecret files or trees to new recipients"},
	{"set", sealctl_cmd_set, NULL, "seal one value into a committed SealedSecret (no key needed)"},
	{"unset", sealctl_cmd_unset, NULL, "remove one key from a committed SealedSecret"},
	{"verify", sealctl_cmd_verify, NULL, "check SealedSecrets (and, with -i, that they decrypt)"},
	{"recover", sealctl_cmd_recover, sealctl_cmd_recover_raw, "decrypt SealedSecrets to Secrets on stdout; loud"},
	{"inspect", sealctl_cmd_inspect, sealctl_cmd_inspect_raw, "show recipients' hints, scope, sizes; never values"},
	{"recipients", sealctl_cmd_recipients, NULL, "print an agent's recipients (--agent https://...)"},
	{"import", sealctl_cmd_import, NULL, "convert Bitnami SealedSecrets or SOPS files into SealedSecrets"},
	{"completion", sealctl_cmd_completion, NULL, "print a shell completion script (bash, zsh, fish)"},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sealctl <verb> [options]\n\nverbs:\n");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\n'sealctl help <verb>' (or 'sealctl <verb> --help') describes a verb;\n"
		   "'sealctl --version' prints the version. Exit codes: 0 ok, 1 bad input or\n"
		   "crypto failure, 2 usage.\n");
}

/* "--raw" or "--help" among the verb's arguments (before a "--"). */
static int has_flag(int argc, char **argv, const char *a, const char *b)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], a) == 0 || (b != NULL && strcmp(argv[i], b) == 0))
			return 1;
	return 0;
}

static int dispatch(const struct sealctl_verb *v, int argc, char **argv)
{
	int raw = has_flag(argc, argv, "--raw", NULL);

	if (v->raw != NULL && (raw || v->handler == NULL)) {
		if (!raw && !has_flag(argc, argv, "--help", "-h"))
			return sealctl_usage(v->name, "only --raw is available in this build");
		return v->raw(argc, argv);
	}
	if (v->handler == NULL || raw)
		return sealctl_usage(v->name, raw ? "--raw is not supported" : "not available");
	return v->handler(argc, argv);
}

/* No core dumps: a crash must not write keys or plaintext to disk. */
static void harden(void)
{
	struct rlimit rl = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void version(void)
{
	const struct sealctl_curl *cu;
	curl_version_info_data *cv = NULL;

	if (sealctl_curl_load(&cu, NULL) == 0) /* --version says which one --agent would use */
		cv = cu->version_info(CURLVERSION_NOW);

	printf("sealctl %s (commit %s)\nlibsodium %s\nlibcurl %s\njansson %s\nlibyaml %s\n",
	       SS_VERSION, SS_COMMIT, sodium_version_string(),
	       cv != NULL ? cv->version : "not found", jansson_version_str(), yaml_get_version_string());
}

static const struct sealctl_verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < NVERBS; i++)
		if (strcmp(name, verbs[i].name) == 0)
			return &verbs[i];
	return NULL;
}

/* `sealctl help VERB`: the verb's own --help. */
static int help_verb(const char *name)
{
	const struct sealctl_verb *v = find_verb(name);
	char *args[3] = {(char *)name, "--help", NULL};

	if (v == NULL) {
		fprintf(stderr, "sealctl: unknown verb '%s'\n", name);
		usage(stderr);
		return SEALCTL_EXIT_USAGE;
	}
	return dispatch(v, 2, args);
}

int main(int argc, char **argv)
{
	const struct sealctl_verb *v;

	harden();
	if (sodium_init() < 0) {
		fprintf(stderr, "sealctl: cannot initialise libsodium\n");
		return SEALCTL_EXIT_FAIL;
	}
	if (argc < 2) {
		usage(stderr);
		return SEALCTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		version();
		return SEALCTL_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 && argc >= 3)
		return help_verb(argv[2]);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SEALCTL_EXIT_OK;
	}
	if ((v = find_verb(argv[1])) != NULL)
		return dispatch(v, argc - 1, argv + 1);
	fprintf(stderr, "sealctl: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return SEALCTL_EXIT_USAGE;
}
