/*
 * cmd_import.c: `sealctl import bitnami|sops ...`: picks the format's
 * handler (cmd_import.h). The handler sees argv[0] = "import FORMAT" so that
 * its usage messages name the whole verb.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_import.h"

static const char import_help[] =
	"usage: sealctl import bitnami --key KEY [--key ...] -R FILE [PATH...]\n"
	"       sealctl import sops ...\n"
	"\n"
	"Converts other tools' sealed secrets into SealedSecrets (sealsync.dev/v1),\n"
	"offline, with those tools' private keys (docs/MIGRATION.md):\n"
	"\n"
	"  bitnami   Bitnami Sealed Secrets (bitnami.com/v1alpha1 SealedSecret),\n"
	"            opened with the controller's RSA keys\n"
	"  sops      SOPS-encrypted Secrets\n"
	"\n"
	"'sealctl import FORMAT --help' describes each.\n";

/*
 * The SOPS importer lives in cmd_import_sops.c; a build without that file
 * links this weak stub instead, which says so rather than failing to link.
 */
__attribute__((weak)) int cmd_import_sops(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "sealctl %s: not built: this sealctl has no SOPS importer "
			"(tools/cmd_import_sops.c)\n", argv[0]);
	return SEALCTL_EXIT_FAIL;
}

int sealctl_cmd_import(int argc, char **argv)
{
	static char bitnami[] = "import bitnami", sops[] = "import sops";

	if (argc < 2)
		return sealctl_usage(argv[0], "name the format: bitnami or sops");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(import_help, stdout);
		return SEALCTL_EXIT_OK;
	}
	if (strcmp(argv[1], "bitnami") == 0) {
		argv[1] = bitnami;
		return sealctl_cmd_import_bitnami(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "sops") == 0) {
		argv[1] = sops;
		return cmd_import_sops(argc - 1, argv + 1);
	}
	return sealctl_usage(argv[0], "unknown format '%s' (bitnami or sops)", argv[1]);
}
