/*
 * tenancy.h: what a unit may touch before any request is made for it
 * (docs/CONFIG.md "Tenancy", docs/RBAC.md "Tenancy").
 *
 * allowedNamespaces: every namespaced object of the unit (a SealedSecret
 * included, before it is unsealed) must be in one of them, and so must
 * the name of a Namespace object. Without the list, RBAC decides.
 * allowedScopes: the scopes a SealedSecret's values may be sealed with
 * (spec.scope, which unseal then holds to the value's own stanza). The
 * default is every scope, except under tenancy (the unit impersonates a
 * ServiceAccount), where `cluster` is refused unless listed: a value
 * sealed for the cluster binds no namespace, so any tenant could copy
 * another's into their folder.
 *
 * Errors name the file, document and field, never a value: SS_E_PERM.
 */
#ifndef SEALSYNC_TENANCY_H
#define SEALSYNC_TENANCY_H

#include "sealsync/err.h"

struct ss_bundle;
struct ss_unit_config;

/* Items with an id (SOPS items only after unseal); call after namespaces
 * are resolved, and again after unseal. tenant: the unit impersonates. */
int ss_tenancy_check(const struct ss_bundle *b, const struct ss_unit_config *u, int tenant,
		     struct ss_err *err) SS_MUST_CHECK;

#endif
