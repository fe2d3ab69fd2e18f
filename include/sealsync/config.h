/*
 * config.h: the agent's configuration (DESIGN.md §3.4, docs/CONFIG.md).
 *
 * One YAML file (--config) and flags; a flag overrides the file, and the
 * conventional environment variables (KUBECONFIG) fill what neither sets.
 * All strings are owned by the struct and freed by ss_config_release.
 * Nothing in here is secret: credentials are named by file path only.
 */
#ifndef SEALSYNC_CONFIG_H
#define SEALSYNC_CONFIG_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_CONFIG_MAX_UNITS 64
#define SS_CONFIG_MAX_RECIPIENTS 16
#define SS_CONFIG_MAX_ALLOWED_NS 64

/* notify: targets (notify.h, docs/OPERATIONS.md "Notifications"). */
#define SS_CONFIG_MAX_NOTIFY 16
#define SS_CONFIG_NOTIFY_EVENTS 5
/* Event names, in the order of enum ss_notify_event (notify.h). */
extern const char *const ss_config_notify_events[SS_CONFIG_NOTIFY_EVENTS];

struct ss_notify_target_config {
	char *name;          /* 1-40 of [a-z0-9-], unique: logs and metrics say it */
	char *type;          /* webhook | slack | teams */
	char *url_file;      /* the URL is a credential: only its file is named here */
	char *secret_file;   /* webhook only (required): the HMAC-SHA256 key */
	char *ca_file;       /* CA bundle instead of the system's (optional) */
	unsigned events;     /* bit i: ss_config_notify_events[i]; default all */
	int insecure;        /* http:// allowed */
	unsigned queue;      /* events queued; 0: notifyQueue */
};

/* A healthChecks entry (docs/CONFIG.md "Health checks and dependsOn"). */
struct ss_unit_check {
	char *api_version, *kind, *name;
	char *namespace_;    /* NULL: the unit's namespace (namespaced kinds) */
};

#define SS_HELM_MAX_VALUES_FILES 16

/*
 * A unit's `helm:` settings (agent/config_helm.c, docs/REPOSITORIES.md).
 * Paths are resolved at load to repository-relative, normalised paths
 * ("" never: "." is the root); URLs are refused there.
 */
struct ss_helm_config {
	char *chart;          /* chart folder, repo-relative */
	char *release_name;   /* NULL: the unit's name */
	char *namespace_;     /* release namespace; NULL: the unit's namespace */
	char *values_files[SS_HELM_MAX_VALUES_FILES]; /* repo-relative, in -f order */
	size_t nvalues_files;
	char *values_json;    /* inline `values` as JSON text (last -f), or NULL */
	char *kube_version;   /* override of the cluster's version, or NULL */
};

struct ss_unit_config {
	char *name;          /* unique; in the owner label and inventory name */
	char *path;          /* folder in the repo ("." for the root) */
	char *namespace_;    /* target namespace for objects that name none */
	int prune;           /* delete what left Git (default 1) */
	int prune_cluster;   /* may also prune Namespaces and CRDs (default 0) */
	int allow_empty;     /* may prune every object of the unit (default 0) */
	int sops;            /* may read SOPS-encrypted Secrets (default 0, sops.h) */
	/* Health and ordering, as a Flux Kustomization (config_units.c). */
	int wait;            /* every applied object must become Current */
	struct ss_unit_check *checks; /* healthChecks: these objects must */
	size_t nchecks;
	char **depends_on;   /* unit names applied and healthy first */
	size_t ndepends;
	unsigned interval_sec; /* how often it is considered; 0: every source poll */
	unsigned timeout_sec;  /* health wait; 0: SS_UNIT_TIMEOUT_DEFAULT */
	int suspend;         /* skipped until resumed */
	/* Tenancy and sharding (end of config.c, docs/CONFIG.md). */
	char *shard;         /* NULL: synced by the agent without a shard */
	char *sa_namespace;  /* serviceAccountName "[NS/]NAME"; NULL NS: namespace_ */
	char *sa_name;       /* NULL: defaultServiceAccount, or the agent itself */
	char *allowed_ns[SS_CONFIG_MAX_ALLOWED_NS]; /* allowedNamespaces */
	size_t nallowed_ns;  /* 0: any namespace (RBAC decides) */
	unsigned allowed_scopes; /* allowedScopes as SS_CONFIG_SCOPE_* bits; 0: not given */
	int allow_plain_secrets; /* no warning for plain Secrets (default 0) */
	struct ss_helm_config *helm; /* NULL unless the unit has `helm:` settings */
};

#define SS_CONFIG_SCOPE_STRICT 1u
#define SS_CONFIG_SCOPE_NAMESPACE 2u
#define SS_CONFIG_SCOPE_CLUSTER 4u

#define SS_UNIT_TIMEOUT_DEFAULT 300
#define SS_UNIT_MAX_CHECKS 256
#define SS_UNIT_MAX_DEPENDS 32

struct ss_config {
	char *name;          /* agent name: owner label is <name>.<unit> */
	char *namespace_;    /* the agent's own namespace (inventory, keys, lease) */
	char *cache_dir;

	/* source */
	char *repo_url, *ref;
	unsigned interval_sec, timeout_sec;
	/* full re-apply of every object (the watches' safety net); 0: every
	 * poll applies everything, no skipping */
	unsigned resync_sec;
	char *token_file, *username, *password_file, *ssh_key_file, *known_hosts_file;
	char *ca_file;
	int insecure;        /* git:// and http:// without a signature policy */
	char *allowed_signers_file;
	int allow_rewind;
	/* --allow-rewind-to SHA: this one commit may roll units back (40-hex). */
	char *allow_rewind_to;

	struct ss_unit_config units[SS_CONFIG_MAX_UNITS];
	size_t nunits;

	int suspend;

	/* keys */
	char *identities_file, *identities_dir;
	int keys_managed;             /* agent-managed key Secret */
	unsigned key_renew_sec;       /* rotation period for managed keys */
	char *extra_recipients[SS_CONFIG_MAX_RECIPIENTS];
	size_t nextra_recipients;
	int allow_unscoped;

	/* target */
	char *kubeconfig, *context;
	char *render;                 /* DIR or "-" : render only, no cluster */
	int show_secrets;             /* only with render "-" */
	char *field_manager;
	int prune;                    /* global switch; a unit prunes only if both are on */
	unsigned concurrency;
	unsigned max_retries;

	/* http + logs */
	char *listen;                 /* host:port, "" disables */
	char *webhook_secret_file;
	char *log_level;
	char *log_format;             /* json | text */

	/* run mode */
	int check_only;               /* -n */
	int once;                     /* --once */
	int no_sandbox;               /* --no-sandbox: key holder without seccomp (warns every sync) */
	int show_version;             /* --version: print versions and exit */

	/* service (server.h, keystore.h, leader.h) */
	char *tls_cert_file, *tls_key_file; /* HTTPS for the agent's endpoints */
	int tls_generate;    /* HTTPS with a certificate made at start (its pin published) */
	/* --import-bitnami FILE|-: convert, print, exit (docs/MIGRATION.md);
	 * the key Secrets' namespace and selector (NULL: Bitnami's defaults) */
	char *import_bitnami, *bitnami_namespace, *bitnami_selector;
	unsigned http_max_body_kib;   /* request body cap (413 past it) */
	unsigned http_posts_per_minute; /* POST rate limit (429 past it) */
	unsigned http_body_budget_kib;  /* all request bodies at once (503 past it) */
	unsigned http_header_timeout_sec;  /* accept to end of headers, absolute */
	unsigned http_request_timeout_sec; /* headers to end of body and reply */
	char *probe_listen;           /* host:port for /healthz + /readyz, "" none */
	int leader_election;          /* default 1; leaderElection: false for one replica */
	int no_leader_election;       /* --no-leader-election */
	char *retired_keys;           /* comma-separated age1... kept but no longer used */

	/* --diff (diff.h): print what the next sync would change, write nothing;
	 * --local DIR: a working tree instead of the Git source, no key */
	int diff;
	char *diff_local;
	/* notify (notify.h) */
	struct ss_notify_target_config notify[SS_CONFIG_MAX_NOTIFY];
	size_t nnotify;
	unsigned notify_queue;        /* events queued per target (default 256) */
	/* tenancy and sharding (end of config.c) */
	char *shard;                  /* --shard: sync only the units of this shard */
	char *default_sa;             /* defaultServiceAccount: for units naming none */
	size_t nunits_all;            /* units in the file, before ss_config_select_shard */
	/* helm units: the helm binary (render.helm / --helm); resolved to an
	 * absolute path by ss_config_helm_resolve when a unit needs it */
	char *helm_bin;
	/* renderer (renderer.h, docs/REPOSITORIES.md) */
	char *render_kustomize;       /* kustomize binary; NULL: found on PATH at start */
	char *render_socket;          /* render.server: send render jobs to this socket */
	char *render_server;          /* --render-server SOCKET: be the render server */
	unsigned render_timeout_sec;  /* per render (default 60) */
	unsigned render_memory_mib;   /* the tool's address space (default 4096) */
};

/* Fills defaults (no strings are NULL afterwards except optional ones). */
int ss_config_init(struct ss_config *c) SS_MUST_CHECK;

/* Loads a YAML config file over c. Errors name the file, line and field. */
int ss_config_load_file(struct ss_config *c, const char *path, struct ss_err *err) SS_MUST_CHECK;

/*
 * Parses command-line flags over c (argv[0] skipped). Returns 0, SS_E_USAGE
 * (message in err), or 1 when --help was printed.
 */
int ss_config_parse_args(struct ss_config *c, int argc, char **argv, struct ss_err *err) SS_MUST_CHECK;

/* Checks the whole configuration for consistency (units, render rules...). */
int ss_config_validate(const struct ss_config *c, struct ss_err *err) SS_MUST_CHECK;

void ss_config_release(struct ss_config *c);

/*
 * config_helm.c: parses a unit's `helm:` mapping (v) into *out (allocated;
 * the unit owns it and frees it with ss_config_helm_free). unit_path is the
 * unit's folder, against which relative chart and values paths resolve.
 * field holds the mapping's path on entry ("units[0].helm"); on error it
 * names the failing field ("units[0].helm.valuesFiles[1]") for the caller's
 * file and line, and the message names the unit. *out is NULL on error.
 */
struct json_t;
int ss_config_helm_parse(struct json_t *v, const char *unit_name, const char *unit_path,
			 struct ss_helm_config **out, char *field, size_t field_len,
			 struct ss_err *err) SS_MUST_CHECK;
void ss_config_helm_free(struct ss_helm_config *h);

/*
 * rel resolved against base (a repository folder; a leading '/' in rel
 * means the repository root), normalised ("." and ".." folded, no empty
 * parts) to a repository-relative path ("." for the root) in *out
 * (malloc). SS_E_INVAL when it climbs above the root, SS_E_LIMIT past
 * 1023 bytes, SS_E_NOMEM.
 */
int ss_config_path_resolve(const char *base, const char *rel, char **out) SS_MUST_CHECK;

/*
 * Resolves c->helm_bin ("helm": searched on PATH) to an absolute path of an
 * executable file, when a unit has helm settings; at start, so that -n says
 * so and a PATH change later cannot swap the binary. 0 when no unit needs it.
 */
int ss_config_helm_resolve(struct ss_config *c, struct ss_err *err) SS_MUST_CHECK;

/* Prints the flags with their placeholders and defaults, on stdout (--help). */
void ss_config_usage(void);

/*
 * Tenancy and sharding (the end of agent/config.c). ss_config_unit_tenancy
 * reads a unit's shard, serviceAccountName, allowedNamespaces and
 * allowedScopes from its YAML mapping (u, a json_t); on error *key names
 * the setting. ss_config_validate_tenancy checks names across units;
 * ss_config_select_shard then keeps only this agent's units (releasing
 * the others). ss_unit_service_account gives the unit's ServiceAccount
 * (its own, else defaultServiceAccount in the unit's namespace): 1 and
 * *ns, *name borrowed from c; 0 when the unit runs as the agent.
 */
int ss_config_unit_tenancy(const void *u, struct ss_unit_config *uc, const char **key,
			   struct ss_err *err) SS_MUST_CHECK;
int ss_config_validate_tenancy(const struct ss_config *c, struct ss_err *err) SS_MUST_CHECK;
void ss_config_select_shard(struct ss_config *c);
int ss_unit_service_account(const struct ss_config *c, const struct ss_unit_config *u,
			    const char **ns, const char **name);
void ss_config_unit_tenancy_release(struct ss_unit_config *u);

/* Parses "30s", "5m", "1h", "720h", "90" (seconds). */
int ss_config_parse_duration(const char *s, unsigned *out);

/* 1 when unit u has health checks (wait or healthChecks). */
int ss_unit_checked(const struct ss_unit_config *u);
/*
 * The units in dependency order (each after the units it depends on,
 * otherwise in config order): order[0..nunits). SS_E_NOTFOUND for a
 * dependsOn naming no unit, SS_E_INVAL for a cycle; err names the units.
 */
int ss_config_unit_order(const struct ss_config *c, size_t *order, struct ss_err *err)
	SS_MUST_CHECK;

#endif
