/*
 * server_api.c: GET /v1/recipients, POST /v1/reseal, POST /v1/verify.
 *
 * Trust boundary: request bodies are untrusted ciphertext manifests. They
 * go through the same bounded YAML loader and SealedSecret parser as Git
 * input; every value costs X25519 operations from one per-request budget.
 * Plaintext only exists inside ss_age_open / ss_age_reseal buffers in
 * guarded memory; responses carry ciphertext, key names and error text
 * (which never holds values).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "sealsync/age.h"
#include "sealsync/keyholder.h"
#include "sealsync/keystore.h"
#include "sealsync/sealed.h"
#include "sealsync/yaml.h"

#define MAX_RECIPIENTS 4096

static int recipients_text(struct ss_server *s, const struct ss_recipient *rs, size_t n,
			   struct srv_reply *r)
{
	char line[SS_RECIPIENT_STR_MAX];
	size_t i;
	int rc;

	r->status = 200;
	r->ctype = "text/plain; charset=utf-8";
	rc = ss_buf_puts(&r->body, "# sealsync agent: active key (seal to this)\n");
	for (i = 0; rc == 0 && i < n; i++) {
		rc = ss_recipient_format(&rs[i], line, sizeof(line));
		if (rc == 0 && i == 1)
			rc = ss_buf_puts(&r->body, "# retained keys (still unseal, not for sealing)\n");
		if (rc == 0)
			rc = ss_buf_printf(&r->body, "%s%s\n", i == 0 ? "" : "# ", line);
	}
	if (rc == 0 && s->o.nextra > 0)
		rc = ss_buf_puts(&r->body, "# extra recipients (escrow, other clusters)\n");
	for (i = 0; rc == 0 && i < s->o.nextra; i++) {
		rc = ss_recipient_format(&s->extra[i], line, sizeof(line));
		if (rc == 0)
			rc = ss_buf_printf(&r->body, "%s\n", line);
	}
	return rc;
}

static json_t *recipient_array(const struct ss_recipient *rs, size_t n)
{
	char line[SS_RECIPIENT_STR_MAX];
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if (ss_recipient_format(&rs[i], line, sizeof(line)) != 0 ||
		    json_array_append_new(a, json_string(line)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int srv_recipients(struct ss_server *s, struct srv_req *q, struct srv_reply *r)
{
	const char *accept = srv_header(q, "Accept");
	char active[SS_RECIPIENT_STR_MAX];
	struct ss_recipient *rs;
	size_t n, retired = 0;
	int rc;

	rs = calloc(MAX_RECIPIENTS, sizeof(*rs));
	if (rs == NULL)
		return SS_E_NOMEM;
	n = ss_keystore_recipients(s->o.keys, rs, MAX_RECIPIENTS, &retired, NULL);
	if (n == 0)
		rc = srv_json_error(r, 503, "keys not loaded yet");
	else if (accept != NULL && strstr(accept, "text/plain") != NULL)
		rc = recipients_text(s, rs, n, r);
	else if ((rc = ss_recipient_format(&rs[0], active, sizeof(active))) == 0)
		rc = srv_json(r, 200,
			      json_pack("{s:s,s:o*,s:o*,s:o*,s:I}", "active", active, "recipients",
					recipient_array(rs, n), "retained",
					recipient_array(rs + 1, n - 1), "extra",
					recipient_array(s->extra, s->o.nextra), "retired",
					(json_int_t)retired));
	free(rs);
	return rc;
}

/* A 4xx with the error's location (file "request body", field, key). */
static int reply_err(struct srv_reply *r, unsigned status, const struct ss_err *e)
{
	char msg[1024];

	ss_err_format(e, msg, sizeof(msg));
	return srv_json(r, status, json_pack("{s:s,s:s,s:s}", "error", msg, "field", e->field,
					     "key", e->key));
}

/* Parses the body as exactly one SealedSecret. ds must outlive *out's use
 * of the origin (the parser copies what it needs). */
static int parse_body(struct srv_req *q, struct ss_sealed **out, struct ss_err *err)
{
	struct ss_docset *ds = NULL;
	struct ss_origin o;
	json_t *doc;
	int rc;

	*out = NULL;
	rc = ss_yaml_load("request body", q->body.data, q->body.len, NULL, &ds, err);
	if (rc != 0)
		return rc;
	if (ss_docset_count(ds) != 1 || !ss_sealed_is(doc = ss_docset_get(ds, 0))) {
		rc = ss_err_set(err, SS_E_INVAL, "the body must be one SealedSecret (%s)",
				SS_SEALED_API_VERSION);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.file = "request body";
	o.doc = ss_docset_index(ds, 0);
	o.line = ss_docset_line(ds, 0);
	o.ds = ds;
	o.ds_index = 0;
	rc = ss_sealed_parse(doc, &o, out, err);
out:
	ss_docset_free(ds);
	return rc;
}

/* The reseal target: the active key, then the extra recipients. */
static int reseal_targets(struct ss_server *s, struct ss_recipient *to, size_t *n)
{
	const struct ss_identity *active = s->kr != NULL ? ss_keyring_active(s->kr) : NULL;

	if (s->o.holder != NULL) { /* privsep: the store's newest public key */
		if (ss_keystore_recipients(s->o.keys, &to[0], 1, NULL, NULL) != 1)
			return SS_E_NOTFOUND;
	} else if (active == NULL) {
		return SS_E_NOTFOUND;
	} else {
		ss_identity_recipient(active, &to[0]);
	}
	memcpy(&to[1], s->extra, s->o.nextra * sizeof(*to));
	*n = 1 + s->o.nextra;
	return 0;
}

static enum ss_emit_format reply_format(struct srv_req *q)
{
	const char *accept = srv_header(q, "Accept");
	const char *ctype = srv_header(q, "Content-Type");

	if (accept != NULL && strstr(accept, "json") != NULL)
		return SS_EMIT_JSON;
	if (accept != NULL && strstr(accept, "yaml") != NULL)
		return SS_EMIT_YAML;
	if (ctype != NULL && strstr(ctype, "json") != NULL)
		return SS_EMIT_JSON;
	return q->body.len > 0 && q->body.data[0] == '{' ? SS_EMIT_JSON : SS_EMIT_YAML;
}

int srv_reseal(struct ss_server *s, struct srv_req *q, struct srv_reply *r)
{
	struct ss_recipient to[1 + SS_SERVER_MAX_EXTRA];
	unsigned budget = SS_SERVER_X25519_BUDGET;
	struct ss_age_seal_opts so;
	struct ss_age_open_opts oo;
	struct ss_sealed *sealed = NULL;
	enum ss_emit_format f = reply_format(q);
	struct ss_err err;
	size_t i, nto = 0;
	int rc;

	ss_err_clear(&err);
	if (srv_keyring(s, &err) != 0 || reseal_targets(s, to, &nto) != 0)
		return srv_json_error(r, 503, "keys not loaded yet");
	rc = parse_body(q, &sealed, &err);
	if (rc != 0) {
		rc = rc == SS_E_NOMEM ? rc : reply_err(r, 400, &err);
		goto out;
	}
	memset(&oo, 0, sizeof(oo));
	oo.kr = s->kr;
	oo.allow_unscoped = s->o.allow_unscoped;
	oo.x25519_budget = &budget;
	if (s->o.holder != NULL)
		ss_keyholder_bind(s->o.holder, &oo);
	memset(&so, 0, sizeof(so));
	so.recipients = to;
	so.nrecipients = nto;
	for (i = 0; i < ss_sealed_count(sealed); i++) {
		if ((rc = ss_sealed_reseal_value(sealed, i, &oo, &so, &err)) != 0) {
			rc = rc == SS_E_NOMEM ? rc : reply_err(r, 422, &err);
			goto out;
		}
	}
	r->status = 200;
	r->ctype = f == SS_EMIT_JSON ? "application/json" : "application/yaml";
	rc = ss_sealed_emit(sealed, f, &r->body, &err);
out:
	ss_sealed_free(sealed);
	return rc;
}

/* Opens key i in its scope into guarded memory, then wipes it. */
static int verify_value(struct ss_server *s, const struct ss_sealed *sealed, size_t i,
			const char *ns, unsigned *budget, struct ss_err *err)
{
	struct ss_age_open_opts oo;
	struct ss_scope want;
	struct ss_buf pt;
	const unsigned char *v;
	size_t len;
	int rc;

	rc = ss_sealed_expected_scope(sealed, ns, ss_sealed_key(sealed, i), &want, err);
	if (rc != 0)
		return rc;
	memset(&oo, 0, sizeof(oo));
	oo.kr = s->kr;
	oo.allow_unscoped = s->o.allow_unscoped;
	oo.x25519_budget = budget;
	oo.expect = &want;
	if (s->o.holder != NULL)
		ss_keyholder_bind(s->o.holder, &oo);
	v = ss_sealed_value(sealed, i, &len);
	ss_buf_init_secure(&pt, SS_SEALED_MAX_VALUE);
	rc = ss_age_open(&oo, v, len, &pt, NULL, err);
	ss_buf_release(&pt);
	return rc;
}

static int verify_all(struct ss_server *s, struct srv_req *q, struct ss_sealed *sealed,
		      struct srv_reply *r)
{
	const char *ns = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "namespace");
	unsigned budget = SS_SERVER_X25519_BUDGET;
	json_t *ok = json_array(), *failed = json_array();
	struct ss_err err;
	size_t i;

	if (ss_sealed_namespace(sealed)[0] != '\0' || ns == NULL)
		ns = ss_sealed_namespace(sealed);
	for (i = 0; ok != NULL && failed != NULL && i < ss_sealed_count(sealed); i++) {
		const char *key = ss_sealed_key(sealed, i);

		ss_err_clear(&err);
		if (verify_value(s, sealed, i, ns, &budget, &err) == 0) {
			json_array_append_new(ok, json_string(key));
		} else {
			char msg[1024];

			ss_err_format(&err, msg, sizeof(msg));
			json_array_append_new(failed, json_pack("{s:s,s:s,s:s}", "key", key, "error",
								msg, "reason",
								ss_strerror(err.code)));
		}
	}
	if (ok == NULL || failed == NULL) {
		json_decref(ok);
		json_decref(failed);
		return SS_E_NOMEM;
	}
	return srv_json(r, json_array_size(failed) > 0 ? 409 : 200,
			json_pack("{s:b,s:o,s:o}", "ok", json_array_size(failed) == 0, "verified",
				  ok, "failed", failed));
}

int srv_verify(struct ss_server *s, struct srv_req *q, struct srv_reply *r)
{
	struct ss_sealed *sealed = NULL;
	struct ss_err err;
	int rc;

	ss_err_clear(&err);
	if (srv_keyring(s, &err) != 0)
		return srv_json_error(r, 503, "keys not loaded yet");
	rc = parse_body(q, &sealed, &err);
	if (rc != 0)
		rc = rc == SS_E_NOMEM ? rc : reply_err(r, 400, &err);
	else
		rc = verify_all(s, q, sealed, r);
	ss_sealed_free(sealed);
	return rc;
}
