/*
 * bitnami_keys.c: --key FILE for `sealctl import bitnami`: a PEM private
 * key, or the controller's key Secrets as YAML or JSON (what
 * `kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`
 * prints: a v1 List of kubernetes.io/tls Secrets), as kubeseal's
 * --recovery-private-key reads them. The file text, and the decoded
 * tls.key, stay in guarded memory; the base64 text of tls.key is also a
 * jansson string, wiped on free by the zeroing allocator (jsonalloc.h).
 */
#include <stdio.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealsync/bitnami.h"
#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/yaml.h"

#define KEY_FILE_MAX (4u << 20)

/* in_list: an item of a List, where the API server omits each item's kind
 * (a SecretList's items carry none; kubectl's List items do). */
static int add_secret(struct ss_bitnami_keys *k, const char *path, const json_t *doc, int idx,
		      int in_list, struct ss_err *err)
{
	const json_t *v = json_object_get(json_object_get(doc, "data"), "tls.key");
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	char name[SS_ERR_NAME_MAX + 32];
	struct ss_buf pem;
	int rc;

	snprintf(name, sizeof(name), "%.200s: document %d", path, idx);
	if ((kind == NULL && !in_list) || (kind != NULL && strcmp(kind, "Secret") != 0))
		return ss_err_set(err, SS_E_INVAL, "%s: not a Secret (want the controller's "
				  "kubernetes.io/tls key Secret)", name);
	if (!json_is_string(v))
		return ss_err_set(err, SS_E_INVAL, "%s: field data.tls.key: missing", name);
	ss_buf_init_secure(&pem, KEY_FILE_MAX);
	rc = ss_base64_decode(json_string_value(v), json_string_length(v), &pem, err);
	if (rc != 0)
		ss_err_prefix(err, "%s: field data.tls.key", name);
	else
		rc = ss_bitnami_keys_add_pem(k, name, pem.data, pem.len, err);
	ss_buf_release(&pem);
	return rc;
}

/* Every Secret of the file, and every item of a v1 List. */
static int add_docs(struct ss_bitnami_keys *k, const char *path, const struct ss_docset *ds,
		    struct ss_err *err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < ss_docset_count(ds); i++) {
		const json_t *doc = ss_docset_get(ds, i);
		const char *kind = json_string_value(json_object_get(doc, "kind"));
		const json_t *items = json_object_get(doc, "items");

		size_t kl = kind != NULL ? strlen(kind) : 0;

		/* "List" from kubectl, "SecretList" straight from the API server */
		if (kl < 4 || strcmp(kind + kl - 4, "List") != 0 || !json_is_array(items)) {
			rc = add_secret(k, path, doc, ss_docset_index(ds, i), 0, err);
			continue;
		}
		for (j = 0; rc == 0 && j < json_array_size(items); j++)
			rc = add_secret(k, path, json_array_get(items, j), ss_docset_index(ds, i), 1,
					err);
	}
	return rc;
}

int ss_bitnami_keys_add_text(struct ss_bitnami_keys *k, const char *name,
			     const unsigned char *text, size_t len, struct ss_err *err)
{
	struct ss_docset *ds = NULL;
	size_t before = k != NULL ? ss_bitnami_keys_count(k) : 0;
	int rc;

	if (len > 0 && memmem(text, len, "-----BEGIN", 10) != NULL)
		return ss_bitnami_keys_add_pem(k, name, text, len, err);
	rc = ss_yaml_load(name, text, len, NULL, &ds, err);
	if (rc == 0)
		rc = add_docs(k, name, ds, err);
	if (rc == 0 && ss_bitnami_keys_count(k) == before)
		rc = ss_err_set(err, SS_E_INVAL, "%s: no PEM private key and no key Secret", name);
	ss_docset_free(ds);
	return rc;
}

int ss_bitnami_keys_add_file(struct ss_bitnami_keys *k, const char *path, struct ss_err *err)
{
	struct ss_buf text;
	int rc;

	ss_buf_init_secure(&text, KEY_FILE_MAX);
	rc = ss_file_read(path, &text, err);
	if (rc == 0)
		rc = ss_bitnami_keys_add_text(k, path, text.data, text.len, err);
	ss_buf_release(&text);
	return rc;
}
