/*
 * keystore_managed.c: the agent-managed key Secret "<name>-keys".
 *
 * Append-only by construction: the text written back is always the text
 * last read plus one new block, and the PUT carries the resourceVersion of
 * that read, so a write based on a stale copy fails (409) instead of
 * dropping a key another replica added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "keystore_int.h"
#include "sealsync/config.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sealsync/notify.h"

/* How often a replica re-reads the Secret (a rotation by the leader shows
 * up on the others within this). */
#define POLL_SEC 5

static void secret_name(const struct ss_keystore *ks, char *buf, size_t len)
{
	snprintf(buf, len, "%s-keys", ks->cfg->name);
}

/* The Secret as JSON; text goes in base64 via guarded memory (jansson runs
 * with the zeroing allocator). rv "" for a create. */
static int secret_body(const struct ss_keystore *ks, const struct ss_buf *text, const char *rv,
		       json_t **out)
{
	size_t n = sodium_base64_ENCODED_LEN(text->len, sodium_base64_VARIANT_ORIGINAL);
	char name[300], *b64 = sodium_malloc(n);
	json_t *o = NULL;

	*out = NULL;
	if (b64 == NULL)
		return SS_E_NOMEM;
	sodium_bin2base64(b64, n, text->data != NULL ? text->data : (const unsigned char *)"",
			  text->len, sodium_base64_VARIANT_ORIGINAL);
	secret_name(ks, name, sizeof(name));
	o = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:{s:s}}", "apiVersion", "v1", "kind",
		      "Secret", "metadata", "name", name, "namespace", ks->cfg->namespace_, "labels",
		      "app.kubernetes.io/managed-by", "sealsync", "type", "Opaque", "data",
		      SS_KEYSTORE_DATA_KEY, b64);
	sodium_memzero(b64, n);
	sodium_free(b64);
	if (o != NULL && rv[0] != '\0' &&
	    json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string(rv)))
		json_decref(o), o = NULL;
	if (o == NULL)
		return SS_E_NOMEM;
	*out = o;
	return 0;
}

static int decode_text(const char *b64, struct ss_buf *text, struct ss_err *err)
{
	size_t cap = strlen(b64), n = 0;
	unsigned char *bin = sodium_malloc(cap + 1);
	int rc = 0;

	if (bin == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (sodium_base642bin(bin, cap + 1, b64, cap, "\n", &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		rc = ss_err_set(err, SS_E_INVAL, "data.%s is not base64", SS_KEYSTORE_DATA_KEY);
	ss_buf_reset(text);
	if (rc == 0 && ss_buf_append(text, bin, n) != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "data.%s is too large", SS_KEYSTORE_DATA_KEY);
	sodium_memzero(bin, cap + 1);
	sodium_free(bin);
	return rc;
}

/* Installs the identities of a fetched Secret, unless rv is unchanged. */
static int install_secret(struct ss_keystore *ks, json_t *obj, const char *where, struct ss_err *err)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"),
							   "resourceVersion"));
	const char *b64 = json_string_value(json_object_get(json_object_get(obj, "data"),
							    SS_KEYSTORE_DATA_KEY));
	struct ss_keyring *kr = NULL;
	int rc;

	if (b64 == NULL)
		return ss_err_set(err, SS_E_INVAL, "%s: no data.%s", where, SS_KEYSTORE_DATA_KEY);
	if (rv != NULL && ks->all != NULL && strcmp(rv, ks->rv) == 0)
		return 0;
	rc = decode_text(b64, &ks->text, err);
	if (rc == 0)
		rc = ss_keyring_new(&kr);
	if (rc == 0)
		rc = ss_keyring_parse(kr, (const char *)ks->text.data, ks->text.len, where, err);
	if (rc == 0)
		rc = ks_install(ks, kr, ks_text_created((const char *)ks->text.data, ks->text.len),
				err);
	if (rc == 0) {
		kr = NULL;
		snprintf(ks->rv, sizeof(ks->rv), "%s", rv != NULL ? rv : "");
	}
	ss_keyring_free(kr);
	return rc;
}

static int fetch(struct ss_keystore *ks, struct ss_err *err)
{
	char name[300], where[400];
	json_t *obj = NULL;
	int rc;

	secret_name(ks, name, sizeof(name));
	snprintf(where, sizeof(where), "Secret %s/%s", ks->cfg->namespace_, name);
	rc = ss_kube_get(ks->kube, "v1", "Secret", ks->cfg->namespace_, name, &obj, err);
	if (rc == 0)
		rc = install_secret(ks, obj, where, err);
	json_decref(obj);
	return rc;
}

/* base + one new identity block; text is guarded memory. */
static int text_with_new_key(const struct ss_buf *base, struct ss_buf *out, struct ss_recipient *r)
{
	struct ss_identity *id = NULL;
	int rc;

	rc = ss_identity_generate(&id);
	if (rc == 0 && base->len > 0)
		rc = ss_buf_append(out, base->data, base->len);
	if (rc == 0 && base->len > 0 && base->data[base->len - 1] != '\n')
		rc = ss_buf_putc(out, '\n');
	if (rc == 0)
		rc = ss_keyfile_format(id, time(NULL), out);
	if (rc == 0)
		ss_identity_recipient(id, r);
	ss_identity_free(id);
	return rc;
}

static void log_key(const char *msg, const struct ss_recipient *r)
{
	char s[SS_RECIPIENT_STR_MAX];

	if (ss_recipient_format(r, s, sizeof(s)) != 0)
		s[0] = '\0';
	ss_log(SS_LOG_INFO, msg, "recipient", s, NULL);
}

/* A rotation is news for the operators (notify.h): the Secret, no key. */
static void notify_rotated(const struct ss_keystore *ks)
{
	struct ss_notify_object o;
	struct ss_notify_msg m;
	char name[300];

	secret_name(ks, name, sizeof(name));
	o.api_version = "v1";
	o.kind = "Secret";
	o.namespace_ = ks->cfg->namespace_;
	o.name = name;
	memset(&m, 0, sizeof(m));
	m.event = SS_NOTIFY_ROTATION;
	m.reason = "renew-period";
	m.objects = &o;
	m.nobjects = 1;
	ss_notify_event(&m);
}

/* Writes base + a new key: create (POST) when rv is "", else PUT with rv. */
static int write_new_key(struct ss_keystore *ks, const struct ss_buf *base, const char *rv,
			 struct ss_err *err)
{
	struct ss_recipient r;
	struct ss_buf text;
	json_t *body = NULL;
	int rc;

	ss_buf_init_secure(&text, SS_KEYFILE_MAX);
	rc = text_with_new_key(base, &text, &r);
	if (rc == 0)
		rc = secret_body(ks, &text, rv, &body);
	if (rc != 0)
		rc = ss_err_set(err, rc, "cannot build the key Secret");
	else if (rv[0] == '\0')
		rc = ss_kube_create(ks->kube, body, NULL, err);
	else
		rc = ss_kube_update(ks->kube, body, NULL, err);
	json_decref(body);
	ss_buf_release(&text);
	if (rc == 0)
		log_key(rv[0] == '\0' ? "created the key Secret" : "rotated: new active key", &r);
	if (rc == 0 && rv[0] != '\0')
		notify_rotated(ks);
	return rc;
}

int ks_managed_load(struct ss_keystore *ks, int create, struct ss_err *err)
{
	struct ss_buf empty;
	int rc;

	rc = fetch(ks, err);
	if (rc != SS_E_NOTFOUND || !create)
		return rc;
	ss_buf_init(&empty, 0);
	ss_err_clear(err);
	rc = write_new_key(ks, &empty, "", err);
	if (rc == SS_E_CONFLICT) {
		/* Another replica created it first: use theirs. */
		ss_log(SS_LOG_INFO, "key Secret created by another replica; reading it", NULL);
		ss_err_clear(err);
		rc = 0;
	}
	if (rc == 0)
		rc = fetch(ks, err);
	ks->next_poll = time(NULL) + POLL_SEC;
	return rc;
}

static int rotation_due(const struct ss_keystore *ks)
{
	time_t now = time(NULL);

	if (ks->created == 0)
		return 1;
	return now >= ks->created && (unsigned long)(now - ks->created) >= ks->cfg->key_renew_sec;
}

int ks_managed_maintain(struct ss_keystore *ks, int leader, int *changed, struct ss_err *err)
{
	unsigned long gen = ks->generation;
	struct ss_buf base;
	int rc = 0;

	if (time(NULL) >= ks->next_poll || ks->all == NULL) {
		rc = fetch(ks, err);
		ks->next_poll = time(NULL) + POLL_SEC;
	}
	if (rc == 0 && leader && rotation_due(ks)) {
		char rv[64];

		ss_buf_init_secure(&base, SS_KEYFILE_MAX);
		snprintf(rv, sizeof(rv), "%s", ks->rv);
		rc = ss_buf_append(&base, ks->text.data, ks->text.len);
		if (rc == 0 && rv[0] != '\0')
			rc = write_new_key(ks, &base, rv, err);
		ss_buf_release(&base);
		if (rc == SS_E_CONFLICT) {
			ss_log(SS_LOG_INFO, "key Secret changed under the rotation; reading it again",
			       NULL);
			ss_err_clear(err);
		}
		if (rc == 0 || rc == SS_E_CONFLICT)
			rc = fetch(ks, err);
	}
	*changed = ks->generation != gen;
	return rc;
}
