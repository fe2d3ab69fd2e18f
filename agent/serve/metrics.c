/* metrics.c: the agent's report state and its Prometheus exposition. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sealsync/config.h"
#include "sealsync/log.h"
#include "sealsync/metrics.h"
#include "sealsync/notify.h"
#include "sealsync/sync.h"
#include "sealsync/waiter.h"

const double ss_metrics_buckets[SS_METRICS_NBUCKETS] = {0.1, 0.25, 0.5, 1,  2.5, 5,
							 10,  30,   60,  120, 300};

#define METRICS_PENDING_MAX 8 /* objects not Current shown per unit */

struct metrics_unit {
	char name[64];
	char revision[64];
	int ok;
	/* health and ordering (ss_metrics_record_units) */
	char path[256], attempted[64], health_revision[64], state[16], stage[16];
	char why[1024], error[1024];
	time_t last_attempt;
	size_t total, current, npending;
	struct ss_wait_object pending[METRICS_PENDING_MAX];
	int checked;
	char depends[512];
};

struct ss_metrics {
	pthread_mutex_t mu;
	struct ss_agent_stats stats;
	struct metrics_unit units[SS_CONFIG_MAX_UNITS];
	size_t nunits;
	unsigned long buckets[SS_METRICS_NBUCKETS + 1];
	double duration_sum;
	unsigned long duration_count;
	struct ss_sync_hint hints[SS_SYNC_MAX_HINTS];
	size_t nhints;
	size_t keys_usable, keys_retired;
	time_t active_created;
	int leader, suspended, synced_ok, last_rc;
	char shard[64];  /* sharding: a label on unit and leader series, "" none */
};

int ss_metrics_new(struct ss_metrics **out)
{
	struct ss_metrics *m;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return SS_E_NOMEM;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return SS_E_NOMEM;
	}
	*out = m;
	return 0;
}

void ss_metrics_free(struct ss_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static void observe(struct ss_metrics *m, double d)
{
	size_t i;

	for (i = 0; i < SS_METRICS_NBUCKETS && d > ss_metrics_buckets[i]; i++)
		;
	m->buckets[i]++;
	m->duration_sum += d;
	m->duration_count++;
}

void ss_metrics_record_sync(struct ss_metrics *m, const struct ss_agent *a,
			    const struct ss_config *cfg, int rc, double duration)
{
	ss_metrics_record_units(m, a, cfg);
	pthread_mutex_lock(&m->mu);
	m->stats = *ss_agent_stats(a);
	m->nhints = ss_agent_key_hints(a, m->hints, SS_SYNC_MAX_HINTS);
	observe(m, duration);
	m->last_rc = rc;
	if (rc == 0)
		m->synced_ok = 1;
	pthread_mutex_unlock(&m->mu);
}

void ss_metrics_set_keys(struct ss_metrics *m, size_t usable, size_t retired, time_t active_created)
{
	pthread_mutex_lock(&m->mu);
	m->keys_usable = usable;
	m->keys_retired = retired;
	m->active_created = active_created;
	pthread_mutex_unlock(&m->mu);
}

void ss_metrics_set_hints(struct ss_metrics *m, const struct ss_sync_hint *h, size_t n)
{
	pthread_mutex_lock(&m->mu);
	if (n > SS_SYNC_MAX_HINTS)
		n = SS_SYNC_MAX_HINTS;
	if (n > 0)
		memcpy(m->hints, h, n * sizeof(*h));
	m->nhints = n;
	pthread_mutex_unlock(&m->mu);
}

void ss_metrics_set_leader(struct ss_metrics *m, int leader)
{
	pthread_mutex_lock(&m->mu);
	m->leader = leader;
	pthread_mutex_unlock(&m->mu);
}

void ss_metrics_set_suspended(struct ss_metrics *m, int suspended)
{
	pthread_mutex_lock(&m->mu);
	m->suspended = suspended;
	pthread_mutex_unlock(&m->mu);
}

/* Label values here are unit names, hex revisions and base64 tags; escape
 * anyway, as the format requires. */
static int put_label(struct ss_buf *b, const char *v)
{
	int rc = 0;

	for (; *v != '\0' && rc == 0; v++) {
		if (*v == '\\' || *v == '"')
			rc = ss_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			rc = ss_buf_puts(b, "\\n");
		else
			rc = ss_buf_putc(b, *v);
	}
	return rc;
}

static int family(struct ss_buf *b, const char *name, const char *type, const char *help)
{
	return ss_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- units: health and ordering (sync_units.c), /v1/status ---- */

static void copy_unit(struct metrics_unit *mu, const struct ss_agent *a,
		      const struct ss_unit_config *u, size_t i)
{
	const struct ss_unit_status *st = ss_agent_unit_status(a, i);
	size_t j, len = 0;

	snprintf(mu->name, sizeof(mu->name), "%s", u->name);
	snprintf(mu->path, sizeof(mu->path), "%s", u->path);
	mu->checked = ss_unit_checked(u);
	mu->depends[0] = '\0';
	for (j = 0; j < u->ndepends && len < sizeof(mu->depends); j++)
		len += (size_t)snprintf(mu->depends + len, sizeof(mu->depends) - len, "%s%s",
					j ? "," : "", u->depends_on[j]);
	if (st == NULL)
		return;
	snprintf(mu->revision, sizeof(mu->revision), "%s", st->revision);
	mu->ok = st->ok;
	snprintf(mu->attempted, sizeof(mu->attempted), "%s", st->attempted);
	snprintf(mu->health_revision, sizeof(mu->health_revision), "%s", st->health_revision);
	snprintf(mu->state, sizeof(mu->state), "%s",
		 u->suspend ? "suspended" : st->state != NULL ? st->state : "pending");
	snprintf(mu->stage, sizeof(mu->stage), "%s", st->ok || st->stage == NULL ? "" : st->stage);
	snprintf(mu->why, sizeof(mu->why), "%s", st->why);
	snprintf(mu->error, sizeof(mu->error), "%s", st->ok ? "" : st->error);
	mu->last_attempt = st->last_attempt;
	mu->npending = ss_agent_unit_pending(a, i, mu->pending, METRICS_PENDING_MAX, &mu->total,
					     &mu->current);
}

void ss_metrics_record_units(struct ss_metrics *m, const struct ss_agent *a,
			     const struct ss_config *cfg)
{
	size_t i;

	pthread_mutex_lock(&m->mu);
	m->nunits = cfg->nunits;
	for (i = 0; i < cfg->nunits; i++)
		copy_unit(&m->units[i], a, &cfg->units[i], i);
	pthread_mutex_unlock(&m->mu);
}

static int unit_healthy(const struct metrics_unit *u)
{
	return u->ok && (strcmp(u->state, "healthy") == 0 || strcmp(u->state, "applied") == 0);
}

static int render_pending(const struct metrics_unit *u, struct ss_buf *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < u->npending; i++) {
		const struct ss_wait_object *o = &u->pending[i];

		rc = ss_buf_puts(b, "sealsync_unit_object_not_current{unit=\"");
		rc = rc ? rc : put_label(b, u->name);
		rc = rc ? rc : ss_buf_puts(b, "\",kind=\"");
		rc = rc ? rc : put_label(b, o->kind);
		rc = rc ? rc : ss_buf_puts(b, "\",namespace=\"");
		rc = rc ? rc : put_label(b, o->ns);
		rc = rc ? rc : ss_buf_puts(b, "\",name=\"");
		rc = rc ? rc : put_label(b, o->name);
		rc = rc ? rc : ss_buf_printf(b, "\",status=\"%s\"} 1\n", ss_health_name(o->status));
	}
	return rc;
}

static const char *const unit_states[] = {"pending",   "applied", "progressing", "healthy",
					  "unhealthy", "failed",  "waiting",     "suspended"};

static int render_state(const struct metrics_unit *u, struct ss_buf *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(unit_states) / sizeof(unit_states[0]); i++) {
		rc = ss_buf_puts(b, "sealsync_unit_status{unit=\"");
		rc = rc ? rc : put_label(b, u->name);
		rc = rc ? rc : ss_buf_printf(b, "\",status=\"%s\"} %d\n", unit_states[i],
					     strcmp(u->state, unit_states[i]) == 0);
	}
	return rc;
}

static int render_health(const struct ss_metrics *m, struct ss_buf *b)
{
	size_t i;
	int rc;

	rc = family(b, "sealsync_unit_healthy", "gauge",
		    "1 when the unit's revision is applied and its health checks (if any) passed.");
	for (i = 0; rc == 0 && i < m->nunits; i++) {
		rc = ss_buf_puts(b, "sealsync_unit_healthy{unit=\"");
		rc = rc ? rc : put_label(b, m->units[i].name);
		rc = rc ? rc : ss_buf_printf(b, "\"} %d\n", unit_healthy(&m->units[i]));
	}
	rc = rc ? rc : family(b, "sealsync_unit_status", "gauge",
			      "1 for the unit's current status (pending, applied, progressing, "
			      "healthy, unhealthy, failed, waiting, suspended).");
	for (i = 0; rc == 0 && i < m->nunits; i++)
		rc = render_state(&m->units[i], b);
	rc = rc ? rc : family(b, "sealsync_unit_object_not_current", "gauge",
			      "Objects of a unit's health check that are not Current (at most 8 "
			      "per unit), with their kstatus status.");
	for (i = 0; rc == 0 && i < m->nunits; i++)
		rc = render_pending(&m->units[i], b);
	rc = rc ? rc : family(b, "sealsync_unit_last_attempt_timestamp_seconds", "gauge",
			      "When the unit's last sync attempt started (Unix time).");
	for (i = 0; rc == 0 && i < m->nunits; i++) {
		rc = ss_buf_puts(b, "sealsync_unit_last_attempt_timestamp_seconds{unit=\"");
		rc = rc ? rc : put_label(b, m->units[i].name);
		rc = rc ? rc : ss_buf_printf(b, "\"} %lld\n", (long long)m->units[i].last_attempt);
	}
	return rc;
}

/* "synced; units: apps=healthy web=progressing" (bounded). */
static int ready_units(const struct ss_metrics *m, char *detail, size_t len)
{
	size_t i, n;

	n = (size_t)snprintf(detail, len, "synced; units:");
	for (i = 0; i < m->nunits && n < len; i++)
		n += (size_t)snprintf(detail + n, len - n, " %s=%s", m->units[i].name,
				      m->units[i].state[0] ? m->units[i].state : "pending");
	return 1;
}

/* JSON strings must be UTF-8: status messages and errors may quote a
 * controller's text or a file name cut anywhere. */
static json_t *text(const char *s)
{
	char buf[SS_LOG_ESC_MAX(1024)];

	ss_log_escape(s, SS_LOG_ESC_UTF8, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *status_objects(const struct metrics_unit *u)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < u->npending; i++) {
		const struct ss_wait_object *o = &u->pending[i];

		if (json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:o,s:s,s:o}", "apiVersion",
							 text(o->api_version), "kind",
							 text(o->kind), "namespace", text(o->ns),
							 "name", text(o->name), "status",
							 ss_health_name(o->status), "message",
							 text(o->message))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *depends_array(const char *list)
{
	json_t *arr = json_array();
	char name[64];
	size_t n;

	while (arr != NULL && *list != '\0') {
		n = strcspn(list, ",");
		snprintf(name, sizeof(name), "%.*s", (int)n, list);
		if (json_array_append_new(arr, json_string(name)) != 0) {
			json_decref(arr);
			return NULL;
		}
		list += n + (list[n] == ',');
	}
	return arr;
}

static json_t *status_unit(const struct metrics_unit *u)
{
	char when[32] = "";
	struct tm tm;

	if (u->last_attempt > 0 && gmtime_r(&u->last_attempt, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:o,s:s,s:o,s:b,s:s,s:s,s:s,s:o,s:s,"
			 "s:{s:b,s:s,s:I,s:I,s:o*},s:o*}",
			 "name", u->name, "path", text(u->path), "status",
			 u->state[0] ? u->state : "pending", "reason", text(u->why), "healthy",
			 unit_healthy(u), "revision", u->revision, "attempted", u->attempted,
			 "lastAttempt", when, "lastError", text(u->error), "stage", u->stage,
			 "health", "checked", u->checked, "revision", u->health_revision,
			 "objects", (json_int_t)u->total, "current", (json_int_t)u->current,
			 "notCurrent", status_objects(u), "dependsOn", depends_array(u->depends));
}

json_t *ss_metrics_status(struct ss_metrics *m)
{
	json_t *units = json_array(), *out;
	size_t i;

	pthread_mutex_lock(&m->mu);
	for (i = 0; units != NULL && i < m->nunits; i++)
		if (json_array_append_new(units, status_unit(&m->units[i])) != 0) {
			json_decref(units);
			units = NULL;
		}
	out = json_pack("{s:b,s:b,s:o*}", "leader", m->leader, "suspended", m->suspended, "units",
			units);
	pthread_mutex_unlock(&m->mu);
	return out;
}

void ss_metrics_set_shard(struct ss_metrics *m, const char *shard)
{
	pthread_mutex_lock(&m->mu);
	snprintf(m->shard, sizeof(m->shard), "%s", shard != NULL ? shard : "");
	pthread_mutex_unlock(&m->mu);
}

/* `,shard="NAME"` after other labels (lead: "{" when it is the only one);
 * nothing for the agent without a shard, whose series stay as they were. */
static int put_shard(const struct ss_metrics *m, struct ss_buf *b, const char *lead)
{
	int rc;

	if (m->shard[0] == '\0')
		return 0;
	rc = ss_buf_printf(b, "%sshard=\"", lead);
	rc = rc ? rc : put_label(b, m->shard);
	return rc ? rc : ss_buf_puts(b, "\"");
}

static int render_units(const struct ss_metrics *m, struct ss_buf *b)
{
	size_t i;
	int rc;

	rc = family(b, "sealsync_last_applied_revision_info", "gauge",
		    "The revision each unit last applied whole.");
	for (i = 0; rc == 0 && i < m->nunits; i++) {
		if (m->units[i].revision[0] == '\0')
			continue;
		rc = ss_buf_puts(b, "sealsync_last_applied_revision_info{unit=\"");
		rc = rc ? rc : put_label(b, m->units[i].name);
		rc = rc ? rc : ss_buf_puts(b, "\"");
		rc = rc ? rc : put_shard(m, b, ",");
		rc = rc ? rc : ss_buf_puts(b, ",revision=\"");
		rc = rc ? rc : put_label(b, m->units[i].revision);
		rc = rc ? rc : ss_buf_puts(b, "\"} 1\n");
	}
	rc = rc ? rc : family(b, "sealsync_unit_ready", "gauge",
			      "1 when the unit's last sync attempt succeeded.");
	for (i = 0; rc == 0 && i < m->nunits; i++) {
		rc = ss_buf_puts(b, "sealsync_unit_ready{unit=\"");
		rc = rc ? rc : put_label(b, m->units[i].name);
		rc = rc ? rc : ss_buf_puts(b, "\"");
		rc = rc ? rc : put_shard(m, b, ",");
		rc = rc ? rc : ss_buf_printf(b, "} %d\n", m->units[i].ok);
	}
	return rc ? rc : render_health(m, b);
}

static int render_histogram(const struct ss_metrics *m, struct ss_buf *b)
{
	unsigned long cum = 0;
	size_t i;
	int rc;

	rc = family(b, "sealsync_sync_duration_seconds", "histogram",
		    "Duration of a sync of every unit.");
	for (i = 0; rc == 0 && i < SS_METRICS_NBUCKETS; i++) {
		cum += m->buckets[i];
		rc = ss_buf_printf(b, "sealsync_sync_duration_seconds_bucket{le=\"%g\"} %lu\n",
				   ss_metrics_buckets[i], cum);
	}
	cum += m->buckets[SS_METRICS_NBUCKETS];
	rc = rc ? rc : ss_buf_printf(b, "sealsync_sync_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	rc = rc ? rc : ss_buf_printf(b, "sealsync_sync_duration_seconds_sum %.6f\n", m->duration_sum);
	rc = rc ? rc : ss_buf_printf(b, "sealsync_sync_duration_seconds_count %lu\n", m->duration_count);
	return rc;
}

static int render_counters(const struct ss_metrics *m, struct ss_buf *b)
{
	const struct ss_agent_stats *s = &m->stats;
	size_t i;
	int rc;

	rc = family(b, "sealsync_syncs_total", "counter", "Syncs attempted.");
	rc = rc ? rc : ss_buf_printf(b, "sealsync_syncs_total %lu\n", s->syncs);
	rc = rc ? rc : family(b, "sealsync_objects_applied_total", "counter", "Objects applied.");
	rc = rc ? rc : ss_buf_printf(b, "sealsync_objects_applied_total %lu\n", s->objects_applied);
	rc = rc ? rc : family(b, "sealsync_objects_pruned_total", "counter", "Objects pruned.");
	rc = rc ? rc : ss_buf_printf(b, "sealsync_objects_pruned_total %lu\n", s->objects_pruned);
	rc = rc ? rc : family(b, "sealsync_sync_failures_total", "counter",
			      "Unit sync failures by the stage that stopped them.");
	for (i = 0; rc == 0 && i < 8; i++)
		rc = ss_buf_printf(b, "sealsync_sync_failures_total{stage=\"%s\"} %lu\n",
				   ss_sync_stages[i], s->failures_by_stage[i]);
	rc = rc ? rc : family(b, "sealsync_unseal_failures_total", "counter",
			      "Units whose sealed values failed to unseal.");
	rc = rc ? rc : ss_buf_printf(b, "sealsync_unseal_failures_total %lu\n", s->unseal_failures);
	return rc;
}

static int render_keys(const struct ss_metrics *m, struct ss_buf *b)
{
	double age = 0;
	size_t i;
	int rc;

	if (m->active_created > 0 && time(NULL) > m->active_created)
		age = difftime(time(NULL), m->active_created);
	rc = family(b, "sealsync_keys", "gauge", "Identities held, by state.");
	rc = rc ? rc : ss_buf_printf(b, "sealsync_keys{state=\"usable\"} %zu\n", m->keys_usable);
	rc = rc ? rc : ss_buf_printf(b, "sealsync_keys{state=\"retired\"} %zu\n", m->keys_retired);
	rc = rc ? rc : family(b, "sealsync_active_key_age_seconds", "gauge",
			      "Age of the key used for sealing.");
	rc = rc ? rc : ss_buf_printf(b, "sealsync_active_key_age_seconds %.0f\n", age);
	rc = rc ? rc : family(b, "sealsync_sealed_values", "gauge",
			      "Sealed values of the last revision per recipient key hint.");
	for (i = 0; rc == 0 && i < m->nhints; i++) {
		rc = ss_buf_puts(b, "sealsync_sealed_values{key_hint=\"");
		rc = rc ? rc : put_label(b, m->hints[i].hint);
		rc = rc ? rc : ss_buf_puts(b, "\",recipient=\"");
		rc = rc ? rc : put_label(b, m->hints[i].recipient);
		rc = rc ? rc : ss_buf_printf(b, "\"} %lu\n", m->hints[i].values);
	}
	return rc;
}

int ss_metrics_render(struct ss_metrics *m, struct ss_buf *out)
{
	int rc;

	pthread_mutex_lock(&m->mu);
	rc = render_units(m, out);
	rc = rc ? rc : render_histogram(m, out);
	rc = rc ? rc : render_counters(m, out);
	rc = rc ? rc : render_keys(m, out);
	rc = rc ? rc : family(out, "sealsync_suspended", "gauge", "1 while syncing is suspended.");
	rc = rc ? rc : ss_buf_printf(out, "sealsync_suspended %d\n", m->suspended);
	rc = rc ? rc : family(out, "sealsync_leader", "gauge", "1 while this replica holds the Lease.");
	rc = rc ? rc : ss_buf_puts(out, "sealsync_leader");
	rc = rc ? rc : put_shard(m, out, "{");
	rc = rc ? rc : ss_buf_printf(out, "%s %d\n", m->shard[0] ? "}" : "", m->leader);
	pthread_mutex_unlock(&m->mu);
	rc = rc ? rc : ss_notify_metrics(out); /* its own lock */
	return rc;
}

int ss_metrics_ready(struct ss_metrics *m, char *detail, size_t len)
{
	int ready = 0;

	pthread_mutex_lock(&m->mu);
	if (m->suspended)
		snprintf(detail, len, "suspended: not syncing until resumed");
	else if (m->keys_usable == 0)
		snprintf(detail, len, "keys not loaded yet");
	else if (!m->leader)
		ready = snprintf(detail, len, "follower: keys loaded, serving recipients") > 0;
	else if (m->synced_ok)
		ready = ready_units(m, detail, len);
	else
		snprintf(detail, len, m->duration_count > 0 ? "no successful sync yet (last one failed)"
							   : "no sync yet");
	pthread_mutex_unlock(&m->mu);
	return ready;
}
