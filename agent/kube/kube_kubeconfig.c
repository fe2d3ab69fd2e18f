/*
 * kube_kubeconfig.c: the kubeconfig tree → struct kube_conn.
 *
 * Follows client-go's rules for the parts we support: the context
 * (given, else current-context) names a cluster and a user; "-data"
 * fields win over their file forms; relative paths are relative to the
 * kubeconfig's folder. Every error names the kubeconfig and the field as
 * "users[1].user.client-key-data".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sealsync/file.h"

#include "kube_int.h"

struct kc {
	const char *path;  /* for errors */
	const char *dir;   /* for relative paths */
	struct ss_err *err;
	char field[SS_ERR_NAME_MAX];
};

static int kc_fail(struct kc *kc, int code, const char *sub, const char *what)
{
	char field[SS_ERR_NAME_MAX + 64];

	snprintf(field, sizeof(field), "%s%s%.60s", kc->field, *sub ? "." : "", sub);
	ss_err_set(kc->err, code, "%s", what);
	ss_err_at(kc->err, kc->path, 0, -1);
	ss_err_field(kc->err, field, NULL);
	return code;
}

/* Finds entry "name" in list `key` (clusters/users/contexts); sets kc->field. */
static int kc_find(struct kc *kc, const json_t *root, const char *key, const char *inner,
		   const char *name, const json_t **out)
{
	const json_t *list = json_object_get(root, key), *e;
	char msg[SS_ERR_MSG_MAX];
	size_t i;

	*out = NULL;
	json_array_foreach (list, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n != NULL && strcmp(n, name) == 0) {
			snprintf(kc->field, sizeof(kc->field), "%s[%zu].%s", key, i, inner);
			*out = json_object_get(e, inner);
			if (!json_is_object(*out))
				return kc_fail(kc, SS_E_INVAL, "", "missing or not a mapping");
			return 0;
		}
	}
	snprintf(kc->field, sizeof(kc->field), "%s", key);
	snprintf(msg, sizeof(msg), "no %.*s named \"%s\"", (int)strlen(key) - 1, key, name);
	return kc_fail(kc, SS_E_NOTFOUND, "", msg);
}

static const char *kc_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

/* A YAML boolean true; a quoted "true" too, since reading it as false
 * would be the unsafe direction for insecure-skip-tls-verify. */
static int kc_true(const json_t *o, const char *key)
{
	static const char *const yes[] = {"true", "yes", "on", "y"};
	const char *s = kc_str(o, key);
	size_t i;

	if (json_is_true(json_object_get(o, key)))
		return 1;
	for (i = 0; s != NULL && i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	return 0;
}

static int kc_base64(struct kc *kc, const char *sub, const char *b64, int secure,
		     unsigned char **out, size_t *len)
{
	size_t n = strlen(b64), cap = n / 4 * 3 + 3;
	unsigned char *p = secure ? sodium_malloc(cap + 1) : malloc(cap + 1);

	if (p == NULL)
		return kc_fail(kc, SS_E_NOMEM, sub, "out of memory");
	if (sodium_base642bin(p, cap, b64, n, " \r\n\t", len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || *len == 0) {
		if (secure)
			sodium_free(p);
		else
			free(p);
		return kc_fail(kc, SS_E_INVAL, sub, "not valid base64");
	}
	p[*len] = '\0';
	*out = p;
	return 0;
}

static int kc_path(struct kc *kc, const char *sub, const char *rel, char *buf, size_t cap)
{
	int n = rel[0] == '/' ? snprintf(buf, cap, "%s", rel)
			      : snprintf(buf, cap, "%s/%s", kc->dir, rel);

	if (n < 0 || (size_t)n >= cap)
		return kc_fail(kc, SS_E_LIMIT, sub, "path too long");
	return 0;
}

/* Reads "<name>-data" (base64) or "<name>" (a file path), if present. */
static int kc_blob(struct kc *kc, const json_t *o, const char *name, int secure,
		   unsigned char **out, size_t *len)
{
	char key[64], path[4096];
	const char *v;
	struct ss_err sub;
	int rc;

	snprintf(key, sizeof(key), "%s-data", name);
	v = kc_str(o, key);
	if (v != NULL)
		return kc_base64(kc, key, v, secure, out, len);
	v = kc_str(o, name);
	if (v == NULL)
		return 0;
	rc = kc_path(kc, name, v, path, sizeof(path));
	if (rc != 0)
		return rc;
	ss_err_clear(&sub);
	rc = kube_conn_read_blob(path, secure, out, len, &sub);
	if (rc != 0) {
		char msg[SS_ERR_MSG_MAX + 300];

		snprintf(msg, sizeof(msg), "%.250s: %s", path, sub.msg);
		return kc_fail(kc, rc, name, msg);
	}
	return 0;
}

static int kc_cluster(struct kc *kc, const json_t *cl, int allow_insecure, struct kube_conn *c)
{
	const char *server = kc_str(cl, "server");
	struct ss_err sub;
	int rc;

	if (server == NULL)
		return kc_fail(kc, SS_E_INVAL, "server", "missing");
	ss_err_clear(&sub);
	rc = kube_conn_set_server(c, server, &sub);
	if (rc != 0)
		return kc_fail(kc, rc, "server", sub.msg);
	if (kc_str(cl, "tls-server-name") != NULL || kc_str(cl, "proxy-url") != NULL)
		return kc_fail(kc, SS_E_UNSUPPORTED,
			       kc_str(cl, "proxy-url") ? "proxy-url" : "tls-server-name",
			       "not supported");
	if (kc_true(cl, "insecure-skip-tls-verify")) {
		if (!allow_insecure)
			return kc_fail(kc, SS_E_PERM, "insecure-skip-tls-verify",
				       "TLS verification is never skipped without the explicit "
				       "insecure flag");
		c->insecure = 1;
	}
	return kc_blob(kc, cl, "certificate-authority", 0, &c->ca, &c->ca_len);
}

static int kc_user(struct kc *kc, const json_t *u, struct kube_conn *c)
{
	static const char *const unsupported[] = {"exec", "auth-provider", "username",
						  "password", "as", "act-as"};
	const char *v;
	char path[4096];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (json_object_get(u, unsupported[i]) != NULL &&
		    !json_is_null(json_object_get(u, unsupported[i])))
			return kc_fail(kc, SS_E_UNSUPPORTED, unsupported[i], "not supported");
	rc = kc_blob(kc, u, "client-certificate", 0, &c->cert, &c->cert_len);
	if (rc == 0)
		rc = kc_blob(kc, u, "client-key", 1, &c->key, &c->key_len);
	if (rc != 0)
		return rc;
	if ((c->cert == NULL) != (c->key == NULL))
		return kc_fail(kc, SS_E_INVAL, c->cert ? "client-key-data" : "client-certificate-data",
			       "a client certificate needs its key and a key its certificate");
	if ((v = kc_str(u, "token")) != NULL) {
		c->token = sodium_malloc(strlen(v) + 1);
		if (c->token == NULL)
			return kc_fail(kc, SS_E_NOMEM, "token", "out of memory");
		memcpy(c->token, v, strlen(v) + 1);
	} else if ((v = kc_str(u, "tokenFile")) != NULL) {
		rc = kc_path(kc, "tokenFile", v, path, sizeof(path));
		if (rc != 0)
			return rc;
		c->token_file = strdup(path);
		if (c->token_file == NULL)
			return kc_fail(kc, SS_E_NOMEM, "tokenFile", "out of memory");
	}
	return 0;
}

/* Picks the context and sets c->ns; returns the cluster and user names. */
static int kc_context(struct kc *kc, const json_t *root, const char *context,
		      struct kube_conn *c, const char **cluster, const char **user)
{
	const json_t *ctx;
	const char *ns;
	int rc;

	if (context == NULL)
		context = kc_str(root, "current-context");
	if (context == NULL) {
		snprintf(kc->field, sizeof(kc->field), "current-context");
		return kc_fail(kc, SS_E_INVAL, "", "missing, and no context was given");
	}
	rc = kc_find(kc, root, "contexts", "context", context, &ctx);
	if (rc != 0)
		return rc;
	*cluster = kc_str(ctx, "cluster");
	*user = kc_str(ctx, "user");
	if (*cluster == NULL)
		return kc_fail(kc, SS_E_INVAL, "cluster", "missing");
	ns = kc_str(ctx, "namespace");
	c->ns = strdup(ns != NULL ? ns : "default");
	if (c->ns == NULL)
		return kc_fail(kc, SS_E_NOMEM, "namespace", "out of memory");
	return 0;
}

int kube_conn_from_tree(const json_t *root, const char *path, const char *dir,
			const char *context, int allow_insecure, struct kube_conn *c,
			struct ss_err *err)
{
	struct kc kc = {path, dir, err, ""};
	const json_t *cl, *u;
	const char *cluster = NULL, *user = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = kc_context(&kc, root, context, c, &cluster, &user);
	if (rc == 0)
		rc = kc_find(&kc, root, "clusters", "cluster", cluster, &cl);
	if (rc == 0)
		rc = kc_cluster(&kc, cl, allow_insecure, c);
	/* A context without a user is anonymous, as in client-go. */
	if (rc == 0 && user != NULL)
		rc = kc_find(&kc, root, "users", "user", user, &u);
	if (rc == 0 && user != NULL)
		rc = kc_user(&kc, u, c);
	if (rc == 0 && c->token_file != NULL) {
		struct ss_err sub;

		ss_err_clear(&sub);
		rc = kube_conn_refresh_token(c, &sub);
		if (rc != 0) {
			char msg[SS_ERR_MSG_MAX + 300];

			snprintf(msg, sizeof(msg), "%.250s: %s", c->token_file, sub.msg);
			rc = kc_fail(&kc, rc, "tokenFile", msg);
		}
	}
	if (rc != 0)
		kube_conn_release(c);
	return rc;
}
