/*
 * seccomp.h: installing a seccomp-BPF filter in the calling process, for
 * the agent's confined children (the key holder, the renderer).
 *
 * The caller writes only its policy, the body. ss_seccomp_install puts in
 * front of it what every filter here needs: a system call of a foreign
 * architecture, or an x32 one on x86-64, kills the process (its numbers
 * would mean other calls); then the system call number is loaded into the
 * accumulator for the body. Jumps in the body are relative, so it keeps
 * its meaning behind the prologue. The body must end every path with a
 * BPF_RET.
 *
 * Sets PR_SET_NO_NEW_PRIVS first (required for an unprivileged filter).
 * Returns 0, or -errno with why in reason (NUL-terminated, truncated to
 * len): -ENOSYS on an architecture without a known audit number, -E2BIG
 * for a body over SS_SECCOMP_BODY_MAX instructions. Nothing is allocated.
 */
#ifndef SEALSYNC_SECCOMP_H
#define SEALSYNC_SECCOMP_H

#include <stddef.h>

#define SS_SECCOMP_BODY_MAX 256

struct sock_filter;

int ss_seccomp_install(const struct sock_filter *body, size_t n, char *reason, size_t len);

#endif
