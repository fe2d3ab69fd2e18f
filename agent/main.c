/*
 * sealsync-agent: pulls a Git repo, unseals SealedSecrets in memory and
 * applies every unit all or nothing. See docs/ARCHITECTURE.md.
 *
 * Exit codes: 0 ok, 1 a failed sync (--once, -n) or bad configuration,
 * 2 usage.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sealsync/config.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/log.h"
#include "sealsync/sync.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

/* No core dumps and no ptrace by other users: the process holds keys. */
static int harden_process(void)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void sleep_interval(unsigned sec)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	unsigned long ticks = (unsigned long)sec * 10;

	while (ticks-- > 0 && !stop_requested && !reload_requested)
		nanosleep(&ts, NULL);
}

static int fail(const char *what, const struct ss_err *err, int code)
{
	char msg[2048];

	ss_err_format(err, msg, sizeof(msg));
	ss_log_err(SS_LOG_ERROR, what, err, NULL);
	if (!ss_log_enabled(SS_LOG_ERROR))
		fprintf(stderr, "sealsync-agent: %s: %s\n", what, msg);
	return code;
}

static int setup_logs(const struct ss_config *cfg, struct ss_err *err)
{
	enum ss_log_level level;

	if (ss_log_parse_level(cfg->log_level, &level) != 0)
		return ss_err_set(err, SS_E_USAGE, "--log-level: expected debug, info, warn or error");
	ss_log_set_level(level);
	ss_log_set_text(strcmp(cfg->log_format, "text") == 0);
	return 0;
}

static void handle_reload(struct ss_agent *agent)
{
	struct ss_err err;

	reload_requested = 0;
	ss_err_clear(&err);
	if (ss_agent_reload_keys(agent, &err) != 0)
		ss_log_err(SS_LOG_ERROR, "key reload failed; keeping the old keys", &err, NULL);
	else
		ss_log(SS_LOG_INFO, "keys reloaded", NULL);
}

static int run_loop(struct ss_agent *agent, const struct ss_config *cfg)
{
	struct ss_err err;
	int rc = 0;

	while (!stop_requested) {
		if (reload_requested)
			handle_reload(agent);
		ss_err_clear(&err);
		if (cfg->suspend)
			ss_log(SS_LOG_INFO, "suspended: not syncing", NULL);
		else
			rc = ss_agent_sync(agent, &err);
		if (cfg->once || cfg->check_only || cfg->render != NULL)
			return rc == 0 ? 0 : 1;
		sleep_interval(cfg->interval_sec);
	}
	ss_log(SS_LOG_INFO, "stopping", NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct ss_agent *agent = NULL;
	struct ss_config cfg;
	struct ss_err err;
	int rc;

	if (sodium_init() < 0 || harden_process() != 0) {
		fprintf(stderr, "sealsync-agent: cannot initialise (libsodium or process limits)\n");
		return 1;
	}
	ss_json_use_zeroing_alloc();
	ss_err_clear(&err);
	if (ss_config_init(&cfg) != 0)
		return 1;
	rc = ss_config_parse_args(&cfg, argc, argv, &err);
	if (rc == 1) {
		ss_config_usage();
		rc = 0;
		goto out;
	}
	if (rc == 0)
		rc = ss_config_validate(&cfg, &err);
	if (rc == 0)
		rc = setup_logs(&cfg, &err);
	if (rc != 0) {
		char msg[2048];

		ss_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "sealsync-agent: %s\n", msg);
		rc = rc == SS_E_USAGE ? 2 : 1;
		goto out;
	}
	install_signals();
	rc = ss_agent_open(&cfg, &agent, &err);
	if (rc != 0) {
		rc = fail("cannot start", &err, 1);
		goto out;
	}
	rc = run_loop(agent, &cfg);
	if (cfg.check_only && rc == 0)
		ss_log(SS_LOG_INFO, "configuration, identities and repository are valid", NULL);
out:
	ss_agent_free(agent);
	ss_config_release(&cfg);
	return rc;
}
