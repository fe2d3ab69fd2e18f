/*
 * cmd_seal_build.c: a Secret built from the command line, for
 * `sealctl seal --from-literal/--from-file` and `sealctl set`, so that
 * sealing needs no kubectl. Values are base64-encoded into guarded memory
 * and handed to jansson, which wipes what it frees (cm_parse).
 */
#include <stdio.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealsync/file.h"

#include "cmd_manifest.h"

/* Sets data[key] to base64 of v; a key given twice is refused. */
static int put_value(json_t *data, const char *key, const unsigned char *v, size_t n,
		     struct ss_err *err)
{
	struct ss_buf b64;
	int rc;

	if (json_object_get(data, key) != NULL)
		return ss_err_set(err, SS_E_DUP, "key %s is given twice", key);
	ss_buf_init_secure(&b64, SEALCTL_VALUE_MAX * 2);
	rc = ss_base64_encode(v != NULL ? v : (const unsigned char *)"", n, &b64);
	if (rc == 0 && json_object_set_new(data, key, json_stringn(ss_buf_str(&b64), b64.len)) != 0)
		rc = SS_E_NOMEM;
	if (rc != 0 && err->msg[0] == '\0')
		ss_err_set(err, rc, "key %s: %s", key, ss_strerror(rc));
	ss_buf_release(&b64);
	return rc;
}

/* --from-file [KEY=]PATH: the key defaults to the file's base name. */
static int put_file(json_t *data, const char *arg, struct ss_err *err)
{
	char key[SS_ERR_NAME_MAX];
	const char *eq = strchr(arg, '='), *path = eq != NULL ? eq + 1 : arg;
	const char *k = eq != NULL ? arg : strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	size_t klen = eq != NULL ? (size_t)(eq - arg) : strlen(k);
	struct ss_buf v;
	int rc;

	snprintf(key, sizeof(key), "%.*s", (int)klen, k);
	ss_buf_init_secure(&v, SEALCTL_VALUE_MAX);
	rc = ss_file_read(path, &v, err);
	if (rc == 0)
		rc = put_value(data, key, v.data, v.len, err);
	ss_buf_release(&v);
	return rc;
}

/* --from-literal KEY=VALUE (the value is in argv: the docs say so). */
static int put_literal(json_t *data, const char *arg, struct ss_err *err)
{
	char key[SS_ERR_NAME_MAX];
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return ss_err_set(err, SS_E_USAGE, "--from-literal takes KEY=VALUE");
	snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
	return put_value(data, key, (const unsigned char *)eq + 1, strlen(eq + 1), err);
}

static json_t *secret_shell(const char *name, const char *ns)
{
	json_t *meta = ns != NULL ? json_pack("{s:s, s:s}", "name", name, "namespace", ns)
				  : json_pack("{s:s}", "name", name);

	return json_pack("{s:s, s:s, s:o, s:s, s:{}}", "apiVersion", "v1", "kind", "Secret",
			 "metadata", meta, "type", "Opaque", "data");
}

int cm_build_secret(const struct cm_opts *o, json_t **out, struct ss_err *err)
{
	json_t *sec = secret_shell(o->name, o->ns), *data;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (sec == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	data = json_object_get(sec, "data");
	for (i = 0; rc == 0 && i < o->nfrom; i++)
		rc = o->from_is_file[i] ? put_file(data, o->from[i], err)
					: put_literal(data, o->from[i], err);
	if (rc != 0) {
		json_decref(sec);
		return rc;
	}
	*out = sec;
	return 0;
}

int cm_build_one(const char *name, const char *key, const unsigned char *v, size_t n,
		 json_t **out, struct ss_err *err)
{
	json_t *sec = secret_shell(name, NULL);
	int rc;

	*out = NULL;
	if (sec == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = put_value(json_object_get(sec, "data"), key, v, n, err);
	if (rc != 0) {
		json_decref(sec);
		return rc;
	}
	*out = sec;
	return 0;
}
