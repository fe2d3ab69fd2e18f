/* tool.c: ss-test-tool's entry point and subcommand registry. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

#define TOOL_MAX_CMDS 128

static const struct ss_tool_cmd *cmds[TOOL_MAX_CMDS];
static size_t ncmds;

void ss_tool_register(const struct ss_tool_cmd *cmd)
{
	if (ncmds < TOOL_MAX_CMDS)
		cmds[ncmds++] = cmd;
}

static int usage(void)
{
	size_t i;

	fprintf(stderr, "usage: ss-test-tool COMMAND [ARGS]\n");
	for (i = 0; i < ncmds; i++)
		fprintf(stderr, "  %s %s\n", cmds[i]->name, cmds[i]->usage);
	return 2;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < ncmds; i++)
		if (strcmp(argv[1], cmds[i]->name) == 0)
			return cmds[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "ss-test-tool: unknown command %s\n", argv[1]);
	return usage();
}
