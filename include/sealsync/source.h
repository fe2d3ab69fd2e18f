/*
 * source.h: the agent's Git source (libgit2 1.5), see docs/SOURCE.md.
 *
 * One bare cache repository per remote lives below opts.cache_dir (folder
 * named after a hash of the URL). It is cloned once, then fetched
 * incrementally; no work tree is ever written: files are read from the
 * object database by walking the commit's tree.
 *
 * Network operations (ls-remote, fetch) run in a forked child that is
 * SIGKILLed at the deadline (libgit2 1.5 has no timeouts): SS_E_TIMEOUT.
 * Credentials are read from their files at each use and never appear in
 * errors or warnings; URLs in messages have their userinfo removed.
 *
 * Errors: every function returns 0 or a negative SS_E_* code and fills err
 * (when not NULL) with a message naming the remote (redacted) and the ref:
 *   SS_E_USAGE        bad options (no url, http:// without policy/insecure)
 *   SS_E_NET          remote unreachable, auth refused, host key refused,
 *                     TLS verification failed
 *   SS_E_TIMEOUT      the deadline passed during a network operation
 *   SS_E_NOTFOUND     the ref (or commit id) does not exist on the remote
 *   SS_E_SIG          signature policy: unsigned, untrusted key, wrong
 *                     namespace, bad signature, or a rewind (see below)
 *   SS_E_LIMIT        a blob over max_blob or a revision over max_total
 *   SS_E_IO           cache dir or key/token file problems
 */
#ifndef SEALSYNC_SOURCE_H
#define SEALSYNC_SOURCE_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_SOURCE_DEFAULT_TIMEOUT 60u
#define SS_SOURCE_DEFAULT_MAX_BLOB (4u * 1024 * 1024)
#define SS_SOURCE_DEFAULT_MAX_TOTAL (64u * 1024 * 1024)

/*
 * Options. All strings are borrowed: they must outlive the ss_source.
 * Zero / NULL means the default noted.
 */
struct ss_source_opts {
	const char *url;       /* file://, git://, ssh://, https://, http://;
				  scp-like user@host:path is taken as ssh */
	const char *ref;       /* branch, tag (lightweight or annotated), "refs/..."
				  or a full 40-hex commit id; default "main" */
	const char *cache_dir; /* created 0700 if missing; required */
	unsigned timeout_sec;  /* deadline per network operation; default 60 */

	/* https auth (as Flux's GitRepository secret): either a bearer token
	 * (sent as "Authorization: Bearer <token>") or basic auth with
	 * username + password. Files are read at each use, trailing newline
	 * stripped. */
	const char *token_file;
	const char *username;      /* also the ssh user when the URL has none */
	const char *password_file;

	/* ssh: private key (OpenSSH format, no passphrase) and the known_hosts
	 * file the host key must be in ([host]:port and hashed entries work).
	 * ssh without known_hosts_file is refused. */
	const char *ssh_key_file;
	const char *known_hosts_file;

	/* CA bundle (PEM) that https servers are verified against, instead of
	 * the system bundle /etc/ssl/certs/ca-certificates.crt. */
	const char *ca_file;

	/* git:// and http:// carry no integrity: they are refused unless a
	 * signature policy is set or insecure is 1 (then warn on every poll). */
	int insecure;

	/* Signature policy: git's gpg.ssh.allowedSignersFile format. When set,
	 * every polled commit must carry a valid SSH signature (namespace
	 * "git") by a listed key, and must descend from last_applied unless
	 * allow_rewind. */
	const char *allowed_signers_file;
	int allow_rewind;

	size_t max_blob;  /* cap on one blob; default SS_SOURCE_DEFAULT_MAX_BLOB */
	size_t max_total; /* cap on one read_tree; default ..._MAX_TOTAL */

	/* Warnings (insecure transport, force push used without a policy).
	 * Called synchronously from ss_source_poll; msg holds no secret and is
	 * only valid during the call. NULL: warnings go to stderr. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct ss_source;

/*
 * Validates opts (copies what it needs) and prepares the cache folder; no
 * network access. *out is NULL on error. Free with ss_source_free.
 */
int ss_source_open(const struct ss_source_opts *o, struct ss_source **out,
		   struct ss_err *err) SS_MUST_CHECK;
void ss_source_free(struct ss_source *s);

/*
 * Asks the remote where the ref points (ls-remote) and fetches only when
 * that differs from what the cache already holds. Resolves the ref to a
 * commit, applies the signature policy and the ancestry check against
 * last_applied (40-hex or NULL when nothing was applied yet), and writes
 * the 40-hex commit id plus NUL into commit.
 *
 * *changed = 1 when the commit differs from last_applied (or last_applied
 * is NULL), 0 otherwise. Whether a fetch happened: ss_source_fetched().
 * Without a policy, a commit that does not descend from last_applied (force
 * push) is used and a warning is emitted. On error commit is "" and
 * *changed 0; the cache may already hold the refused commit's objects
 * (harmless: only a commit returned here is ever read). Not thread-safe:
 * one ss_source is used by one thread at a time. Forks a child for the
 * network work, so SIGCHLD must not be ignored (SIG_IGN) by the process.
 */
int ss_source_poll(struct ss_source *s, const char *last_applied, char commit[41],
		   int *changed, struct ss_err *err) SS_MUST_CHECK;

/*
 * 1 when commit (40-hex, from ss_source_poll) is base or descends from it,
 * 0 when not (also when the cache does not hold base), SS_E_USAGE (< 0)
 * when either is not a 40-hex commit id. The agent
 * checks each unit's baseline with it (sync.c, docs/SOURCE.md).
 */
int ss_source_descends(struct ss_source *s, const char *commit, const char *base,
		       struct ss_err *err) SS_MUST_CHECK;

/* 1 when the last ss_source_poll fetched objects, 0 when it did not. */
int ss_source_fetched(const struct ss_source *s);

/* The URL with any userinfo removed, for logs. Owned by s. */
const char *ss_source_url(const struct ss_source *s);

/*
 * The files of one revision. Every regular file and symlink (blob;
 * submodules are skipped) below each of paths ("" or "." means the whole
 * tree; a path may also name a single file), recursively, sorted by full
 * path (bytewise) without duplicates. The caller filters by name
 * (.yaml/.yml/.json, kustomization.yaml). A path that does not exist in the
 * commit: SS_E_NOTFOUND naming it. Over max_blob / max_total: SS_E_LIMIT
 * naming the file. commit must have come from ss_source_poll (or be in the
 * cache). *out is NULL on error; free with ss_tree_free.
 */
struct ss_tree;
int ss_source_read_tree(struct ss_source *s, const char *commit, const char *const *paths,
			size_t npaths, struct ss_tree **out, struct ss_err *err) SS_MUST_CHECK;
size_t ss_tree_count(const struct ss_tree *t);
/* Path relative to the repo root, e.g. "apps/db.yaml"; i < count. */
const char *ss_tree_path(const struct ss_tree *t, size_t i);
/* Blob bytes (NUL-terminated, the NUL not counted in *len); owned by t.
 * For a symlink: its target, as Git stores it (never followed). */
const unsigned char *ss_tree_data(const struct ss_tree *t, size_t i, size_t *len);
/* 1 when entry i is a symlink (readers of files must skip it; only the
 * renderer's copy, renderer.h, recreates the ones that stay inside). A
 * path given to ss_source_read_tree that is itself a symlink is refused. */
int ss_tree_is_symlink(const struct ss_tree *t, size_t i);
/* The blob's Git object id, 40 hex; owned by t (the render cache key). */
const char *ss_tree_oid(const struct ss_tree *t, size_t i);
void ss_tree_free(struct ss_tree *t);

/*
 * --diff --local (diff.h). ss_source_open_local opens the Git repository
 * that dir lies in (found upwards as git finds it, stopping at
 * $GIT_CEILING_DIRECTORIES), with no cache and no remote, so that
 * ss_source_read_tree and ss_source_has_commit read its commits; having no
 * remote, it must never be polled. SS_E_NOTFOUND when dir is in no
 * repository.
 *
 * ss_tree_read_dir reads a working tree as ss_source_read_tree reads a
 * commit: every regular file below each of paths (relative to root),
 * sorted, with the same caps (SS_SOURCE_DEFAULT_MAX_BLOB per file,
 * ..._MAX_TOTAL in all). Symbolic links are skipped, as in a commit, so
 * nothing outside root is read; so are .git folders. A path that does not
 * exist: SS_E_NOTFOUND naming it.
 */
int ss_source_open_local(const char *dir, struct ss_source **out, struct ss_err *err)
	SS_MUST_CHECK;
/* 1 when the repository holds commit (40 hex), else 0. */
int ss_source_has_commit(struct ss_source *s, const char *commit);
int ss_tree_read_dir(const char *root, const char *const *paths, size_t npaths,
		     struct ss_tree **out, struct ss_err *err) SS_MUST_CHECK;

#endif
