/*
 * keyholder.h: the agent's privilege-separated key holder (docs/ARCHITECTURE.md,
 * "Processes"; OpenSSH's monitor, OpenBGPD's typed imsgs).
 *
 * ss_keyholder_start forks a child that holds the identities in guarded
 * memory and answers five typed requests over a socketpair:
 *
 *   LOAD        identity text (age-keygen format) -> number of identities
 *   OPEN        value + expected scope + allow_unscoped + budget -> plaintext
 *   RESEAL      value + expected scope + ... + recipients -> the value
 *               rewrapped (ss_age_reseal: new header, same payload)
 *   RECIPIENTS  -> the public keys, active last
 *   OPEN_SOPS_KEY  an age file holding a SOPS data key + budget -> exactly
 *               32 bytes; a file with a sealsync stanza or any stanza but
 *               X25519 is refused (ss_sops_open_datakey, sops.h)
 *
 * Each message is a fixed header (type, body length) and a body of at most
 * SS_KH_MAX_BODY bytes; anything else ends the child. The child parses no
 * Git, YAML or HTTP: only age values, identity text and these messages.
 * Errors come back as a code and a message (never a value or key).
 *
 * Sandbox: the child sets PR_SET_NO_NEW_PRIVS and a seccomp-BPF allow list
 * (read/write on its socket, memory management, getrandom, futex, exit...);
 * socket, connect, open and everything else fail with EPERM. Both
 * processes are non-dumpable with RLIMIT_CORE 0.
 *
 * A dead key holder (EOF on the socket) makes every request fail with
 * SS_E_IO "key holder exited"; the agent then exits (see main.c) so that
 * the kubelet restarts the pod: we do not fork again from a threaded process.
 *
 * Threads: requests are serialised by a mutex (sync thread and HTTP thread).
 */
#ifndef SEALSYNC_KEYHOLDER_H
#define SEALSYNC_KEYHOLDER_H

#include <stddef.h>
#include <sys/types.h>

#include "sealsync/age.h"
#include "sealsync/err.h"
#include "sealsync/keys.h"

#define SS_KH_MAX_VALUE (4u << 20)                 /* a sealed value, bytes */
#define SS_KH_MAX_BODY (SS_KH_MAX_VALUE + 65536u) /* any message body */

struct ss_keyholder;

/*
 * A test-only extra request, run inside the sandboxed child: type is any
 * value >= SS_KH_DEBUG_BASE; fn writes at most 256 bytes of text to out and
 * returns its length. The agent passes NULL (no such request exists).
 */
#define SS_KH_DEBUG_BASE 0x7f00u
struct ss_keyholder_debug {
	size_t (*fn)(unsigned type, const unsigned char *body, size_t len, char *out,
		     size_t outmax);
};

/*
 * Forks the key holder. sandbox 1: apply NO_NEW_PRIVS + seccomp in the
 * child; whether that worked is ss_keyholder_sandboxed() (the caller
 * decides whether to run without). Must be called before any thread starts.
 * debug may be NULL. *out NULL on error.
 */
int ss_keyholder_start(int sandbox, const struct ss_keyholder_debug *debug,
		       struct ss_keyholder **out, struct ss_err *err) SS_MUST_CHECK;

/* Closes the socket (the child exits and wipes its keys) and reaps it. */
void ss_keyholder_stop(struct ss_keyholder *kh);

/* 1 when the seccomp filter is in place; else 0 and why in reason. */
int ss_keyholder_sandboxed(const struct ss_keyholder *kh, char *reason, size_t len);

pid_t ss_keyholder_pid(const struct ss_keyholder *kh);

/* 0 once the child has exited or the socket failed; else 1. */
int ss_keyholder_alive(struct ss_keyholder *kh);

/*
 * Replaces the child's identities with those in kr (serialised through
 * guarded memory, wiped after sending). kr stays the caller's: free it
 * right after to leave no identity in this process.
 */
int ss_keyholder_load(struct ss_keyholder *kh, const struct ss_keyring *kr,
		      struct ss_err *err) SS_MUST_CHECK;

/* The child's public keys, oldest first (active last); returns how many. */
int ss_keyholder_recipients(struct ss_keyholder *kh, struct ss_recipient *out, size_t max,
			    size_t *n, struct ss_err *err) SS_MUST_CHECK;

/* Points o's delegates (open_fn, reseal_fn, sops_key_fn) at kh; o->kr may stay NULL. */
void ss_keyholder_bind(struct ss_keyholder *kh, struct ss_age_open_opts *o);

/* A debug request (tests): reply text into out (NUL-terminated). */
int ss_keyholder_debug(struct ss_keyholder *kh, unsigned type, const void *body, size_t len,
		       char *out, size_t outmax, struct ss_err *err) SS_MUST_CHECK;

#endif
