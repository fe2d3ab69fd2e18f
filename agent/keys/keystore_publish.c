/*
 * keystore_publish.c: the recipients ConfigMap (see keystore.h), so that
 * `sealctl recipients --kubeconfig` reads the sealing keys through the API
 * server with the user's own credentials, verified by the cluster CA.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sealsync/buf.h"
#include "sealsync/config.h"
#include "sealsync/keys.h"
#include "sealsync/keystore.h"
#include "sealsync/kube.h"
#include "keystore_int.h"

#define PUBLISH_MAX_KEYS 4096

/* The text /v1/recipients serves: the active key, retained keys as
 * comments, then the extra recipients, so both ways print the same. */
static int recipients_text(const struct ss_config *cfg, const struct ss_recipient *rs, size_t n,
			   struct ss_buf *out)
{
	char line[SS_RECIPIENT_STR_MAX];
	size_t i;
	int rc;

	rc = ss_buf_puts(out, "# sealsync agent: active key (seal to this)\n");
	for (i = 0; rc == 0 && i < n; i++) {
		rc = ss_recipient_format(&rs[i], line, sizeof(line));
		if (rc == 0 && i == 1)
			rc = ss_buf_puts(out, "# retained keys (still unseal, not for sealing)\n");
		if (rc == 0)
			rc = ss_buf_printf(out, "%s%s\n", i == 0 ? "" : "# ", line);
	}
	if (rc == 0 && cfg->nextra_recipients > 0)
		rc = ss_buf_puts(out, "# extra recipients (escrow, other clusters)\n");
	for (i = 0; rc == 0 && i < cfg->nextra_recipients; i++)
		rc = ss_buf_printf(out, "%s\n", cfg->extra_recipients[i]);
	return rc;
}

/* Without a pin the apply leaves tlsPin out, so a stale one is removed
 * (server-side apply drops fields this manager no longer sets). */
static json_t *configmap(const struct ss_config *cfg, const char *text, const char *active,
			 const char *tls_pin)
{
	char name[300];
	json_t *cm;

	snprintf(name, sizeof(name), "%s%s", cfg->name, SS_KEYSTORE_PUBLISH_SUFFIX);
	cm = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s}}", "apiVersion", "v1",
		       "kind", "ConfigMap", "metadata", "name", name, "namespace", cfg->namespace_,
		       "labels", "app.kubernetes.io/name", "sealsync", "data", "recipients.txt",
		       text, "active", active);
	if (cm != NULL && tls_pin != NULL &&
	    json_object_set_new(json_object_get(cm, "data"), "tlsPin", json_string(tls_pin)) != 0) {
		json_decref(cm);
		cm = NULL;
	}
	return cm;
}

int ss_keystore_publish(struct ss_keystore *ks, struct ss_kube *k, const char *tls_pin,
			struct ss_err *err)
{
	const struct ss_config *cfg = ks->cfg;
	char active[SS_RECIPIENT_STR_MAX];
	struct ss_recipient *rs;
	json_t *cm = NULL, *res = NULL;
	struct ss_buf text;
	size_t n;
	int rc;

	ss_buf_init(&text, 1u << 20);
	rs = calloc(PUBLISH_MAX_KEYS, sizeof(*rs));
	if (rs == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	n = ss_keystore_recipients(ks, rs, PUBLISH_MAX_KEYS, NULL, NULL);
	if (n == 0) {
		rc = ss_err_set(err, SS_E_NOTFOUND, "no keys loaded yet");
		goto out;
	}
	rc = recipients_text(cfg, rs, n, &text);
	if (rc == 0)
		rc = ss_recipient_format(&rs[0], active, sizeof(active));
	if (rc == 0 && (cm = configmap(cfg, ss_buf_str(&text), active, tls_pin)) == NULL)
		rc = SS_E_NOMEM;
	if (rc != 0) {
		rc = ss_err_set(err, rc, "cannot build the recipients ConfigMap");
		goto out;
	}
	rc = ss_kube_apply(k, cm, 0, &res, err);
	if (rc != 0)
		ss_err_prefix(err, "publishing the recipients ConfigMap");
out:
	json_decref(cm);
	json_decref(res);
	free(rs);
	ss_buf_release(&text);
	return rc;
}
