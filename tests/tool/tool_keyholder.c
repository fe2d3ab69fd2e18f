/*
 * tool_keyholder.c: the key holder's sandbox, seen from the shell tests.
 *
 *   keyholder-probe [--no-sandbox] PORT
 *       starts a key holder (as the agent does) and asks it, through a
 *       debug request that exists only in this binary, to socket()+connect()
 *       to 127.0.0.1:PORT and to open() /etc/hostname. Prints
 *         sandboxed: 1|0
 *         socket: ok|<error>     connect: ok|<error>     open: ok|<error>
 *         Seccomp: N             NoNewPrivs: N     (the key holder's status)
 *   deny-seccomp CMD [ARG...]
 *       runs CMD under a seccomp filter that makes installing another filter
 *       fail (EINVAL): the agent's key holder then cannot sandbox itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sealsync/keyholder.h"
#include "tool.h"

#define PROBE_TYPE (SS_KH_DEBUG_BASE + 1)

/* Runs inside the key holder. */
static size_t probe(unsigned type, const unsigned char *body, size_t len, char *out, size_t max)
{
	struct sockaddr_in sa;
	unsigned short port = 0;
	int s, fd, n;

	if (type != PROBE_TYPE || len != sizeof(port))
		return (size_t)snprintf(out, max, "bad probe");
	memcpy(&port, body, sizeof(port));
	s = socket(AF_INET, SOCK_STREAM, 0);
	n = snprintf(out, max, "socket: %s\n", s < 0 ? strerror(errno) : "ok");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Without a socket, connect() on fd 0 still shows whether the call
	 * itself is allowed: the filter answers before the kernel looks at it. */
	if (connect(s >= 0 ? s : 0, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		n += snprintf(out + n, max - (size_t)n, "connect: %s\n", strerror(errno));
	else
		n += snprintf(out + n, max - (size_t)n, "connect: ok\n");
	if (s >= 0)
		close(s);
	fd = open("/etc/hostname", O_RDONLY);
	n += snprintf(out + n, max - (size_t)n, "open: %s\n", fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
	return (size_t)n;
}

static void print_status(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Seccomp:", 8) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0)
			fputs(line, stdout);
	if (f != NULL)
		fclose(f);
}

static int run_probe(int argc, char **argv)
{
	static const struct ss_keyholder_debug dbg = {probe};
	struct ss_keyholder *kh = NULL;
	struct ss_err err;
	char out[512];
	int sandbox = 1, i = 1;
	unsigned short port;

	if (argc > 1 && strcmp(argv[1], "--no-sandbox") == 0)
		sandbox = 0, i++;
	if (i + 1 != argc)
		return 2;
	port = (unsigned short)atoi(argv[i]);
	ss_err_clear(&err);
	if (ss_keyholder_start(sandbox, &dbg, &kh, &err) != 0 ||
	    ss_keyholder_debug(kh, PROBE_TYPE, &port, sizeof(port), out, sizeof(out), &err) != 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		ss_keyholder_stop(kh);
		return 1;
	}
	printf("sandboxed: %d\n%s", ss_keyholder_sandboxed(kh, NULL, 0), out);
	print_status(ss_keyholder_pid(kh));
	fflush(stdout);
	ss_keyholder_stop(kh);
	return 0;
}
SS_TOOL_COMMAND(khprobe, "keyholder-probe", "[--no-sandbox] PORT", run_probe)

static int run_deny(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECCOMP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};

	if (argc < 2)
		return 2;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
		perror("deny-seccomp");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("deny-seccomp: exec");
	return 127;
}
SS_TOOL_COMMAND(denyseccomp, "deny-seccomp", "CMD [ARG...]", run_deny)
