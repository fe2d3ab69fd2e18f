/*
 * source_int.h: shared between agent/source*.c only (not a public API).
 */
#ifndef SEALSYNC_SOURCE_INT_H
#define SEALSYNC_SOURCE_INT_H

#include <git2.h>

#include "sealsync/buf.h"
#include "sealsync/source.h"
#include "sealsync/sshsig.h"

enum source_transport { SRC_FILE, SRC_GIT, SRC_SSH, SRC_HTTPS, SRC_HTTP };

#define SOURCE_REFNAME_MAX 256
#define SOURCE_SECRET_MAX 4096 /* token / password file cap */

struct ss_source {
	struct ss_source_opts o; /* borrowed strings, see source.h */
	char *url_safe;          /* url without userinfo, for messages */
	char *url_user;          /* user from the URL (ssh), or NULL */
	char *host;              /* for ssh host key checks */
	int port;                /* 22 unless the URL says otherwise */
	char *repo_path;         /* the bare cache repository */
	enum source_transport transport;
	int is_commit;           /* o.ref is a full 40-hex commit id */
	int fetched;
	git_repository *repo;
};

/* What the network child learned. */
struct source_remote {
	char oid[GIT_OID_HEXSZ + 1];     /* where the remote ref points; "" for a commit id */
	char name[SOURCE_REFNAME_MAX];   /* full ref name, e.g. refs/heads/main */
	int fetched;
};

/* ls-remote, then fetch when the remote moved, in a child killed at the
 * deadline (source_net.c). */
int source_net_update(struct ss_source *s, struct source_remote *r, struct ss_err *err);

/* The download of r (a ref the listing found) from a file:// source into
 * the cache as one pack, and the ref set as a forced fetch sets it
 * (source_fetch_local.c); in the network child. */
int source_fetch_local(struct ss_source *s, git_repository *cache, struct source_remote *r,
		       struct ss_err *err);

/* Checks the SSH host key against o.known_hosts_file (source_knownhosts.c).
 * Returns 0 or SS_E_NET with the reason in err. */
int source_hostkey_check(const struct ss_source *s, const git_cert_hostkey *cert,
			 struct ss_err *err);

/* Reads a credential file (trailing newline stripped) into a secure
 * buffer initialised by the caller. */
int source_secret_read(const char *path, const char *what, struct ss_buf *out,
		       struct ss_err *err);

/* Sets err from libgit2's last error, with the message scrubbed of the raw
 * URL (which may hold userinfo). */
int source_git_err(const struct ss_source *s, int code, const char *what, struct ss_err *err);

/* The tree's list, for the working tree reader (source_local.c): push
 * takes ownership of path and data; sort orders it and drops duplicates. */
struct ss_tree *source_tree_new(void);
int source_tree_push(struct ss_tree *t, char *path, unsigned char *data, size_t len);
void source_tree_sort(struct ss_tree *t);

/* Prefixes err with "source URL ref REF" so every error names the place. */
int source_err_place(const struct ss_source *s, int rc, struct ss_err *err);

#endif
