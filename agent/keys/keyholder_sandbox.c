/*
 * keyholder_sandbox.c: the key holder's seccomp-BPF allow list (raw
 * <linux/filter.h>; libseccomp would add a dependency for ~40 lines).
 * common/seccomp.c puts the architecture check in front and installs it.
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
#include <sys/syscall.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sealsync/seccomp.h"
#include "keyholder_int.h"

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Behind the architecture check of ss_seccomp_install: the number is loaded. */
static const struct sock_filter filter[] = {
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
	return ss_seccomp_install(filter, sizeof(filter) / sizeof(filter[0]), reason, len);
}
