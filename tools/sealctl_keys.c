/*
 * sealctl_keys.c: `sealctl keygen` and `sealctl rotate`.
 *
 * keygen writes exactly what age-keygen writes; with -w the file is created
 * 0600 and never overwritten. The public key goes to stderr as age-keygen
 * prints it, so scripts can capture it without touching the secret.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sealsync/file.h"

#include "sealctl.h"

static const char keygen_help[] =
	"usage: sealctl keygen [-w FILE]\n"
	"\n"
	"Generates a new age X25519 identity in age-keygen's format:\n"
	"  # created: 2006-01-02T15:04:05Z\n"
	"  # public key: age1...\n"
	"  AGE-SECRET-KEY-1...\n"
	"\n"
	"  -w, --output FILE  write to FILE (created with mode 0600; an existing\n"
	"                     file is never overwritten) instead of stdout. (age-\n"
	"                     keygen spells it -o; in sealctl -o is always a format)\n"
	"\n"
	"The public key is printed on stderr as \"Public key: age1...\".\n";

static const char rotate_help[] =
	"usage: sealctl rotate -i FILE\n"
	"\n"
	"Appends a new identity to the identity file FILE (created when missing).\n"
	"The new identity becomes the active one (used for sealing); the older\n"
	"ones stay, so values sealed to them still open. The file is rewritten\n"
	"atomically with mode 0600. The new public key is printed on stderr.\n"
	"\n"
	"  -i, --identity FILE  the identity file\n";

static void print_public(const struct ss_recipient *r)
{
	char pub[SS_RECIPIENT_STR_MAX];

	if (ss_recipient_format(r, pub, sizeof(pub)) == 0)
		fprintf(stderr, "Public key: %s\n", pub);
}

static int keygen_stdout(void)
{
	struct ss_identity *id = NULL;
	struct ss_recipient r;
	struct ss_buf out;
	struct ss_err err;
	int rc;

	ss_err_clear(&err);
	ss_buf_init_secure(&out, 4096);
	rc = ss_identity_generate(&id);
	if (rc == 0)
		rc = ss_keyfile_format(id, time(NULL), &out);
	if (rc == 0 && ss_fd_write_all(STDOUT_FILENO, out.data, out.len) != 0)
		rc = SS_E_IO;
	if (rc == 0 && !isatty(STDOUT_FILENO)) {
		ss_identity_recipient(id, &r);
		print_public(&r);
	}
	ss_identity_free(id);
	ss_buf_release(&out);
	if (rc != 0) {
		ss_err_set(&err, rc, "keygen: %s", ss_strerror(rc));
		return sealctl_fail(&err);
	}
	return SEALCTL_EXIT_OK;
}

int sealctl_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'w'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *output = NULL;
	struct ss_recipient r;
	struct ss_err err;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "w:o:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(keygen_help, stdout);
			return SEALCTL_EXIT_OK;
		}
		if (c == 'o')
			return sealctl_usage(argv[0], "-o is an output format in sealctl; write the "
						     "identity to a file with -w %s", optarg);
		if (c != 'w')
			return sealctl_bad_option(argv[0], argv[optind - 1], opts);
		output = optarg;
	}
	if (optind != argc)
		return sealctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (output == NULL || strcmp(output, "-") == 0)
		return keygen_stdout();
	ss_err_clear(&err);
	if (ss_keyfile_create(output, &r, &err) != 0)
		return sealctl_fail(&err);
	print_public(&r);
	return SEALCTL_EXIT_OK;
}

int sealctl_cmd_rotate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"identity", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *path = NULL;
	struct ss_recipient r;
	struct ss_err err;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(rotate_help, stdout);
			return SEALCTL_EXIT_OK;
		}
		if (c != 'i')
			return sealctl_bad_option(argv[0], argv[optind - 1], opts);
		path = optarg;
	}
	if (optind != argc)
		return sealctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (path == NULL)
		return sealctl_usage(argv[0], "-i FILE is required");
	ss_err_clear(&err);
	if (ss_keyfile_rotate(path, &r, &err) != 0)
		return sealctl_fail(&err);
	print_public(&r);
	return SEALCTL_EXIT_OK;
}
