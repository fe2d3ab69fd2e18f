/*
 * notify_body.c: the payloads (docs/OPERATIONS.md "Notifications").
 *
 * Everything in a payload comes from names the agent already logs (unit,
 * revision, object identities, the agent's name) and from a reason code
 * checked here; nothing from an error message, a value or a URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "notify_int.h"

static const char *const titles[SS_CONFIG_NOTIFY_EVENTS] = {
	"Sync failed", "Sync recovered", "Health changed", "Key rotated", "Prune refused"};

const char *notify_reason(const char *r)
{
	size_t i, n = r != NULL ? strlen(r) : 0;

	if (n == 0 || n > SS_NOTIFY_REASON_MAX)
		return "other";
	for (i = 0; i < n; i++) {
		char c = r[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return "other";
	}
	return r;
}

static const char *event_name(const struct ss_notify_msg *m)
{
	return ss_config_notify_events[(unsigned)m->event < SS_CONFIG_NOTIFY_EVENTS ? m->event : 0];
}

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *objects_json(const struct ss_notify_msg *m)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < m->nobjects && i < SS_NOTIFY_MAX_OBJECTS; i++) {
		const struct ss_notify_object *x = &m->objects[i];

		o = json_pack("{s:s?,s:s?,s:o,s:s?}", "apiVersion", x->api_version, "kind", x->kind,
			      "namespace", str_or_null(x->namespace_), "name", x->name);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static void iso_time(time_t now, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The generic webhook: the fields a receiver filters on, flat. */
static json_t *webhook_json(const struct ss_notify_msg *m, const char *agent, const char *shard,
			    time_t now)
{
	char ts[32];
	json_t *o;

	iso_time(now, ts, sizeof(ts));
	o = json_pack("{s:s,s:o,s:o,s:o,s:s,s:s}", "event", event_name(m), "unit",
		      str_or_null(m->unit), "revision", str_or_null(m->revision), "objects",
		      objects_json(m), "reason", notify_reason(m->reason), "agent", agent);
	if (o != NULL && m->nobjects > SS_NOTIFY_MAX_OBJECTS &&
	    json_object_set_new(o, "objectsOmitted",
				json_integer((json_int_t)(m->nobjects - SS_NOTIFY_MAX_OBJECTS))))
		goto fail;
	if (o != NULL && shard != NULL && json_object_set_new(o, "shard", json_string(shard)))
		goto fail;
	if (o != NULL && json_object_set_new(o, "time", json_string(ts)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* "Kind ns/name, ..." for people; at most a few, then "and N more". */
static void objects_text(const struct ss_notify_msg *m, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < m->nobjects && i < 5 && off < len; i++) {
		const struct ss_notify_object *x = &m->objects[i];
		int ns = x->namespace_ != NULL && x->namespace_[0] != '\0';

		off += (size_t)snprintf(buf + off, len - off, "%s%s %s%s%s", i ? ", " : "",
					x->kind ? x->kind : "?", ns ? x->namespace_ : "",
					ns ? "/" : "", x->name ? x->name : "?");
	}
	if (m->nobjects > 5 && off < len)
		snprintf(buf + off, len - off, " and %zu more", m->nobjects - 5);
}

/* Slack mrkdwn treats &, < and > as markup: escaped as Slack asks. */
static void slack_escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 6 < len; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;

		if (rep != NULL) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
}

static void summary(const struct ss_notify_msg *m, const char *agent, char *buf, size_t len)
{
	char objs[1024];
	const char *rev = m->revision != NULL && m->revision[0] ? m->revision : "";

	objects_text(m, objs, sizeof(objs));
	snprintf(buf, len, "%s%s%s (agent %s)%s%.12s: reason %s%s%s",
		 titles[(unsigned)m->event < SS_CONFIG_NOTIFY_EVENTS ? m->event : 0],
		 m->unit ? ", unit " : "", m->unit ? m->unit : "", agent, rev[0] ? " at " : "",
		 rev, notify_reason(m->reason), objs[0] ? "; objects: " : "", objs);
}

/* Slack incoming webhook: text (notifications, fallback) and one block. */
static json_t *slack_json(const struct ss_notify_msg *m, const char *agent)
{
	char text[2048], esc[6 * sizeof(text)];

	summary(m, agent, text, sizeof(text));
	slack_escape(text, esc, sizeof(esc));
	return json_pack("{s:s,s:[{s:s,s:{s:s,s:s}}]}", "text", esc, "blocks", "type", "section",
			 "text", "type", "mrkdwn", "text", esc);
}

static json_t *fact(const char *title, const char *value)
{
	return json_pack("{s:s,s:s}", "title", title, "value", value && value[0] ? value : "-");
}

/* Teams through Workflows: a message with one Adaptive Card 1.4
 * (the Office 365 connectors' MessageCard is retired). */
static json_t *teams_json(const struct ss_notify_msg *m, const char *agent, time_t now)
{
	char objs[1024], ts[32];
	json_t *facts, *card;

	objects_text(m, objs, sizeof(objs));
	iso_time(now, ts, sizeof(ts));
	facts = json_pack("[o,o,o,o,o,o]", fact("Unit", m->unit), fact("Revision", m->revision),
			  fact("Reason", notify_reason(m->reason)), fact("Agent", agent),
			  fact("Objects", objs), fact("Time", ts));
	card = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:b},{s:s,s:o}]}", "$schema",
			 "http://adaptivecards.io/schemas/adaptive-card.json", "type",
			 "AdaptiveCard", "version", "1.4", "body", "type", "TextBlock", "text",
			 titles[(unsigned)m->event < SS_CONFIG_NOTIFY_EVENTS ? m->event : 0],
			 "weight", "Bolder", "size", "Medium", "wrap", 1, "type", "FactSet", "facts",
			 facts);
	return json_pack("{s:s,s:[{s:s,s:n,s:o}]}", "type", "message", "attachments",
			 "contentType", "application/vnd.microsoft.card.adaptive", "contentUrl",
			 "content", card);
}

int notify_render(enum notify_type type, const struct ss_notify_msg *m, const char *agent,
		  const char *shard, time_t now, struct notify_entry *e)
{
	json_t *o;

	e->body = NULL;
	e->len = 0;
	if (type == NOTIFY_SLACK)
		o = slack_json(m, agent);
	else if (type == NOTIFY_TEAMS)
		o = teams_json(m, agent, now);
	else
		o = webhook_json(m, agent, shard, now);
	if (o == NULL)
		return SS_E_NOMEM;
	e->body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (e->body == NULL)
		return SS_E_NOMEM;
	e->len = strlen(e->body);
	return 0;
}
