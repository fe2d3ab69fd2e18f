/*
 * cmd_import.c: `sealctl import sops ...` (minimal dispatcher written on the
 * migrate-sops branch; the migrate-bitnami branch has the full one with
 * `import bitnami`: on merge, take that one).
 */
#include <stdio.h>
#include <string.h>

#include "cmd_import.h"

int sealctl_cmd_import(int argc, char **argv)
{
	static char sops[] = "import sops";

	if (argc < 2)
		return sealctl_usage(argv[0], "name the format: sops");
	if (strcmp(argv[1], "sops") == 0) {
		argv[1] = sops;
		return cmd_import_sops(argc - 1, argv + 1);
	}
	return sealctl_usage(argv[0], "unknown format '%s' (sops)", argv[1]);
}
