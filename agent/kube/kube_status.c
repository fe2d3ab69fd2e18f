/*
 * kube_status.c: Kubernetes Status responses → SS_E_* and error text.
 *
 * The API server answers a failed request with a Status object (kind
 * Status, reason, message, details.causes[].field/message). Its text is
 * built from the request and can echo field values, so every message is
 * redacted before it leaves this file; it is composed in full first and
 * truncated only after redaction, so no value is cut in half and left
 * partly readable.
 *
 * A value shorter than 4 bytes cannot be redacted (it would mangle every
 * message). When the sync holds one, the server's text about a Secret is
 * withheld: only the HTTP code, the reason and the cause field names stay.
 * This holds at every log level (the debug log is a log too).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kube_int.h"

#define STATUS_WORK_MAX 8192
#define STATUS_MAX_CAUSES 8
#define STATUS_BODY_SNIPPET 256
#define STATUS_WITHHELD                                                                   \
	" (the server's message is withheld: a value of this sync is shorter than 4 bytes " \
	"and cannot be redacted)"

int kube_status_code(long s)
{
	if (s >= 200 && s < 300)
		return 0;
	switch (s) {
	case 400:
	case 422:
		return SS_E_INVAL;
	case 401:
	case 403:
		return SS_E_PERM;
	case 404:
		return SS_E_NOTFOUND;
	case 409:
		return SS_E_CONFLICT;
	case 413:
		return SS_E_LIMIT;
	case 405:
	case 415:
		return SS_E_UNSUPPORTED;
	default:
		return SS_E_NET;
	}
}

/* Appends to the work buffer. A part that does not fit is left out whole:
 * cutting it could cut a value in half. */
static void SS_PRINTF(2, 3) w_printf(struct ss_buf *w, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ss_buf_vprintf(w, fmt, ap); /* on failure w is unchanged */
	va_end(ap);
	(void)rc;
}

static const char *status_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* Appends "; field: message" for each cause, bounded; only the field
 * when the text is withheld. */
static void status_causes(const json_t *st, int withhold, struct ss_buf *w)
{
	const json_t *causes = json_object_get(json_object_get(st, "details"), "causes");
	const json_t *c;
	size_t i;

	json_array_foreach (causes, i, c) {
		const char *field, *msg;

		if (i >= STATUS_MAX_CAUSES) {
			w_printf(w, "; ...");
			break;
		}
		field = status_str(c, "field");
		msg = withhold ? "" : status_str(c, "message");
		if (*field == '\0' && *msg == '\0')
			continue;
		/* The top-level message usually repeats its causes already. */
		if (strstr(ss_buf_str(w), msg) != NULL && *msg != '\0')
			continue;
		w_printf(w, "; %s%s%s", field, *field ? ": " : "", msg);
	}
}

/*
 * Printable ASCII only: a non-Status body can be anything (an HTML proxy
 * page, binary noise). Only a short body is quoted, and whole: cutting a
 * longer one could cut a value in half, and half a value escapes
 * redaction. Values are marked on the bytes as received, before anything
 * is replaced: a value with a tab or a NUL in it would no longer match
 * once that byte became a space.
 */
static void status_snippet(const struct kube_redact *r, const unsigned char *body, size_t len,
			   struct ss_buf *w)
{
	unsigned char mark[STATUS_BODY_SNIPPET];
	size_t i;

	if (len > STATUS_BODY_SNIPPET) {
		w_printf(w, "(a %zu-byte response that is not a Status)", len);
		return;
	}
	memset(mark, 0, sizeof(mark));
	if (kube_redact_mark(r, body, len, mark) != 0) {
		w_printf(w, "(a %zu-byte response that is not a Status; out of memory)", len);
		return;
	}
	for (i = 0; i < len;) {
		unsigned char c = body[i];

		if (mark[i]) {
			while (i < len && mark[i])
				i++;
			w_printf(w, "%s", KUBE_REDACT_MARK);
			continue;
		}
		w_printf(w, "%c", (c >= 0x20 && c < 0x7f) ? c : ' ');
		i++;
	}
}

static void status_compose(const char *what, long http_status, const unsigned char *body,
			   size_t len, const struct kube_redact *r, int withhold,
			   struct ss_buf *w)
{
	json_t *st = NULL;
	json_error_t jerr;

	if (http_status > 0)
		w_printf(w, "%s: HTTP %ld", what, http_status);
	else
		w_printf(w, "%s", what);
	if (body != NULL && len > 0)
		st = json_loadb((const char *)body, len, 0, &jerr);
	if (json_is_object(st) && (json_object_get(st, "reason") != NULL ||
				   json_object_get(st, "message") != NULL)) {
		if (*status_str(st, "reason") != '\0')
			w_printf(w, " %s", status_str(st, "reason"));
		if (withhold)
			w_printf(w, "%s", STATUS_WITHHELD);
		else if (*status_str(st, "message") != '\0')
			w_printf(w, ": %s", status_str(st, "message"));
		status_causes(st, withhold, w);
	} else if (body != NULL && len > 0 && withhold) {
		w_printf(w, ": (a %zu-byte response that is not a Status)%s", len,
			 STATUS_WITHHELD);
	} else if (body != NULL && len > 0) {
		w_printf(w, ": ");
		status_snippet(r, body, len, w);
	}
	json_decref(st);
}

void kube_status_message(const char *what, long http_status, const unsigned char *body,
			 size_t len, const struct kube_redact *r, int secret, char *buf,
			 size_t cap)
{
	struct ss_buf w;
	char *text;

	if (cap == 0)
		return;
	buf[0] = '\0';
	/* Secure: the text may quote a Secret's value until it is redacted. */
	ss_buf_init_secure(&w, STATUS_WORK_MAX);
	status_compose(what, http_status, body, len, r,
		       secret && r != NULL && r->nshort > 0, &w);
	if (w.data == NULL) {
		snprintf(buf, cap, "%s", what);
		goto out;
	}
	text = (char *)w.data;
	kube_redact_apply(r, text, w.len + 1);
	snprintf(buf, cap, "%s", text);
out:
	ss_buf_release(&w);
}

static int immutable_text(const char *msg)
{
	return strstr(msg, "field is immutable") != NULL ||
	       strstr(msg, "may not change once set") != NULL;
}

void kube_status_immutable(long http_status, const unsigned char *body, size_t len, char *field,
			   size_t cap)
{
	json_t *st = NULL, *causes, *c;
	json_error_t jerr;
	size_t i;

	field[0] = '\0';
	if (http_status != 422 || body == NULL || len == 0 ||
	    (st = json_loadb((const char *)body, len, 0, &jerr)) == NULL)
		return;
	causes = json_object_get(json_object_get(st, "details"), "causes");
	json_array_foreach(causes, i, c) {
		if (!immutable_text(status_str(c, "message"))) {
			field[0] = '\0'; /* another error too: a recreate would not help */
			break;
		}
		if (field[0] == '\0')
			snprintf(field, cap, "%s",
				 *status_str(c, "field") ? status_str(c, "field") : "(unknown field)");
	}
	if (json_array_size(causes) == 0 && immutable_text(status_str(st, "message")))
		snprintf(field, cap, "(unknown field)");
	json_decref(st);
}
