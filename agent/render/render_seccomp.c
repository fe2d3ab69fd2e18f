/*
 * render_seccomp.c: the renderer's seccomp-BPF policy (raw
 * <linux/filter.h>); common/seccomp.c puts the architecture check in front
 * and installs it, as for the key holder's.
 *
 * A deny list, not an allow list: the tools are large Go programs whose
 * system calls change between releases. What it takes away is what a
 * renderer never needs and an attacker would: the network (socket() of
 * any family but AF_UNIX; TCP is also denied by Landlock from ABI 4),
 * io_uring (whose operations bypass this filter), other processes' memory
 * (ptrace, process_vm_*, pidfd_getfd), kernel attack surface (bpf,
 * perf_event_open, userfaultfd, keyctl) and new namespaces or mounts.
 * They fail with EPERM, so the tool prints an error rather than dying
 * silently. A foreign architecture or an x32 call kills the process.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sealsync/seccomp.h"
#include "render_int.h"

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#define SYS_io_uring_register 427
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define RS_EPERM (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, RS_EPERM)

/* Behind the architecture check of ss_seccomp_install: the number is loaded. */
static const struct sock_filter filter[] = {
	DENY(SYS_io_uring_setup),
	DENY(SYS_io_uring_enter),
	DENY(SYS_io_uring_register),
	DENY(SYS_ptrace),
	DENY(SYS_process_vm_readv),
	DENY(SYS_process_vm_writev),
	DENY(SYS_pidfd_getfd),
	DENY(SYS_bpf),
	DENY(SYS_perf_event_open),
	DENY(SYS_userfaultfd),
	DENY(SYS_keyctl),
	DENY(SYS_add_key),
	DENY(SYS_request_key),
	DENY(SYS_unshare),
	DENY(SYS_setns),
	DENY(SYS_mount),
	DENY(SYS_umount2),
	DENY(SYS_pivot_root),
	DENY(SYS_open_by_handle_at),
	/* socket(): only AF_UNIX (the domain is the low word of args[0] on
	 * both little-endian architectures above). Must stay last: it
	 * replaces the system call number in the accumulator. */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 4),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, RS_EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

int render_seccomp_apply(void)
{
	char reason[128];

	return ss_seccomp_install(filter, sizeof(filter) / sizeof(filter[0]), reason,
				  sizeof(reason)) != 0 ? -1 : 0;
}
