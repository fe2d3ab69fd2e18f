/*
 * agent_import.h: `sealsync-agent --import-bitnami FILE|-`, the in-cluster
 * import of Bitnami SealedSecrets (docs/MIGRATION.md "In-cluster import").
 *
 * Reads Bitnami's controller key Secrets through the API server (namespace
 * cfg->bitnami_namespace, default kube-system; label selector
 * cfg->bitnami_selector, default sealedsecrets.bitnami.com/sealed-secrets-key)
 * into guarded memory, converts every Bitnami SealedSecret of the file (or
 * stdin for "-") as `sealctl import bitnami` does (bitnami.h), sealed to
 * the agent's active key and its extra recipients, and writes the whole
 * result to out only when every value converted. Other documents are kept.
 * No plaintext reaches out, the logs or err. Part of agent/sync (the
 * agent's library that already links libcrypto, for SOPS).
 */
#ifndef SEALSYNC_AGENT_IMPORT_H
#define SEALSYNC_AGENT_IMPORT_H

#include <stdio.h>

#include "sealsync/config.h"
#include "sealsync/err.h"

int ss_agent_import_bitnami(const struct ss_config *cfg, FILE *out,
			    struct ss_err *err) SS_MUST_CHECK;

#endif
