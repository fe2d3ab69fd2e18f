/*
 * cmd_manifest.h: sealctl's manifest-level verbs (SealedSecret in or out)
 * and what their files share: option parsing, loading files and trees.
 *
 * Handlers follow sealctl.h: argv[0] is the verb, the return is the exit
 * code (0 ok, 1 bad input or crypto failure, 2 usage).
 */
#ifndef SEALCTL_CMD_MANIFEST_H
#define SEALCTL_CMD_MANIFEST_H

#include <stddef.h>

#include "sealsync/emit.h"
#include "sealsync/object.h"
#include "sealsync/sealed.h"
#include "sealsync/yaml.h"

#include "cmd_agent.h"
#include "sealctl.h"

sealctl_handler sealctl_cmd_seal;
sealctl_handler sealctl_cmd_reseal;
sealctl_handler sealctl_cmd_verify;
sealctl_handler sealctl_cmd_recover;
sealctl_handler sealctl_cmd_inspect;
sealctl_handler sealctl_cmd_set;   /* cmd_set.c */
sealctl_handler sealctl_cmd_unset; /* cmd_set.c */

/* Which options a verb takes (cm_parse refuses the others). */
enum {
	CM_RECIPIENTS = 1 << 0, /* -r, -R */
	CM_IDENTITIES = 1 << 1, /* -i */
	CM_FORMAT = 1 << 2,     /* -o yaml|json */
	CM_SCOPE = 1 << 3,      /* --scope */
	CM_NAMESPACE = 1 << 4,  /* -n, --namespace */
	CM_MERGE = 1 << 5,      /* --merge-into FILE */
	CM_IN_PLACE = 1 << 6,   /* --in-place */
	CM_UNSCOPED = 1 << 7,   /* --allow-unscoped */
	CM_AGENT = 1 << 8,      /* --agent URL, --agent-ca FILE, --pin age1... */
	CM_WRITE = 1 << 9,      /* -w, --output FILE */
	CM_REPORT = 1 << 10,    /* -o text|json (a report, not manifests) */
	CM_BUILD = 1 << 11,     /* --from-literal K=V, --from-file [K=]PATH, --name */
};

#define CM_MAX_IDS 64
#define CM_MAX_FROM 256

struct cm_opts {
	struct sealctl_recipients rcpt;
	char *ids[CM_MAX_IDS];
	size_t nids;
	enum ss_emit_format fmt;
	const char *scope, *ns, *merge_into;
	const char *write_to; /* -w FILE: NULL for stdout */
	char default_scope[16]; /* --scope from .sealsync.yaml */
	const char *name;     /* --name: the Secret to build from --from-* */
	const char *from[CM_MAX_FROM]; /* --from-literal K=V / --from-file [K=]PATH */
	int from_is_file[CM_MAX_FROM];
	size_t nfrom;
	int in_place, allow_unscoped, allow_mixed, help;
	struct sealctl_agent agent; /* agent.url NULL: offline */
	char **paths; /* the operands */
	int npaths;
};

/*
 * Parses argv for a verb that takes `allowed` options. Returns 0, or an exit
 * code: 2 for usage, 1 for a bad recipient or recipients file. With --help
 * it prints help (to stdout) and sets o->help; the caller returns 0.
 */
int cm_parse(int argc, char **argv, unsigned allowed, const char *help, struct cm_opts *o);

/* One loaded file: its text and its documents. */
struct cm_file {
	const char *name; /* path, or "<stdin>" */
	struct ss_buf text;
	struct ss_docset *ds;
};

/*
 * Reads path ("-": stdin; capped at SEALCTL_SEALED_MAX bytes) into f and
 * loads its documents. secure: keep the text in guarded memory (plaintext
 * input). cm_file_release frees both; it is safe after a failed load.
 */
int cm_file_load(struct cm_file *f, const char *path, int secure, struct ss_err *err);
void cm_file_release(struct cm_file *f);

/*
 * Calls fn on every document of f, and on every item of a v1 List
 * document (as kubectl reads them). Stops at fn's first nonzero return.
 */
typedef int cm_doc_fn(const json_t *doc, const struct ss_origin *o, void *ctx,
		      struct ss_err *err);
int cm_each_doc(const struct cm_file *f, cm_doc_fn *fn, void *ctx, struct ss_err *err);

/*
 * 1 when doc means to be one of ours: apiVersion sealsync.dev/... or kind
 * SealedSecret. Such documents are parsed (and refused when wrong: another
 * kind, a Bitnami SealedSecret); others are left alone.
 */
int cm_is_sealed_like(const json_t *doc);

/*
 * Puts origin o on err, at the line of err's field and key when the
 * document knows it (for errors that come back from the agent).
 */
void cm_err_at_value(struct ss_err *err, const struct ss_origin *o);

/* The origin of document i of f, for errors. */
void cm_origin(const struct cm_file *f, size_t i, struct ss_origin *o);

/*
 * Calls fn on every YAML/JSON file (.yaml, .yml, .json) under each path, in
 * sorted order; a path that is a file is taken whatever its name. Dot
 * folders (.git) and symlinks in trees are skipped. Stops at the first
 * nonzero return of fn and returns it. SS_E_LIMIT past 100000 files or depth
 * 64; *ntotal (when not NULL) receives the file count before fn is called
 * (for progress lines).
 */
typedef int cm_file_fn(const char *path, size_t index, size_t total, void *ctx);
int cm_walk(char **paths, int npaths, cm_file_fn *fn, void *ctx, struct ss_err *err);

/* The namespace s is used in: its own, else -n (NULL when neither). */
const char *cm_effective_ns(const struct ss_sealed *s, const struct cm_opts *o);

/* Loads every -i into a new keyring (*out NULL on error). */
int cm_keyring(const struct cm_opts *o, struct ss_keyring **out, struct ss_err *err);

/*
 * Loads text (a file about to be written) and parses every SealedSecret in
 * it: what sealctl writes must be what it would accept.
 */
int cm_check_sealed_text(const char *name, const struct ss_buf *text, struct ss_err *err);

/*
 * --agent mode (cmd_remote.c). cm_agent_recipients appends the agent's
 * sealing recipients (pinned when --pin is given) to o->rcpt.
 * cm_agent_reseal sends s to POST /v1/reseal and parses the answer into
 * *out (the same SealedSecret resealed by the agent). cm_agent_verify sends
 * s to POST /v1/verify (ns: for a manifest that names none); a value the
 * agent cannot open is SS_E_NOMATCH naming its key.
 */
int cm_agent_recipients(struct cm_opts *o, struct ss_err *err);
/* Checks the --agent options and fetches the recipients: 0 or an exit code. */
int cm_agent_setup(struct cm_opts *o, const char *verb);
int cm_agent_reseal(const struct cm_opts *o, const struct ss_sealed *s, struct ss_sealed **out,
		    struct ss_err *err);
int cm_agent_verify(const struct cm_opts *o, const struct ss_sealed *s, const char *ns,
		    struct ss_err *err);

/*
 * A v1 Secret named o->name (in -n's namespace, when given) whose data are
 * the --from-literal and --from-file values (cmd_seal_build.c), as kubectl
 * create secret generic builds it. File values are read into guarded
 * memory; jansson wipes what it frees (cm_parse sets that up).
 */
int cm_build_secret(const struct cm_opts *o, json_t **out, struct ss_err *err);

/*
 * Seals built (a Secret; NULL: read o->paths[0] or stdin) as `sealctl seal`
 * does with options o: to stdout, -w or --merge-into. Returns the exit code.
 */
int cm_seal_main(const struct cm_opts *o, const char *verb, const json_t *built);

/* A Secret of one key: name, key, value bytes (for `sealctl set`). */
int cm_build_one(const char *name, const char *key, const unsigned char *v, size_t n,
		 json_t **out, struct ss_err *err);

/*
 * No -r, -R or --agent: the recipients (and maybe the scope) from
 * SEALSYNC_RECIPIENTS, SEALSYNC_RECIPIENTS_FILE or .sealsync.yaml's first
 * rule matching target (the file written; NULL: stdout), saying where they
 * came from on stderr (sealctl_defaults.c). 0, or an exit code.
 */
int cm_default_recipients(struct cm_opts *o, const char *target, const char *verb);

/* Writes all of b to stdout; SS_E_IO naming stdout. */
int cm_write_stdout(const struct ss_buf *b, struct ss_err *err);

/*
 * Writes b to o->write_to atomically (mode 0644, or the file's own) when
 * -w was given, else to stdout. A failed run never reaches this, so -w FILE
 * is either the whole new output or left as it was.
 */
int cm_write_output(const struct cm_opts *o, const struct ss_buf *b, struct ss_err *err);

#endif
