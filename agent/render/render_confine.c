/*
 * render_confine.c: what the renderer's child gets instead of the agent's
 * process state: a fixed environment, rlimits, Landlock and seccomp.
 * Prepared in the parent, applied in the child (render_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "render_int.h"
#include "sealsync/log.h"

/* Files a tool writes in scratch (helm's cache): far below this. */
#define CONFINE_MAX_FILE (256ULL * 1024 * 1024)

/* Logged once per process: which Landlock ABI the renderer applies. */
static void log_landlock_once(int abi)
{
	static int done;
	char v[16];

	if (__atomic_exchange_n(&done, 1, __ATOMIC_RELAXED))
		return;
	if (abi <= 0) {
		ss_log(SS_LOG_WARN,
		       "renderer: this kernel has no Landlock; the rendering tool's file system access is not confined (docs/REPOSITORIES.md)",
		       NULL);
		return;
	}
	snprintf(v, sizeof(v), "%d", abi);
	ss_log(SS_LOG_INFO, "renderer: Landlock applied", "abi", v, NULL);
}

/* The whole environment of the tool: nothing comes from the agent's. */
static int make_env(struct render_confine *cf, const char *scratch)
{
	static const char *const vars[] = {"HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
					   "XDG_DATA_HOME"};
	static const char *const subs[] = {"", "", "/cache", "/config", "/data"};
	size_t i, n = 0;

	cf->envp[n++] = "PATH=/nonexistent";
	cf->envp[n++] = "LC_ALL=C";
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (snprintf(cf->envbuf[i], sizeof(cf->envbuf[i]), "%s=%s%s", vars[i], scratch,
			     subs[i]) >= (int)sizeof(cf->envbuf[i]))
			return -1;
		cf->envp[n++] = cf->envbuf[i];
	}
	cf->envp[n] = NULL;
	return 0;
}

int render_confine_prepare(struct render_confine *cf, const struct ss_renderer_copy *c,
			   const struct ss_renderer_job *job, const struct ss_renderer_opts *o,
			   struct ss_err *err)
{
	unsigned mib = o->memory_mib;
	unsigned t = o->timeout_sec ? o->timeout_sec : SS_RENDERER_DEFAULT_TIMEOUT;
	int rc;

	memset(cf, 0, sizeof(*cf));
	cf->landlock_fd = -1;
	cf->no_sandbox = o->no_sandbox;
	cf->as_bytes = mib ? (unsigned long long)mib << 20 : (unsigned long long)RLIM_INFINITY;
	cf->cpu_sec = t + 5;
	if (make_env(cf, ss_renderer_copy_scratch(c)) != 0)
		return ss_err_set(err, SS_E_LIMIT, "the render folder's path is too long");
	rc = render_landlock_ruleset(c, job->tool, &cf->landlock_fd, &cf->landlock_abi, err);
	if (rc == 0)
		log_landlock_once(cf->landlock_abi);
	return rc;
}

void render_confine_release(struct render_confine *cf)
{
	if (cf->landlock_fd >= 0)
		close(cf->landlock_fd);
	cf->landlock_fd = -1;
}

static int set_limit(int res, unsigned long long v)
{
	struct rlimit rl = {(rlim_t)v, (rlim_t)v};

	return setrlimit(res, &rl);
}

/*
 * RLIMIT_NPROC is left alone: it counts every process of the uid (the
 * agent's threads, other containers' processes under the same uid), so a
 * useful cap would fail the tool at random. The deadline kills the whole
 * process group, and in Kubernetes the render container's pids limit holds.
 */
int render_confine_apply(const struct render_confine *cf)
{
	if (set_limit(RLIMIT_AS, cf->as_bytes) != 0 || set_limit(RLIMIT_CPU, cf->cpu_sec) != 0 ||
	    set_limit(RLIMIT_FSIZE, CONFINE_MAX_FILE) != 0 || set_limit(RLIMIT_CORE, 0) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (cf->landlock_fd >= 0) {
		if (render_landlock_restrict(cf->landlock_fd) != 0)
			return -1;
		close(cf->landlock_fd);
	}
	if (render_seccomp_apply() != 0 && !cf->no_sandbox)
		return -1;
	return 0;
}
