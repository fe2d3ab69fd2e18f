/*
 * renderer.h: running a rendering tool (kustomize, helm) on a revision's
 * files, confined (docs/REPOSITORIES.md "What the renderer can reach").
 *
 * The renderer never sees a key, a token or a plaintext value:
 *  - it works on a private copy (folder 0700 below opts.tmp_dir) of Git
 *    content only: ciphertext, never a decrypted value;
 *  - a symlink in the copy is recreated only when it resolves, through real
 *    folders of the copy, to a file or folder of the copy; an absolute
 *    target or one that leaves the copy is refused naming the file;
 *  - the tool runs in a child with a cleared environment (PATH=/nonexistent,
 *    HOME, TMPDIR and XDG_* in a private scratch folder; nothing of the
 *    agent's environment, so no HELM_*, KUSTOMIZE_PLUGIN_HOME, KUBECONFIG),
 *    no inherited fds, no new privileges, rlimits (address space, CPU,
 *    file size, core), a seccomp filter (every socket family but AF_UNIX,
 *    io_uring, ptrace, process_vm_*, bpf, keyctl, unshare, setns, mount:
 *    EPERM), Landlock where the kernel has it (read+exec on the tool and
 *    the system folders, read on the copy, write on scratch only; TCP
 *    denied from ABI 4, signals and abstract sockets scoped from ABI 6),
 *    in its own process group, SIGKILLed at the deadline;
 *  - or, with opts.server, the job goes to a render server
 *    (`sealsync-agent --render-server SOCKET`, another container without
 *    keys or token) which does the same on its side.
 *
 * Errors: 0 or a negative SS_E_* code, err filled with a message that names
 * the unit and job->what (never file contents beyond the tool's stderr):
 *   SS_E_UNSUPPORTED  a symlink that leaves the copy, a bad path
 *   SS_E_TIMEOUT      "render of unit X exceeded its timeout of Ns"
 *   SS_E_LIMIT        output over max_output, too many / too large files
 *   SS_E_INVAL        the tool failed (exit status, its stderr, bounded)
 *   SS_E_IO           the copy or the child could not be made
 *   SS_E_PERM         the sandbox could not be applied (and !no_sandbox)
 *   SS_E_NET          the render server is unreachable or broke the protocol
 */
#ifndef SEALSYNC_RENDERER_H
#define SEALSYNC_RENDERER_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_RENDERER_DEFAULT_TIMEOUT 60u
#define SS_RENDERER_DEFAULT_MAX_OUTPUT (64u * 1024 * 1024)
#define SS_RENDERER_DEFAULT_MEMORY_MIB 4096u
#define SS_RENDERER_MAX_STDERR (16u * 1024)
#define SS_RENDERER_MAX_FILES 100000u
#define SS_RENDERER_MAX_ARGS 64u

/* One file of the revision as the renderer gets it: Git content. */
struct ss_renderer_file {
	const char *path;          /* relative to the repo root: "apps/base/a.yaml" */
	const unsigned char *data; /* the bytes; for a symlink its target */
	size_t len;
	int symlink;               /* 1: data is a symlink target (not NUL-terminated) */
};

/* All strings borrowed. Zero / NULL means the default noted. */
struct ss_renderer_opts {
	const char *unit;          /* the unit's name, in messages */
	const char *tmp_dir;       /* parent of the private copies; created 0700
				      if missing; required (the agent uses
				      <cacheDir>/render) */
	const char *server;        /* render server socket; NULL: local child */
	unsigned timeout_sec;      /* default SS_RENDERER_DEFAULT_TIMEOUT */
	size_t max_output;         /* stdout cap, default ..._MAX_OUTPUT */
	unsigned memory_mib;       /* RLIMIT_AS in MiB; 0: no cap (a sanitizer
				      build maps terabytes of shadow); the
				      agent's default is ..._MEMORY_MIB */
	int no_sandbox;            /* seccomp unavailable: warn instead of
				      refusing (--no-sandbox) */
};

struct ss_renderer_job {
	const char *tool;          /* absolute path of the program */
	const char *const *args;   /* arguments after argv[0], NULL-terminated;
				      at most SS_RENDERER_MAX_ARGS */
	const char *cwd;           /* folder in the copy, relative to its root
				      ("" or "." for the root) */
	const char *what;          /* "apps/overlays/prod (kustomize build)" */
};

/*
 * Copies files into a private folder, runs job there confined (or sends
 * both to opts->server), removes the folder, and returns the tool's stdout
 * in *out (malloc, NUL-terminated, *len without the NUL; the caller frees;
 * it holds no secret: the input was ciphertext). *out is NULL on error.
 */
int ss_renderer_run(const struct ss_renderer_opts *o, const struct ss_renderer_file *files,
		    size_t nfiles, const struct ss_renderer_job *job, unsigned char **out,
		    size_t *len, struct ss_err *err) SS_MUST_CHECK;

/*
 * The pieces of ss_renderer_run, for the render server and the tests.
 * A copy is <tmp_dir>/render-XXXXXX/{tree,scratch}, all 0700; tree holds
 * the files, scratch is the tool's HOME and TMPDIR. ss_renderer_copy_free
 * removes the whole folder (whatever the tool left in scratch).
 */
struct ss_renderer_copy;
int ss_renderer_copy_create(const char *tmp_dir, const struct ss_renderer_file *files,
			    size_t nfiles, struct ss_renderer_copy **out,
			    struct ss_err *err) SS_MUST_CHECK;
const char *ss_renderer_copy_root(const struct ss_renderer_copy *c);    /* .../tree */
const char *ss_renderer_copy_scratch(const struct ss_renderer_copy *c); /* .../scratch */
void ss_renderer_copy_free(struct ss_renderer_copy *c);

/* Runs job confined in copy c (local child only: opts->server is ignored). */
int ss_renderer_exec(const struct ss_renderer_copy *c, const struct ss_renderer_job *job,
		     const struct ss_renderer_opts *o, unsigned char **out, size_t *len,
		     struct ss_err *err) SS_MUST_CHECK;

/*
 * The Landlock ABI this kernel offers (0: none), for logs and tests. The
 * first run logs which ABI it applied, or warns once that the file system
 * is not confined.
 */
int ss_renderer_landlock_abi(void);

/*
 * An absolute path (symlinks resolved) for the program name found on PATH,
 * as at the agent's start (render.kustomize's default). SS_E_NOTFOUND when
 * it is not there. *out is malloc'd; the caller frees it.
 */
int ss_renderer_find_tool(const char *name, char **out) SS_MUST_CHECK;

/*
 * kustomize units (kustomize_scan.c, kustomize.c).
 *
 * ss_kustomize_scan walks the kustomization in dir and every one it
 * reaches (resources, bases, components: folders; plus the paths of
 * patches*, crds, configurations, openapi.path, replacements, the
 * generators' files/envs/env, transformers/generators/validators), and
 * refuses, naming the kustomization file (err->file, ->line) and the field
 * (err->field, e.g. "components[1]"):
 *   SS_E_UNSUPPORTED  a remote reference (http(s)://, ssh://, git@, git::,
 *                     "?ref=", "//", a host-like first component such as
 *                     github.com/o/r), an absolute path, a path above the
 *                     repository root, helmCharts/helmGlobals, a plugin or
 *                     KRM function in transformers/generators/validators
 *   SS_E_NOTFOUND     a reference that is no file or folder of files (which
 *                     kustomize would try as a remote), a folder without
 *                     kustomization
 *   SS_E_INVAL, SS_E_LIMIT  malformed, too deep (32) or too many (256)
 * On success out->dirs[0] is dir itself; out->dirs are the folders visited
 * (the render cache key is the content below them) and out->files their
 * kustomization files. Release with ss_kustomize_scan_release (also after
 * an error: out is then empty).
 */
#define SS_KUSTOMIZE_MAX_DIRS 256
struct ss_kustomize_scan {
	char *dirs[SS_KUSTOMIZE_MAX_DIRS];  /* repo-relative, "" the root */
	char *files[SS_KUSTOMIZE_MAX_DIRS]; /* "apps/base/kustomization.yaml" */
	size_t n;
};
int ss_kustomize_scan(const struct ss_renderer_file *files, size_t nfiles, const char *dir,
		      struct ss_kustomize_scan *out, struct ss_err *err) SS_MUST_CHECK;
void ss_kustomize_scan_release(struct ss_kustomize_scan *s);
/* The kustomization file in dir ("kustomization.yaml", ".yml" or
 * "Kustomization", written into buf), or NULL when dir has none. */
const char *ss_kustomize_file_in(const struct ss_renderer_file *files, size_t n,
				 const char *dir, char *buf, size_t len);

/*
 * `kustomize build --load-restrictor LoadRestrictionsRootOnly .` in
 * scan->dirs[0], through ss_renderer_run, on the files below the scanned
 * folders only. kustomize is the binary's absolute path (NULL: an error
 * that says how to configure it). Output and errors as ss_renderer_run;
 * job names are "<dir> (kustomize build)".
 */
int ss_kustomize_build(const struct ss_renderer_opts *o, const char *kustomize,
		       const struct ss_renderer_file *files, size_t nfiles,
		       const struct ss_kustomize_scan *scan, unsigned char **out, size_t *len,
		       struct ss_err *err) SS_MUST_CHECK;

/*
 * Render server (`sealsync-agent --render-server SOCKET`): listens on a
 * Unix socket (created 0660, an existing socket file replaced), serves one
 * job per connection, forever; o->server is ignored, o->tmp_dir and the
 * caps apply. Returns only on a setup error or when *stop becomes nonzero.
 */
int ss_renderer_serve(const char *socket_path, const struct ss_renderer_opts *o,
		      volatile int *stop, struct ss_err *err) SS_MUST_CHECK;

#endif
