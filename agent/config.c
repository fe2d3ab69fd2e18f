/* config.c: the agent's configuration from a YAML file and flags. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "config_int.h"
#include "sealsync/buf.h"
#include "sealsync/config.h"
#include "sealsync/file.h"
#include "sealsync/yaml.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

/* gcc 12's analyzer loses a store through field_set's computed
 * (char *)c + offset and reports the new string as leaked; *dst owns it. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int set_str(char **dst, const char *v)
{
	char *copy = NULL;

	if (v != NULL && (copy = strdup(v)) == NULL)
		return SS_E_NOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}
#pragma GCC diagnostic pop

int ss_config_init(struct ss_config *c)
{
	int rc = 0;

	memset(c, 0, sizeof(*c));
	rc |= set_str(&c->name, "sealsync");
	rc |= set_str(&c->namespace_, "sealsync-system");
	rc |= set_str(&c->cache_dir, "/var/cache/sealsync");
	rc |= set_str(&c->ref, "main");
	rc |= set_str(&c->field_manager, "sealsync");
	rc |= set_str(&c->listen, "");
	rc |= set_str(&c->log_level, "info");
	rc |= set_str(&c->log_format, "json");
	c->interval_sec = 60;
	c->resync_sec = 3600;
	c->timeout_sec = 60;
	c->key_renew_sec = 30 * 24 * 3600;
	c->concurrency = 8;
	c->prune = 1;
	c->max_retries = 5;
	c->http_max_body_kib = 4096;
	c->http_posts_per_minute = 60;
	c->http_body_budget_kib = 16384;
	c->http_header_timeout_sec = 10;
	c->http_request_timeout_sec = 30;
	rc |= set_str(&c->probe_listen, "");
	c->leader_election = 1;
	c->notify_queue = 256;
	rc |= set_str(&c->helm_bin, "helm");
	c->render_timeout_sec = 60;
	c->render_memory_mib = 4096;
	return rc != 0 ? SS_E_NOMEM : 0;
}

static void notify_release(struct ss_notify_target_config *t)
{
	free(t->name);
	free(t->type);
	free(t->url_file);
	free(t->secret_file);
	free(t->ca_file);
	memset(t, 0, sizeof(*t));
}

static void unit_release(struct ss_unit_config *u)
{
	free(u->name);
	free(u->path);
	free(u->namespace_);
	config_unit_health_release(u);
	ss_config_unit_tenancy_release(u);
	ss_config_helm_free(u->helm);
	memset(u, 0, sizeof(*u));
}

void ss_config_release(struct ss_config *c)
{
	size_t i;
	char **strs[] = {&c->name, &c->namespace_, &c->cache_dir, &c->repo_url, &c->ref,
			 &c->token_file, &c->username, &c->password_file, &c->ssh_key_file,
			 &c->known_hosts_file, &c->ca_file, &c->allowed_signers_file,
			 &c->identities_file, &c->identities_dir, &c->kubeconfig, &c->context,
			 &c->render, &c->field_manager, &c->listen, &c->webhook_secret_file,
			 &c->log_level, &c->log_format, &c->tls_cert_file, &c->tls_key_file,
			 &c->retired_keys, &c->probe_listen, &c->allow_rewind_to,
			 &c->import_bitnami, &c->bitnami_namespace, &c->bitnami_selector,
			 &c->diff_local, &c->shard, &c->default_sa, &c->helm_bin};

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	free(c->render_kustomize);
	free(c->render_socket);
	free(c->render_server);
	c->render_kustomize = c->render_socket = c->render_server = NULL;
	for (i = 0; i < c->nunits; i++)
		unit_release(&c->units[i]);
	for (i = 0; i < c->nextra_recipients; i++)
		free(c->extra_recipients[i]);
	for (i = 0; i < c->nnotify; i++)
		notify_release(&c->notify[i]);
	c->nunits = 0;
	c->nextra_recipients = 0;
	c->nnotify = 0;
}

int ss_config_parse_duration(const char *s, unsigned *out)
{
	unsigned long total = 0, v;
	char *end;

	if (s == NULL || *s == '\0')
		return SS_E_INVAL;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return SS_E_INVAL;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno != 0 || v > 100000000UL)
			return SS_E_INVAL;
		switch (*end) {
		case 'h': v *= 3600; end++; break;
		case 'm': v *= 60; end++; break;
		case 's': end++; break;
		case '\0': break;
		default: return SS_E_INVAL;
		}
		total += v;
		if (total > 10UL * 365 * 24 * 3600)
			return SS_E_INVAL;
		s = end;
	}
	*out = (unsigned)total;
	return 0;
}

/* One table serves the file (dotted path) and the flags (long name). */
enum field_type { F_STR, F_BOOL, F_DUR, F_UINT };

struct field {
	const char *path;  /* in the YAML file; NULL: flag only */
	const char *flag;  /* long option; NULL: file only */
	enum field_type type;
	size_t off;
	const char *help;
};

#define OFF(m) offsetof(struct ss_config, m)
static const struct field fields[] = {
	{"name", "name", F_STR, OFF(name), "agent name (owner label prefix)"},
	{"namespace", "agent-namespace", F_STR, OFF(namespace_), "the agent's own namespace"},
	{"cacheDir", "cache-dir", F_STR, OFF(cache_dir), "folder for the bare Git cache"},
	{"suspend", "suspend", F_BOOL, OFF(suspend), "do not sync until resumed"},
	{"allowUnscoped", "allow-unscoped", F_BOOL, OFF(allow_unscoped),
	 "accept sealed values without a scope stanza (warns every sync)"},
	{"prune", NULL, F_BOOL, OFF(prune), "delete objects that left Git"},
	{"source.url", "repo", F_STR, OFF(repo_url), "Git remote URL"},
	{"source.ref", "ref", F_STR, OFF(ref), "branch, tag or commit"},
	{"source.interval", "interval", F_DUR, OFF(interval_sec), "poll interval"},
	{"source.resync", "resync", F_DUR, OFF(resync_sec),
	 "full re-apply of every object (0: every poll, no skipping)"},
	{"source.timeout", "timeout", F_DUR, OFF(timeout_sec), "deadline per Git operation"},
	{"source.insecure", "insecure", F_BOOL, OFF(insecure),
	 "allow git:// and http:// without a signature policy (warns every sync)"},
	{"source.allowRewind", "allow-rewind", F_BOOL, OFF(allow_rewind),
	 "accept a commit that does not descend from a unit's baseline (warns)"},
	{NULL, "allow-rewind-to", F_STR, OFF(allow_rewind_to),
	 "SHA: this one commit (40 hex) may roll units back, for an intended rollback"},
	{"source.auth.tokenFile", "token-file", F_STR, OFF(token_file), "https token file"},
	{"source.auth.username", "username", F_STR, OFF(username), "https basic user"},
	{"source.auth.passwordFile", "password-file", F_STR, OFF(password_file), "https password file"},
	{"source.auth.sshKeyFile", "ssh-key", F_STR, OFF(ssh_key_file), "ssh private key file"},
	{"source.auth.knownHostsFile", "known-hosts", F_STR, OFF(known_hosts_file), "ssh known_hosts"},
	{"source.auth.caFile", "git-ca-file", F_STR, OFF(ca_file), "CA bundle for https remotes"},
	{"source.verify.allowedSignersFile", "allowed-signers", F_STR, OFF(allowed_signers_file),
	 "require commits signed by these SSH keys (git allowed-signers format)"},
	{"keys.file", "identities", F_STR, OFF(identities_file), "age identity file"},
	{"keys.dir", "identities-dir", F_STR, OFF(identities_dir), "folder of age identity files"},
	{"keys.managed", "managed-keys", F_BOOL, OFF(keys_managed), "agent-managed key Secret"},
	{"keys.renewPeriod", "key-renew-period", F_DUR, OFF(key_renew_sec), "rotation period"},
	{"kube.kubeconfig", "kubeconfig", F_STR, OFF(kubeconfig), "kubeconfig (default: in-cluster)"},
	{"kube.context", "context", F_STR, OFF(context), "kubeconfig context"},
	{"kube.fieldManager", "field-manager", F_STR, OFF(field_manager), "server-side apply manager"},
	{"kube.concurrency", "concurrency", F_UINT, OFF(concurrency), "parallel API requests"},
	{"kube.maxRetries", "max-retries", F_UINT, OFF(max_retries), "retries per request"},
	{"http.listen", "listen", F_STR, OFF(listen), "HTTP listen address host:port"},
	{"http.webhookSecretFile", "webhook-secret", F_STR, OFF(webhook_secret_file),
	 "HMAC secret file for POST /hook"},
	{"log.level", "log-level", F_STR, OFF(log_level), "debug|info|warn|error"},
	{"log.format", "log-format", F_STR, OFF(log_format), "json|text"},
	{NULL, "render", F_STR, OFF(render), "render manifests to DIR or - and exit"},
	{NULL, "show-secrets", F_BOOL, OFF(show_secrets), "with --render -: print Secret values"},
	{NULL, "once", F_BOOL, OFF(once), "run one sync and exit with its result"},
	{NULL, "version", F_BOOL, OFF(show_version), "print the versions and exit"},
	{NULL, "no-sandbox", F_BOOL, OFF(no_sandbox),
	 "run the key holder without its seccomp sandbox (warns every sync)"},
	{"http.tlsCert", "tls-cert", F_STR, OFF(tls_cert_file), "PEM certificate for HTTPS"},
	{"http.tlsKey", "tls-key", F_STR, OFF(tls_key_file), "PEM private key for HTTPS"},
	{"http.tlsGenerate", "tls-generate", F_BOOL, OFF(tls_generate),
	 "HTTPS with a self-signed certificate made at start (pin in the recipients ConfigMap)"},
	{"http.maxBodyKiB", "http-max-body-kib", F_UINT, OFF(http_max_body_kib),
	 "request body cap in KiB"},
	{"http.postsPerMinute", "http-post-rate", F_UINT, OFF(http_posts_per_minute),
	 "POST requests per minute before 429, per bucket"},
	{"http.bodyBudgetKiB", "http-body-budget-kib", F_UINT, OFF(http_body_budget_kib),
	 "KiB all request bodies may hold at once before 503"},
	{"http.headerTimeout", "http-header-timeout", F_DUR, OFF(http_header_timeout_sec),
	 "absolute deadline for a request's headers"},
	{"http.requestTimeout", "http-request-timeout", F_DUR, OFF(http_request_timeout_sec),
	 "absolute deadline for a request's body and reply"},
	{"http.probeListen", "probe-listen", F_STR, OFF(probe_listen),
	 "plain-HTTP host:port serving only /healthz and /readyz"},
	{"leaderElection", "leader-election", F_BOOL, OFF(leader_election),
	 "hold a Lease so that one replica syncs"},
	{NULL, "no-leader-election", F_BOOL, OFF(no_leader_election), "single replica: no Lease"},
	{"keys.retired", "retired-keys", F_STR, OFF(retired_keys),
	 "comma-separated age1 keys kept but no longer used or advertised"},
	/* In-cluster import of Bitnami SealedSecrets (docs/MIGRATION.md). */
	{NULL, "import-bitnami", F_STR, OFF(import_bitnami),
	 "convert the Bitnami SealedSecrets of FILE (- stdin) with their controller's key "
	 "Secrets in the cluster; print ours and exit"},
	{NULL, "bitnami-namespace", F_STR, OFF(bitnami_namespace),
	 "namespace of Bitnami's key Secrets (default kube-system)"},
	{NULL, "bitnami-selector", F_STR, OFF(bitnami_selector),
	 "label selector of Bitnami's key Secrets (default sealedsecrets.bitnami.com/sealed-secrets-key)"},
	{NULL, "diff", F_BOOL, OFF(diff),
	 "print what the next sync would change and exit 0 (none), 1 (some) or 2 (error)"},
	{NULL, "local", F_STR, OFF(diff_local),
	 "with --diff: diff the working tree DIR (no key needed), not the Git source"},
	{"notifyQueue", "notify-queue", F_UINT, OFF(notify_queue),
	 "events queued per notification target; past it the oldest is dropped"},
	{"shard", "shard", F_STR, OFF(shard), "sync only the units whose shard is NAME"},
	{"defaultServiceAccount", "default-service-account", F_STR, OFF(default_sa),
	 "impersonate this ServiceAccount of the unit's namespace for units naming none"},
	{"render.helm", "helm", F_STR, OFF(helm_bin),
	 "helm binary for units with helm settings (PATH searched at start)"},
	{"render.kustomize", "kustomize", F_STR, OFF(render_kustomize),
	 "kustomize binary for kustomize units (default: kustomize on PATH)"},
	{"render.server", "render-socket", F_STR, OFF(render_socket),
	 "send render jobs to the render server on this Unix socket"},
	{"render.timeout", "render-timeout", F_DUR, OFF(render_timeout_sec),
	 "deadline of one render (kustomize build, helm template)"},
	{"render.memoryMiB", "render-memory-mib", F_UINT, OFF(render_memory_mib),
	 "address space cap of a rendering tool, MiB"},
	{NULL, "render-server", F_STR, OFF(render_server),
	 "run as the render server on SOCKET (a separate container) and nothing else"},
};
#undef OFF

static int field_set(struct ss_config *c, const struct field *f, const char *v,
		     struct ss_err *err)
{
	char *base = (char *)c + f->off;
	unsigned long n;
	char *end;

	switch (f->type) {
	case F_STR:
		return set_str((char **)(void *)base, v);
	case F_BOOL:
		if (v == NULL || strcmp(v, "true") == 0) {
			*(int *)(void *)base = 1;
			return 0;
		}
		if (strcmp(v, "false") == 0) {
			*(int *)(void *)base = 0;
			return 0;
		}
		return ss_err_set(err, SS_E_INVAL, "expected true or false");
	case F_DUR:
		if (ss_config_parse_duration(v, (unsigned *)(void *)base) != 0)
			return ss_err_set(err, SS_E_INVAL, "expected a duration like 30s, 5m or 1h");
		return 0;
	case F_UINT:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno != 0 || *end != '\0' || *v == '\0' || n > 100000)
			return ss_err_set(err, SS_E_INVAL, "expected a whole number");
		*(unsigned *)(void *)base = (unsigned)n;
		return 0;
	}
	return ss_err_set(err, SS_E_INTERNAL, "bad field type");
}

static const struct field *field_by_path(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].path != NULL && strcmp(fields[i].path, path) == 0)
			return &fields[i];
	return NULL;
}

/* The scalar text of a YAML value as the table wants it. */
static int scalar_text(json_t *v, char *buf, size_t len, const char **out)
{
	*out = NULL;
	if (json_is_string(v))
		*out = json_string_value(v);
	else if (json_is_boolean(v))
		*out = json_is_true(v) ? "true" : "false";
	else if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		*out = buf;
	} else
		return SS_E_INVAL;
	return 0;
}

/* Levenshtein distance of two short names (longer ones: far apart). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t row[65], i, j, la = strlen(a), lb = strlen(b), diag, up;

	if (la > 64 || lb > 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* The candidate nearest to word, if it is near enough to be a typo of it
 * (a third of its letters); NULL otherwise. */
static const char *nearest(const char *word, const char *const *cands, size_t n)
{
	size_t i, d, best = (size_t)-1, limit = strlen(word) / 3 > 1 ? strlen(word) / 3 : 1;
	const char *out = NULL;

	for (i = 0; i < n; i++) {
		if (cands[i] == NULL)
			continue;
		d = edit_distance(word, cands[i]);
		if (d <= limit && d < best) {
			best = d;
			out = cands[i];
		}
	}
	return out;
}

/* " (did you mean X?)" for an unknown setting or flag, or "". */
static void suggest(const char *word, int flags, char *buf, size_t len)
{
	const char *cands[sizeof(fields) / sizeof(fields[0]) + 8], *hit;
	static const char *const more_paths[] = {"units", "keys.extraRecipients", "notify"};
	static const char *const more_flags[] = {"config", "unit", "path", "target-namespace",
						 "extra-recipient", "no-prune", "help"};
	size_t i, n = 0, nmore = flags ? 7 : 3;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		cands[n++] = flags ? fields[i].flag : fields[i].path;
	for (i = 0; i < nmore; i++)
		cands[n++] = flags ? more_flags[i] : more_paths[i];
	hit = nearest(word, cands, n);
	buf[0] = '\0';
	if (hit != NULL && strcmp(hit, word) == 0)
		snprintf(buf, len, ": it needs a value");
	else if (hit != NULL)
		snprintf(buf, len, " (did you mean %s%s?)", flags ? "--" : "", hit);
}

struct file_ctx {
	struct ss_config *c;
	const struct ss_docset *ds;
	const char *file;
	struct ss_err *err;
};

static int file_fail(struct file_ctx *fc, const char *path, int rc)
{
	ss_err_at(fc->err, fc->file, ss_docset_field_line(fc->ds, 0, path), 0);
	ss_err_field(fc->err, path, NULL);
	return rc;
}

static int has_prefix_field(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].path != NULL && strncmp(fields[i].path, path, n) == 0 &&
		    fields[i].path[n] == '.')
			return 1;
	return 0;
}

static int unit_bool(json_t *u, const char *k, int dflt, int *out)
{
	json_t *v = json_object_get(u, k);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return SS_E_INVAL;
	*out = json_is_true(v);
	return 0;
}

#define UNIT_NKEYS (7 + CONFIG_UNIT_HEALTH_NKEYS + 4 + 2)
static const char *const unit_keys[UNIT_NKEYS] = {
	"name", "path", "namespace", "prune", "pruneClusterScoped", "allowEmpty", "sops",
	/* config_units.c */
	"wait", "healthChecks", "dependsOn", "interval", "timeout", "suspend", "targetNamespace",
	/* tenancy and sharding (end of this file) */
	"shard", "serviceAccountName", "allowedNamespaces", "allowedScopes",
	/* rendering (config_helm.c, docs/REPOSITORIES.md) */
	"allowPlainSecrets", "helm"};

static int unit_unknown(struct file_ctx *fc, const char *where, const char *k)
{
	const char *hit = nearest(k, unit_keys, UNIT_NKEYS);

	return file_fail(fc, where,
			 ss_err_set(fc->err, SS_E_INVAL, "unknown unit setting %s%s%s%s", k,
				    hit ? " (did you mean " : "", hit ? hit : "", hit ? "?)" : ""));
}

/* wait, healthChecks, dependsOn, ... (config_units.c); errors name the key. */
static int unit_health(struct file_ctx *fc, struct ss_unit_config *uc, json_t *u,
		       const char *where)
{
	char field[128], path[200];
	int rc = config_unit_health_parse(uc, u, field, sizeof(field), fc->err);

	if (rc == 0 || field[0] == '\0')
		return rc;
	snprintf(path, sizeof(path), "%s.%s", where, field);
	return file_fail(fc, path, rc);
}

/* The unit's helm: mapping (config_helm.c); on success the unit counts. */
static int unit_helm(struct file_ctx *fc, struct ss_unit_config *uc, json_t *v, const char *where)
{
	char field[256];
	int rc;

	snprintf(field, sizeof(field), "%s.helm", where);
	rc = ss_config_helm_parse(v, uc->name, uc->path, &uc->helm, field, sizeof(field), fc->err);
	if (rc != 0) {
		unit_release(uc);
		return file_fail(fc, field, rc);
	}
	fc->c->nunits++;
	return 0;
}

static int unit_parse(struct file_ctx *fc, json_t *u, size_t i)
{
	struct ss_unit_config *uc = &fc->c->units[fc->c->nunits];
	const char *k, *name, *path, *ns;
	char where[64];
	json_t *v;
	int rc;

	snprintf(where, sizeof(where), "units[%zu]", i);
	if (!json_is_object(u))
		return file_fail(fc, where, ss_err_set(fc->err, SS_E_INVAL, "a unit must be a mapping"));
	json_object_foreach(u, k, v) {
		size_t j;

		for (j = 0; j < UNIT_NKEYS && strcmp(k, unit_keys[j]) != 0; j++)
			;
		if (j == UNIT_NKEYS)
			return unit_unknown(fc, where, k);
	}
	name = json_string_value(json_object_get(u, "name"));
	path = json_string_value(json_object_get(u, "path"));
	ns = json_string_value(json_object_get(u, "namespace"));
	if (name == NULL || (path == NULL && json_object_get(u, "helm") == NULL))
		return file_fail(fc, where,
				 ss_err_set(fc->err, SS_E_INVAL, "a unit needs a name and a path"));
	if (path == NULL) /* a helm unit's chart and values paths resolve from the root */
		path = ".";
	if (fc->c->nunits >= SS_CONFIG_MAX_UNITS)
		return file_fail(fc, where, ss_err_set(fc->err, SS_E_LIMIT, "too many units"));
	if (unit_bool(u, "prune", 1, &uc->prune) || unit_bool(u, "allowEmpty", 0, &uc->allow_empty) ||
	    unit_bool(u, "pruneClusterScoped", 0, &uc->prune_cluster) ||
	    unit_bool(u, "sops", 0, &uc->sops) ||
	    unit_bool(u, "allowPlainSecrets", 0, &uc->allow_plain_secrets))
		return file_fail(fc, where, ss_err_set(fc->err, SS_E_INVAL, "expected true or false"));
	rc = set_str(&uc->name, name);
	if (rc == 0)
		rc = set_str(&uc->path, path);
	if (rc == 0)
		rc = set_str(&uc->namespace_, ns != NULL ? ns : "default");
	if (rc != 0) {
		unit_release(uc);
		return ss_err_set(fc->err, rc, "out of memory");
	}
	rc = unit_health(fc, uc, u, where);
	if (rc != 0) {
		unit_release(uc);
		return rc;
	}
	rc = ss_config_unit_tenancy(u, uc, &k, fc->err);
	if (rc != 0) {
		unit_release(uc);
		snprintf(where, sizeof(where), "units[%zu].%s", i, k);
		return file_fail(fc, where, rc);
	}
	if ((v = json_object_get(u, "helm")) != NULL)
		return unit_helm(fc, uc, v, where);
	fc->c->nunits++;
	return 0;
}

static int units_parse(struct file_ctx *fc, json_t *v)
{
	size_t i;
	int rc;

	if (!json_is_array(v))
		return file_fail(fc, "units", ss_err_set(fc->err, SS_E_INVAL, "expected a list"));
	while (fc->c->nunits > 0)
		unit_release(&fc->c->units[--fc->c->nunits]);
	for (i = 0; i < json_array_size(v); i++) {
		rc = unit_parse(fc, json_array_get(v, i), i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int recipients_parse(struct file_ctx *fc, json_t *v)
{
	const char *path = "keys.extraRecipients";
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > SS_CONFIG_MAX_RECIPIENTS)
		return file_fail(fc, path, ss_err_set(fc->err, SS_E_INVAL,
						      "expected a list of at most %d age recipients",
						      SS_CONFIG_MAX_RECIPIENTS));
	for (i = 0; i < json_array_size(v); i++) {
		const char *r = json_string_value(json_array_get(v, i));

		if (r == NULL || strncmp(r, "age1", 4) != 0)
			return file_fail(fc, path, ss_err_set(fc->err, SS_E_INVAL,
							      "entry %zu is not an age1 recipient", i));
		if ((fc->c->extra_recipients[fc->c->nextra_recipients] = strdup(r)) == NULL)
			return ss_err_set(fc->err, SS_E_NOMEM, "out of memory");
		fc->c->nextra_recipients++;
	}
	return 0;
}

/* ---- notify: targets (notify.h, docs/OPERATIONS.md "Notifications") ---- */

const char *const ss_config_notify_events[SS_CONFIG_NOTIFY_EVENTS] = {
	"failure", "recovery", "health", "rotation", "prune-refused"};

#define NOTIFY_NKEYS 8
static const char *const notify_keys[NOTIFY_NKEYS] = {
	"name", "type", "urlFile", "secretFile", "caFile", "events", "insecure", "queue"};

static int notify_fail(struct file_ctx *fc, const char *where, const char *msg)
{
	return file_fail(fc, where, ss_err_set(fc->err, SS_E_INVAL, "%s", msg));
}

/* events: [failure, ...] into a bit set; absent: every event. */
static int notify_events(struct file_ctx *fc, const char *where, json_t *v, unsigned *out)
{
	size_t i, j;

	*out = v == NULL ? (1u << SS_CONFIG_NOTIFY_EVENTS) - 1 : 0;
	if (v != NULL && (!json_is_array(v) || json_array_size(v) == 0))
		return notify_fail(fc, where, "events: expected a list of failure, recovery, "
				   "health, rotation, prune-refused");
	for (i = 0; v != NULL && i < json_array_size(v); i++) {
		const char *e = json_string_value(json_array_get(v, i)), *hit;

		for (j = 0; e != NULL && j < SS_CONFIG_NOTIFY_EVENTS; j++)
			if (strcmp(e, ss_config_notify_events[j]) == 0)
				break;
		if (e == NULL || j == SS_CONFIG_NOTIFY_EVENTS) {
			hit = e != NULL ? nearest(e, ss_config_notify_events,
						  SS_CONFIG_NOTIFY_EVENTS) : NULL;
			return file_fail(fc, where, ss_err_set(
				fc->err, SS_E_INVAL, "events: unknown event %s (%s%s%s)",
				e != NULL ? e : "(not a string)", hit ? "did you mean " : "expected "
				"failure, recovery, health, rotation or prune-refused", hit ? hit : "",
				hit ? "?" : ""));
		}
		*out |= 1u << j;
	}
	return 0;
}

/* Only the settings a target has, and the ones it needs. */
static int notify_check_keys(struct file_ctx *fc, const char *where, json_t *t)
{
	const char *k, *type = json_string_value(json_object_get(t, "type")), *hit;
	json_t *v;
	size_t j;

	json_object_foreach(t, k, v) {
		for (j = 0; j < NOTIFY_NKEYS && strcmp(k, notify_keys[j]) != 0; j++)
			;
		if (j < NOTIFY_NKEYS)
			continue;
		/* url: and secret: would put a credential in the config itself */
		hit = strcmp(k, "url") == 0 ? "urlFile" : strcmp(k, "secret") == 0 ? "secretFile" :
		      nearest(k, notify_keys, NOTIFY_NKEYS);
		return file_fail(fc, where, ss_err_set(fc->err, SS_E_INVAL,
						       "unknown notify setting %s%s%s%s", k,
						       hit ? " (did you mean " : "", hit ? hit : "",
						       hit ? "?)" : ""));
	}
	if (type == NULL || (strcmp(type, "webhook") && strcmp(type, "slack") && strcmp(type, "teams")))
		return notify_fail(fc, where, "type: expected webhook, slack or teams");
	if (json_string_value(json_object_get(t, "urlFile")) == NULL)
		return notify_fail(fc, where, "urlFile: a file holding the URL is required (the "
				   "URL is a credential, so it is never written in the config)");
	if ((json_object_get(t, "secretFile") != NULL) != (strcmp(type, "webhook") == 0))
		return notify_fail(fc, where, strcmp(type, "webhook") == 0 ?
				   "secretFile: a webhook target needs an HMAC key file" :
				   "secretFile: only a webhook target is signed; remove it");
	return 0;
}

static int notify_valid_name(struct file_ctx *fc, const char *where, const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	for (i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '-')
			break;
	if (n == 0 || n > 40 || i < n)
		return notify_fail(fc, where, "name: use 1-40 lowercase letters, digits or '-'");
	for (i = 0; i < fc->c->nnotify; i++)
		if (strcmp(fc->c->notify[i].name, name) == 0)
			return file_fail(fc, where, ss_err_set(fc->err, SS_E_DUP,
							       "name: target %s is defined twice", name));
	return 0;
}

static int notify_strings(struct ss_notify_target_config *nt, json_t *t)
{
	const char *ca = json_string_value(json_object_get(t, "caFile"));
	const char *sf = json_string_value(json_object_get(t, "secretFile"));
	int rc;

	rc = set_str(&nt->name, json_string_value(json_object_get(t, "name")));
	rc |= set_str(&nt->type, json_string_value(json_object_get(t, "type")));
	rc |= set_str(&nt->url_file, json_string_value(json_object_get(t, "urlFile")));
	rc |= set_str(&nt->secret_file, sf);
	rc |= set_str(&nt->ca_file, ca);
	return rc != 0 ? SS_E_NOMEM : 0;
}

static int notify_target(struct file_ctx *fc, json_t *t, size_t i)
{
	struct ss_notify_target_config *nt = &fc->c->notify[fc->c->nnotify];
	json_t *q = json_object_get(t, "queue");
	char where[64];
	int rc;

	snprintf(where, sizeof(where), "notify[%zu]", i);
	if (!json_is_object(t))
		return notify_fail(fc, where, "a notify target must be a mapping");
	rc = notify_check_keys(fc, where, t);
	if (rc == 0)
		rc = notify_valid_name(fc, where, json_string_value(json_object_get(t, "name")));
	if (rc == 0 && fc->c->nnotify >= SS_CONFIG_MAX_NOTIFY)
		return file_fail(fc, where, ss_err_set(fc->err, SS_E_LIMIT,
						       "at most %d notify targets", SS_CONFIG_MAX_NOTIFY));
	if (rc == 0)
		rc = notify_events(fc, where, json_object_get(t, "events"), &nt->events);
	if (rc == 0 && (unit_bool(t, "insecure", 0, &nt->insecure) != 0))
		return notify_fail(fc, where, "insecure: expected true or false");
	if (rc == 0 && q != NULL && (!json_is_integer(q) || json_integer_value(q) < 1 ||
				     json_integer_value(q) > 100000))
		return notify_fail(fc, where, "queue: expected a whole number 1..100000");
	if (rc != 0)
		return rc;
	nt->queue = q != NULL ? (unsigned)json_integer_value(q) : 0;
	if (notify_strings(nt, t) != 0) {
		notify_release(nt);
		return ss_err_set(fc->err, SS_E_NOMEM, "out of memory");
	}
	fc->c->nnotify++;
	return 0;
}

static int notify_parse(struct file_ctx *fc, json_t *v)
{
	size_t i;
	int rc;

	if (!json_is_array(v))
		return file_fail(fc, "notify", ss_err_set(fc->err, SS_E_INVAL, "expected a list"));
	while (fc->c->nnotify > 0)
		notify_release(&fc->c->notify[--fc->c->nnotify]);
	for (i = 0; i < json_array_size(v); i++) {
		rc = notify_target(fc, json_array_get(v, i), i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- end of notify ---- */

static int walk(struct file_ctx *fc, json_t *obj, const char *prefix)
{
	char path[256], num[32], hint[300];
	const struct field *f;
	const char *k, *text;
	json_t *v;
	int rc;

	json_object_foreach(obj, k, v) {
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (strcmp(path, "units") == 0)
			rc = units_parse(fc, v);
		else if (strcmp(path, "keys.extraRecipients") == 0)
			rc = recipients_parse(fc, v);
		else if (strcmp(path, "notify") == 0)
			rc = notify_parse(fc, v);
		else if ((f = field_by_path(path)) != NULL) {
			if (scalar_text(v, num, sizeof(num), &text) != 0)
				return file_fail(fc, path,
						 ss_err_set(fc->err, SS_E_INVAL, "expected a scalar"));
			rc = field_set(fc->c, f, text, fc->err);
			if (rc != 0)
				return file_fail(fc, path, rc);
		} else if (json_is_object(v) && has_prefix_field(path))
			rc = walk(fc, v, path);
		else {
			suggest(path, 0, hint, sizeof(hint));
			return file_fail(fc, path, ss_err_set(fc->err, SS_E_INVAL,
							      "unknown setting%s", hint));
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int ss_config_load_file(struct ss_config *c, const char *path, struct ss_err *err)
{
	struct ss_yaml_limits lim;
	struct ss_docset *ds = NULL;
	struct file_ctx fc;
	struct ss_buf text;
	json_t *root;
	int rc;

	ss_buf_init(&text, CONFIG_MAX_BYTES);
	rc = ss_file_read(path, &text, err);
	if (rc != 0)
		goto out;
	ss_yaml_limits_default(&lim);
	rc = ss_yaml_load(path, text.data, text.len, &lim, &ds, err);
	if (rc != 0)
		goto out;
	if (ss_docset_count(ds) != 1 || !json_is_object(root = ss_docset_get(ds, 0))) {
		rc = ss_err_set(err, SS_E_INVAL, "a config file holds exactly one mapping");
		ss_err_at(err, path, 0, -1);
		goto out;
	}
	fc.c = c;
	fc.ds = ds;
	fc.file = path;
	fc.err = err;
	rc = walk(&fc, root, "");
out:
	ss_docset_free(ds);
	ss_buf_release(&text);
	return rc;
}

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
enum { OPT_CONFIG = 1000, OPT_UNIT, OPT_PATH, OPT_TARGET_NS, OPT_RECIPIENT, OPT_NO_PRUNE,
       OPT_HELP, OPT_FIELD0 = 2000 };

static int build_options(struct option *opts, size_t cap)
{
	static const struct option extra[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"unit", required_argument, NULL, OPT_UNIT},
		{"path", required_argument, NULL, OPT_PATH},
		{"target-namespace", required_argument, NULL, OPT_TARGET_NS},
		{"extra-recipient", required_argument, NULL, OPT_RECIPIENT},
		{"no-prune", no_argument, NULL, OPT_NO_PRUNE},
		{"help", no_argument, NULL, OPT_HELP},
	};
	size_t i, n = 0;

	for (i = 0; i < NFIELDS && n + 1 < cap; i++) {
		if (fields[i].flag == NULL)
			continue;
		opts[n].name = fields[i].flag;
		opts[n].has_arg = fields[i].type == F_BOOL ? optional_argument : required_argument;
		opts[n].flag = NULL;
		opts[n].val = OPT_FIELD0 + (int)i;
		n++;
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]) && n + 1 < cap; i++)
		opts[n++] = extra[i];
	memset(&opts[n], 0, sizeof(opts[n]));
	return 0;
}

/* --unit NAME=PATH[:NAMESPACE]; --path P is the unit "default". */
static int unit_from_flag(struct ss_config *c, const char *name, const char *spec,
			  struct ss_err *err)
{
	struct ss_unit_config *u = NULL;
	char *copy = strdup(spec), *colon;
	size_t i;
	int rc = 0;

	if (copy == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	colon = strchr(copy, ':');
	if (colon != NULL)
		*colon++ = '\0';
	for (i = 0; i < c->nunits; i++)
		if (strcmp(c->units[i].name, name) == 0)
			u = &c->units[i];
	if (u == NULL) {
		if (c->nunits >= SS_CONFIG_MAX_UNITS) {
			rc = ss_err_set(err, SS_E_LIMIT, "too many units");
			goto out;
		}
		u = &c->units[c->nunits++];
		u->prune = 1;
		u->timeout_sec = SS_UNIT_TIMEOUT_DEFAULT;
		rc = set_str(&u->name, name) | set_str(&u->namespace_, "default");
	}
	if (rc == 0)
		rc = set_str(&u->path, copy);
	if (rc == 0 && colon != NULL && *colon != '\0')
		rc = set_str(&u->namespace_, colon);
	if (rc != 0)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
out:
	free(copy);
	return rc;
}

static int apply_extra(struct ss_config *c, int opt, const char *arg, struct ss_err *err)
{
	char name[128];
	const char *eq;
	size_t i;

	switch (opt) {
	case OPT_UNIT:
		eq = strchr(arg, '=');
		if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(name))
			return ss_err_set(err, SS_E_USAGE, "--unit wants NAME=PATH[:NAMESPACE]");
		memcpy(name, arg, (size_t)(eq - arg));
		name[eq - arg] = '\0';
		return unit_from_flag(c, name, eq + 1, err);
	case OPT_PATH:
		return unit_from_flag(c, "default", arg, err);
	case OPT_TARGET_NS:
		for (i = 0; i < c->nunits; i++)
			if (set_str(&c->units[i].namespace_, arg) != 0)
				return SS_E_NOMEM;
		return 0;
	case OPT_RECIPIENT:
		if (c->nextra_recipients >= SS_CONFIG_MAX_RECIPIENTS)
			return ss_err_set(err, SS_E_USAGE, "too many --extra-recipient");
		if ((c->extra_recipients[c->nextra_recipients] = strdup(arg)) == NULL)
			return SS_E_NOMEM;
		c->nextra_recipients++;
		return 0;
	case OPT_NO_PRUNE:
		c->prune = 0;
		return 0;
	}
	return ss_err_set(err, SS_E_USAGE, "unknown option");
}

/* The argument a flag takes, as --help shows it. */
static const char *placeholder(const struct field *f)
{
	static const char *const named[][2] = {
		{"name", "NAME"}, {"agent-namespace", "NS"}, {"cache-dir", "DIR"},
		{"repo", "URL"}, {"ref", "REF"}, {"allow-rewind-to", "SHA"},
		{"username", "USER"}, {"identities-dir", "DIR"}, {"context", "NAME"},
		{"field-manager", "NAME"}, {"listen", "HOST:PORT"}, {"probe-listen", "HOST:PORT"},
		{"log-level", "LEVEL"}, {"log-format", "FORMAT"}, {"render", "DIR|-"},
		{"retired-keys", "AGE1,..."},
		{"import-bitnami", "FILE|-"}, {"bitnami-namespace", "NS"},
		{"bitnami-selector", "SELECTOR"},
		{"local", "DIR"},
		{"retired-keys", "AGE1,..."}, {"shard", "NAME"},
		{"default-service-account", "NAME"},
		{"retired-keys", "AGE1,..."}, {"helm", "PATH"},
	};
	size_t i;

	if (f->type == F_BOOL)
		return "";
	if (f->type == F_DUR)
		return "DURATION";
	if (f->type == F_UINT)
		return "N";
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(f->flag, named[i][0]) == 0)
			return named[i][1];
	return "FILE"; /* every other string flag names a file */
}

/* " (default: X)" from a fresh configuration, "" when there is none. */
static void default_text(const struct ss_config *d, const struct field *f, char *buf, size_t len)
{
	const char *base = (const char *)d + f->off, *str;
	unsigned u;
	int b;

	buf[0] = '\0';
	switch (f->type) {
	case F_STR:
		memcpy(&str, base, sizeof(str));
		if (str != NULL && *str != '\0')
			snprintf(buf, len, " (default: %s)", str);
		break;
	case F_BOOL:
		memcpy(&b, base, sizeof(b));
		if (b)
			snprintf(buf, len, " (default: true)");
		break;
	case F_UINT:
	case F_DUR:
		memcpy(&u, base, sizeof(u));
		if (f->type == F_UINT)
			snprintf(buf, len, " (default: %u)", u);
		else /* as it would be written: 720h, not 2592000s */
			snprintf(buf, len, " (default: %u%s)", u % 3600 == 0 ? u / 3600 : u,
				 u % 3600 == 0 ? "h" : "s");
		break;
	}
}

void ss_config_usage(void)
{
	struct ss_config d;
	char arg[64], dflt[128];
	const char *ph;
	size_t i;
	int pad;

	if (ss_config_init(&d) != 0)
		return;
	printf("usage: sealsync-agent [--config FILE] [options]\n\n"
	       "  -n                            check the config, identities and repo, then exit\n"
	       "  --config FILE                 YAML configuration (flags override it)\n"
	       "  --path DIR                    one unit named \"default\" at DIR in the repo\n"
	       "  --unit NAME=PATH[:NS]         a unit (repeatable)\n"
	       "  --target-namespace NS         namespace for objects that name none (every unit)\n"
	       "  --extra-recipient AGE1        also seal to this key on /v1/reseal (repeatable)\n"
	       "  --no-prune                    never delete objects\n");
	for (i = 0; i < NFIELDS; i++) {
		if (fields[i].flag == NULL)
			continue;
		ph = placeholder(&fields[i]);
		snprintf(arg, sizeof(arg), "%s%s%s", fields[i].flag, *ph ? " " : "", ph);
		default_text(&d, &fields[i], dflt, sizeof(dflt));
		pad = strlen(arg) < 27 ? 28 - (int)strlen(arg) : 1;
		printf("  --%s%*s%s%s\n", arg, pad, "", fields[i].help, dflt);
	}
	printf("  --help                        print this help and exit\n"
	       "\nEnvironment: KUBECONFIG (when --kubeconfig is not given).\n"
	       "Durations: 90, 30s, 5m, 1h, 1h30m. Flags: docs/CONFIG.md; man sealsync-agent.\n");
	ss_config_release(&d);
}

static int bad_option(const char *arg, struct ss_err *err)
{
	char name[128], hint[300] = "";

	if (strncmp(arg, "--", 2) == 0) {
		snprintf(name, sizeof(name), "%s", arg + 2);
		name[strcspn(name, "=")] = '\0';
		suggest(name, 1, hint, sizeof(hint));
	}
	return ss_err_set(err, SS_E_USAGE, "unknown or incomplete option %s%s", arg, hint);
}

static int parse_pass(struct ss_config *c, int argc, char **argv, int config_pass,
		      struct ss_err *err)
{
	struct option opts[NFIELDS + 16];
	int opt, rc;

	build_options(opts, sizeof(opts) / sizeof(opts[0]));
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+nh", opts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return bad_option(argv[optind - 1], err);
		if (config_pass) {
			if (opt == OPT_CONFIG && (rc = ss_config_load_file(c, optarg, err)) != 0)
				return rc;
			continue;
		}
		if (opt == 'h' || opt == OPT_HELP)
			return 1;
		if (opt == 'n')
			c->check_only = 1;
		else if (opt >= OPT_FIELD0 && (size_t)(opt - OPT_FIELD0) < NFIELDS) {
			const struct field *f = &fields[opt - OPT_FIELD0];

			rc = field_set(c, f, optarg, err);
			if (rc != 0) {
				ss_err_prefix(err, "--%s", f->flag);
				return SS_E_USAGE;
			}
		} else if (opt != OPT_CONFIG && (rc = apply_extra(c, opt, optarg, err)) != 0)
			return rc;
	}
	if (optind < argc)
		return ss_err_set(err, SS_E_USAGE, "unexpected argument %s", argv[optind]);
	return 0;
}

int ss_config_parse_args(struct ss_config *c, int argc, char **argv, struct ss_err *err)
{
	const char *env;
	int rc;

	rc = parse_pass(c, argc, argv, 1, err);
	if (rc == 0)
		rc = parse_pass(c, argc, argv, 0, err);
	if (rc != 0)
		return rc;
	env = getenv("KUBECONFIG");
	if (c->kubeconfig == NULL && env != NULL && *env != '\0' && strchr(env, ':') == NULL &&
	    set_str(&c->kubeconfig, env) != 0)
		return SS_E_NOMEM;
	return 0;
}

static int is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return s[40] == '\0';
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int valid_unit_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

/* --import-bitnami needs no repository nor units: only whom to seal to. */
static int validate_import(const struct ss_config *c, struct ss_err *err)
{
	if (c->identities_file == NULL && c->identities_dir == NULL && !c->keys_managed &&
	    c->nextra_recipients == 0)
		return ss_err_set(err, SS_E_USAGE, "--import-bitnami: no recipients: give the "
				  "agent's keys (--identities, --identities-dir, --managed-keys, "
				  "or --config) or --extra-recipient age1...");
	if (strcmp(c->log_format, "json") != 0 && strcmp(c->log_format, "text") != 0)
		return ss_err_set(err, SS_E_INVAL, "log format must be json or text");
	return 0;
}

/* --diff is a mode of its own: it writes nothing, so nothing that writes
 * goes with it; --local reads a folder and needs no key. */
static int validate_diff(const struct ss_config *c, struct ss_err *err)
{
	if (c->diff_local != NULL && !c->diff)
		return ss_err_set(err, SS_E_USAGE, "--local DIR goes with --diff");
	if (c->diff && (c->render != NULL || c->check_only))
		return ss_err_set(err, SS_E_USAGE, "--diff is a mode of its own: drop --render and -n");
	if (c->diff_local != NULL && !is_dir(c->diff_local))
		return ss_err_set(err, SS_E_USAGE,
				  "--local %s: no such folder; give the root of a checked-out "
				  "working tree of the repository", c->diff_local);
	return 0;
}

int ss_config_validate(const struct ss_config *c, struct ss_err *err)
{
	size_t i, j;
	int rc;

	if (c->import_bitnami != NULL)
		return validate_import(c, err);

	if (c->nunits == 0)
		return ss_err_set(err, SS_E_USAGE, "no units: give --path DIR, --unit or units: in the config");
	for (i = 0; i < c->nunits; i++) {
		if (!valid_unit_name(c->units[i].name))
			return ss_err_set(err, SS_E_INVAL,
					  "unit name %s: use 1-40 lowercase letters, digits or '-'",
					  c->units[i].name);
		for (j = 0; j < i; j++)
			if (strcmp(c->units[i].name, c->units[j].name) == 0)
				return ss_err_set(err, SS_E_DUP, "unit %s is defined twice",
						  c->units[i].name);
	}
	if ((rc = validate_diff(c, err)) != 0)
		return rc;
	if (config_units_validate(c, err) != 0)
		return SS_E_INVAL;
	if (c->repo_url == NULL && c->diff_local == NULL)
		return ss_err_set(err, SS_E_USAGE, "no repository: give --repo URL or source.url");
	if (c->show_secrets && (c->render == NULL || strcmp(c->render, "-") != 0))
		return ss_err_set(err, SS_E_USAGE,
				  "--show-secrets only goes with --render - (stdout): plaintext never goes to a file");
	if (c->render != NULL && strcmp(c->render, "-") != 0 && !is_dir(c->render))
		return ss_err_set(err, SS_E_USAGE,
				  "--render %s: no such folder; create it first (mkdir -p %s), or "
				  "give --render - for stdout", c->render, c->render);
	if (strcmp(c->log_format, "json") != 0 && strcmp(c->log_format, "text") != 0)
		return ss_err_set(err, SS_E_INVAL, "log format must be json or text");
	if (c->identities_file == NULL && c->identities_dir == NULL && !c->keys_managed &&
	    c->diff_local == NULL)
		return ss_err_set(err, SS_E_USAGE,
				  "no keys: give --identities FILE, --identities-dir DIR or --managed-keys");
	if (c->concurrency == 0 || c->concurrency > 64)
		return ss_err_set(err, SS_E_INVAL, "concurrency must be 1..64");
	if (c->notify_queue == 0)
		return ss_err_set(err, SS_E_INVAL, "notifyQueue must be 1..100000");
	if (c->allow_rewind_to != NULL && !is_hex40(c->allow_rewind_to))
		return ss_err_set(err, SS_E_USAGE,
				  "--allow-rewind-to takes a full commit id (40 lowercase hex digits)");
	return ss_config_validate_tenancy(c, err);
}

/* ---- tenancy and sharding (config.h; docs/CONFIG.md "Tenancy" and
 * "Sharding") ----
 *
 * A unit's serviceAccountName is "NAME" (in the unit's namespace, as a
 * Flux Kustomization's ServiceAccount lives in its own namespace) or
 * "NS/NAME". The configuration is written by the platform team, not by
 * the tenants (it is not in the repository), so naming another namespace
 * is theirs to decide; RBAC still needs a Role there (docs/RBAC.md).
 */

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

static int same_shard(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* dependsOn across shards: the shard that waits could never see the other
 * unit's health, so it would wait forever; refused at load, by name. */
static int check_depends_shards(const struct ss_config *c, struct ss_err *err)
{
	size_t i, j, k;

	for (i = 0; i < c->nunits; i++)
		for (j = 0; j < c->units[i].ndepends; j++)
			for (k = 0; k < c->nunits; k++)
				if (strcmp(c->units[k].name, c->units[i].depends_on[j]) == 0 &&
				    !same_shard(c->units[i].shard, c->units[k].shard))
					return ss_err_set(err, SS_E_USAGE,
							  "unit %s dependsOn %s, which is in another shard "
							  "(%s, not %s): a unit can only wait for units "
							  "of its own shard", c->units[i].name,
							  c->units[k].name,
							  c->units[k].shard ? c->units[k].shard : "none",
							  c->units[i].shard ? c->units[i].shard : "none");
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
