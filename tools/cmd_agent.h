/* cmd_agent.h: sealctl's verbs and options for talking to the agent. */
#ifndef SEALCTL_CMD_AGENT_H
#define SEALCTL_CMD_AGENT_H

#include "agent_client.h"
#include "sealctl.h"

/* getopt values of the shared --agent options (above any short option). */
enum { SEALCTL_OPT_AGENT = 0x4100, SEALCTL_OPT_AGENT_CA, SEALCTL_OPT_PIN };

sealctl_handler sealctl_cmd_recipients;

/* Stores --agent / --agent-ca / --pin (opt one of the values above) in a.
 * 0, or the usage exit code (2) after printing the message. */
int sealctl_agent_parse_opt(struct sealctl_agent *a, int opt, const char *arg, const char *verb);

#endif
