/*
 * cmd_import.h: `sealctl import FORMAT ...`, other tools' sealed secrets
 * converted into ours (docs/MIGRATION.md). cmd_import.c dispatches on
 * FORMAT; each format has its own file (cmd_import_bitnami.c,
 * cmd_import_sops.c). Handlers follow sealctl.h; their argv[0] is
 * "import FORMAT", for usage messages.
 */
#ifndef SEALCTL_CMD_IMPORT_H
#define SEALCTL_CMD_IMPORT_H

#include "sealctl.h"

sealctl_handler sealctl_cmd_import;
sealctl_handler sealctl_cmd_import_bitnami;
/* cmd_import_sops.c; a build without it has a weak stub that says so. */
int cmd_import_sops(int argc, char **argv);

#endif
