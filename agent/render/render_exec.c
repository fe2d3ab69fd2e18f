/*
 * render_exec.c: one confined run of a rendering tool in a private copy
 * (renderer.h): fork, confine, exec; stdout collected up to the cap,
 * stderr (bounded) for the error; the whole process group SIGKILLed at the
 * deadline or when the output passes the cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "render_int.h"
#include "sealsync/buf.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

struct run {
	const struct ss_renderer_job *job;
	const struct ss_renderer_opts *o;
	char cwd[4096];
	const char *argv[SS_RENDERER_MAX_ARGS + 2];
	struct render_confine cf;
	int out[2], errp[2], devnull;
	pid_t pid;
	struct ss_buf obuf, ebuf;
	int timed_out, over_cap, status;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child_fail(const char *what)
{
	const char *e = strerror(errno);

	if (write(2, what, strlen(what)) < 0 || write(2, ": ", 2) < 0 || write(2, e, strlen(e)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(126);
	_exit(126);
}

/* After fork: system calls only (the agent has threads). Never returns. */
static void child_main(const struct run *r)
{
	int ll = r->cf.landlock_fd;

	(void)setpgid(0, 0);
	if (dup2(r->devnull, 0) < 0 || dup2(r->out[1], 1) < 0 || dup2(r->errp[1], 2) < 0)
		_exit(126);
	if (ll >= 3) {
		(void)syscall(SYS_close_range, 3u, (unsigned)ll - 1, 0u);
		(void)syscall(SYS_close_range, (unsigned)ll + 1, ~0u, 0u);
	} else {
		(void)syscall(SYS_close_range, 3u, ~0u, 0u);
	}
	if (chdir(r->cwd) != 0)
		child_fail("renderer: cannot enter the unit's folder");
	if (render_confine_apply(&r->cf) != 0)
		child_fail("renderer: cannot apply the sandbox");
	execve(r->job->tool, (char *const *)r->argv, r->cf.envp);
	child_fail("renderer: cannot run the tool");
}

static int cwd_ok(const char *cwd)
{
	return strstr(cwd, "..") == NULL && cwd[0] != '/';
}

static int run_prepare(struct run *r, const struct ss_renderer_copy *c, struct ss_err *err)
{
	const struct ss_renderer_job *job = r->job;
	const char *cwd = job->cwd != NULL ? job->cwd : "";
	size_t i;

	if (job->tool == NULL || job->tool[0] != '/' || access(job->tool, X_OK) != 0)
		return ss_err_set(err, SS_E_NOTFOUND, "the rendering tool %s is not an executable file (an absolute path)",
				  job->tool != NULL ? job->tool : "(none)");
	if (!cwd_ok(cwd) ||
	    snprintf(r->cwd, sizeof(r->cwd), "%s/%s", ss_renderer_copy_root(c), cwd) >= (int)sizeof(r->cwd))
		return ss_err_set(err, SS_E_USAGE, "bad folder %s to render in", cwd);
	r->argv[0] = job->tool;
	for (i = 0; job->args != NULL && job->args[i] != NULL; i++) {
		if (i >= SS_RENDERER_MAX_ARGS)
			return ss_err_set(err, SS_E_LIMIT, "more than %u arguments", SS_RENDERER_MAX_ARGS);
		r->argv[i + 1] = job->args[i];
	}
	r->argv[i + 1] = NULL;
	return render_confine_prepare(&r->cf, c, job, r->o, err);
}

static int run_spawn(struct run *r, struct ss_err *err)
{
	r->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (r->devnull < 0 || pipe2(r->out, O_CLOEXEC) != 0 || pipe2(r->errp, O_CLOEXEC) != 0)
		return ss_err_set(err, SS_E_IO, "cannot start the renderer: %s", strerror(errno));
	r->pid = fork();
	if (r->pid < 0)
		return ss_err_set(err, SS_E_IO, "cannot start the renderer: %s", strerror(errno));
	if (r->pid == 0)
		child_main(r);
	(void)setpgid(r->pid, r->pid); /* also here: no window before the child's own */
	close(r->out[1]);
	close(r->errp[1]);
	r->out[1] = r->errp[1] = -1;
	return 0;
}

/* Reads what fd has; 0 at EOF (fd closed and set to -1). */
static int drain(int *fd, struct ss_buf *b, int *over)
{
	unsigned char chunk[65536];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	if (ss_buf_append(b, chunk, (size_t)n) != 0) {
		if (over != NULL)
			*over = 1;
		else if (b->len < b->max && ss_buf_append(b, chunk, b->max - b->len) != 0)
			return 1; /* stderr: its head is kept, the rest dropped */
	}
	return 1;
}

/* Collects both pipes until EOF on both, the deadline, or the cap. */
static void run_collect(struct run *r, double deadline)
{
	struct pollfd p[2];

	while (r->out[0] >= 0 || r->errp[0] >= 0) {
		double left = deadline - mono_now();

		if (left <= 0) {
			r->timed_out = 1;
			return;
		}
		p[0].fd = r->out[0];
		p[1].fd = r->errp[0];
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, left > 1.0 ? 1000 : (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return;
		if (p[0].revents != 0 && drain(&r->out[0], &r->obuf, &r->over_cap) && r->over_cap)
			return;
		if (p[1].revents != 0)
			(void)drain(&r->errp[0], &r->ebuf, NULL);
	}
}

/* Waits for the child until the deadline; kills the group either way. */
static void run_reap(struct run *r, double deadline)
{
	siginfo_t si;

	while (!r->timed_out && !r->over_cap) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0)
			break;
		if (mono_now() >= deadline)
			r->timed_out = 1;
		else
			usleep(20000);
	}
	/* Before the reap: the group id cannot be reused while the child is a
	 * zombie, so this kills only what the tool left behind. */
	(void)kill(-r->pid, SIGKILL);
	(void)kill(r->pid, SIGKILL);
	while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
		;
}

/* The tool's stderr as one printable line (it names repository files;
 * never a secret: the copy holds none). */
static void stderr_line(const struct ss_buf *b, char *out, size_t max)
{
	size_t i, o = 0;

	for (i = 0; i < b->len && o + 1 < max; i++) {
		unsigned char ch = b->data[i];

		if (ch == '\n' && i + 1 < b->len && o + 3 < max) {
			memcpy(out + o, " | ", 3);
			o += 3;
		} else if (ch >= 0x20 && ch != 0x7f) {
			out[o++] = (char)ch;
		} else if (ch != '\n') {
			out[o++] = '?';
		}
	}
	out[o] = '\0';
}

static int run_result(struct run *r, unsigned t, size_t cap, struct ss_err *err)
{
	const char *unit = r->o->unit != NULL ? r->o->unit : "?", *what = r->job->what;
	char line[400];

	if (what == NULL)
		what = r->job->tool;
	if (r->timed_out)
		return ss_err_set(err, SS_E_TIMEOUT, "render of unit %s exceeded its timeout of %us (%s)",
				  unit, t, what);
	if (r->over_cap)
		return ss_err_set(err, SS_E_LIMIT,
				  "render of unit %s printed more than %zu bytes, the output cap; it was stopped (%s)",
				  unit, cap, what);
	stderr_line(&r->ebuf, line, sizeof(line));
	if (WIFSIGNALED(r->status))
		return ss_err_set(err, SS_E_INVAL, "%s was killed by signal %d: %s", what,
				  WTERMSIG(r->status), line);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		return ss_err_set(err, SS_E_INVAL, "%s failed (exit status %d): %s", what,
				  WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1, line);
	return 0;
}

static void run_release(struct run *r)
{
	int *fds[5] = {&r->out[0], &r->out[1], &r->errp[0], &r->errp[1], &r->devnull};
	size_t i;

	for (i = 0; i < 5; i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	render_confine_release(&r->cf);
	ss_buf_release(&r->obuf);
	ss_buf_release(&r->ebuf);
}

int ss_renderer_exec(const struct ss_renderer_copy *c, const struct ss_renderer_job *job,
		     const struct ss_renderer_opts *o, unsigned char **out, size_t *len,
		     struct ss_err *err)
{
	unsigned t = o->timeout_sec ? o->timeout_sec : SS_RENDERER_DEFAULT_TIMEOUT;
	size_t cap = o->max_output ? o->max_output : SS_RENDERER_DEFAULT_MAX_OUTPUT;
	struct run *r = calloc(1, sizeof(*r));
	double deadline = mono_now() + t;
	int rc;

	*out = NULL;
	*len = 0;
	if (r == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	r->job = job;
	r->o = o;
	r->out[0] = r->out[1] = r->errp[0] = r->errp[1] = r->devnull = -1;
	r->cf.landlock_fd = -1;
	ss_buf_init(&r->obuf, cap);
	ss_buf_init(&r->ebuf, SS_RENDERER_MAX_STDERR);
	rc = run_prepare(r, c, err);
	if (rc == 0)
		rc = run_spawn(r, err);
	if (rc == 0) {
		run_collect(r, deadline);
		run_reap(r, deadline);
		rc = run_result(r, t, cap, err);
	}
	if (rc == 0 && ss_buf_putc(&r->obuf, '\0') == 0) {
		*len = r->obuf.len - 1;
		*out = r->obuf.data;
		r->obuf.data = NULL;
	} else if (rc == 0) {
		rc = ss_err_set(err, SS_E_LIMIT, "render of unit %s printed more than %zu bytes, the output cap",
				o->unit != NULL ? o->unit : "?", cap);
	}
	run_release(r);
	free(r);
	return rc;
}
