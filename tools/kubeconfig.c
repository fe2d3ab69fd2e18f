/* kubeconfig.c: sealctl's kubeconfig reader and API GET (see kubeconfig.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "curl_dl.h"
#include "kubeconfig.h"
#include "sealsync/file.h"
#include "sealsync/yaml.h"

#define KC_FILE_MAX (4u << 20)
#define KC_EXEC_OUT_MAX (1u << 20)
#define KC_RESP_MAX (8u << 20)
#define KC_EXEC_TIMEOUT_MS 60000

struct kc_ctx {
	const char *file;
	char dir[4096];        /* the file's folder: relative paths start here */
	json_t *cluster, *user; /* borrowed from the document */
};

/* The entry of list key (clusters, users, contexts) whose name is name. */
static json_t *named(json_t *root, const char *key, const char *name, const char *what)
{
	json_t *list = json_object_get(root, key), *e;
	size_t i;

	(void)what;
	json_array_foreach(list, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return json_object_get(e, what);
	}
	return NULL;
}

/* A path as the kubeconfig means it: relative ones to its folder. */
static int resolve(const struct kc_ctx *c, const char *p, char *out, size_t cap,
		   struct ss_err *err)
{
	int n = p[0] == '/' ? snprintf(out, cap, "%s", p) : snprintf(out, cap, "%s/%s", c->dir, p);

	if (n < 0 || (size_t)n >= cap)
		return ss_err_set(err, SS_E_LIMIT, "%s: path %s is too long", c->file, p);
	return 0;
}

/* field "<name>-data" (base64) or "<name>" (a file) of obj into out. */
static int data_or_file(const struct kc_ctx *c, json_t *obj, const char *name, struct ss_buf *out,
			struct ss_err *err)
{
	char key[128], path[4096];
	const char *b64, *file;
	size_t len;
	int rc;

	snprintf(key, sizeof(key), "%s-data", name);
	b64 = json_string_value(json_object_get(obj, key));
	file = json_string_value(json_object_get(obj, name));
	if (b64 != NULL) {
		if ((rc = ss_buf_reserve(out, strlen(b64))) != 0)
			return ss_err_set(err, rc, "%s: %s is too large", c->file, key);
		if (sodium_base642bin(out->data, out->cap, b64, strlen(b64), "\n\r ", &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0)
			return ss_err_set(err, SS_E_INVAL, "%s: %s is not base64", c->file, key);
		out->len = len;
		return 0;
	}
	if (file == NULL)
		return 0;
	rc = resolve(c, file, path, sizeof(path), err);
	if (rc == 0)
		rc = ss_file_read(path, out, err);
	if (rc != 0)
		ss_err_prefix(err, "%s: %s", c->file, name);
	return rc;
}

static int load_cluster(struct kc_ctx *c, struct sealctl_kube *k, struct ss_err *err)
{
	const char *server = json_string_value(json_object_get(c->cluster, "server"));

	if (server == NULL)
		return ss_err_set(err, SS_E_INVAL, "%s: context %s: its cluster has no server",
				  c->file, k->context);
	if (strncmp(server, "https://", 8) != 0)
		return ss_err_set(err, SS_E_USAGE, "%s: server %s is not https: the recipients "
				  "would not be authenticated", c->file, server);
	if (json_is_true(json_object_get(c->cluster, "insecure-skip-tls-verify")))
		return ss_err_set(err, SS_E_USAGE, "%s: context %s sets insecure-skip-tls-verify: "
				  "refused, the recipients would not be authenticated; give the "
				  "cluster's certificate-authority", c->file, k->context);
	snprintf(k->server, sizeof(k->server), "%s", server);
	if (k->server[0] != '\0' && k->server[strlen(k->server) - 1] == '/')
		k->server[strlen(k->server) - 1] = '\0';
	return data_or_file(c, c->cluster, "certificate-authority", &k->ca, err);
}

/* ExecCredential status: a token, or a client certificate and key. */
static int exec_result(const char *cmd, struct ss_buf *out, struct sealctl_kube *k,
		       struct ss_err *err)
{
	json_error_t je;
	json_t *doc, *st;
	const char *tok, *cert, *key;
	int rc = 0;

	doc = json_loadb((const char *)out->data, out->len, 0, &je);
	st = json_object_get(doc, "status");
	tok = json_string_value(json_object_get(st, "token"));
	cert = json_string_value(json_object_get(st, "clientCertificateData"));
	key = json_string_value(json_object_get(st, "clientKeyData"));
	if (tok != NULL && tok[0] != '\0') {
		rc = ss_buf_puts(&k->token, tok);
	} else if (cert != NULL && key != NULL) {
		rc = ss_buf_puts(&k->cert, cert);
		if (rc == 0)
			rc = ss_buf_puts(&k->key, key);
	} else {
		json_decref(doc);
		return ss_err_set(err, SS_E_INVAL, "credential plugin %s: no status.token (nor "
				  "clientCertificateData and clientKeyData) in its ExecCredential "
				  "output", cmd);
	}
	if (rc != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "credential plugin %s: credential too large", cmd);
	json_decref(doc);
	return rc;
}

/* In the child: the plugin's environment, stdin from /dev/null, stdout to
 * fd; never returns. */
static void exec_child(const char *cmd, char **argv, json_t *env, const char *api, int fd)
{
	char info[512];
	json_t *e;
	size_t i;
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		_exit(127);
	json_array_foreach(env, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		const char *v = json_string_value(json_object_get(e, "value"));

		if (n != NULL && v != NULL && setenv(n, v, 1) != 0)
			_exit(127);
	}
	snprintf(info, sizeof(info), "{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
		 "\"spec\":{\"interactive\":false}}", api);
	if (setenv("KUBERNETES_EXEC_INFO", info, 1) != 0)
		_exit(127);
	execvp(cmd, argv);
	fprintf(stderr, "sealctl: cannot run credential plugin %s: %s\n", cmd, strerror(errno));
	_exit(127);
}

/* Reads the plugin's stdout to EOF (capped, with a deadline). */
static int exec_read(int fd, const char *cmd, struct ss_buf *out, struct ss_err *err)
{
	struct pollfd p = {fd, POLLIN, 0};
	unsigned char chunk[4096];
	ssize_t n;

	for (;;) {
		int r = poll(&p, 1, KC_EXEC_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ss_err_set(err, SS_E_IO, "credential plugin %s: no answer in %d s", cmd,
					  KC_EXEC_TIMEOUT_MS / 1000);
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ss_buf_append(out, chunk, (size_t)n) != 0) {
			sodium_memzero(chunk, sizeof(chunk));
			return ss_err_set(err, SS_E_LIMIT, "credential plugin %s: output too large", cmd);
		}
	}
	sodium_memzero(chunk, sizeof(chunk));
	return 0;
}

static int run_exec(struct kc_ctx *c, json_t *ex, struct sealctl_kube *k, struct ss_err *err)
{
	const char *cmd = json_string_value(json_object_get(ex, "command")), *api;
	char *argv[66], path[4096];
	struct ss_buf out;
	json_t *a;
	size_t i;
	int fds[2], status = 0, rc;
	pid_t pid;

	api = json_string_value(json_object_get(ex, "apiVersion"));
	if (cmd == NULL)
		return ss_err_set(err, SS_E_INVAL, "%s: user exec has no command", c->file);
	if (strchr(cmd, '/') != NULL) { /* a path: relative to the kubeconfig, as kubectl does */
		if (resolve(c, cmd, path, sizeof(path), err) != 0)
			return SS_E_LIMIT;
		cmd = path;
	}
	argv[0] = (char *)cmd;
	json_array_foreach(json_object_get(ex, "args"), i, a) {
		if (i >= 64 || json_string_value(a) == NULL)
			return ss_err_set(err, SS_E_INVAL, "%s: exec args: at most 64 strings", c->file);
		argv[i + 1] = (char *)json_string_value(a);
	}
	argv[json_array_size(json_object_get(ex, "args")) + 1] = NULL;
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return ss_err_set(err, SS_E_IO, "cannot start credential plugin %s", cmd);
	if (pid == 0) {
		close(fds[0]);
		exec_child(cmd, argv, json_object_get(ex, "env"),
			   api ? api : "client.authentication.k8s.io/v1", fds[1]);
	}
	close(fds[1]);
	ss_buf_init_secure(&out, KC_EXEC_OUT_MAX);
	rc = exec_read(fds[0], cmd, &out, err);
	close(fds[0]);
	if (rc != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = ss_err_set(err, SS_E_IO, "credential plugin %s failed (exit status %d); run it "
				"yourself to see why", cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (rc == 0)
		rc = exec_result(cmd, &out, k, err);
	ss_buf_release(&out);
	return rc;
}

static int load_user(struct kc_ctx *c, struct sealctl_kube *k, struct ss_err *err)
{
	const char *tok = json_string_value(json_object_get(c->user, "token"));
	const char *tokfile = json_string_value(json_object_get(c->user, "tokenFile"));
	json_t *ex = json_object_get(c->user, "exec");
	char path[4096];
	int rc;

	if (c->user == NULL)
		return 0; /* anonymous: the API server decides */
	if (tok != NULL)
		return ss_buf_puts(&k->token, tok) == 0 ? 0 :
			ss_err_set(err, SS_E_LIMIT, "%s: token too large", c->file);
	if (tokfile != NULL) {
		rc = resolve(c, tokfile, path, sizeof(path), err);
		if (rc == 0)
			rc = ss_file_read(path, &k->token, err);
		while (rc == 0 && k->token.len > 0 &&
		       (k->token.data[k->token.len - 1] == '\n' || k->token.data[k->token.len - 1] == '\r'))
			k->token.len--;
		return rc;
	}
	if (ex != NULL)
		return run_exec(c, ex, k, err);
	rc = data_or_file(c, c->user, "client-certificate", &k->cert, err);
	if (rc == 0)
		rc = data_or_file(c, c->user, "client-key", &k->key, err);
	return rc;
}

/* The file: --kubeconfig, else $KUBECONFIG's first entry, else ~/.kube/config. */
static void pick_file(const char *path, char *out, size_t cap)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

	if (path != NULL)
		snprintf(out, cap, "%s", path);
	else if (env != NULL && env[0] != '\0')
		snprintf(out, cap, "%.*s", (int)strcspn(env, ":"), env);
	else
		snprintf(out, cap, "%s/.kube/config", home != NULL ? home : "");
}

static int pick_context(json_t *root, const char *file, const char *want, struct sealctl_kube *k,
			struct kc_ctx *c, struct ss_err *err)
{
	const char *name = want ? want : json_string_value(json_object_get(root, "current-context"));
	json_t *ctx;
	const char *cl, *user;

	if (name == NULL || name[0] == '\0')
		return ss_err_set(err, SS_E_USAGE, "%s has no current-context: give --context NAME",
				  file);
	snprintf(k->context, sizeof(k->context), "%s", name);
	ctx = named(root, "contexts", name, "context");
	if (ctx == NULL)
		return ss_err_set(err, SS_E_NOTFOUND, "%s: no context named %s", file, name);
	cl = json_string_value(json_object_get(ctx, "cluster"));
	user = json_string_value(json_object_get(ctx, "user"));
	c->cluster = cl ? named(root, "clusters", cl, "cluster") : NULL;
	c->user = user ? named(root, "users", user, "user") : NULL;
	if (c->cluster == NULL)
		return ss_err_set(err, SS_E_NOTFOUND, "%s: context %s: no cluster named %s", file,
				  name, cl ? cl : "(none)");
	if (user != NULL && c->user == NULL)
		return ss_err_set(err, SS_E_NOTFOUND, "%s: context %s: no user named %s", file, name,
				  user);
	return 0;
}

int sealctl_kube_load(const char *path, const char *context, struct sealctl_kube *k,
		      struct ss_err *err)
{
	char file[4096], dir[4096];
	struct ss_yaml_limits lim;
	struct ss_docset *ds = NULL;
	struct ss_buf text;
	struct kc_ctx c;
	int rc;

	memset(k, 0, sizeof(*k));
	ss_buf_init(&k->ca, 1u << 20);
	ss_buf_init_secure(&k->token, 64u << 10);
	ss_buf_init(&k->cert, 1u << 20);
	ss_buf_init_secure(&k->key, 1u << 20);
	ss_buf_init_secure(&text, KC_FILE_MAX); /* it may hold tokens and keys */
	pick_file(path, file, sizeof(file));
	memset(&c, 0, sizeof(c));
	c.file = file;
	snprintf(dir, sizeof(dir), "%s", file);
	snprintf(c.dir, sizeof(c.dir), "%s", dirname(dir));
	rc = ss_file_read(file, &text, err);
	if (rc != 0)
		goto out;
	ss_yaml_limits_default(&lim);
	rc = ss_yaml_load(file, text.data, text.len, &lim, &ds, err);
	if (rc == 0 && (ss_docset_count(ds) != 1 || !json_is_object(ss_docset_get(ds, 0))))
		rc = ss_err_set(err, SS_E_INVAL, "%s is not a kubeconfig (one mapping)", file);
	if (rc == 0)
		rc = pick_context(ss_docset_get(ds, 0), file, context, k, &c, err);
	if (rc == 0)
		rc = load_cluster(&c, k, err);
	if (rc == 0)
		rc = load_user(&c, k, err);
out:
	ss_docset_free(ds);
	ss_buf_release(&text);
	if (rc != 0)
		sealctl_kube_release(k);
	return rc;
}

void sealctl_kube_release(struct sealctl_kube *k)
{
	ss_buf_release(&k->ca);
	ss_buf_release(&k->token);
	ss_buf_release(&k->cert);
	ss_buf_release(&k->key);
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	return ss_buf_append(ctx, p, size * n) == 0 ? size * n : 0;
}

/* TLS and credentials on c; hdr gets the Authorization header (secure). */
static int kube_setopts(const struct sealctl_curl *cu, CURL *c, const struct sealctl_kube *k,
			struct ss_buf *hdr)
{
	struct curl_blob ca = {k->ca.data, k->ca.len, CURL_BLOB_NOCOPY};
	struct curl_blob cert = {k->cert.data, k->cert.len, CURL_BLOB_NOCOPY};
	struct curl_blob key = {k->key.data, k->key.len, CURL_BLOB_NOCOPY};

	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (k->ca.len > 0)
		cu->easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	if (k->cert.len > 0 && k->key.len > 0) {
		cu->easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
		cu->easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
		cu->easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		cu->easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (k->token.len == 0)
		return 0;
	if (ss_buf_puts(hdr, "Authorization: Bearer ") != 0 ||
	    ss_buf_append(hdr, k->token.data, k->token.len) != 0 || ss_buf_putc(hdr, '\0') != 0)
		return SS_E_LIMIT;
	return 0;
}

int sealctl_kube_get(const struct sealctl_kube *k, const char *path, long *status,
		     struct ss_buf *resp, struct ss_err *err)
{
	char url[2048], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *h;
	const struct sealctl_curl *cu;
	struct ss_buf auth;
	CURLcode cc;
	CURL *c;
	int rc;

	*status = 0;
	snprintf(url, sizeof(url), "%s%s", k->server, path);
	if ((rc = sealctl_curl_load(&cu, err)) != 0)
		return rc;
	if ((c = cu->easy_init()) == NULL)
		return ss_err_set(err, SS_E_NOMEM, "cannot start libcurl");
	ss_buf_init_secure(&auth, 128u << 10);
	rc = kube_setopts(cu, c, k, &auth);
	hdrs = cu->slist_append(NULL, "Accept: application/json");
	h = hdrs;
	if (hdrs != NULL && auth.len > 0) /* libcurl copies it: freed, not wiped */
		h = cu->slist_append(hdrs, (const char *)auth.data);
	if (rc != 0 || h == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, resp);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cc = cu->easy_perform(c);
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
		rc = ss_err_set(err, SS_E_PERM, "%s: TLS verification against the kubeconfig's "
				"certificate-authority failed: %s", k->server, cerr);
	else if (cc != CURLE_OK)
		rc = ss_err_set(err, SS_E_NET, "%s: %s", k->server,
				cerr[0] ? cerr : cu->easy_strerror(cc));
out:
	cu->slist_free_all(hdrs);
	cu->easy_cleanup(c);
	ss_buf_release(&auth);
	return rc;
}
