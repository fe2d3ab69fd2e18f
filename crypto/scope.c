/* scope.c: where a sealed value may be used (see include/sealsync/scope.h). */
#include <stdio.h>
#include <string.h>

#include "sealsync/scope.h"

static const char *const mode_names[] = {
	[SS_SCOPE_STRICT] = "strict",
	[SS_SCOPE_NAMESPACE] = "namespace",
	[SS_SCOPE_CLUSTER] = "cluster",
};

int ss_scope_parse_mode(const char *s, enum ss_scope_mode *out)
{
	int m;

	for (m = SS_SCOPE_STRICT; m <= SS_SCOPE_CLUSTER; m++) {
		if (s != NULL && strcmp(s, mode_names[m]) == 0) {
			*out = (enum ss_scope_mode)m;
			return 0;
		}
	}
	return SS_E_INVAL;
}

const char *ss_scope_mode_name(enum ss_scope_mode m)
{
	if ((int)m < SS_SCOPE_STRICT || m > SS_SCOPE_CLUSTER)
		return "?";
	return mode_names[m];
}

static int field_valid(const char *s)
{
	size_t i, n = strnlen(s, SS_SCOPE_FIELD_MAX + 1);

	if (n == 0 || n > SS_SCOPE_FIELD_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return 0;
	}
	return 1;
}

static int field_check(const char *what, const char *s, struct ss_err *err)
{
	if (s == NULL || s[0] == '\0')
		return ss_err_set(err, SS_E_INVAL, "scope: %s is required", what);
	if (!field_valid(s))
		return ss_err_set(err, SS_E_INVAL,
				  "scope: %s must be 1-%d characters of [-._a-zA-Z0-9]", what,
				  SS_SCOPE_FIELD_MAX);
	return 0;
}

int ss_scope_make(struct ss_scope *out, enum ss_scope_mode mode, const char *ns,
		  const char *name, const char *key, struct ss_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->mode = mode;
	if ((int)mode < SS_SCOPE_STRICT || mode > SS_SCOPE_CLUSTER)
		return ss_err_set(err, SS_E_INVAL, "scope: unknown mode");
	if (mode == SS_SCOPE_CLUSTER)
		return 0;
	rc = field_check("namespace", ns, err);
	if (rc != 0)
		return rc;
	snprintf(out->ns, sizeof(out->ns), "%s", ns);
	if (mode == SS_SCOPE_NAMESPACE)
		return 0;
	rc = field_check("name", name, err);
	if (rc == 0)
		rc = field_check("key", key, err);
	if (rc != 0)
		return rc;
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->key, sizeof(out->key), "%s", key);
	return 0;
}

int ss_scope_validate(const struct ss_scope *s, struct ss_err *err)
{
	struct ss_scope tmp;
	int rc = ss_scope_make(&tmp, s->mode, s->ns, s->name, s->key, err);

	if (rc != 0)
		return rc;
	/* Fields the mode does not bind must be empty, so equal scopes compare equal. */
	if ((s->mode != SS_SCOPE_STRICT && (s->name[0] != '\0' || s->key[0] != '\0')) ||
	    (s->mode == SS_SCOPE_CLUSTER && s->ns[0] != '\0'))
		return ss_err_set(err, SS_E_INVAL, "scope: %s scope binds fewer fields than given",
				  ss_scope_mode_name(s->mode));
	return 0;
}

void ss_scope_describe(const struct ss_scope *s, char *buf, size_t len)
{
	if (len == 0)
		return;
	switch (s->mode) {
	case SS_SCOPE_STRICT:
		snprintf(buf, len, "strict %s/%s/%s", s->ns, s->name, s->key);
		break;
	case SS_SCOPE_NAMESPACE:
		snprintf(buf, len, "namespace %s", s->ns);
		break;
	case SS_SCOPE_CLUSTER:
		snprintf(buf, len, "cluster");
		break;
	default:
		snprintf(buf, len, "unknown scope");
		break;
	}
}

int ss_scope_check(const struct ss_scope *sealed, const struct ss_scope *used,
		   struct ss_err *err)
{
	char a[3 * SS_SCOPE_FIELD_MAX + 16], b[3 * SS_SCOPE_FIELD_MAX + 16];
	int same = sealed->mode == used->mode;

	if (same && sealed->mode != SS_SCOPE_CLUSTER)
		same = strcmp(sealed->ns, used->ns) == 0;
	if (same && sealed->mode == SS_SCOPE_STRICT)
		same = strcmp(sealed->name, used->name) == 0 && strcmp(sealed->key, used->key) == 0;
	if (same)
		return 0;
	ss_scope_describe(sealed, a, sizeof(a));
	ss_scope_describe(used, b, sizeof(b));
	return ss_err_set(err, SS_E_SCOPE, "sealed for %s, used at %s", a, b);
}
