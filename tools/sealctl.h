/*
 * sealctl.h: what sealctl's verb files share: the verb handler type, the
 * verb handlers, and small helpers for errors, input and common options.
 *
 * A handler gets argv with argv[0] = the verb name, and returns the exit
 * code: 0 ok, 1 bad input or crypto failure, 2 usage.
 */
#ifndef SEALCTL_H
#define SEALCTL_H

#include <stddef.h>

#include "sealsync/age.h"
#include "sealsync/buf.h"
#include "sealsync/err.h"
#include "sealsync/keys.h"
#include "sealsync/scope.h"

#define SEALCTL_EXIT_OK 0
#define SEALCTL_EXIT_FAIL 1
#define SEALCTL_EXIT_USAGE 2

/* Largest input value (a Kubernetes Secret is at most 1 MiB) and sealed text. */
#define SEALCTL_VALUE_MAX (1u << 20)
#define SEALCTL_SEALED_MAX (4u << 20)

typedef int sealctl_handler(int argc, char **argv);

/* Verbs of sealctl_keys.c and sealctl_raw.c. */
sealctl_handler sealctl_cmd_keygen;
sealctl_handler sealctl_cmd_rotate;
sealctl_handler sealctl_cmd_seal_raw;
sealctl_handler sealctl_cmd_recover_raw;
sealctl_handler sealctl_cmd_inspect_raw;
sealctl_handler sealctl_cmd_completion; /* sealctl_completion.c */

/* Prints "sealctl: <formatted error>" on stderr; returns 1. */
int sealctl_fail(const struct ss_err *e);
/* Prints "sealctl <verb>: <message>" and a --help hint on stderr; returns 2. */
int sealctl_usage(const char *verb, const char *fmt, ...) SS_PRINTF(2, 3);

/*
 * Unknown option arg for verb: a usage error (returns 2) that suggests the
 * closest of lopts' long names ("did you mean --identity?").
 */
struct option;
int sealctl_bad_option(const char *verb, const char *arg, const struct option *lopts);

/* Recipients gathered from -r and -R (at most SS_AGE_MAX_X25519). */
struct sealctl_recipients {
	struct ss_recipient v[SS_AGE_MAX_X25519];
	size_t n;
};
int sealctl_recipients_add(struct sealctl_recipients *r, const char *age1, struct ss_err *err);
int sealctl_recipients_add_file(struct sealctl_recipients *r, const char *path, struct ss_err *err);

/* --scope/--namespace/--name/--key as given (NULL when absent). */
struct sealctl_scope_opts {
	const char *mode, *ns, *name, *key;
};
/* 1 when any scope option was given. */
int sealctl_scope_given(const struct sealctl_scope_opts *o);
/* Builds the scope (mode defaults to strict). SS_E_USAGE with a message on a bad combination. */
int sealctl_scope_build(const struct sealctl_scope_opts *o, struct ss_scope *out, struct ss_err *err);

/* Reads path ("-" or NULL: stdin) into b (initialised by the caller, with its max). */
int sealctl_read_input(const char *path, struct ss_buf *b, struct ss_err *err);

/* Loads each -i argument (file, or folder of files) into kr. */
int sealctl_load_identities(struct ss_keyring *kr, char **paths, size_t n, struct ss_err *err);

#endif
