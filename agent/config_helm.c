/*
 * config_helm.c: a unit's `helm:` settings (docs/REPOSITORIES.md "Helm").
 *
 * Everything helm reads must come from the revision: the chart folder and
 * the values files are repository paths, resolved here against the unit's
 * folder (or the repository root for a leading '/') and normalised, so a
 * path that climbs out of the repository is refused at load, and a URL
 * (which `helm template -f` would fetch) never reaches helm.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "sealsync/config.h"
#include "sealsync/jsonalloc.h"

#define HELM_PATH_MAX 1024
#define HELM_RELEASE_MAX 53 /* helm's own limit on a release name */

static const char *const helm_keys[] = {"chart",  "releaseName", "namespace",
					"valuesFiles", "values", "kubeVersion"};
#define HELM_NKEYS (sizeof(helm_keys) / sizeof(helm_keys[0]))

void ss_config_helm_free(struct ss_helm_config *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->chart);
	free(h->release_name);
	free(h->namespace_);
	for (i = 0; i < h->nvalues_files; i++)
		free(h->values_files[i]);
	free(h->values_json);
	free(h->kube_version);
	free(h);
}

/* Appends ".sub" (or "[i]" when sub is NULL) to the field path; returns
 * its length before, for the caller to cut it back. */
static size_t field_add(char *field, size_t len, const char *sub, size_t i)
{
	size_t n = strlen(field);

	if (n + 1 >= len)
		return n;
	if (sub != NULL)
		snprintf(field + n, len - n, ".%s", sub);
	else
		snprintf(field + n, len - n, "[%zu]", i);
	return n;
}

/* True for "scheme://..." (http, https, oci, file, s3...): anything helm's
 * getters would fetch rather than read from the chart's folder. */
static int is_url(const char *s)
{
	const char *p = s;

	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return p > s && strncmp(p, "://", 3) == 0;
}

/* Appends one path component to out (len so far *n), handling "." and "..". */
static int path_push(char *out, size_t *n, const char *comp, size_t clen)
{
	char *slash;

	if (clen == 0 || (clen == 1 && comp[0] == '.'))
		return 0;
	if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
		if (*n == 0)
			return SS_E_INVAL; /* above the repository root */
		slash = memrchr(out, '/', *n);
		*n = slash != NULL ? (size_t)(slash - out) : 0;
		out[*n] = '\0';
		return 0;
	}
	if (*n + clen + 2 > HELM_PATH_MAX)
		return SS_E_LIMIT;
	if (*n > 0)
		out[(*n)++] = '/';
	memcpy(out + *n, comp, clen);
	*n += clen;
	out[*n] = '\0';
	return 0;
}

static int path_push_all(char *out, size_t *n, const char *p)
{
	const char *end;
	int rc;

	while (*p != '\0') {
		end = strchrnul(p, '/');
		rc = path_push(out, n, p, (size_t)(end - p));
		if (rc != 0)
			return rc;
		p = *end == '/' ? end + 1 : end;
	}
	return 0;
}

int ss_config_path_resolve(const char *unit_path, const char *rel, char **out)
{
	char buf[HELM_PATH_MAX];
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	buf[0] = '\0';
	if (rel[0] != '/')
		rc = path_push_all(buf, &n, unit_path);
	if (rc == 0)
		rc = path_push_all(buf, &n, rel);
	if (rc != 0)
		return rc;
	*out = strdup(n > 0 ? buf : ".");
	return *out != NULL ? 0 : SS_E_NOMEM;
}

/* A repository path setting (chart, valuesFiles[i]); field names it. */
static int parse_repo_path(const json_t *v, const char *unit, const char *unit_path,
			   const char *what, char **out, struct ss_err *err)
{
	const char *s = json_string_value(v);
	int rc;

	if (s == NULL || *s == '\0')
		return ss_err_set(err, SS_E_INVAL, "unit %s: %s must be a path in the repository",
				  unit, what);
	if (is_url(s)) /* the URL itself may carry credentials: not repeated */
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "unit %s: %s is a URL; helm would fetch it over the network. "
				  "Commit the file to the repository and name its path",
				  unit, what);
	rc = ss_config_path_resolve(unit_path, s, out);
	if (rc == SS_E_NOMEM)
		return ss_err_set(err, rc, "out of memory");
	if (rc != 0)
		return ss_err_set(err, SS_E_INVAL,
				  "unit %s: %s %s leaves the repository (or is too long)", unit,
				  what, s);
	return 0;
}

static int parse_values_files(const json_t *v, const char *unit, const char *unit_path,
			      struct ss_helm_config *h, char *field, size_t flen,
			      struct ss_err *err)
{
	size_t i;
	int rc;

	if (!json_is_array(v) || json_array_size(v) > SS_HELM_MAX_VALUES_FILES)
		return ss_err_set(err, SS_E_INVAL,
				  "unit %s: valuesFiles must be a list of at most %d paths", unit,
				  SS_HELM_MAX_VALUES_FILES);
	for (i = 0; i < json_array_size(v); i++) {
		size_t cut = field_add(field, flen, NULL, i);

		rc = parse_repo_path(json_array_get(v, i), unit, unit_path, "a values file",
				     &h->values_files[i], err);
		if (rc != 0)
			return rc;
		h->nvalues_files++;
		field[cut] = '\0';
	}
	return 0;
}

/* A DNS-1123 name: lowercase letters, digits, '-' (and '.' if dots). */
static int dns_name(const char *s, size_t max, int dots)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      (dots && s[i] == '.')))
			return 0;
	return 1;
}

/* "1.32", "v1.32.0": what helm's --kube-version accepts, minus pre-releases. */
static int kube_version_ok(const char *s)
{
	int parts = 0;

	if (*s == 'v')
		s++;
	while (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s))
			s++;
		parts++;
		if (*s != '.')
			break;
		s++;
	}
	return *s == '\0' && parts >= 2 && parts <= 3 && s[-1] != '.';
}

/* A string setting checked by ok (NULL: any non-empty string). */
static int parse_name(const json_t *v, const char *unit, const char *key,
		      int (*ok)(const char *), const char *want, char **out, struct ss_err *err)
{
	const char *s = json_string_value(v);

	if (s == NULL || *s == '\0' || (ok != NULL && !ok(s)))
		return ss_err_set(err, SS_E_INVAL, "unit %s: helm %s must be %s", unit, key, want);
	*out = strdup(s);
	return *out != NULL ? 0 : ss_err_set(err, SS_E_NOMEM, "out of memory");
}

static int release_ok(const char *s)
{
	return dns_name(s, HELM_RELEASE_MAX, 1);
}

static int namespace_ok(const char *s)
{
	return dns_name(s, 63, 0);
}

static int parse_values(const json_t *v, const char *unit, struct ss_helm_config *h,
			struct ss_err *err)
{
	char *text;

	if (!json_is_object(v))
		return ss_err_set(err, SS_E_INVAL, "unit %s: helm values must be a mapping", unit);
	/* JSON is YAML: helm reads this text as the last values file.
	 * json_dumps memory is jansson's (jsonalloc.h): copied to ours. */
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	h->values_json = text != NULL ? strdup(text) : NULL;
	ss_json_free(text);
	return h->values_json != NULL ? 0 : ss_err_set(err, SS_E_NOMEM, "out of memory");
}

static int helm_key(const char *k, const json_t *v, const char *unit, const char *unit_path,
		    struct ss_helm_config *h, char *field, size_t flen, struct ss_err *err)
{
	if (strcmp(k, "chart") == 0)
		return parse_repo_path(v, unit, unit_path, "the chart", &h->chart, err);
	if (strcmp(k, "valuesFiles") == 0)
		return parse_values_files(v, unit, unit_path, h, field, flen, err);
	if (strcmp(k, "values") == 0)
		return parse_values(v, unit, h, err);
	if (strcmp(k, "releaseName") == 0)
		return parse_name(v, unit, k, release_ok,
				  "a release name: at most 53 of [a-z0-9-.], starting and ending "
				  "with a letter or digit", &h->release_name, err);
	if (strcmp(k, "namespace") == 0)
		return parse_name(v, unit, k, namespace_ok, "a namespace name (DNS-1123 label)",
				  &h->namespace_, err);
	return parse_name(v, unit, k, kube_version_ok, "a version like 1.32 or v1.32.0",
			  &h->kube_version, err);
}

static int known_key(const char *k)
{
	size_t i;

	for (i = 0; i < HELM_NKEYS; i++)
		if (strcmp(k, helm_keys[i]) == 0)
			return 1;
	return 0;
}

int ss_config_helm_parse(json_t *v, const char *unit_name, const char *unit_path,
			 struct ss_helm_config **out, char *field, size_t field_len,
			 struct ss_err *err)
{
	struct ss_helm_config *h = NULL;
	const char *k;
	json_t *e;
	int rc = 0;

	*out = NULL;
	if (!json_is_object(v))
		return ss_err_set(err, SS_E_INVAL, "unit %s: helm must be a mapping", unit_name);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	json_object_foreach(v, k, e) {
		size_t cut = field_add(field, field_len, k, 0);

		if (!known_key(k))
			rc = ss_err_set(err, SS_E_INVAL,
					"unit %s: unknown helm setting %s (known: chart, releaseName, "
					"namespace, valuesFiles, values, kubeVersion)", unit_name, k);
		else
			rc = helm_key(k, e, unit_name, unit_path, h, field, field_len, err);
		if (rc != 0)
			goto out;
		field[cut] = '\0';
	}
	if (h->chart == NULL) {
		rc = ss_err_set(err, SS_E_INVAL, "unit %s: helm needs a chart (a folder in the "
				"repository)", unit_name);
		goto out;
	}
	*out = h;
	h = NULL;
out:
	ss_config_helm_free(h);
	return rc;
}

static int is_exec_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The first executable `name` in $PATH, into buf. */
static int path_search(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue; /* an empty entry would mean the working folder: never */
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)(end - p), p, name) < len &&
		    buf[0] == '/' && is_exec_file(buf))
			return 0;
	}
	return SS_E_NOTFOUND;
}

static int any_helm_unit(const struct ss_config *c)
{
	size_t i;

	for (i = 0; i < c->nunits; i++)
		if (c->units[i].helm != NULL)
			return 1;
	return 0;
}

int ss_config_helm_resolve(struct ss_config *c, struct ss_err *err)
{
	char buf[HELM_PATH_MAX], *abs = NULL;

	if (!any_helm_unit(c))
		return 0;
	if (strchr(c->helm_bin, '/') == NULL) {
		if (path_search(c->helm_bin, buf, sizeof(buf)) != 0)
			return ss_err_set(err, SS_E_NOTFOUND,
					  "a unit has helm settings but %s is not on PATH; install "
					  "helm or give --helm PATH (render.helm)", c->helm_bin);
	} else if ((size_t)snprintf(buf, sizeof(buf), "%s", c->helm_bin) >= sizeof(buf))
		return ss_err_set(err, SS_E_LIMIT, "--helm: path too long");
	abs = realpath(buf, NULL);
	if (abs == NULL || !is_exec_file(abs)) {
		free(abs);
		return ss_err_set(err, SS_E_NOTFOUND, "--helm %s: not an executable file (%s)",
				  c->helm_bin, strerror(errno ? errno : EACCES));
	}
	free(c->helm_bin);
	c->helm_bin = abs;
	return 0;
}
