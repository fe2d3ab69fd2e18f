/* seccomp.c: a seccomp-BPF filter behind the architecture check (seccomp.h).
 * Linux only, as the agent that uses it; no library beyond libc. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sealsync/seccomp.h"

#if defined(__x86_64__)
#define SC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define SC_AUDIT_ARCH 0 /* unknown: ss_seccomp_install refuses */
#endif

static const struct sock_filter prologue[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_AUDIT_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1), /* x32 ABI */
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
};

#define PROLOGUE_N (sizeof(prologue) / sizeof(prologue[0]))

static int fail(int e, const char *what, char *reason, size_t len)
{
	snprintf(reason, len, "%s: %s", what, strerror(e));
	return -e;
}

int ss_seccomp_install(const struct sock_filter *body, size_t n, char *reason, size_t len)
{
	struct sock_filter prog[PROLOGUE_N + SS_SECCOMP_BODY_MAX];
	struct sock_fprog fp = {(unsigned short)(PROLOGUE_N + n), prog};

	if (SC_AUDIT_ARCH == 0) {
		snprintf(reason, len, "no seccomp filter for this architecture");
		return -ENOSYS;
	}
	if (n == 0 || n > SS_SECCOMP_BODY_MAX)
		return fail(n == 0 ? EINVAL : E2BIG, "seccomp filter", reason, len);
	memcpy(prog, prologue, sizeof(prologue));
	memcpy(prog + PROLOGUE_N, body, n * sizeof(*body));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(errno, "PR_SET_NO_NEW_PRIVS", reason, len);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) != 0)
		return fail(errno, "seccomp filter", reason, len);
	return 0;
}
