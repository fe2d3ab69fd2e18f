/*
 * source_net.c: ls-remote and fetch into the cache repository, in a forked
 * child killed at the deadline.
 *
 * Why a child: libgit2 1.5 has no network timeouts, so a server that
 * accepts and never answers would hang the agent. The child does the whole
 * exchange on one connection (ls, compare with the cache, download only
 * when the ref moved) and reports one line on a pipe:
 *   "ok <fetched 0|1> <oid|-> <refname|->\n"  or  "err <code> <message>\n"
 * The parent waits on the pipe with poll() until the deadline, then
 * SIGKILLs. The child's only writes are git objects and refs in the cache.
 *
 * The process must not ignore SIGCHLD (waitpid needs the child).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sealsync/file.h"
#include "source_int.h"

#define RESULT_MAX 1024
#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct child_ctx {
	struct ss_source *s;
	struct ss_err *err;
	git_repository *repo; /* the cache */
	int failed; /* a callback already set err */
	int tries_key, tries_pass, tries_user;
};

static int cb_fail(struct child_ctx *c, int code, const char *msg)
{
	ss_err_set(c->err, code, "%s", msg);
	c->failed = 1;
	return GIT_EUSER;
}

static int cred_userpass(git_credential **out, struct child_ctx *c)
{
	const struct ss_source_opts *o = &c->s->o;
	struct ss_buf pw;
	int rc;

	if (o->token_file != NULL)
		return cb_fail(c, SS_E_NET, "authentication refused: the server did not accept the token");
	if (o->password_file == NULL)
		return cb_fail(c, SS_E_NET, "the server asks for credentials; none are configured");
	if (c->tries_pass++ > 0)
		return cb_fail(c, SS_E_NET, "authentication refused for the configured username and password");
	ss_buf_init_secure(&pw, SOURCE_SECRET_MAX);
	rc = source_secret_read(o->password_file, "password", &pw, c->err);
	if (rc == 0)
		rc = git_credential_userpass_plaintext_new(out, o->username, ss_buf_str(&pw));
	else
		c->failed = 1;
	ss_buf_release(&pw);
	return rc == 0 ? 0 : GIT_EUSER;
}

static int cb_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct child_ctx *c = payload;
	const struct ss_source_opts *o = &c->s->o;
	const char *user = user_from_url != NULL && user_from_url[0] != '\0' ? user_from_url :
			   o->username != NULL ? o->username : "git";

	(void)url;
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (o->ssh_key_file == NULL)
			return cb_fail(c, SS_E_NET, "the server wants an ssh key; none is configured");
		if (c->tries_key++ > 0)
			return cb_fail(c, SS_E_NET, "ssh authentication refused for the configured key");
		return git_credential_ssh_key_new(out, user, NULL, o->ssh_key_file, NULL);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME) {
		if (c->tries_user++ > 0)
			return cb_fail(c, SS_E_NET, "authentication refused");
		return git_credential_username_new(out, user);
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return cred_userpass(out, c);
	return cb_fail(c, SS_E_NET, "the server asks for an unsupported kind of authentication");
}

static int cb_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct child_ctx *c = payload;
	char msg[SS_ERR_MSG_MAX];

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		if (source_hostkey_check(c->s, (const git_cert_hostkey *)cert, c->err) == 0)
			return 0;
		c->failed = 1;
		return GIT_EUSER;
	}
	/* Invariant 5: TLS is always verified; there is no override. */
	if (cert->cert_type == GIT_CERT_X509 && valid)
		return 0;
	snprintf(msg, sizeof(msg), "TLS certificate of %s is not trusted (CA bundle %s)",
		 host != NULL ? host : "?", c->s->o.ca_file != NULL ? c->s->o.ca_file : CA_BUNDLE);
	return cb_fail(c, SS_E_NET, msg);
}

/* Finds the configured ref among the remote's refs: an exact "refs/..."
 * name, else a branch, else a tag (as git does for a short name). */
static int ls_match(struct ss_source *s, git_remote *remote, struct source_remote *r,
		    struct ss_err *err)
{
	static const char *const prefixes[] = {"", "refs/heads/", "refs/tags/"};
	const git_remote_head **heads;
	size_t n, i, p;
	char want[SOURCE_REFNAME_MAX];

	if (git_remote_ls(&heads, &n, remote) != 0)
		return source_git_err(s, SS_E_NET, "cannot list the remote refs", err);
	for (p = 0; p < 3; p++) {
		if ((p == 0) != (strncmp(s->o.ref, "refs/", 5) == 0))
			continue;
		snprintf(want, sizeof(want), "%s%s", prefixes[p], s->o.ref);
		for (i = 0; i < n; i++) {
			if (strcmp(heads[i]->name, want) != 0)
				continue;
			snprintf(r->name, sizeof(r->name), "%s", want);
			git_oid_tostr(r->oid, sizeof(r->oid), &heads[i]->oid);
			return 0;
		}
	}
	return ss_err_set(err, SS_E_NOTFOUND, "ref not found on the remote");
}

/* 1 when the cache already has the ref where the remote has it. */
static int cache_current(git_repository *repo, const struct source_remote *r)
{
	git_oid local, remote;
	git_odb *odb = NULL;
	int same;

	if (git_reference_name_to_id(&local, repo, r->name) != 0 ||
	    git_oid_fromstr(&remote, r->oid) != 0 || !git_oid_equal(&local, &remote))
		return 0;
	if (git_repository_odb(&odb, repo) != 0)
		return 0;
	same = git_odb_exists(odb, &local);
	git_odb_free(odb);
	return same;
}

static int commit_cached(git_repository *repo, const char *hex)
{
	git_commit *c = NULL;
	git_oid id;

	if (git_oid_fromstr(&id, hex) != 0 || git_commit_lookup(&c, repo, &id) != 0)
		return 0;
	git_commit_free(c);
	return 1;
}

static int download(struct child_ctx *c, git_remote *remote, const git_remote_callbacks *cbs,
		    const git_strarray *headers, struct source_remote *r)
{
	git_fetch_options fo;
	char spec[2 * SOURCE_REFNAME_MAX + 4], fetch_head[4096];
	char *all[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
	char *one[] = {spec};
	git_strarray specs = {one, 1};

	/* a branch or tag of a local repository: one pack, one indexer append */
	if (c->s->transport == SRC_FILE && !c->s->is_commit)
		return source_fetch_local(c->s, c->repo, r, c->err);
	if (c->s->is_commit) {
		specs.strings = all;
		specs.count = 2;
	} else {
		snprintf(spec, sizeof(spec), "+%s:%s", r->name, r->name);
	}
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks = *cbs;
	fo.custom_headers = *headers;
	fo.update_fetchhead = 0; /* nothing but objects and refs in the cache */
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	if (git_remote_download(remote, &specs, &fo) != 0 ||
	    git_remote_update_tips(remote, cbs, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, NULL) != 0)
		return c->failed ? c->err->code : source_git_err(c->s, SS_E_NET, "fetch failed", c->err);
	/* libgit2 1.5.1 was seen writing FETCH_HEAD despite update_fetchhead
	 * = 0; the cache holds objects and refs only */
	snprintf(fetch_head, sizeof(fetch_head), "%s/FETCH_HEAD", c->s->repo_path);
	(void)unlink(fetch_head);
	r->fetched = 1;
	return 0;
}

static int bearer_header(const struct ss_source *s, struct ss_buf *hdr, struct ss_err *err)
{
	struct ss_buf tok;
	size_t i;
	int rc;

	if (s->o.token_file == NULL)
		return 0;
	ss_buf_init_secure(&tok, SOURCE_SECRET_MAX);
	rc = source_secret_read(s->o.token_file, "token", &tok, err);
	for (i = 0; rc == 0 && i < tok.len; i++)
		if (tok.data[i] < 0x21 || tok.data[i] > 0x7e) /* no header injection */
			rc = ss_err_set(err, SS_E_INVAL, "token file %s holds a character not allowed "
					"in an HTTP header", s->o.token_file);
	if (rc == 0 && (rc = ss_buf_printf(hdr, "Authorization: Bearer %s", ss_buf_str(&tok))) != 0)
		rc = ss_err_set(err, rc, "token too long");
	ss_buf_release(&tok);
	return rc;
}

static int connect_remote(struct child_ctx *c, git_remote *remote, const git_remote_callbacks *cbs,
			  const git_strarray *headers)
{
	git_remote_connect_options co;

	git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
	co.callbacks = *cbs;
	co.custom_headers = *headers;
	/* credentials must not follow a redirect to another host */
	co.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	if (git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co) == 0)
		return 0;
	return c->failed ? c->err->code : source_git_err(c->s, SS_E_NET, "cannot reach the remote", c->err);
}

/* An in-memory remote that no url.insteadOf in any config can redirect. */
static int remote_create(git_remote **out, git_repository *repo, const char *url)
{
	git_remote_create_options co;

	if (git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION) != 0)
		return -1;
	co.repository = repo;
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, url, &co);
}

static int child_update(struct ss_source *s, struct source_remote *r, struct ss_err *err)
{
	struct child_ctx c = {s, err, NULL, 0, 0, 0, 0};
	git_remote_callbacks cbs;
	git_remote *remote = NULL;
	struct ss_buf hdr;
	char *hv[1];
	git_strarray headers = {hv, 0};
	int rc;

	ss_buf_init_secure(&hdr, SOURCE_SECRET_MAX + 64);
	if (s->transport == SRC_HTTPS &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
			     s->o.ca_file != NULL ? s->o.ca_file : CA_BUNDLE, NULL) != 0) {
		rc = source_git_err(s, SS_E_IO, "cannot load the CA bundle", err);
		goto out;
	}
	if (git_repository_open_bare(&c.repo, s->repo_path) != 0) {
		rc = source_git_err(s, SS_E_IO, "cannot open the cache repository", err);
		goto out;
	}
	if (s->is_commit && commit_cached(c.repo, s->o.ref)) {
		rc = 0; /* a commit id never moves: no network at all */
		goto out;
	}
	if ((rc = bearer_header(s, &hdr, err)) != 0)
		goto out;
	hv[0] = (char *)ss_buf_str(&hdr);
	headers.count = hdr.len > 0 ? 1 : 0;
	git_remote_init_callbacks(&cbs, GIT_REMOTE_CALLBACKS_VERSION);
	cbs.credentials = cb_credentials;
	cbs.certificate_check = cb_certificate;
	cbs.payload = &c;
	if (remote_create(&remote, c.repo, s->o.url) != 0) {
		rc = source_git_err(s, SS_E_USAGE, "bad remote url", err);
		goto out;
	}
	if ((rc = connect_remote(&c, remote, &cbs, &headers)) != 0)
		goto out;
	if (!s->is_commit && ((rc = ls_match(s, remote, r, err)) != 0 || cache_current(c.repo, r)))
		goto out;
	rc = download(&c, remote, &cbs, &headers, r);
out:
	git_remote_free(remote);
	git_repository_free(c.repo);
	ss_buf_release(&hdr);
	return rc;
}

static void child_report(int fd, int rc, const struct source_remote *r, const struct ss_err *e)
{
	char line[RESULT_MAX];
	size_t i;
	int n;

	if (rc == 0)
		n = snprintf(line, sizeof(line), "ok %d %s %s\n", r->fetched,
			     r->oid[0] ? r->oid : "-", r->name[0] ? r->name : "-");
	else
		n = snprintf(line, sizeof(line), "err %d %s\n", rc, e->msg);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	for (i = 0; i + 1 < (size_t)n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n - 1] = '\n';
	if (ss_fd_write_all(fd, line, (size_t)n) != 0)
		_exit(2); /* the parent reports a child without a report */
}

static void child_main(struct ss_source *s, int fd)
{
	struct source_remote r;
	struct ss_err e;
	int rc;

	/* dies with the agent; never outlives the deadline's SIGKILL */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The child parses what the network sends: it keeps only stdio and its
	 * report pipe, not the agent's sockets (key holder, API, HTTP). */
	if (fd != 3 && dup2(fd, 3) != 3)
		_exit(2);
	fd = 3;
	if (close_range(4, ~0U, 0) != 0)
		_exit(2);
	memset(&r, 0, sizeof(r));
	ss_err_clear(&e);
	rc = child_update(s, &r, &e);
	child_report(fd, rc, &r, &e);
	_exit(rc == 0 ? 0 : 1); /* no atexit handlers, no stdio flush of the parent's buffers */
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's report until EOF or the deadline. 1 on timeout. */
static int read_until(int fd, long long deadline, char *buf, size_t cap, size_t *len)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	ssize_t n;

	*len = 0;
	for (;;) {
		long long left = deadline - now_ms();
		int pr;

		if (left <= 0)
			return 1;
		pr = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno != EINTR)
			return 0;
		if (pr <= 0)
			continue;
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
		if (*len == cap - 1)
			break;
	}
	buf[*len] = '\0';
	return 0;
}

static int parse_report(const char *line, struct source_remote *r, struct ss_err *err)
{
	char oid[GIT_OID_HEXSZ + 1], name[SOURCE_REFNAME_MAX];
	const char *msg;
	int code;

	if (sscanf(line, "ok %d %40s %255s", &r->fetched, oid, name) == 3) {
		snprintf(r->oid, sizeof(r->oid), "%s", strcmp(oid, "-") == 0 ? "" : oid);
		snprintf(r->name, sizeof(r->name), "%s", strcmp(name, "-") == 0 ? "" : name);
		return 0;
	}
	if (sscanf(line, "err %d", &code) == 1 && code < 0 && code >= SS_E_INTERNAL) {
		msg = strchr(line + 4, ' ');
		msg = msg != NULL ? msg + 1 : "";
		return ss_err_set(err, code, "%.*s", (int)strcspn(msg, "\n"), msg);
	}
	return ss_err_set(err, SS_E_NET, "the fetch process died without a report");
}

static int stale_cb(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	const char *name = path + f->base;
	size_t n = strlen(name);

	(void)st;
	if (flag == FTW_F && ((n > 5 && strcmp(name + n - 5, ".lock") == 0) ||
			      strncmp(name, "pack_git2_", 10) == 0 ||
			      strncmp(name, "tmp_object_git2_", 16) == 0))
		(void)unlink(path);
	return 0;
}

/* A child killed at the deadline can leave lock files (which would block
 * every later ref update) and half-written packs. The cache belongs to this
 * process alone and no child is running, so they are removed before each
 * network operation. */
static void cache_clean_stale(const struct ss_source *s)
{
	(void)nftw(s->repo_path, stale_cb, 16, FTW_PHYS);
}

int source_net_update(struct ss_source *s, struct source_remote *r, struct ss_err *err)
{
	char buf[RESULT_MAX];
	int p[2], status = 0, timed_out;
	size_t len;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	cache_clean_stale(s);
	if (pipe2(p, O_CLOEXEC) != 0)
		return ss_err_set(err, SS_E_IO, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return ss_err_set(err, SS_E_IO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(p[0]);
		child_main(s, p[1]);
	}
	close(p[1]);
	timed_out = read_until(p[0], now_ms() + (long long)s->o.timeout_sec * 1000, buf,
			       sizeof(buf), &len);
	close(p[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return ss_err_set(err, SS_E_TIMEOUT,
				  "no answer within %u s; the network operation was killed",
				  s->o.timeout_sec);
	if (WIFSIGNALED(status))
		return ss_err_set(err, SS_E_NET, "the fetch process died with signal %d",
				  WTERMSIG(status));
	return parse_report(buf, r, err);
}
