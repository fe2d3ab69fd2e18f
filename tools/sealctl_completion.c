/*
 * sealctl_completion.c: `sealctl completion bash|zsh|fish` prints a shell
 * completion script for the verbs and their options. The lists are here,
 * beside each other, so that a new option is one edit (t1150 checks every
 * option the completion offers is one the verb accepts).
 */
#include <stdio.h>
#include <string.h>

#include "sealctl.h"

struct comp_verb {
	const char *verb, *opts;
};

static const struct comp_verb comp[] = {
	{"keygen", "--output --help"},
	{"rotate", "--identity --help"},
	{"seal", "--recipient --recipients-file --agent --agent-ca --pin --scope --namespace "
		 "--format --output --merge-into --allow-mixed --from-literal --from-file --name "
		 "--raw --key --armor --help"},
	{"reseal", "--identity --recipient --recipients-file --in-place --allow-unscoped --agent "
		   "--agent-ca --pin --help"},
	{"set", "--recipient --recipients-file --agent --agent-ca --pin --namespace --from-file "
		"--allow-mixed --help"},
	{"unset", "--namespace --help"},
	{"verify", "--identity --namespace --allow-unscoped --format --agent --agent-ca --help"},
	{"recover", "--identity --namespace --allow-unscoped --format --raw --from-file --scope "
		    "--name --key --help"},
	{"inspect", "--recipient --recipients-file --format --raw --from-file --help"},
	{"recipients", "--agent --agent-ca --pin --help"},
	{"import", "bitnami sops --help"},
	{"help", ""},
	{"completion", "bash zsh fish"},
};

#define NCOMP (sizeof(comp) / sizeof(comp[0]))

static void all_verbs(void)
{
	size_t i;

	for (i = 0; i < NCOMP; i++)
		printf("%s%s", i ? " " : "", comp[i].verb);
}

static void bash(void)
{
	size_t i;

	printf("# bash completion for sealctl: eval \"$(sealctl completion bash)\"\n"
	       "_sealctl() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} words=\n"
	       "\tif [ \"$COMP_CWORD\" -eq 1 ]; then words=\"");
	all_verbs();
	printf("\"\n\telse\n\t\tcase ${COMP_WORDS[1]} in\n");
	for (i = 0; i < NCOMP; i++)
		printf("\t\t%s) words=\"%s\" ;;\n", comp[i].verb,
		       strcmp(comp[i].verb, "help") == 0 ? "keygen rotate seal reseal set unset "
							   "verify recover inspect recipients "
							   "import completion"
							 : comp[i].opts);
	printf("\t\tesac\n\tfi\n"
	       "\tif [ -z \"$words\" ] || { [ \"$COMP_CWORD\" -gt 1 ] && [ \"${cur#-}\" = \"$cur\" ] "
	       "&& [ \"${COMP_WORDS[1]}\" != completion ] && [ \"${COMP_WORDS[1]}\" != help ]; }; then\n"
	       "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\telse\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n\tfi\n}\n"
	       "complete -o default -F _sealctl sealctl\n");
}

static void zsh(void)
{
	size_t i;

	printf("#compdef sealctl\n# zsh completion for sealctl: "
	       "sealctl completion zsh >\"${fpath[1]}/_sealctl\"\n"
	       "_sealctl() {\n\tif (( CURRENT == 2 )); then\n\t\tcompadd -- ");
	all_verbs();
	printf("\n\t\treturn\n\tfi\n\tcase $words[2] in\n");
	for (i = 0; i < NCOMP; i++)
		if (comp[i].opts[0] != '\0')
			printf("\t%s) compadd -- %s; _files ;;\n", comp[i].verb, comp[i].opts);
	printf("\t*) _files ;;\n\tesac\n}\n_sealctl \"$@\"\n");
}

static void fish(void)
{
	size_t i;
	const char *p;

	printf("# fish completion for sealctl: sealctl completion fish | source\n"
	       "complete -c sealctl -n __fish_use_subcommand -f -a '");
	all_verbs();
	printf("'\n");
	for (i = 0; i < NCOMP; i++)
		for (p = comp[i].opts; *p != '\0';) {
			size_t n = strcspn(p, " ");

			if (p[0] == '-')
				printf("complete -c sealctl -n '__fish_seen_subcommand_from %s' -l %.*s\n",
				       comp[i].verb, (int)n - 2, p + 2);
			else
				printf("complete -c sealctl -n '__fish_seen_subcommand_from %s' -f -a %.*s\n",
				       comp[i].verb, (int)n, p);
			p += n + (p[n] == ' ');
		}
}

int sealctl_cmd_completion(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
		if (strcmp(argv[1], "bash") == 0)
			bash();
		else if (strcmp(argv[1], "zsh") == 0)
			zsh();
		else if (strcmp(argv[1], "fish") == 0)
			fish();
		else
			return sealctl_usage(argv[0], "shell must be bash, zsh or fish");
		return SEALCTL_EXIT_OK;
	}
	if (argc == 2) {
		printf("usage: sealctl completion bash|zsh|fish\n\n"
		       "Prints a completion script: eval \"$(sealctl completion bash)\",\n"
		       "sealctl completion zsh >\"${fpath[1]}/_sealctl\",\n"
		       "sealctl completion fish | source.\n");
		return SEALCTL_EXIT_OK;
	}
	return sealctl_usage(argv[0], "give one shell: bash, zsh or fish");
}
