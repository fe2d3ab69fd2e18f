/*
 * sealsync-agent: pulls a Git repo, unseals SealedSecrets in memory and
 * applies every unit all or nothing. See docs/ARCHITECTURE.md.
 *
 * Threads: the main thread owns struct ss_agent (source, sync, Events, key
 * rotation); the HTTP server has one thread that reads struct ss_metrics
 * and struct ss_keystore through their mutexes; leader election has one
 * thread with its own cluster client. Signals only set flags.
 *
 * Exit codes: 0 ok, 1 a failed sync (--once, -n) or bad configuration,
 * 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <git2.h>
#include <microhttpd.h>
#include <sodium.h>

#include "sealsync/agent_import.h"
#include "sealsync/config.h"
#include "sealsync/diff.h"
#include "sealsync/events.h"
#include "sealsync/age.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/keyholder.h"
#include "sealsync/keys.h"
#include "sealsync/keystore.h"
#include "sealsync/leader.h"
#include "sealsync/log.h"
#include "sealsync/metrics.h"
#include "sealsync/notify.h"
#include "sealsync/renderer.h"
#include "sealsync/server.h"
#include "sealsync/sync.h"

#if __has_include("agent_version.h")
#include "agent_version.h" /* SS_AGENT_COMMIT, written at build time */
#endif
#ifndef SS_AGENT_VERSION
#define SS_AGENT_VERSION "unknown"
#endif
#ifndef SS_AGENT_COMMIT
#define SS_AGENT_COMMIT "unknown"
#endif

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static atomic_int sync_requested; /* set by the HTTP thread (webhook) */

/* Last Event posted per unit, so a steady state does not repeat them. */
struct unit_event {
	int posted, ok;
	char revision[64];
	unsigned char err_hash[16];
	/* health: the last Healthy / HealthCheckFailed posted */
	int health_posted, health_ok;
	char health_rev[64];
};

struct service {
	struct ss_config *cfg;
	const char *config_path;  /* for SIGHUP: suspend is re-read */
	int suspend_flag;         /* --suspend on the command line wins */
	struct ss_agent *agent;
	struct ss_keystore *keys;
	struct ss_metrics *metrics;
	struct ss_leader *leader;
	struct ss_leader *rotation; /* "<name>-keys": managed key rotation, all shards */
	struct ss_server *server;
	struct ss_keyholder *kh;  /* privsep: the only process with identities */
	int kh_died;
	struct unit_event events[SS_CONFIG_MAX_UNITS];
	char last_inventory[8192]; /* the key inventory last logged */
	int publish_due;           /* the recipients ConfigMap is out of date */
	double next_publish;       /* no retry before (after a failure) */
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void on_webhook(void *ctx)
{
	(void)ctx;
	atomic_store(&sync_requested, 1);
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

static int one_shot(const struct ss_config *cfg)
{
	return cfg->once || cfg->check_only || cfg->render != NULL || cfg->diff;
}

static int elect(const struct ss_config *cfg)
{
	return cfg->leader_election && !cfg->no_leader_election && !one_shot(cfg);
}

/* privsep: the key holder gets the keys; this process keeps none. */
static int hand_to_holder(struct service *sv, struct ss_keyring *kr, struct ss_err *err)
{
	int rc;

	if (sv->kh == NULL) {
		ss_agent_set_keyring(sv->agent, kr);
		return 0;
	}
	rc = ss_keyholder_load(sv->kh, kr, err);
	ss_keyring_free(kr); /* wipes this process's copy */
	if (rc != 0)
		return rc;
	ss_agent_set_holder(sv->agent, sv->kh);
	ss_agent_set_keyring(sv->agent, NULL);
	if (!sv->cfg->keys_managed && ss_keystore_drop_identities(sv->keys) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return 0;
}

/* Hands the store's usable keys to the agent and updates the key metrics. */
static int push_keys(struct service *sv, struct ss_err *err)
{
	struct ss_keyring *kr = NULL;
	struct ss_recipient *rs;
	size_t n, retired = 0;
	time_t created = 0;
	int rc;

	rc = ss_keystore_keyring(sv->keys, &kr, err);
	if (rc != 0)
		return rc;
	rc = hand_to_holder(sv, kr, err);
	if (rc != 0)
		return rc;
	rs = calloc(SS_KEYRING_MAX, sizeof(*rs));
	if (rs == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	n = ss_keystore_recipients(sv->keys, rs, SS_KEYRING_MAX, &retired, &created);
	free(rs);
	if (sv->metrics != NULL)
		ss_metrics_set_keys(sv->metrics, n, retired, created);
	sv->publish_due = 1;
	return 0;
}

static int load_keys(struct service *sv, int create, struct ss_err *err)
{
	int rc = ss_keystore_load(sv->keys, create, err);

	return rc != 0 ? rc : push_keys(sv, err);
}

/* A unit's `suspend` from the re-read file (units matched by name). */
static void reload_unit_suspend(struct service *sv, const struct ss_config *fresh)
{
	size_t i, j;

	for (i = 0; i < sv->cfg->nunits; i++)
		for (j = 0; j < fresh->nunits; j++) {
			struct ss_unit_config *u = &sv->cfg->units[i];

			if (strcmp(u->name, fresh->units[j].name) != 0 ||
			    u->suspend == fresh->units[j].suspend)
				continue;
			u->suspend = fresh->units[j].suspend;
			ss_log(SS_LOG_INFO, u->suspend ? "unit suspended by configuration" : "unit resumed",
			       "unit", u->name, NULL);
		}
}

/* SIGHUP: keys from their source, and `suspend` from the config file. */
static void handle_reload(struct service *sv)
{
	struct ss_config fresh;
	struct ss_err err;

	reload_requested = 0;
	ss_err_clear(&err);
	if (load_keys(sv, 0, &err) != 0)
		ss_log_err(SS_LOG_ERROR, "key reload failed; keeping the old keys", &err, NULL);
	else
		ss_log(SS_LOG_INFO, "keys reloaded", NULL);
	if (sv->config_path == NULL || sv->suspend_flag || ss_config_init(&fresh) != 0)
		return;
	ss_err_clear(&err);
	if (ss_config_load_file(&fresh, sv->config_path, &err) != 0)
		ss_log_err(SS_LOG_ERROR, "config reload failed; keeping suspend as it was", &err,
			   NULL);
	else if (fresh.suspend != sv->cfg->suspend) {
		sv->cfg->suspend = fresh.suspend;
		ss_log(SS_LOG_INFO, fresh.suspend ? "suspended by configuration" : "resumed", NULL);
	}
	reload_unit_suspend(sv, &fresh);
	ss_config_release(&fresh);
}

static int event_changed(struct unit_event *ue, const struct ss_unit_status *st)
{
	unsigned char h[16];
	int changed;

	crypto_generichash(h, sizeof(h), (const unsigned char *)st->error, strlen(st->error), NULL,
			   0);
	changed = !ue->posted || ue->ok != st->ok || strcmp(ue->revision, st->attempted) != 0 ||
		  (!st->ok && sodium_memcmp(h, ue->err_hash, sizeof(h)) != 0);
	ue->posted = 1;
	ue->ok = st->ok;
	snprintf(ue->revision, sizeof(ue->revision), "%s", st->attempted);
	memcpy(ue->err_hash, h, sizeof(h));
	return changed;
}

/* A health outcome not posted yet: healthy or unhealthy at a revision. */
static int health_changed(struct unit_event *ue, const struct ss_unit_status *st)
{
	int ok;

	if (st->state == NULL ||
	    (strcmp(st->state, "healthy") != 0 && strcmp(st->state, "unhealthy") != 0))
		return 0;
	ok = strcmp(st->state, "healthy") == 0;
	if (ue->health_posted && ue->health_ok == ok &&
	    strcmp(ue->health_rev, st->health_revision) == 0)
		return 0;
	ue->health_posted = 1;
	ue->health_ok = ok;
	snprintf(ue->health_rev, sizeof(ue->health_rev), "%s", st->health_revision);
	return 1;
}

/* A health change out to the notification targets: a reason code only,
 * never the message (it may quote API-server text; notify.h). */
static void notify_health(const struct ss_event *ev)
{
	struct ss_notify_msg m;

	memset(&m, 0, sizeof(m));
	m.event = SS_NOTIFY_HEALTH;
	m.unit = ev->unit;
	m.revision = ev->revision;
	m.reason = ev->ok ? "healthy" : "unhealthy";
	ss_notify_event(&m);
}

/* Healthy (Normal) / HealthCheckFailed (Warning), once per outcome and
 * revision, naming the objects that are not Current (best effort). */
static void post_health_events(struct service *sv, struct ss_kube *k)
{
	struct ss_event ev;
	struct ss_err err;
	size_t i;

	for (i = 0; k != NULL && i < sv->cfg->nunits; i++) {
		const struct ss_unit_status *st = ss_agent_unit_status(sv->agent, i);

		if (st == NULL || !health_changed(&sv->events[i], st))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.agent_name = sv->cfg->name;
		ev.agent_ns = sv->cfg->namespace_;
		ev.unit = sv->cfg->units[i].name;
		ev.ok = sv->events[i].health_ok;
		ev.revision = st->health_revision;
		ev.message = st->why;
		ev.reason = ev.ok ? "Healthy" : "HealthCheckFailed";
		ss_err_clear(&err);
		if (ss_event_post(k, &ev, &err) != 0)
			ss_log_err(SS_LOG_WARN, "cannot post an Event", &err, "unit", ev.unit, NULL);
		notify_health(&ev);
	}
}

/* One Event per unit whose result changed (best effort). */
static void post_events(struct service *sv)
{
	struct ss_kube *k = ss_agent_kube(sv->agent);
	struct ss_event ev;
	struct ss_err err;
	size_t i;

	for (i = 0; k != NULL && i < sv->cfg->nunits; i++) {
		const struct ss_unit_status *st = ss_agent_unit_status(sv->agent, i);

		if (st == NULL || st->attempted[0] == '\0' || !event_changed(&sv->events[i], st))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.agent_name = sv->cfg->name;
		ev.agent_ns = sv->cfg->namespace_;
		ev.unit = sv->cfg->units[i].name;
		ev.ok = st->ok;
		ev.revision = st->attempted;
		ev.message = st->error;
		ss_err_clear(&err);
		if (ss_event_post(k, &ev, &err) != 0)
			ss_log_err(SS_LOG_WARN, "cannot post an Event", &err, "unit", ev.unit, NULL);
	}
	post_health_events(sv, k);
}

/* The key inventory as a log line, when it changed: how many values of the
 * revision each key seals, so an operator sees when a key is unused. */
static void log_key_inventory(struct service *sv)
{
	struct ss_sync_hint h[SS_SYNC_MAX_HINTS];
	char line[sizeof(sv->last_inventory)] = "";
	size_t i, n, len = 0;

	n = ss_agent_key_hints(sv->agent, h, SS_SYNC_MAX_HINTS);
	for (i = 0; i < n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s=%lu", i ? "," : "",
					h[i].recipient[0] ? h[i].recipient : h[i].hint,
					h[i].values);
	if (strcmp(line, sv->last_inventory) == 0)
		return;
	snprintf(sv->last_inventory, sizeof(sv->last_inventory), "%s", line);
	ss_log(SS_LOG_INFO, "sealed values by key", "keys", line[0] ? line : "(none)", NULL);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sync_once(struct service *sv)
{
	struct ss_err err;
	double t0 = mono_now();
	int rc;

	if (sv->kh != NULL && !ss_keyholder_sandboxed(sv->kh, NULL, 0))
		ss_log(SS_LOG_WARN, "the key holder runs without its seccomp sandbox (--no-sandbox)",
		       NULL);
	ss_err_clear(&err);
	rc = ss_agent_sync(sv->agent, &err);
	if (sv->metrics != NULL)
		ss_metrics_record_sync(sv->metrics, sv->agent, sv->cfg, rc, mono_now() - t0);
	log_key_inventory(sv);
	post_events(sv);
	return rc;
}

/*
 * Between syncs: health waits move on (a few GETs, never a sleep), and the
 * units whose dependencies became ready (or whose own interval passed)
 * sync at the last polled commit. Reports what changed.
 */
static int health_and_due(struct service *sv)
{
	struct ss_err err;
	int changed = ss_agent_health(sv->agent), rc = 0;

	if (ss_agent_units_due(sv->agent)) {
		ss_err_clear(&err);
		rc = ss_agent_sync_due(sv->agent, &err);
		changed = 1;
	}
	if (changed) {
		if (sv->metrics != NULL)
			ss_metrics_record_units(sv->metrics, sv->agent, sv->cfg);
		post_events(sv);
	}
	return rc;
}

/* -n, --once, --render: one pass, exit code from its result. --once also
 * waits for the health checks (each bounded by its unit's timeout) and for
 * the units that depend on them; a unit not healthy makes it exit 1. */
static int run_one_shot(struct service *sv)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	int rc;

	if (sv->cfg->suspend) {
		ss_log(SS_LOG_INFO, "suspended: not syncing", NULL);
		return 0;
	}
	rc = sync_once(sv);
	while (sv->cfg->once && !stop_requested && ss_agent_busy(sv->agent)) {
		if (health_and_due(sv) != 0 && rc == 0)
			rc = 1;
		nanosleep(&tick, NULL);
	}
	if (rc == 0 && sv->cfg->once)
		rc = ss_agent_units_ok(sv->agent);
	return rc == 0 ? 0 : 1;
}

/* Managed keys: the key store, every tick; file keys: change polling. */
static void maintain_keys(struct service *sv, int leader, double *next_poll)
{
	struct ss_err err;
	int changed = 0;

	if (mono_now() < *next_poll)
		return;
	*next_poll = mono_now() + 1.0;
	ss_err_clear(&err);
	if (sv->cfg->keys_managed) {
		if (ss_keystore_maintain(sv->keys, leader, &changed, &err) != 0)
			ss_log_err(SS_LOG_WARN, "key Secret maintenance failed; will retry", &err,
				   NULL);
	} else if (ss_keystore_changed(sv->keys)) {
		ss_log(SS_LOG_INFO, "key files changed; reloading", NULL);
		if (ss_keystore_load(sv->keys, 0, &err) != 0)
			ss_log_err(SS_LOG_ERROR, "key reload failed; keeping the old keys", &err, NULL);
		else
			changed = 1;
	}
	ss_err_clear(&err);
	if (changed && push_keys(sv, &err) != 0)
		ss_log_err(SS_LOG_ERROR, "cannot use the new keys", &err, NULL);
}

/* The recipients ConfigMap (keystore.h), by the leader only; a failure is
 * retried, and sealing still works through --agent meanwhile. */
static void publish_keys(struct service *sv)
{
	struct ss_kube *k = ss_agent_kube(sv->agent);
	struct ss_err err;
	char name[300];

	if (k == NULL || !sv->publish_due || mono_now() < sv->next_publish)
		return;
	ss_err_clear(&err);
	if (ss_keystore_publish(sv->keys, k, ss_server_tls_pin(sv->server), &err) != 0) {
		ss_log_err(SS_LOG_WARN, "cannot publish the recipients; will retry", &err, NULL);
		sv->next_publish = mono_now() + 10.0;
		return;
	}
	sv->publish_due = 0;
	snprintf(name, sizeof(name), "%s/%s%s", sv->cfg->namespace_, sv->cfg->name,
		 SS_KEYSTORE_PUBLISH_SUFFIX);
	ss_log(SS_LOG_INFO, "recipients published", "configmap", name, NULL);
}

static int is_leader(struct service *sv)
{
	return sv->leader == NULL || ss_leader_is_leader(sv->leader);
}

static void run_service(struct service *sv)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	double next_sync = 0, next_keys = 0;
	int was_suspended = -1, was_leader = 0;

	while (!stop_requested) {
		int leader;

		if (reload_requested)
			handle_reload(sv);
		leader = is_leader(sv);
		if (leader && !was_leader) { /* the old leader may have moved them */
			ss_agent_reload_baselines(sv->agent);
			sv->publish_due = 1;
		}
		was_leader = leader;
		/* Rotation has its own Lease, shared by every shard's replicas. */
		maintain_keys(sv, sv->rotation != NULL ? ss_leader_is_leader(sv->rotation) : leader,
			      &next_keys);
		if (leader)
			publish_keys(sv);
		ss_metrics_set_leader(sv->metrics, leader);
		ss_metrics_set_suspended(sv->metrics, sv->cfg->suspend);
		if (sv->cfg->suspend != was_suspended && sv->cfg->suspend)
			ss_log(SS_LOG_INFO, "suspended: not syncing", NULL);
		was_suspended = sv->cfg->suspend;
		if (leader && !sv->cfg->suspend && ss_agent_watch(sv->agent)) /* a drift */
			atomic_store(&sync_requested, 1);
		if (leader && !sv->cfg->suspend)
			(void)health_and_due(sv);
		if (leader && !sv->cfg->suspend &&
		    (mono_now() >= next_sync || atomic_exchange(&sync_requested, 0))) {
			(void)sync_once(sv);
			next_sync = mono_now() + sv->cfg->interval_sec;
		}
		if (sv->kh != NULL && !ss_keyholder_alive(sv->kh)) {
			/* No fork from a threaded process: exit, the kubelet restarts us. */
			ss_log(SS_LOG_ERROR, "the key holder exited; stopping so that the agent restarts",
			       NULL);
			sv->kh_died = 1;
			break;
		}
		nanosleep(&tick, NULL);
	}
	ss_log(SS_LOG_INFO, "stopping", NULL);
}

/* The names a generated certificate is for: loopback (kubectl
 * port-forward) and the Service that deploy/ names after the agent. */
static void tls_names(const struct ss_config *cfg, char (*buf)[320], const char **names)
{
	static const char *const fixed[] = {"localhost", "127.0.0.1", "::1"};
	static const char *const suffix[] = {".svc", ".svc.cluster.local"};
	size_t i, n = 0;

	for (i = 0; i < 3; i++)
		names[n++] = fixed[i];
	snprintf(buf[0], sizeof(buf[0]), "%s", cfg->name);
	snprintf(buf[1], sizeof(buf[1]), "%s.%s", cfg->name, cfg->namespace_);
	for (i = 0; i < 2; i++)
		snprintf(buf[2 + i], sizeof(buf[2 + i]), "%s.%s%s", cfg->name, cfg->namespace_,
			 suffix[i]);
	for (i = 0; i < 4; i++)
		names[n++] = buf[i];
	names[n] = NULL;
}

static int start_server(struct service *sv, struct ss_err *err)
{
	struct ss_recipient extra[SS_SERVER_MAX_EXTRA];
	struct ss_server_opts o;
	char name_buf[4][320];
	const char *names[8];
	size_t i;

	if (sv->cfg->listen == NULL || sv->cfg->listen[0] == '\0')
		return 0;
	if (sv->cfg->nextra_recipients > SS_SERVER_MAX_EXTRA)
		return ss_err_set(err, SS_E_LIMIT, "too many extra recipients");
	for (i = 0; i < sv->cfg->nextra_recipients; i++)
		if (ss_recipient_parse(sv->cfg->extra_recipients[i], &extra[i], err) != 0) {
			ss_err_prefix(err, "extra recipient %zu", i + 1);
			return SS_E_INVAL;
		}
	memset(&o, 0, sizeof(o));
	o.listen = sv->cfg->listen;
	o.tls_cert_file = sv->cfg->tls_cert_file;
	o.tls_key_file = sv->cfg->tls_key_file;
	o.tls_generate = sv->cfg->tls_generate;
	tls_names(sv->cfg, name_buf, names);
	o.tls_names = names;
	o.webhook_secret_file = sv->cfg->webhook_secret_file;
	o.max_body = (size_t)sv->cfg->http_max_body_kib * 1024;
	o.posts_per_minute = sv->cfg->http_posts_per_minute;
	o.body_budget = (size_t)sv->cfg->http_body_budget_kib * 1024;
	o.header_timeout = sv->cfg->http_header_timeout_sec;
	o.request_timeout = sv->cfg->http_request_timeout_sec;
	o.probe_listen = sv->cfg->probe_listen;
	o.allow_unscoped = sv->cfg->allow_unscoped;
	o.extra = extra;
	o.nextra = sv->cfg->nextra_recipients;
	o.keys = sv->keys;
	o.holder = sv->kh;
	o.metrics = sv->metrics;
	o.trigger = on_webhook;
	if (ss_server_start(&o, &sv->server, err) != 0)
		return SS_E_IO;
	if (ss_server_tls_pin(sv->server) != NULL) /* public: what clients pin */
		ss_log(SS_LOG_INFO, "https certificate generated", "pin",
		       ss_server_tls_pin(sv->server), NULL);
	return 0;
}

/* Managed keys may need the cluster to come up, or a Secret another
 * replica is creating: retry until stopped. */
static int first_keys(struct service *sv, struct ss_err *err)
{
	int create = !sv->cfg->check_only && sv->cfg->render == NULL && !sv->cfg->diff;
	struct timespec tick = {0, 100 * 1000 * 1000};

	for (;;) {
		int rc, i;

		ss_err_clear(err);
		rc = load_keys(sv, create, err);
		if (rc == 0 || !sv->cfg->keys_managed || one_shot(sv->cfg) || stop_requested)
			return rc;
		ss_log_err(SS_LOG_WARN, "cannot load the managed keys yet; retrying", err, NULL);
		for (i = 0; i < 20 && !stop_requested; i++)
			nanosleep(&tick, NULL);
	}
}

/* Notification targets: checked by -n and --once, delivered by the
 * service only (a one-shot run would exit before its retries). */
static int start_notify(struct service *sv, struct ss_err *err)
{
	struct ss_notify_opts o;

	if (sv->cfg->render != NULL)
		return 0;
	memset(&o, 0, sizeof(o));
	o.cfg = sv->cfg;
	o.deliver = !one_shot(sv->cfg);
	o.shard = sv->cfg->shard; /* sharding: payloads say which shard sent them */
	return ss_notify_start(&o, err);
}

static int service_start(struct service *sv, struct ss_err *err)
{
	int rc;

	rc = start_notify(sv, err);
	if (rc == 0)
		rc = ss_agent_open(sv->cfg, &sv->agent, err);
	if (rc == 0)
		rc = ss_keystore_open(sv->cfg, &sv->keys, err);
	if (rc == 0 && !one_shot(sv->cfg))
		rc = ss_metrics_new(&sv->metrics) != 0 ? ss_err_set(err, SS_E_NOMEM, "out of memory") : 0;
	if (rc == 0 && sv->metrics != NULL)
		ss_metrics_set_shard(sv->metrics, sv->cfg->shard);
	if (rc == 0 && elect(sv->cfg))
		rc = ss_leader_start(sv->cfg, &sv->leader, err);
	if (rc == 0 && elect(sv->cfg) && sv->cfg->keys_managed) {
		char lease[300];

		snprintf(lease, sizeof(lease), "%s-keys", sv->cfg->name);
		rc = ss_leader_start_named(sv->cfg, lease, &sv->rotation, err);
	}
	if (rc == 0 && !one_shot(sv->cfg))
		rc = start_server(sv, err);
	if (rc == 0)
		rc = first_keys(sv, err);
	return rc;
}

static void service_stop(struct service *sv)
{
	ss_server_stop(sv->server);
	ss_leader_stop(sv->leader); /* releases the Lease */
	ss_leader_stop(sv->rotation);
	ss_agent_free(sv->agent);
	ss_keystore_free(sv->keys); /* wipes the identities */
	ss_metrics_free(sv->metrics);
	ss_keyholder_stop(sv->kh); /* after the server: it may still ask */
	ss_notify_stop();          /* an attempt in flight gets its deadline */
}

/*
 * Forks the key holder (keyholder.h). Fail closed: a sandbox that cannot
 * be applied stops the agent unless --no-sandbox says to run without it.
 */
static int start_holder(struct service *sv, struct ss_err *err)
{
	char why[256], pid[16];
	int rc;

	rc = ss_keyholder_start(!sv->cfg->no_sandbox, NULL, &sv->kh, err);
	if (rc != 0)
		return rc;
	snprintf(pid, sizeof(pid), "%d", (int)ss_keyholder_pid(sv->kh));
	ss_log(SS_LOG_DEBUG, "key holder started", "pid", pid, NULL);
	if (ss_keyholder_sandboxed(sv->kh, why, sizeof(why)))
		return 0;
	if (!sv->cfg->no_sandbox)
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "cannot sandbox the key holder (%s); refusing to run without it "
				  "(--no-sandbox overrides)", why);
	ss_log(SS_LOG_WARN, "the key holder runs without its seccomp sandbox (--no-sandbox)", NULL);
	return 0;
}

/* The --config path and whether --suspend was given, for SIGHUP. */
static void scan_args(struct service *sv, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			sv->config_path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			sv->config_path = argv[i] + 9;
		else if (strncmp(argv[i], "--suspend", 9) == 0)
			sv->suspend_flag = 1;
	}
}

/* --version: what a bug report needs (our build and the libraries that
 * parse untrusted input: Git packs, HTTP, crypto). */
static void print_version(void)
{
	int maj = 0, min = 0, rev = 0;

	git_libgit2_version(&maj, &min, &rev);
	printf("sealsync-agent %s (commit %s)\n", SS_AGENT_VERSION, SS_AGENT_COMMIT);
	printf("libsodium %s\nlibgit2 %d.%d.%d\nlibcurl %s\nlibmicrohttpd %s\n",
	       sodium_version_string(), maj, min, rev, curl_version_info(CURLVERSION_NOW)->version,
	       MHD_get_version());
}

/* The key hints of the usable keys, "hint=age1..." comma-separated: the
 * tags a sealed value names, so an operator can match the two. */
static void key_hints(struct service *sv, char *line, size_t cap)
{
	struct ss_recipient *rs = calloc(SS_KEYRING_MAX, sizeof(*rs));
	unsigned char tag[SS_AGE_HINT_LEN];
	char hint[16], r[128];
	size_t i, n, len = 0;

	line[0] = '\0';
	if (rs == NULL)
		return;
	n = ss_keystore_recipients(sv->keys, rs, SS_KEYRING_MAX, NULL, NULL);
	for (i = 0; i < n && len < cap; i++) {
		if (ss_age_hint_for(&rs[i], tag) != 0 || ss_recipient_format(&rs[i], r, sizeof(r)))
			continue;
		ss_age_hint_format(tag, hint, sizeof(hint));
		len += (size_t)snprintf(line + len, cap - len, "%s%s=%s", len ? "," : "", hint, r);
	}
	free(rs);
}

/* The URL without userinfo ("https://user:token@host/x" -> "https://host/x"):
 * a password in the URL must not reach the logs. */
static void url_public(const char *url, char *out, size_t cap)
{
	const char *sep = strstr(url, "://"), *host = sep != NULL ? sep + 3 : url;
	size_t end = strcspn(host, "/");
	const char *at = memchr(host, '@', end);

	if (at == NULL)
		snprintf(out, cap, "%s", url);
	else
		snprintf(out, cap, "%.*s%s", (int)(host - url), url, at + 1);
}

/* One line that says what this process is about to do. */
static void log_start(struct service *sv)
{
	const struct ss_config *c = sv->cfg;
	char units[SS_CONFIG_MAX_UNITS * 48] = "", count[16], keys[4096], repo[2048];
	size_t i, len = 0;

	for (i = 0; i < c->nunits && len < sizeof(units); i++)
		len += (size_t)snprintf(units + len, sizeof(units) - len, "%s%s=%s", i ? "," : "",
					c->units[i].name, c->units[i].path);
	snprintf(count, sizeof(count), "%zu", c->nunits);
	key_hints(sv, keys, sizeof(keys));
	url_public(c->repo_url, repo, sizeof(repo));
	ss_log(SS_LOG_INFO, "sealsync-agent starting", "version", SS_AGENT_VERSION, "commit",
	       SS_AGENT_COMMIT, "mode",
	       c->diff ? "diff" : c->render ? "render" : c->check_only ? "check" :
	       c->once ? "once" : "service",
	       "repo", repo, "ref", c->ref, "units", count, "unit_paths", units, "listen",
	       one_shot(c) || c->listen[0] == '\0' ? "(none)" : c->listen, "keys",
	       keys[0] ? keys : "(none)", NULL);
}

/*
 * --diff runs next to the agent (kubectl exec) with the same config: its
 * fetches go to a cache of their own, <cacheDir>/diff, so that they never
 * race the running agent's fetches in its bare repository.
 */
static int diff_cache(struct ss_config *cfg, struct ss_err *err)
{
	size_t n;
	char *dir;

	if (!cfg->diff)
		return 0;
	if (mkdir(cfg->cache_dir, 0700) != 0 && errno != EEXIST)
		return ss_err_set(err, SS_E_IO, "cannot create cache dir %s", cfg->cache_dir);
	n = strlen(cfg->cache_dir) + sizeof("/diff");
	if ((dir = malloc(n)) == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	snprintf(dir, n, "%s/diff", cfg->cache_dir);
	free(cfg->cache_dir);
	cfg->cache_dir = dir;
	return 0;
}

/*
 * --render-server SOCKET: this process only renders the jobs an agent
 * sends (renderer.h); it reads no keys, no repository, no cluster. The
 * copies live below <cacheDir>/render.
 */
static int run_render_server(const struct ss_config *cfg)
{
	struct ss_renderer_opts o;
	struct ss_err err;
	char tmp[4096];

	ss_err_clear(&err);
	install_signals();
	memset(&o, 0, sizeof(o));
	snprintf(tmp, sizeof(tmp), "%s/render", cfg->cache_dir);
	if (mkdir(cfg->cache_dir, 0700) != 0 && errno != EEXIST) {
		ss_err_set(&err, SS_E_IO, "cannot create %s: %s", cfg->cache_dir, strerror(errno));
		return fail("render server cannot start", &err, 1);
	}
	o.tmp_dir = tmp;
	o.timeout_sec = cfg->render_timeout_sec;
	o.memory_mib = cfg->render_memory_mib;
	o.no_sandbox = cfg->no_sandbox;
	if (ss_renderer_serve(cfg->render_server, &o, &stop_requested, &err) != 0)
		return fail("render server cannot start", &err, 1);
	return 0;
}

static int configure(struct ss_config *cfg, int argc, char **argv)
{
	struct ss_err err;
	char msg[2048];
	int rc;

	ss_err_clear(&err);
	rc = ss_config_parse_args(cfg, argc, argv, &err);
	if (rc == 1) {
		ss_config_usage();
		return 1;
	}
	if (rc == 0 && cfg->show_version) {
		print_version();
		return 1;
	}
	if (rc == 0 && cfg->render_server == NULL) /* a render server has no units */
		rc = ss_config_validate(cfg, &err);
	if (rc == 0 && cfg->render_server == NULL) /* sharding: the other shards' units are theirs */
		ss_config_select_shard(cfg);
	if (rc == 0) /* at start: a later PATH change cannot swap the binary */
		rc = ss_config_helm_resolve(cfg, &err);
	if (rc == 0)
		rc = setup_logs(cfg, &err);
	if (rc == 0)
		return 0;
	ss_err_format(&err, msg, sizeof(msg));
	fprintf(stderr, "sealsync-agent: %s\n", msg);
	return rc == SS_E_USAGE ? 2 : -1;
}

int main(int argc, char **argv)
{
	struct service sv;
	struct ss_config cfg;
	struct ss_err err;
	int rc;

	if (sodium_init() < 0 || harden_process() != 0) {
		fprintf(stderr, "sealsync-agent: cannot initialise (libsodium or process limits)\n");
		return 1;
	}
	ss_json_use_zeroing_alloc();
	if (ss_config_init(&cfg) != 0)
		return 1;
	memset(&sv, 0, sizeof(sv));
	sv.cfg = &cfg;
	rc = configure(&cfg, argc, argv);
	if (rc != 0) {
		rc = rc == 1 ? 0 : rc == 2 || cfg.diff ? 2 : 1;
		goto out;
	}
	if (cfg.import_bitnami != NULL) { /* one-shot, no service (agent_import.h) */
		ss_err_clear(&err);
		rc = ss_agent_import_bitnami(&cfg, stdout, &err) != 0 ? fail("import", &err, 1) : 0;
		goto out;
	}
	if (cfg.render_server != NULL) {
		rc = run_render_server(&cfg);
		goto out;
	}
	scan_args(&sv, argc, argv);
	install_signals();
	ss_err_clear(&err);
	if (cfg.diff_local != NULL) { /* no key, no key holder, no Git source */
		rc = ss_diff_local(&cfg, &err);
		goto out;
	}
	rc = diff_cache(&cfg, &err);
	if (rc == 0)
		rc = start_holder(&sv, &err); /* before any thread exists */
	if (rc == 0)
		rc = service_start(&sv, &err);
	if (rc != 0) {
		rc = fail("cannot start", &err, cfg.diff ? SS_DIFF_ERROR : 1);
		goto out;
	}
	log_start(&sv);
	if (cfg.diff) {
		if (cfg.suspend)
			ss_log(SS_LOG_INFO, "suspended: this diff shows what the sync would change once "
			       "resumed", NULL);
		ss_err_clear(&err);
		rc = ss_diff_agent(sv.agent, &cfg, &err);
	} else if (one_shot(&cfg)) {
		rc = run_one_shot(&sv);
		if (cfg.check_only && rc == 0)
			ss_log(SS_LOG_INFO, "configuration, identities and repository are valid", NULL);
	} else {
		run_service(&sv);
		rc = sv.kh_died ? 1 : 0;
	}
out:
	service_stop(&sv);
	ss_config_release(&cfg);
	return rc;
}
