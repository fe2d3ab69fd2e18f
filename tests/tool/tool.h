/*
 * tool.h: subcommands of ss-test-tool. A file defines its commands and
 * registers them with SS_TOOL_COMMAND; nothing else needs an edit.
 *
 *   static int run_x(int argc, char **argv) { ... }   argv[0] is the name
 *   SS_TOOL_COMMAND(x, "source-x", "--url URL ...", run_x)
 *
 * Exit codes: 0 ok, 1 failure (message on stderr), 2 usage.
 */
#ifndef SS_TEST_TOOL_H
#define SS_TEST_TOOL_H

struct ss_tool_cmd {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

void ss_tool_register(const struct ss_tool_cmd *cmd);

#define SS_TOOL_COMMAND(id, name, usage, fn)                                     \
	static const struct ss_tool_cmd ss_tool_cmd_##id = {name, usage, fn};    \
	__attribute__((constructor)) static void ss_tool_reg_##id(void)          \
	{                                                                        \
		ss_tool_register(&ss_tool_cmd_##id);                             \
	}

#endif
