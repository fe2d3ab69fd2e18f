/*
 * cmd_agent.c: `sealctl recipients --agent URL`: the agent's sealing
 * recipients in age's recipients-file format (usable with `age -R` and
 * `sealctl seal -R`).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent_client.h"
#include "cmd_agent.h"
#include "cmd_recipients_kube.h"

static const char recipients_help[] =
	"usage: sealctl recipients --agent URL [--agent-ca FILE] [--pin age1...]...\n"
	"                          [--pin sha256//BASE64]...\n"
	"\n"
	"Prints the recipients the agent seals to (its active key, then its extra\n"
	"recipients), in age's recipients-file format; retained keys appear as\n"
	"comments. URL must be https; the certificate is verified against FILE\n"
	"(else the system CAs). With --pin, every advertised recipient must be\n"
	"one of the pinned keys, or nothing is printed and the exit code is 1.\n"
	"--pin sha256//BASE64 pins the agent's TLS public key (the SHA-256 of its\n"
	"DER SubjectPublicKeyInfo, as curl's --pinnedpubkey takes it); without\n"
	"--agent-ca the pin alone authenticates the agent (its generated, self-\n"
	"signed certificate: sealctl recipients --kubeconfig prints the pin).\n"
	"Also: sealctl recipients --kubeconfig [FILE] | -i FILE (--kubeconfig --help).\n";

/* Parses --agent, --agent-ca and --pin into a. 0, or an exit code. */
int sealctl_agent_parse_opt(struct sealctl_agent *a, int opt, const char *arg, const char *verb)
{
	switch (opt) {
	case SEALCTL_OPT_AGENT:
		a->url = arg;
		return 0;
	case SEALCTL_OPT_AGENT_CA:
		a->ca_file = arg;
		return 0;
	case SEALCTL_OPT_PIN:
		if (a->npins >= SEALCTL_AGENT_MAX_PINS)
			return sealctl_usage(verb, "too many --pin");
		if (sealctl_agent_is_tls_pin(arg) && strlen(arg) != 8 + 44)
			return sealctl_usage(verb, "--pin sha256//: want 44 base64 characters "
					     "(the SHA-256 of the TLS public key)");
		a->pins[a->npins++] = arg;
		return 0;
	}
	return sealctl_usage(verb, "bad option");
}

int sealctl_cmd_recipients(int argc, char **argv)
{
	static const struct option opts[] = {
		{"agent", required_argument, NULL, SEALCTL_OPT_AGENT},
		{"agent-ca", required_argument, NULL, SEALCTL_OPT_AGENT_CA},
		{"pin", required_argument, NULL, SEALCTL_OPT_PIN},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct sealctl_recipients rs;
	struct sealctl_agent a;
	struct ss_buf text;
	struct ss_err err;
	int c, rc;

	if (sealctl_recipients_kube_wanted(argc, argv)) /* --kubeconfig, -i */
		return sealctl_cmd_recipients_kube(argc, argv);
	memset(&a, 0, sizeof(a));
	memset(&rs, 0, sizeof(rs));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(recipients_help, stdout);
			return SEALCTL_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return sealctl_bad_option(argv[0], argv[optind - 1], opts);
		if ((rc = sealctl_agent_parse_opt(&a, c, optarg, argv[0])) != 0)
			return rc;
	}
	if (optind != argc)
		return sealctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (a.url == NULL)
		return sealctl_usage(argv[0], "--agent URL is required");
	ss_err_clear(&err);
	ss_buf_init(&text, 1u << 20);
	rc = sealctl_agent_recipients(&a, &rs, &text, &err);
	if (rc == SS_E_USAGE)
		rc = sealctl_usage(argv[0], "%s", err.msg);
	else if (rc != 0)
		rc = sealctl_fail(&err);
	else
		fputs(ss_buf_str(&text), stdout);
	ss_buf_release(&text);
	return rc;
}
