/*
 * kubeconfig.h: sealctl's small kubeconfig reader (tools must not link the
 * agent's kube client). It reads one file, picks a context (--context, else
 * current-context) and returns what a client needs to reach its cluster
 * with the user's own credentials:
 *   cluster: server (https only), certificate-authority-data or
 *            certificate-authority (a path relative to the file's folder);
 *            insecure-skip-tls-verify is refused;
 *   user:    token or tokenFile, client-certificate(-data) and
 *            client-key(-data), or exec: the credential plugin (as EKS, GKE
 *            and AKS kubeconfigs use) is run with its args and env and
 *            KUBERNETES_EXEC_INFO; status.token (or the client certificate
 *            and key) is read from the ExecCredential JSON on its stdout.
 * Tokens and keys are held in guarded memory and wiped on release.
 */
#ifndef SEALCTL_KUBECONFIG_H
#define SEALCTL_KUBECONFIG_H

#include "sealsync/buf.h"
#include "sealsync/err.h"

struct sealctl_kube {
	char server[1024];   /* https://host:port, no trailing slash */
	char context[256];
	struct ss_buf ca;    /* PEM; empty: the system CAs */
	struct ss_buf token; /* secure; empty: none */
	struct ss_buf cert;  /* PEM client certificate; empty: none */
	struct ss_buf key;   /* secure PEM client key */
};

/* path NULL: $KUBECONFIG (its first entry), else ~/.kube/config. context
 * NULL: current-context. Errors name the file and the missing field. */
int sealctl_kube_load(const char *path, const char *context, struct sealctl_kube *out,
		      struct ss_err *err) SS_MUST_CHECK;
void sealctl_kube_release(struct sealctl_kube *k);

/* GET path from the API server; *status gets the HTTP status, resp the body. */
int sealctl_kube_get(const struct sealctl_kube *k, const char *path, long *status,
		     struct ss_buf *resp, struct ss_err *err) SS_MUST_CHECK;

#endif
