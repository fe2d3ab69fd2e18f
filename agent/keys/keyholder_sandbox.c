/*
 * keyholder_sandbox.c: the key holder's seccomp-BPF allow list (raw
 * <linux/filter.h>; libseccomp would add a dependency for ~40 lines).
 *
 * Allowed: what serving requests from an already open socket needs: read,
 * write, memory management (sodium_malloc: mmap, mprotect, madvise, mlock),
 * getrandom (sealing on /v1/reseal), futex, clocks, signal return and
 * stack, exit.
 * Everything else, socket, connect, open*, execve, ptrace included, fails
 * with EPERM: an attacker who gets code execution in the key holder cannot
 * reach the network or the file system. A foreign architecture or an x32
 * system call kills the process.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "keyholder_int.h"

#if defined(__x86_64__)
#define KH_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define KH_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define KH_AUDIT_ARCH 0 /* unknown: kh_sandbox_apply refuses */
#endif

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static const struct sock_filter filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KH_AUDIT_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1), /* x32 ABI */
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
	ALLOW(SYS_read),
	ALLOW(SYS_write),
	ALLOW(SYS_readv),
	ALLOW(SYS_writev),
	ALLOW(SYS_close),
	ALLOW(SYS_mmap),
	ALLOW(SYS_munmap),
	ALLOW(SYS_mremap),
	ALLOW(SYS_mprotect),
	ALLOW(SYS_brk),
	ALLOW(SYS_madvise),
	ALLOW(SYS_mlock),
	ALLOW(SYS_munlock),
	ALLOW(SYS_getrandom),
	ALLOW(SYS_futex),
	ALLOW(SYS_clock_gettime),
	ALLOW(SYS_clock_nanosleep),
	ALLOW(SYS_nanosleep),
	ALLOW(SYS_sched_yield),
	ALLOW(SYS_rt_sigreturn),
	ALLOW(SYS_rt_sigprocmask),
	ALLOW(SYS_sigaltstack), /* ASan's _exit interceptor unsets its signal stack */
	ALLOW(SYS_getpid),
	ALLOW(SYS_gettid),
	ALLOW(SYS_exit),
	ALLOW(SYS_exit_group),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
};

int kh_sandbox_apply(char *reason, size_t len)
{
	struct sock_fprog prog = {(unsigned short)(sizeof(filter) / sizeof(filter[0])),
				  (struct sock_filter *)filter};
	int e;

	if (KH_AUDIT_ARCH == 0) {
		snprintf(reason, len, "no seccomp filter for this architecture");
		return -ENOSYS;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		e = errno;
		snprintf(reason, len, "PR_SET_NO_NEW_PRIVS: %s", strerror(e));
		return -e;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
		e = errno;
		snprintf(reason, len, "seccomp filter: %s", strerror(e));
		return -e;
	}
	return 0;
}
