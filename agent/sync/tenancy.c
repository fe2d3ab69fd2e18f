/* tenancy.c: a unit's allowedNamespaces and allowedScopes (see tenancy.h). */
#include <stdio.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/config.h"
#include "sealsync/tenancy.h"

static int ns_allowed(const struct ss_unit_config *u, const char *ns)
{
	size_t i;

	if (u->nallowed_ns == 0)
		return 1;
	for (i = 0; i < u->nallowed_ns; i++)
		if (strcmp(u->allowed_ns[i], ns) == 0)
			return 1;
	return 0;
}

static unsigned scopes_allowed(const struct ss_unit_config *u, int tenant)
{
	if (u->allowed_scopes != 0)
		return u->allowed_scopes;
	return tenant ? SS_CONFIG_SCOPE_STRICT | SS_CONFIG_SCOPE_NAMESPACE
		      : SS_CONFIG_SCOPE_STRICT | SS_CONFIG_SCOPE_NAMESPACE | SS_CONFIG_SCOPE_CLUSTER;
}

/* spec.scope as a bit; strict when absent (the SealedSecret default).
 * Anything else is left to the SealedSecret parser's own error. */
static unsigned scope_bit(const json_t *obj)
{
	const char *s = json_string_value(json_object_get(json_object_get(obj, "spec"), "scope"));

	if (s == NULL || strcmp(s, "strict") == 0)
		return SS_CONFIG_SCOPE_STRICT;
	if (strcmp(s, "namespace") == 0)
		return SS_CONFIG_SCOPE_NAMESPACE;
	if (strcmp(s, "cluster") == 0)
		return SS_CONFIG_SCOPE_CLUSTER;
	return 0;
}

static int check_ns(const struct ss_item *it, const struct ss_unit_config *u, struct ss_err *err)
{
	const char *ns = it->id.ns;
	char what[600];

	if (!it->namespaced && strcmp(it->id.kind, "Namespace") == 0 && it->id.group[0] == '\0')
		ns = it->id.name;
	else if (!it->namespaced)
		return 0; /* cluster-scoped: RBAC decides */
	if (ns_allowed(u, ns))
		return 0;
	ss_objid_describe(&it->id, what, sizeof(what));
	ss_origin_err(err, &it->origin, it->namespaced ? "metadata.namespace" : "metadata.name",
		      NULL);
	return ss_err_set(err, SS_E_PERM,
			  "%s: namespace %s is not in unit %s's allowedNamespaces; refused "
			  "before any request", what, ns, u->name);
}

static int check_scope(const struct ss_item *it, const struct ss_unit_config *u, int tenant,
		       struct ss_err *err)
{
	unsigned all = SS_CONFIG_SCOPE_STRICT | SS_CONFIG_SCOPE_NAMESPACE | SS_CONFIG_SCOPE_CLUSTER;
	unsigned bit;

	/* Thawing (bundle.h) only what a restriction makes worth reading. */
	if (!it->sealed || (scopes_allowed(u, tenant) & all) == all)
		return 0;
	bit = scope_bit(ss_item_obj(it));
	if (bit == 0 || (scopes_allowed(u, tenant) & bit) != 0)
		return 0;
	ss_origin_err(err, &it->origin, "spec.scope", NULL);
	return ss_err_set(err, SS_E_PERM,
			  "SealedSecret %s/%s: scope %s is not allowed in unit %s (allowedScopes%s); "
			  "seal it with --scope strict or namespace",
			  it->id.ns, it->id.name,
			  bit == SS_CONFIG_SCOPE_CLUSTER ? "cluster" :
			  bit == SS_CONFIG_SCOPE_NAMESPACE ? "namespace" : "strict", u->name,
			  u->allowed_scopes == 0 ? ": under tenancy, cluster only when listed" : "");
}

int ss_tenancy_check(const struct ss_bundle *b, const struct ss_unit_config *u, int tenant,
		     struct ss_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		const struct ss_item *it = &b->items[i];

		if (it->sops)
			continue; /* no id until decrypted: checked again after unseal */
		rc = check_ns(it, u, err);
		if (rc == 0)
			rc = check_scope(it, u, tenant, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}
