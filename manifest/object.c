/* object.c: Kubernetes object identity (see include/sealsync/object.h). */
#include <stdio.h>
#include <string.h>

#include "sealsync/object.h"
#include "sealsync/yaml.h"

void ss_origin_err(struct ss_err *err, const struct ss_origin *o, const char *field,
		   const char *key)
{
	unsigned line = 0;

	if (err == NULL || o == NULL)
		return;
	if (o->ds != NULL && field != NULL) {
		char path[SS_ERR_NAME_MAX];
		char *dot;

		/* A missing field is reported at its parent's line. */
		snprintf(path, sizeof(path), "%s", field);
		while ((line = ss_docset_field_line(o->ds, o->ds_index, path)) == 0 &&
		       (dot = strrchr(path, '.')) != NULL)
			*dot = '\0';
	}
	if (line == 0)
		line = o->line;
	ss_err_at(err, o->file, line, o->doc);
	ss_err_field(err, field, key);
}

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Shared by label and subdomain: allowed inner characters differ by dot. */
static int check_dns(const char *s, size_t max, int allow_dot)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return SS_E_INVAL;
	if (!is_lower_alnum((unsigned char)s[0]) || !is_lower_alnum((unsigned char)s[n - 1]))
		return SS_E_INVAL;
	for (i = 1; i + 1 < n; i++) {
		int c = (unsigned char)s[i];

		if (is_lower_alnum(c) || c == '-')
			continue;
		if (c == '.' && allow_dot && s[i - 1] != '.' && s[i - 1] != '-' &&
		    s[i + 1] != '.' && s[i + 1] != '-')
			continue;
		return SS_E_INVAL;
	}
	return 0;
}

int ss_object_check_label(const char *s)
{
	return check_dns(s, SS_OBJ_LABEL_MAX, 0);
}

int ss_object_check_subdomain(const char *s)
{
	return check_dns(s, SS_OBJ_NAME_MAX, 1);
}

/* Kubernetes' path-segment names (RBAC): no '/', no '%', not "." or "..". */
static int check_path_segment(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SS_OBJ_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return SS_E_INVAL;
	if (strpbrk(s, "/%") != NULL)
		return SS_E_INVAL;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s == 0x7f)
			return SS_E_INVAL;
	return 0;
}

static int is_rbac_kind(const struct ss_objid *id)
{
	return strcmp(id->group, "rbac.authorization.k8s.io") == 0 &&
	       (strcmp(id->kind, "Role") == 0 || strcmp(id->kind, "ClusterRole") == 0 ||
		strcmp(id->kind, "RoleBinding") == 0 ||
		strcmp(id->kind, "ClusterRoleBinding") == 0);
}

/* Kinds are CamelCase identifiers: a letter, then letters and digits. */
static int check_kind(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SS_OBJ_LABEL_MAX)
		return SS_E_INVAL;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return SS_E_INVAL;
	for (i = 1; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return SS_E_INVAL;
	}
	return 0;
}

static int fail(struct ss_err *err, const struct ss_origin *o, const char *field, int code,
		const char *msg)
{
	ss_err_set(err, code, "%s", msg);
	ss_origin_err(err, o, field, NULL);
	return code;
}

/* Reads a string field; SS_E_INVAL with a message when missing or not one. */
static int get_string(const json_t *parent, const char *name, const char *path,
		      const struct ss_origin *o, const char **out, struct ss_err *err)
{
	const json_t *v = json_object_get(parent, name);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		ss_err_set(err, SS_E_INVAL, "%s is missing", path);
		ss_origin_err(err, o, path, NULL);
		return SS_E_INVAL;
	}
	if (!json_is_string(v)) {
		ss_err_set(err, SS_E_INVAL, "%s must be a string", path);
		ss_origin_err(err, o, path, NULL);
		return SS_E_INVAL;
	}
	*out = json_string_value(v);
	return 0;
}

static int parse_apiversion(const char *av, const struct ss_origin *o, struct ss_objid *id,
			    struct ss_err *err)
{
	const char *slash = strchr(av, '/');
	size_t glen = slash != NULL ? (size_t)(slash - av) : 0;
	const char *ver = slash != NULL ? slash + 1 : av;

	if (glen > SS_OBJ_NAME_MAX || strchr(ver, '/') != NULL ||
	    ss_object_check_label(ver) != 0)
		return fail(err, o, "apiVersion", SS_E_INVAL,
			    "apiVersion must be \"group/version\" or \"version\"");
	memcpy(id->group, av, glen);
	id->group[glen] = '\0';
	if (slash != NULL && ss_object_check_subdomain(id->group) != 0)
		return fail(err, o, "apiVersion", SS_E_INVAL,
			    "apiVersion's group is not a DNS subdomain");
	snprintf(id->version, sizeof(id->version), "%s", ver);
	return 0;
}

static int parse_names(const json_t *meta, const struct ss_origin *o, struct ss_objid *id,
		       struct ss_err *err)
{
	const char *name, *ns = NULL;
	const json_t *nsv = json_object_get(meta, "namespace");
	int rc;

	rc = get_string(meta, "name", "metadata.name", o, &name, err);
	if (rc != 0)
		return rc;
	rc = is_rbac_kind(id) ? check_path_segment(name) : ss_object_check_subdomain(name);
	if (rc == 0 && strcmp(id->group, "") == 0 && strcmp(id->kind, "Namespace") == 0)
		rc = ss_object_check_label(name);
	if (rc != 0)
		return fail(err, o, "metadata.name", SS_E_INVAL,
			    "metadata.name is not a valid Kubernetes name (lowercase "
			    "letters, digits, '-' and '.', at most 253)");
	snprintf(id->name, sizeof(id->name), "%s", name);
	if (nsv != NULL && !json_is_null(nsv)) {
		rc = get_string(meta, "namespace", "metadata.namespace", o, &ns, err);
		if (rc != 0)
			return rc;
		if (ns[0] != '\0' && ss_object_check_label(ns) != 0)
			return fail(err, o, "metadata.namespace", SS_E_INVAL,
				    "metadata.namespace is not a DNS label (lowercase letters, "
				    "digits and '-', at most 63)");
		snprintf(id->ns, sizeof(id->ns), "%s", ns);
	}
	return 0;
}

int ss_object_identity(const json_t *obj, const struct ss_origin *o, struct ss_objid *out,
		       struct ss_err *err)
{
	struct ss_objid id;
	const json_t *meta;
	const char *av, *kind;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&id, 0, sizeof(id));
	if (!json_is_object(obj))
		return fail(err, o, NULL, SS_E_INVAL, "document is not a mapping");
	rc = get_string(obj, "apiVersion", "apiVersion", o, &av, err);
	if (rc == 0)
		rc = parse_apiversion(av, o, &id, err);
	if (rc == 0)
		rc = get_string(obj, "kind", "kind", o, &kind, err);
	if (rc != 0)
		return rc;
	if (check_kind(kind) != 0)
		return fail(err, o, "kind", SS_E_INVAL, "kind must be a CamelCase identifier");
	snprintf(id.kind, sizeof(id.kind), "%s", kind);
	meta = json_object_get(obj, "metadata");
	if (meta == NULL || json_is_null(meta))
		return fail(err, o, "metadata", SS_E_INVAL, "metadata is missing");
	if (!json_is_object(meta))
		return fail(err, o, "metadata", SS_E_INVAL, "metadata must be a mapping");
	rc = parse_names(meta, o, &id, err);
	if (rc != 0)
		return rc;
	*out = id;
	return 0;
}

void ss_objid_describe(const struct ss_objid *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s %s %s%s%s", id->group, id->group[0] ? "/" : "", id->version,
		 id->kind, id->ns, id->ns[0] ? "/" : "", id->name);
}
