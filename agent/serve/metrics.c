/* metrics.c: the agent's report state and its Prometheus exposition. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sealsync/config.h"
#include "sealsync/metrics.h"
#include "sealsync/sync.h"

const double ss_metrics_buckets[SS_METRICS_NBUCKETS] = {0.1, 0.25, 0.5, 1,  2.5, 5,
							 10,  30,   60,  120, 300};

struct metrics_unit {
	char name[64];
	char revision[64];
	int ok;
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
	size_t i;

	pthread_mutex_lock(&m->mu);
	m->stats = *ss_agent_stats(a);
	m->nunits = cfg->nunits;
	for (i = 0; i < cfg->nunits; i++) {
		const struct ss_unit_status *st = ss_agent_unit_status(a, i);

		snprintf(m->units[i].name, sizeof(m->units[i].name), "%s", cfg->units[i].name);
		snprintf(m->units[i].revision, sizeof(m->units[i].revision), "%s",
			 st != NULL ? st->revision : "");
		m->units[i].ok = st != NULL && st->ok;
	}
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
	return rc;
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
		ready = snprintf(detail, len, "synced") > 0;
	else
		snprintf(detail, len, m->duration_count > 0 ? "no successful sync yet (last one failed)"
							   : "no sync yet");
	pthread_mutex_unlock(&m->mu);
	return ready;
}
