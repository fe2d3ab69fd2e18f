/*
 * source.c: the agent's Git source: options, cache repository, poll (ref
 * resolution, signature policy, ancestry). Network work is in
 * source_net.c, tree reading in source_tree.c. See include/sealsync/source.h
 * and docs/SOURCE.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "sealsync/file.h"
#include "source_int.h"

static void source_warn(struct ss_source *s, const char *fmt, ...) SS_PRINTF(2, 3);

static void source_warn(struct ss_source *s, const char *fmt, ...)
{
	char msg[SS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->o.warn != NULL)
		s->o.warn(s->o.warn_ctx, msg);
	else
		fprintf(stderr, "warning: %s\n", msg);
}

int source_err_place(const struct ss_source *s, int rc, struct ss_err *err)
{
	if (rc != 0 && err != NULL)
		ss_err_prefix(err, "source %s ref %s", s->url_safe, s->o.ref);
	return rc;
}

/* Replaces every occurrence of needle in msg with "***" (in place). */
static void scrub(char *msg, size_t cap, const char *needle)
{
	char out[SS_ERR_MSG_MAX];
	const char *p = msg, *hit;
	size_t nl = strlen(needle), o = 0;

	if (nl == 0)
		return;
	while ((hit = strstr(p, needle)) != NULL) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s***", (int)(hit - p), p);
		if (o >= sizeof(out))
			break;
		p = hit + nl;
	}
	if (o < sizeof(out))
		snprintf(out + o, sizeof(out) - o, "%s", p);
	snprintf(msg, cap, "%s", out);
}

int source_git_err(const struct ss_source *s, int code, const char *what, struct ss_err *err)
{
	const git_error *ge = git_error_last();
	char msg[SS_ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", ge != NULL && ge->message != NULL ? ge->message : "");
	scrub(msg, sizeof(msg), s->o.url);
	return ss_err_set(err, code, "%s%s%s", what, msg[0] != '\0' ? ": " : "", msg);
}

int source_secret_read(const char *path, const char *what, struct ss_buf *out,
		       struct ss_err *err)
{
	int rc = ss_file_read(path, out, err);

	if (rc != 0) {
		ss_err_prefix(err, "reading %s", what);
		return rc;
	}
	while (out->len > 0 && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	if (out->len == 0 || memchr(out->data, '\0', out->len) != NULL ||
	    memchr(out->data, '\n', out->len) != NULL)
		return ss_err_set(err, SS_E_INVAL, "%s file %s must hold one non-empty line", what,
				  path);
	return 0;
}

static int is_hex40(const char *r)
{
	size_t i;

	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!((r[i] >= '0' && r[i] <= '9') || (r[i] >= 'a' && r[i] <= 'f')))
			return 0;
	return r[GIT_OID_HEXSZ] == '\0';
}

/* Splits "user@host:port" (or "[v6]:port") of an ssh URL. */
static int parse_authority(struct ss_source *s, const char *a, size_t n, int scp)
{
	const char *at = memrchr(a, '@', n), *h, *colon, *end = a + n;

	if (at != NULL) {
		s->url_user = strndup(a, (size_t)(at - a));
		if (s->url_user == NULL)
			return SS_E_NOMEM;
		h = at + 1;
	} else {
		h = a;
	}
	if (*h == '[') {
		colon = memchr(h, ']', (size_t)(end - h));
		if (colon == NULL)
			return SS_E_USAGE;
		s->host = strndup(h + 1, (size_t)(colon - h - 1));
		colon = colon + 1 < end && colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = scp ? NULL : memchr(h, ':', (size_t)(end - h));
		s->host = strndup(h, (size_t)((colon != NULL ? colon : end) - h));
	}
	if (s->host == NULL)
		return SS_E_NOMEM;
	s->port = colon != NULL ? atoi(colon + 1) : 22;
	return s->host[0] != '\0' && s->port > 0 && s->port < 65536 ? 0 : SS_E_USAGE;
}

static int parse_url(struct ss_source *s, const char *url)
{
	static const struct {
		const char *prefix;
		enum source_transport t;
	} schemes[] = {{"file://", SRC_FILE}, {"git://", SRC_GIT},     {"ssh://", SRC_SSH},
		       {"https://", SRC_HTTPS}, {"http://", SRC_HTTP}};
	const char *rest, *slash, *colon;
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t pl = strlen(schemes[i].prefix);

		if (strncmp(url, schemes[i].prefix, pl) != 0)
			continue;
		s->transport = schemes[i].t;
		rest = url + pl;
		slash = strchr(rest, '/');
		if (slash == NULL)
			slash = rest + strlen(rest);
		if (s->transport == SRC_SSH)
			return parse_authority(s, rest, (size_t)(slash - rest), 0);
		return 0;
	}
	if (url[0] == '/') {
		s->transport = SRC_FILE;
		return 0;
	}
	/* scp-like user@host:path is ssh, as in git */
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	if (colon == NULL || (slash != NULL && slash < colon) || strstr(url, "://") != NULL)
		return SS_E_USAGE;
	s->transport = SRC_SSH;
	return parse_authority(s, url, (size_t)(colon - url), 1);
}

/* The URL with userinfo dropped: "https://user:pw@h/x" -> "https://h/x". */
static char *url_redact(const char *url)
{
	const char *sep = strstr(url, "://"), *start, *slash, *at;
	char *out;

	start = sep != NULL ? sep + 3 : url;
	slash = strchr(start, sep != NULL ? '/' : ':');
	if (slash == NULL)
		slash = start + strlen(start);
	at = memrchr(start, '@', (size_t)(slash - start));
	if (at == NULL)
		return strdup(url);
	out = malloc(strlen(url) + 1);
	if (out == NULL)
		return NULL;
	snprintf(out, strlen(url) + 1, "%.*s%s", (int)(start - url), url, at + 1);
	return out;
}

static int opts_check_auth(const struct ss_source *s, struct ss_err *err)
{
	const struct ss_source_opts *o = &s->o;
	int plain = s->transport == SRC_GIT || s->transport == SRC_HTTP;

	if (plain && o->allowed_signers_file == NULL && !o->insecure)
		return ss_err_set(err, SS_E_USAGE,
				  "%s has no transport security: set a signature policy "
				  "(allowed signers) or the insecure flag",
				  s->transport == SRC_GIT ? "git://" : "http://");
	if (s->transport == SRC_SSH && (o->known_hosts_file == NULL || o->ssh_key_file == NULL))
		return ss_err_set(err, SS_E_USAGE, "ssh needs a key file and a known_hosts file");
	if (o->token_file != NULL && o->password_file != NULL)
		return ss_err_set(err, SS_E_USAGE, "give a token or a password, not both");
	if (o->password_file != NULL && o->username == NULL)
		return ss_err_set(err, SS_E_USAGE, "a password needs a username");
	if ((o->token_file != NULL || o->password_file != NULL) &&
	    s->transport != SRC_HTTPS && !(s->transport == SRC_HTTP && o->insecure))
		return ss_err_set(err, SS_E_USAGE, "a token or password is only sent over https");
	return 0;
}

/* A local repository that is not there is a typo, not a network error:
 * say so before libgit2 reports it as "cannot reach the remote". */
static int file_url_check(const char *url, struct ss_err *err)
{
	const char *path = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
	struct stat st;

	if (path[0] != '/')
		return ss_err_set(err, SS_E_USAGE, "%s: a file:// URL takes an absolute path, "
				  "with three slashes: file:///%s", url, path);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return ss_err_set(err, SS_E_NOTFOUND, "%s: no repository folder %s on this machine "
				  "(check the path; a bare repository or one with a .git folder)",
				  url, path);
	return 0;
}

static int opts_check(struct ss_source *s, struct ss_err *err)
{
	char name[SOURCE_REFNAME_MAX];
	int valid = 0, rc;

	if (s->o.url == NULL || s->o.url[0] == '\0' || s->o.cache_dir == NULL)
		return ss_err_set(err, SS_E_USAGE, "a source needs a url and a cache dir");
	if (s->o.ref == NULL || s->o.ref[0] == '\0')
		s->o.ref = "main";
	if (s->o.timeout_sec == 0)
		s->o.timeout_sec = SS_SOURCE_DEFAULT_TIMEOUT;
	if (s->o.max_blob == 0)
		s->o.max_blob = SS_SOURCE_DEFAULT_MAX_BLOB;
	if (s->o.max_total == 0)
		s->o.max_total = SS_SOURCE_DEFAULT_MAX_TOTAL;
	s->is_commit = is_hex40(s->o.ref);
	snprintf(name, sizeof(name), "%s%s", strncmp(s->o.ref, "refs/", 5) == 0 ? "" : "refs/tags/",
		 s->o.ref);
	if (!s->is_commit && (git_reference_name_is_valid(&valid, name) != 0 || !valid ||
			      strlen(name) >= sizeof(name) - 16))
		return ss_err_set(err, SS_E_USAGE, "ref \"%.64s\" is not a valid git ref name",
				  s->o.ref);
	if (parse_url(s, s->o.url) != 0)
		return ss_err_set(err, SS_E_USAGE, "cannot parse the url %s", s->url_safe);
	if (s->transport == SRC_FILE && (rc = file_url_check(s->o.url, err)) != 0)
		return rc;
	return opts_check_auth(s, err);
}

static int cache_prepare(struct ss_source *s, struct ss_err *err)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	size_t n;

	if (mkdir(s->o.cache_dir, 0700) != 0 && errno != EEXIST)
		return ss_err_set(err, SS_E_IO, "cannot create cache dir %s: %s", s->o.cache_dir,
				  strerror(errno));
	/* one bare repo per remote URL, named by its hash: no credential in
	 * a file name, and two remotes never share objects or refs */
	crypto_hash_sha256(h, (const unsigned char *)s->o.url, strlen(s->o.url));
	sodium_bin2hex(hex, sizeof(hex), h, 16);
	n = strlen(s->o.cache_dir) + strlen(hex) + 8;
	s->repo_path = malloc(n);
	if (s->repo_path == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(s->repo_path, n, "%s/%s.git", s->o.cache_dir, hex);
	if (git_repository_open_bare(&s->repo, s->repo_path) == 0)
		return 0;
	if (git_repository_init(&s->repo, s->repo_path, 1) != 0)
		return source_git_err(s, SS_E_IO, "cannot create the cache repository", err);
	return 0;
}

/* No user or system git config may steer the agent (url.insteadOf,
 * http.sslVerify, ...): libgit2 reads only the cache repo's own config. */
static int git_isolate(void)
{
	static const int levels[] = {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG,
				     GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "") != 0)
			return -1;
	/* Each incremental fetch adds a pack; libgit2 keeps them open (mapped)
	 * without bound by default. A long-running agent keeps its fd count
	 * flat by letting libgit2 close the least recently used ones. */
	if (git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, (size_t)8) != 0)
		return -1;
	return 0;
}

int ss_source_open(const struct ss_source_opts *o, struct ss_source **out, struct ss_err *err)
{
	struct ss_source *s;
	int rc;

	*out = NULL;
	if (sodium_init() < 0 || git_libgit2_init() < 0)
		return ss_err_set(err, SS_E_INTERNAL, "cannot initialise libsodium or libgit2");
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		git_libgit2_shutdown();
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	s->o = *o;
	s->url_safe = url_redact(o->url != NULL ? o->url : "");
	if (s->url_safe == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = opts_check(s, err)) != 0)
		goto out;
	if (git_isolate() != 0) {
		rc = source_git_err(s, SS_E_INTERNAL, "cannot isolate libgit2 from git config", err);
		goto out;
	}
	if ((rc = cache_prepare(s, err)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	if (s != NULL && s->url_safe != NULL)
		source_err_place(s, rc, err);
	ss_source_free(s);
	return rc;
}

void ss_source_free(struct ss_source *s)
{
	if (s == NULL)
		return;
	git_repository_free(s->repo);
	free(s->url_safe);
	free(s->url_user);
	free(s->host);
	free(s->repo_path);
	free(s);
	git_libgit2_shutdown();
}

int ss_source_fetched(const struct ss_source *s)
{
	return s->fetched;
}

const char *ss_source_url(const struct ss_source *s)
{
	return s->url_safe;
}

static int resolve_ref(struct ss_source *s, const struct source_remote *r, git_oid *id,
		       struct ss_err *err)
{
	git_object *obj = NULL, *peeled = NULL;
	git_oid oid;
	int rc = 0;

	if (s->is_commit) {
		if (git_oid_fromstr(id, s->o.ref) != 0 ||
		    git_object_lookup(&obj, s->repo, id, GIT_OBJECT_COMMIT) != 0)
			rc = ss_err_set(err, SS_E_NOTFOUND, "commit not found on the remote");
		git_object_free(obj);
		return rc;
	}
	if (git_reference_name_to_id(&oid, s->repo, r->name) != 0 ||
	    git_object_lookup(&obj, s->repo, &oid, GIT_OBJECT_ANY) != 0) {
		rc = source_git_err(s, SS_E_NOTFOUND, "the fetched ref is missing from the cache", err);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) {
		rc = ss_err_set(err, SS_E_INVAL, "%s does not point to a commit", r->name);
		goto out;
	}
	git_oid_cpy(id, git_object_id(peeled));
out:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

static int verify_signature(struct ss_source *s, const git_oid *id,
			    const struct ss_signers *signers, struct ss_err *err)
{
	git_buf sig = {0}, data = {0};
	struct ss_sshsig *parsed = NULL;
	char hex[GIT_OID_HEXSZ + 1], principal[128];
	int rc;

	git_oid_tostr(hex, sizeof(hex), id);
	rc = git_commit_extract_signature(&sig, &data, s->repo, (git_oid *)id, NULL);
	if (rc == GIT_ENOTFOUND) {
		rc = ss_err_set(err, SS_E_SIG, "commit %s is not signed (signature policy)", hex);
		goto out;
	}
	if (rc != 0) {
		rc = source_git_err(s, SS_E_SIG, "cannot read the commit signature", err);
		goto out;
	}
	rc = ss_sshsig_parse(sig.ptr, sig.size, &parsed, err);
	if (rc == 0)
		rc = ss_sshsig_verify(parsed, data.ptr, data.size, "git", signers, principal,
				      sizeof(principal), err);
	if (rc != 0) {
		ss_err_prefix(err, "commit %s refused by the signature policy", hex);
		rc = rc == SS_E_NOMEM ? rc : SS_E_SIG;
		if (err != NULL)
			err->code = rc;
	}
out:
	ss_sshsig_free(parsed);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return rc;
}

/* Invariant 7: under a policy, a signed but older (or unrelated) commit
 * must not roll the cluster back. Without a policy a force push is
 * followed, as Flux does, and said loudly. */
static int check_ancestry(struct ss_source *s, const git_oid *id, const char *last, int policy,
			  struct ss_err *err)
{
	git_oid lid;
	char hex[GIT_OID_HEXSZ + 1];

	if (last == NULL)
		return 0;
	git_oid_tostr(hex, sizeof(hex), id);
	if (git_oid_fromstr(&lid, last) != 0)
		return ss_err_set(err, SS_E_USAGE, "last applied commit is not a commit id");
	if (git_oid_equal(&lid, id) || git_graph_descendant_of(s->repo, id, &lid) == 1)
		return 0;
	if (policy && !s->o.allow_rewind)
		return ss_err_set(err, SS_E_SIG,
				  "commit %s does not descend from the last applied commit %s "
				  "(history rewritten or rolled back); refused under the "
				  "signature policy unless rewinds are allowed",
				  hex, last);
	source_warn(s, "source %s ref %s: commit %s does not descend from the last applied "
		       "commit %s (force push); using it",
		    s->url_safe, s->o.ref, hex, last);
	return 0;
}

int ss_source_descends(struct ss_source *s, const char *commit, const char *base,
		       struct ss_err *err)
{
	git_oid cid, bid;

	if (!is_hex40(commit) || !is_hex40(base))
		return ss_err_set(err, SS_E_USAGE, "not a 40-hex commit id");
	if (git_oid_fromstr(&cid, commit) != 0 || git_oid_fromstr(&bid, base) != 0)
		return ss_err_set(err, SS_E_USAGE, "not a commit id");
	/* A base the cache does not hold (history rewritten away) is not an
	 * ancestor: 0, so that a policy refuses rather than guesses. */
	return git_oid_equal(&cid, &bid) || git_graph_descendant_of(s->repo, &cid, &bid) == 1;
}

static int reopen_repo(struct ss_source *s, struct ss_err *err)
{
	/* The child wrote new packs and refs; start from a fresh view. */
	git_repository_free(s->repo);
	s->repo = NULL;
	if (git_repository_open_bare(&s->repo, s->repo_path) != 0)
		return source_git_err(s, SS_E_IO, "cannot reopen the cache repository", err);
	return 0;
}

int ss_source_poll(struct ss_source *s, const char *last_applied, char commit[41], int *changed,
		   struct ss_err *err)
{
	struct ss_signers *signers = NULL;
	struct source_remote r;
	git_oid id;
	int rc;

	commit[0] = '\0';
	*changed = 0;
	s->fetched = 0;
	memset(&r, 0, sizeof(r));
	if (last_applied != NULL && !is_hex40(last_applied)) {
		rc = ss_err_set(err, SS_E_USAGE, "last applied commit is not a 40-hex commit id");
		goto out;
	}
	if (s->o.allowed_signers_file != NULL &&
	    (rc = ss_signers_load(s->o.allowed_signers_file, &signers, err)) != 0)
		goto out;
	if ((s->transport == SRC_GIT || s->transport == SRC_HTTP) && signers == NULL)
		source_warn(s, "source %s: insecure transport without a signature policy: "
			       "anyone on the path can change what is applied",
			    s->url_safe);
	if ((rc = source_net_update(s, &r, err)) != 0)
		goto out;
	s->fetched = r.fetched;
	if (r.fetched && (rc = reopen_repo(s, err)) != 0)
		goto out;
	if ((rc = resolve_ref(s, &r, &id, err)) != 0)
		goto out;
	if (signers != NULL && (rc = verify_signature(s, &id, signers, err)) != 0)
		goto out;
	if ((rc = check_ancestry(s, &id, last_applied, signers != NULL, err)) != 0)
		goto out;
	git_oid_tostr(commit, GIT_OID_HEXSZ + 1, &id);
	*changed = last_applied == NULL || strcmp(commit, last_applied) != 0;
out:
	ss_signers_free(signers);
	return source_err_place(s, rc, err);
}
