/*
 * config_tenancy.c: the tenancy and sharding settings of the agent's
 * configuration (see config.h; docs/CONFIG.md "Tenancy" and "Sharding").
 *
 * A unit's serviceAccountName is "NAME" (in the unit's namespace, as a
 * Flux Kustomization's ServiceAccount lives in its own namespace) or
 * "NS/NAME". The configuration is written by the platform team, not by
 * the tenants (it is not in the repository), so naming another namespace
 * is theirs to decide; RBAC still needs a Role there (docs/RBAC.md).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sealsync/config.h"

/* 1-40 lowercase letters, digits or '-': it ends up in Lease names and
 * label values, as unit names do. */
static int valid_shard(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

/* RFC 1123 label (namespaces) or subdomain (ServiceAccount names). */
static int valid_dns(const char *s, size_t max, int dots)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' ||
		      (dots && *s == '.')))
			return 0;
	return 1;
}

static int dup_str(char **dst, const char *v, struct ss_err *err)
{
	*dst = strdup(v);
	return *dst != NULL ? 0 : ss_err_set(err, SS_E_NOMEM, "out of memory");
}

/* "NAME" leaves sa_namespace NULL: the unit's namespace, read at use, so
 * that --target-namespace moves the ServiceAccount with the objects. */
static int parse_sa(const char *v, struct ss_unit_config *uc, struct ss_err *err)
{
	const char *slash = strchr(v, '/');
	char ns[64];
	size_t nl;

	if (slash == NULL) {
		if (!valid_dns(v, 253, 1))
			return ss_err_set(err, SS_E_INVAL,
					  "a ServiceAccount name: lowercase letters, digits, '-' and '.'");
		return dup_str(&uc->sa_name, v, err);
	}
	nl = (size_t)(slash - v);
	if (nl == 0 || nl >= sizeof(ns))
		return ss_err_set(err, SS_E_INVAL, "expected NAME or NAMESPACE/NAME");
	memcpy(ns, v, nl);
	ns[nl] = '\0';
	if (!valid_dns(ns, 63, 0) || !valid_dns(slash + 1, 253, 1))
		return ss_err_set(err, SS_E_INVAL, "expected NAME or NAMESPACE/NAME");
	if (dup_str(&uc->sa_namespace, ns, err) != 0)
		return SS_E_NOMEM;
	return dup_str(&uc->sa_name, slash + 1, err);
}

static int parse_allowed_ns(const json_t *v, struct ss_unit_config *uc, struct ss_err *err)
{
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > SS_CONFIG_MAX_ALLOWED_NS)
		return ss_err_set(err, SS_E_INVAL, "expected a list of 1 to %d namespaces",
				  SS_CONFIG_MAX_ALLOWED_NS);
	for (i = 0; i < json_array_size(v); i++) {
		const char *ns = json_string_value(json_array_get(v, i));

		if (ns == NULL || !valid_dns(ns, 63, 0))
			return ss_err_set(err, SS_E_INVAL, "entry %zu is not a namespace name", i);
		if (dup_str(&uc->allowed_ns[uc->nallowed_ns], ns, err) != 0)
			return SS_E_NOMEM;
		uc->nallowed_ns++;
	}
	return 0;
}

static int parse_scopes(const json_t *v, struct ss_unit_config *uc, struct ss_err *err)
{
	static const char *const names[] = {"strict", "namespace", "cluster"};
	size_t i, j;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return ss_err_set(err, SS_E_INVAL, "expected a list of strict, namespace, cluster");
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));

		for (j = 0; s != NULL && j < 3 && strcmp(s, names[j]) != 0; j++)
			;
		if (s == NULL || j == 3)
			return ss_err_set(err, SS_E_INVAL,
					  "entry %zu: expected strict, namespace or cluster", i);
		uc->allowed_scopes |= 1u << j;
	}
	return 0;
}

int ss_config_unit_tenancy(const void *unit, struct ss_unit_config *uc, const char **key,
			   struct ss_err *err)
{
	const json_t *u = unit, *v;
	const char *s;

	*key = "shard";
	v = json_object_get(u, "shard");
	if (v != NULL && ((s = json_string_value(v)) == NULL || !valid_shard(s)))
		return ss_err_set(err, SS_E_INVAL,
				  "a shard name: 1-40 lowercase letters, digits or '-'");
	if (v != NULL && dup_str(&uc->shard, s, err) != 0)
		return SS_E_NOMEM;
	*key = "serviceAccountName";
	v = json_object_get(u, "serviceAccountName");
	if (v != NULL && json_string_value(v) == NULL)
		return ss_err_set(err, SS_E_INVAL, "expected NAME or NAMESPACE/NAME");
	if (v != NULL && parse_sa(json_string_value(v), uc, err) != 0)
		return err->code;
	*key = "allowedNamespaces";
	v = json_object_get(u, "allowedNamespaces");
	if (v != NULL && parse_allowed_ns(v, uc, err) != 0)
		return err->code;
	*key = "allowedScopes";
	v = json_object_get(u, "allowedScopes");
	if (v != NULL && parse_scopes(v, uc, err) != 0)
		return err->code;
	return 0;
}

void ss_config_unit_tenancy_release(struct ss_unit_config *u)
{
	size_t i;

	free(u->shard);
	free(u->sa_namespace);
	free(u->sa_name);
	for (i = 0; i < u->nallowed_ns; i++)
		free(u->allowed_ns[i]);
	u->shard = u->sa_namespace = u->sa_name = NULL;
	u->nallowed_ns = 0;
}

/*
 * dependsOn across shards is refused at load: a unit could wait forever
 * for one another agent syncs. dependsOn itself comes with the `health`
 * work (issue 16); until a unit has it, there is nothing to check.
 * CHECK HOOK: for each unit's dependsOn entry, find the unit it names and
 * refuse when their shards differ (both NULL counts as equal).
 */
static int check_depends_shards(const struct ss_config *c, struct ss_err *err)
{
	(void)c;
	(void)err;
	return 0;
}

int ss_config_validate_tenancy(const struct ss_config *c, struct ss_err *err)
{
	if (c->shard != NULL && !valid_shard(c->shard))
		return ss_err_set(err, SS_E_USAGE,
				  "--shard %s: use 1-40 lowercase letters, digits or '-'", c->shard);
	if (c->default_sa != NULL && !valid_dns(c->default_sa, 253, 1))
		return ss_err_set(err, SS_E_USAGE,
				  "defaultServiceAccount %s: a ServiceAccount name (lowercase "
				  "letters, digits, '-' and '.'); its namespace is each unit's",
				  c->default_sa);
	return check_depends_shards(c, err);
}

static int same_shard(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void ss_config_select_shard(struct ss_config *c)
{
	size_t i, kept = 0;

	c->nunits_all = c->nunits;
	for (i = 0; i < c->nunits; i++) {
		if (!same_shard(c->units[i].shard, c->shard)) {
			free(c->units[i].name);
			free(c->units[i].path);
			free(c->units[i].namespace_);
			ss_config_unit_tenancy_release(&c->units[i]);
			memset(&c->units[i], 0, sizeof(c->units[i]));
			continue;
		}
		if (kept != i) {
			c->units[kept] = c->units[i];
			memset(&c->units[i], 0, sizeof(c->units[i]));
		}
		kept++;
	}
	c->nunits = kept;
}

int ss_unit_service_account(const struct ss_config *c, const struct ss_unit_config *u,
			    const char **ns, const char **name)
{
	*ns = *name = NULL;
	if (u->sa_name != NULL) {
		*ns = u->sa_namespace != NULL ? u->sa_namespace : u->namespace_;
		*name = u->sa_name;
	} else if (c->default_sa != NULL) {
		*ns = u->namespace_;
		*name = c->default_sa;
	}
	return *name != NULL;
}
