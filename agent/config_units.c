/*
 * config_units.c: a unit's health checks and ordering, as a Flux
 * Kustomization has them (wait, healthChecks, dependsOn, interval, timeout,
 * suspend, targetNamespace), and the dependency order of the units.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

const char *const config_unit_health_keys[CONFIG_UNIT_HEALTH_NKEYS] = {
	"wait", "healthChecks", "dependsOn", "interval", "timeout", "suspend", "targetNamespace"};

int ss_unit_checked(const struct ss_unit_config *u)
{
	return u->wait || u->nchecks > 0;
}

static int fail(char *field, size_t cap, const char *path, struct ss_err *err, int rc,
		const char *msg)
{
	snprintf(field, cap, "%s", path);
	return ss_err_set(err, rc, "%s", msg);
}

static int dup_str(char **dst, const char *v)
{
	*dst = strdup(v);
	return *dst != NULL ? 0 : SS_E_NOMEM;
}

static int get_bool(json_t *u, const char *k, int *out, char *field, size_t cap,
		    struct ss_err *err)
{
	json_t *v = json_object_get(u, k);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return fail(field, cap, k, err, SS_E_INVAL, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static int get_duration(json_t *u, const char *k, unsigned *out, char *field, size_t cap,
			struct ss_err *err)
{
	json_t *v = json_object_get(u, k);
	char num[32];
	const char *text = json_string_value(v);

	if (v == NULL)
		return 0;
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		text = num;
	}
	if (text == NULL || ss_config_parse_duration(text, out) != 0 || *out == 0)
		return fail(field, cap, k, err, SS_E_INVAL,
			    "expected a duration of at least 1s, like 30s, 5m or 1h");
	return 0;
}

/* targetNamespace: Flux's name for the unit's namespace setting. */
static int get_target_ns(struct ss_unit_config *uc, json_t *u, char *field, size_t cap,
			 struct ss_err *err)
{
	json_t *v = json_object_get(u, "targetNamespace");
	const char *ns = json_string_value(json_object_get(u, "namespace"));

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return fail(field, cap, "targetNamespace", err, SS_E_INVAL, "expected a namespace");
	if (ns != NULL && strcmp(ns, json_string_value(v)) != 0)
		return fail(field, cap, "targetNamespace", err, SS_E_INVAL,
			    "namespace and targetNamespace differ; give one of them");
	free(uc->namespace_);
	return dup_str(&uc->namespace_, json_string_value(v));
}

/* A dependsOn entry: "name", or {name: NAME} as Flux writes it. */
static const char *dep_name(json_t *e)
{
	if (json_is_object(e) && json_object_size(e) == 1)
		return json_string_value(json_object_get(e, "name"));
	return json_string_value(e);
}

static int get_depends(struct ss_unit_config *uc, json_t *u, char *field, size_t cap,
		       struct ss_err *err)
{
	json_t *v = json_object_get(u, "dependsOn");
	char path[64];
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > SS_UNIT_MAX_DEPENDS)
		return fail(field, cap, "dependsOn", err, SS_E_INVAL,
			    "expected a list of at most 32 unit names");
	uc->depends_on = calloc(json_array_size(v) + 1, sizeof(*uc->depends_on));
	if (uc->depends_on == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(v); i++) {
		const char *name = dep_name(json_array_get(v, i));

		snprintf(path, sizeof(path), "dependsOn[%zu]", i);
		if (name == NULL)
			return fail(field, cap, path, err, SS_E_INVAL,
				    "expected a unit name (or {name: UNIT})");
		if (dup_str(&uc->depends_on[i], name) != 0)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		uc->ndepends++;
	}
	return 0;
}

static int check_parse(struct ss_unit_check *c, json_t *e, const char *path, char *field,
		       size_t cap, struct ss_err *err)
{
	static const char *const keys[] = {"apiVersion", "kind", "name", "namespace"};
	char **dst[] = {&c->api_version, &c->kind, &c->name, &c->namespace_};
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(e))
		return fail(field, cap, path, err, SS_E_INVAL,
			    "expected a mapping with apiVersion, kind, name and namespace");
	json_object_foreach(e, k, v) {
		for (i = 0; i < 4 && strcmp(k, keys[i]) != 0; i++)
			;
		snprintf(field, cap, "%s.%s", path, k);
		if (i == 4)
			return ss_err_set(err, SS_E_INVAL,
					  "unknown setting (use apiVersion, kind, name, namespace)");
		if (!json_is_string(v) || json_string_length(v) == 0)
			return ss_err_set(err, SS_E_INVAL, "expected a non-empty string");
		if (dup_str(dst[i], json_string_value(v)) != 0)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	for (i = 0; i < 3; i++)
		if (*dst[i] == NULL) {
			snprintf(field, cap, "%s.%s", path, keys[i]);
			return ss_err_set(err, SS_E_INVAL, "missing; a health check needs "
							   "apiVersion, kind and name");
		}
	return 0;
}

static int get_checks(struct ss_unit_config *uc, json_t *u, char *field, size_t cap,
		      struct ss_err *err)
{
	json_t *v = json_object_get(u, "healthChecks");
	char path[64];
	size_t i;
	int rc;

	if (v == NULL)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > SS_UNIT_MAX_CHECKS)
		return fail(field, cap, "healthChecks", err, SS_E_INVAL,
			    "expected a list of at most 256 objects");
	uc->checks = calloc(json_array_size(v) + 1, sizeof(*uc->checks));
	if (uc->checks == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(v); i++) {
		snprintf(path, sizeof(path), "healthChecks[%zu]", i);
		uc->nchecks++; /* released whole, even when half read */
		rc = check_parse(&uc->checks[i], json_array_get(v, i), path, field, cap, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int config_unit_health_parse(struct ss_unit_config *uc, json_t *u, char *field, size_t cap,
			     struct ss_err *err)
{
	int rc;

	field[0] = '\0';
	uc->timeout_sec = SS_UNIT_TIMEOUT_DEFAULT;
	rc = get_bool(u, "wait", &uc->wait, field, cap, err);
	if (rc == 0)
		rc = get_bool(u, "suspend", &uc->suspend, field, cap, err);
	if (rc == 0)
		rc = get_duration(u, "interval", &uc->interval_sec, field, cap, err);
	if (rc == 0)
		rc = get_duration(u, "timeout", &uc->timeout_sec, field, cap, err);
	if (rc == 0)
		rc = get_target_ns(uc, u, field, cap, err);
	if (rc == 0)
		rc = get_depends(uc, u, field, cap, err);
	if (rc == 0)
		rc = get_checks(uc, u, field, cap, err);
	return rc;
}

void config_unit_health_release(struct ss_unit_config *uc)
{
	size_t i;

	for (i = 0; i < uc->nchecks; i++) {
		free(uc->checks[i].api_version);
		free(uc->checks[i].kind);
		free(uc->checks[i].name);
		free(uc->checks[i].namespace_);
	}
	free(uc->checks);
	for (i = 0; i < uc->ndepends; i++)
		free(uc->depends_on[i]);
	free(uc->depends_on);
}

/* ---- dependency order ---- */

static size_t unit_index(const struct ss_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nunits; i++)
		if (strcmp(c->units[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

static int check_names(const struct ss_config *c, struct ss_err *err)
{
	size_t i, j;

	for (i = 0; i < c->nunits; i++) {
		for (j = 0; j < c->units[i].ndepends; j++) {
			const char *d = c->units[i].depends_on[j];

			if (strcmp(d, c->units[i].name) == 0)
				return ss_err_set(err, SS_E_INVAL, "unit %s depends on itself",
						  c->units[i].name);
			if (unit_index(c, d) == (size_t)-1)
				return ss_err_set(err, SS_E_NOTFOUND,
						  "unit %s: dependsOn names %s, which is not a unit "
						  "of this configuration",
						  c->units[i].name, d);
		}
	}
	return 0;
}

/* Depth-first from u; on a cycle, err names it "a -> b -> a". state: 0 new,
 * 1 on the path, 2 done; path[0..depth) the units on it. */
static int visit(const struct ss_config *c, size_t u, unsigned char *state, size_t *path,
		 size_t depth, struct ss_err *err)
{
	char text[SS_ERR_MSG_MAX / 2];
	size_t j, k, len = 0;

	if (state[u] == 2)
		return 0;
	if (state[u] == 1) {
		for (k = 0; k < depth && path[k] != u; k++)
			;
		for (; k < depth && len < sizeof(text); k++)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s -> ",
						c->units[path[k]].name);
		return ss_err_set(err, SS_E_INVAL,
				  "dependsOn forms a cycle: %s%s; no unit of it could ever apply",
				  text, c->units[u].name);
	}
	state[u] = 1;
	path[depth] = u;
	for (j = 0; j < c->units[u].ndepends; j++) {
		int rc = visit(c, unit_index(c, c->units[u].depends_on[j]), state, path,
			       depth + 1, err);

		if (rc != 0)
			return rc;
	}
	state[u] = 2;
	return 0;
}

/* Each unit after its dependencies: depth-first post-order, roots in
 * config order, so a configuration without dependsOn keeps its order. */
static void emit(const struct ss_config *c, size_t u, unsigned char *done, size_t *order,
		 size_t *n)
{
	size_t j;

	if (done[u])
		return;
	done[u] = 1;
	for (j = 0; j < c->units[u].ndepends; j++)
		emit(c, unit_index(c, c->units[u].depends_on[j]), done, order, n);
	order[(*n)++] = u;
}

int ss_config_unit_order(const struct ss_config *c, size_t *order, struct ss_err *err)
{
	unsigned char state[SS_CONFIG_MAX_UNITS] = {0};
	size_t path[SS_CONFIG_MAX_UNITS], i, n = 0;
	int rc = check_names(c, err);

	for (i = 0; rc == 0 && i < c->nunits; i++)
		rc = visit(c, i, state, path, 0, err);
	if (rc != 0)
		return rc;
	memset(state, 0, sizeof(state));
	for (i = 0; i < c->nunits; i++)
		emit(c, i, state, order, &n);
	return 0;
}

int config_units_validate(const struct ss_config *c, struct ss_err *err)
{
	size_t order[SS_CONFIG_MAX_UNITS];

	return ss_config_unit_order(c, order, err);
}
