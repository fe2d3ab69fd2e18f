/*
 * render_landlock.c: the renderer's file system (and, from ABI 4, TCP)
 * confinement with Landlock, built in the parent and enforced by the child.
 *
 * Debian 12's <linux/landlock.h> knows ABI 2 at most; the later rights are
 * defined here with their kernel values, and each is only handled when the
 * running kernel's ABI has it (a newer right on an older kernel is EINVAL).
 *
 * Rules: read+exec on the system folders (dynamic loader, libc, /bin/sh
 * for a script) and on the tool; read on the copy; read+write but no exec
 * on scratch; /dev/null, /dev/urandom; read on /proc (the Go runtime and
 * the sanitizers read /proc/self; another process's mem and environ stay
 * closed, since Landlock forbids ptrace access out of the domain).
 * Everything else (the key files, /var/run/secrets, the Git cache, $HOME)
 * is denied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "render_int.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_MAKE_CHAR (1ULL << 6)
#define LL_MAKE_BLOCK (1ULL << 11)
#define LL_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */
#define LL_FILE_RIGHTS (LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)

/* The ruleset attribute as of ABI 6; older kernels get a shorter size. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int ss_renderer_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 ? (int)v : 0;
}

static uint64_t fs_handled(int abi)
{
	uint64_t fs = (1ULL << 13) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */

	if (abi >= 2)
		fs |= 1ULL << 13; /* REFER */
	if (abi >= 3)
		fs |= LL_TRUNCATE;
	if (abi >= 5)
		fs |= LL_IOCTL_DEV;
	return fs;
}

static int ruleset_new(int abi)
{
	struct ll_ruleset_attr a;
	size_t size = sizeof(uint64_t);

	memset(&a, 0, sizeof(a));
	a.handled_access_fs = fs_handled(abi);
	if (abi >= 4) {
		a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP; /* no rule: none */
		size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(a);
	}
	return (int)syscall(SYS_landlock_create_ruleset, &a, size, 0);
}

/* Allows access beneath path; a path that does not exist is skipped. */
static int allow(int rs, int abi, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), rc;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	pb.allowed_access = access & fs_handled(abi);
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return rc;
}

static int add_rules(int rs, int abi, const struct ss_renderer_copy *c, const char *tool)
{
	static const char *const sys[] = {"/usr", "/lib", "/lib64", "/bin", "/sbin",
					  "/etc/ld.so.cache", "/etc/ld.so.conf",
					  "/etc/ld.so.conf.d"};
	const uint64_t rx = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR, r = LL_READ_FILE | LL_READ_DIR;
	uint64_t w = fs_handled(abi) & ~(LL_EXECUTE | LL_MAKE_CHAR | LL_MAKE_BLOCK);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		rc |= allow(rs, abi, sys[i], rx);
	rc |= allow(rs, abi, tool, LL_EXECUTE | LL_READ_FILE);
	rc |= allow(rs, abi, ss_renderer_copy_root(c), r);
	rc |= allow(rs, abi, ss_renderer_copy_scratch(c), w);
	rc |= allow(rs, abi, "/dev/null", LL_READ_FILE | LL_WRITE_FILE | LL_TRUNCATE);
	rc |= allow(rs, abi, "/dev/urandom", LL_READ_FILE);
	rc |= allow(rs, abi, "/proc", r);
	return rc;
}

int render_landlock_ruleset(const struct ss_renderer_copy *c, const char *tool, int *fd,
			    int *abi, struct ss_err *err)
{
	int rs;

	*fd = -1;
	*abi = ss_renderer_landlock_abi();
	if (*abi <= 0)
		return 0;
	rs = ruleset_new(*abi);
	if (rs < 0) {
		*abi = 0; /* e.g. disabled at boot: degrade like no Landlock */
		return 0;
	}
	if (add_rules(rs, *abi, c, tool) != 0) {
		close(rs);
		return ss_err_set(err, SS_E_PERM, "cannot build the renderer's Landlock rules: %s",
				  strerror(errno));
	}
	*fd = rs;
	return 0;
}

int render_landlock_restrict(int fd)
{
	return (int)syscall(SYS_landlock_restrict_self, fd, 0);
}
