/*
 * kube_url.c: REST paths of the Kubernetes API.
 *
 *   core:   /api/v1[/namespaces/NS]/RESOURCE[/NAME]
 *   groups: /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME]
 *
 * Names and namespaces come from Git, so they are validated before they
 * reach a URL (no "/", "%", "..": a name must not walk to another
 * resource) and percent-encoded anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

int kube_valid_namespace(const char *ns)
{
	size_t i, n = ns != NULL ? strlen(ns) : 0;

	/* RFC 1123 label, as Kubernetes requires of namespaces. */
	if (n == 0 || n > 63 || ns[0] == '-' || ns[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((ns[i] >= 'a' && ns[i] <= 'z') || (ns[i] >= '0' && ns[i] <= '9') ||
		      ns[i] == '-'))
			return 0;
	return 1;
}

int kube_valid_name(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	/* Looser than DNS-1123: RBAC names hold ':' ("system:auth-delegator").
	 * The server validates the rest; we only keep the path intact. */
	if (n == 0 || n > 253 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f ||
		    name[i] == '/' || name[i] == '%')
			return 0;
	return 1;
}

int kube_url_escape(struct ss_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			rc = ss_buf_putc(out, c);
		else
			rc = ss_buf_printf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return rc;
}

static int valid_api_version(const char *v)
{
	size_t i, slashes = 0, n = strlen(v);

	if (n == 0 || n > 253 || v[0] == '/' || v[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] == '/')
			slashes++;
		else if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
			   v[i] == '-' || v[i] == '.'))
			return 0;
	}
	return slashes <= 1;
}

int kube_url_path(struct ss_buf *out, const char *api_version, const char *resource,
		  const char *ns, const char *name, struct ss_err *err)
{
	int rc;

	if (api_version == NULL || !valid_api_version(api_version))
		return ss_err_set(err, SS_E_INVAL, "invalid apiVersion");
	if (ns != NULL && !kube_valid_namespace(ns))
		return ss_err_set(err, SS_E_INVAL, "invalid namespace \"%.63s\"", ns);
	if (name != NULL && !kube_valid_name(name))
		return ss_err_set(err, SS_E_INVAL, "invalid name \"%.253s\"", name);
	if (resource == NULL || !valid_api_version(resource) || strchr(resource, '/') != NULL)
		return ss_err_set(err, SS_E_INVAL, "invalid resource");
	rc = ss_buf_printf(out, "/%s/%s", strchr(api_version, '/') ? "apis" : "api", api_version);
	if (rc == 0 && ns != NULL)
		rc = ss_buf_printf(out, "/namespaces/%s", ns);
	if (rc == 0)
		rc = ss_buf_printf(out, "/%s", resource);
	if (rc == 0 && name != NULL)
		rc = ss_buf_putc(out, '/');
	if (rc == 0 && name != NULL)
		rc = kube_url_escape(out, name);
	if (rc != 0)
		return ss_err_set(err, rc, "cannot build the URL: %s", ss_strerror(rc));
	return 0;
}

char *kube_url_join(const struct ss_kube *k, const char *path)
{
	size_t a = strlen(k->conn.server), b = strlen(path);
	char *s = malloc(a + b + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, k->conn.server, a);
	memcpy(s + a, path, b + 1);
	return s;
}
