/*
 * kube_config.c: where the API server is and who we are to it.
 *
 * Two sources: a kubeconfig file (clusters, users, contexts,
 * current-context) or the in-cluster service account. Every file and
 * "-data" form is read once into memory, so the transport has one code
 * path (the curl _BLOB options); keys and tokens go to guarded memory.
 *
 * Refused, naming the field: exec and auth-provider users, basic auth
 * (gone from Kubernetes since 1.19), non-https servers, and
 * insecure-skip-tls-verify unless the caller allowed it explicitly.
 * tls-server-name and proxy-url are not supported either: quietly ignoring
 * them would connect somewhere else than the user meant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sealsync/file.h"
#include "sealsync/yaml.h"

#include "kube_int.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Copies a file into exact-size memory (guarded when secure). */
int kube_conn_read_blob(const char *path, int secure, unsigned char **out, size_t *len,
			struct ss_err *err)
{
	struct ss_buf b;
	unsigned char *p;
	int rc;

	*out = NULL;
	*len = 0;
	if (secure)
		ss_buf_init_secure(&b, KUBE_FILE_MAX);
	else
		ss_buf_init(&b, KUBE_FILE_MAX);
	rc = ss_file_read(path, &b, err);
	if (rc != 0)
		goto out;
	p = secure ? sodium_malloc(b.len + 1) : malloc(b.len + 1);
	if (p == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(p, ss_buf_str(&b), b.len + 1);
	*out = p;
	*len = b.len;
out:
	ss_buf_release(&b);
	return rc;
}

static void kc_free_blob(unsigned char **p, size_t len, int secure)
{
	if (*p == NULL)
		return;
	if (secure) {
		sodium_free(*p);
	} else {
		sodium_memzero(*p, len);
		free(*p);
	}
	*p = NULL;
}

void kube_conn_release(struct kube_conn *c)
{
	if (c == NULL)
		return;
	free(c->server);
	kc_free_blob(&c->ca, c->ca_len, 0);
	kc_free_blob(&c->cert, c->cert_len, 0);
	kc_free_blob(&c->key, c->key_len, 1);
	if (c->token != NULL)
		sodium_free(c->token);
	free(c->token_file);
	free(c->ns);
	memset(c, 0, sizeof(*c));
}

/* Loads a token file into guarded memory, trailing whitespace trimmed. */
static int kc_load_token(struct kube_conn *c, const char *path, struct ss_err *err)
{
	unsigned char *t;
	size_t len;
	int rc;

	rc = kube_conn_read_blob(path, 1, &t, &len, err);
	if (rc != 0)
		return rc;
	while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' ' ||
			   t[len - 1] == '\t'))
		t[--len] = '\0';
	if (len == 0 || memchr(t, '\n', len) != NULL) {
		sodium_free(t);
		ss_err_at(err, path, 0, -1);
		return ss_err_set(err, SS_E_INVAL, "token file must hold one non-empty line");
	}
	if (c->token != NULL)
		sodium_free(c->token);
	c->token = (char *)t;
	c->token_read_at = time(NULL);
	return 0;
}

int kube_conn_refresh_token(struct kube_conn *c, struct ss_err *err)
{
	time_t now = time(NULL);

	if (c->token_file == NULL)
		return 0;
	if (c->token != NULL && now >= c->token_read_at &&
	    now - c->token_read_at < KUBE_TOKEN_REREAD_S)
		return 0;
	return kc_load_token(c, c->token_file, err);
}

int kube_conn_set_server(struct kube_conn *c, const char *url, struct ss_err *err)
{
	size_t n;

	if (strncasecmp(url, "https://", 8) != 0 || url[8] == '\0' || url[8] == '/')
		return ss_err_set(err, strncasecmp(url, "http://", 7) == 0 ? SS_E_UNSUPPORTED
									    : SS_E_INVAL,
				  "the API server must be an https:// URL");
	if (strpbrk(url, " \t\r\n?#") != NULL)
		return ss_err_set(err, SS_E_INVAL, "the API server URL is malformed");
	c->server = strdup(url);
	if (c->server == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	n = strlen(c->server);
	while (n > 8 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	return 0;
}

int kube_conn_in_cluster(const char *sa_dir, const char *host, const char *port,
			 struct kube_conn *c, struct ss_err *err)
{
	char path[4096], url[512];
	unsigned char *ns = NULL;
	size_t len;
	int rc;

	memset(c, 0, sizeof(*c));
	if (host == NULL || *host == '\0' || port == NULL || *port == '\0')
		return ss_err_set(err, SS_E_INVAL, "no kubeconfig given and not in a cluster "
						   "(KUBERNETES_SERVICE_HOST/PORT unset)");
	snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
		 host, port);
	rc = kube_conn_set_server(c, url, err);
	if (rc != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	rc = kube_conn_read_blob(path, 0, &c->ca, &c->ca_len, err);
	if (rc != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/token", sa_dir);
	c->token_file = strdup(path);
	if (c->token_file == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = kc_load_token(c, c->token_file, err);
	if (rc != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	if (kube_conn_read_blob(path, 0, &ns, &len, NULL) == 0)
		ns[strcspn((char *)ns, " \r\n\t")] = '\0';
	c->ns = strdup(ns != NULL && ns[0] != '\0' ? (char *)ns : "default");
	if (c->ns == NULL)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
out:
	free(ns);
	if (rc != 0)
		kube_conn_release(c);
	return rc;
}

int kube_conn_load(const struct ss_kube_opts *o, struct kube_conn *c, struct ss_err *err)
{
	struct ss_docset *docs = NULL;
	json_t *root = NULL;
	char *copy = NULL, *slash;
	int rc;

	memset(c, 0, sizeof(*c));
	if (o->kubeconfig == NULL)
		return kube_conn_in_cluster(SA_DIR, getenv("KUBERNETES_SERVICE_HOST"),
					    getenv("KUBERNETES_SERVICE_PORT"), c, err);
	rc = kube_config_read_tree(o->kubeconfig, &root, &docs, err);
	if (rc != 0)
		return rc;
	copy = strdup(o->kubeconfig);
	if (copy == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(copy, '/');
	if (slash == NULL)
		strcpy(copy, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = kube_conn_from_tree(root, o->kubeconfig, copy, o->context, o->allow_insecure, c,
				 err);
	if (rc != 0)
		kube_config_err_line(docs, err);
out:
	free(copy);
	ss_docset_free(docs);
	return rc;
}
