/*
 * kube_identity.c: the identity the client's requests carry (see
 * ss_kube_impersonate in kube.h). One handle serves every unit: the sync
 * switches the identity around a unit's requests instead of opening a
 * client (and a connection cache) per tenant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define SA_PREFIX "system:serviceaccount:"

int ss_kube_impersonate(struct ss_kube *k, const char *ns, const char *name, struct ss_err *err)
{
	char *user;
	size_t len;

	if (ns == NULL || name == NULL) {
		free(k->impersonate);
		k->impersonate = NULL;
		return 0;
	}
	/* Also what keeps CR/LF and ':' out of the header value. */
	if (!kube_valid_namespace(ns) || !kube_valid_name(name) || strchr(name, ':') != NULL)
		return ss_err_set(err, SS_E_INVAL,
				  "ServiceAccount %.63s/%.253s is not a valid namespace/name", ns,
				  name);
	len = sizeof(SA_PREFIX) + strlen(ns) + 1 + strlen(name);
	user = malloc(len);
	if (user == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(user, len, "%s%s:%s", SA_PREFIX, ns, name);
	free(k->impersonate);
	k->impersonate = user;
	return 0;
}

const char *ss_kube_identity(const struct ss_kube *k)
{
	return k->impersonate;
}

char *ss_kube_identity_suspend(struct ss_kube *k)
{
	char *saved = k->impersonate;

	k->impersonate = NULL;
	return saved;
}

void ss_kube_identity_resume(struct ss_kube *k, char *saved)
{
	free(k->impersonate);
	k->impersonate = saved;
}
