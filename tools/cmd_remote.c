/*
 * cmd_remote.c: the manifest verbs' `--agent URL` mode, on top of the
 * agent client (agent_client.h: https only, certificate verified, optional
 * recipient pins). `seal` fetches the recipients; `reseal` and `verify` send
 * one SealedSecret per request to POST /v1/reseal and /v1/verify. Only
 * ciphertext crosses the wire; the keys never leave the agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_manifest.h"

#define REMOTE_RESP_MAX (8u << 20)

int cm_agent_recipients(struct cm_opts *o, struct ss_err *err)
{
	return sealctl_agent_recipients(&o->agent, &o->rcpt, NULL, err);
}

/* The error an agent sent back ({"error": "..."}), or the status. */
static int remote_error(const struct ss_buf *resp, long status, struct ss_err *err)
{
	json_t *j = json_loadb((const char *)resp->data, resp->len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "error"));
	const char *field = json_string_value(json_object_get(j, "field"));
	const char *key = json_string_value(json_object_get(j, "key"));
	int rc = status == 422 || status == 409 ? SS_E_NOMATCH : SS_E_NET;

	ss_err_set(err, rc, "the agent answered %ld: %s", status,
		   msg != NULL ? msg : "(no error message)");
	if (field != NULL && field[0] != '\0' && strlen(field) < SS_ERR_NAME_MAX &&
	    (key == NULL || strlen(key) < SS_ERR_NAME_MAX))
		ss_err_field(err, field, key);
	json_decref(j);
	return rc;
}

static int post_sealed(const struct cm_opts *o, const char *path, const struct ss_sealed *s,
		       long *status, struct ss_buf *resp, struct ss_err *err)
{
	struct ss_buf body;
	int rc;

	ss_buf_init(&body, REMOTE_RESP_MAX);
	rc = ss_sealed_emit(s, SS_EMIT_JSON, &body, err);
	if (rc == 0)
		rc = sealctl_agent_post(&o->agent, path, body.data, body.len, status, resp, err);
	ss_buf_release(&body);
	return rc;
}

int cm_agent_reseal(const struct cm_opts *o, const struct ss_sealed *s, struct ss_sealed **out,
		    struct ss_err *err)
{
	struct ss_origin org = {"<agent reply>", 0, 1, NULL, 0};
	struct ss_docset *ds = NULL;
	struct ss_buf resp;
	long status = 0;
	int rc;

	*out = NULL;
	ss_buf_init(&resp, REMOTE_RESP_MAX);
	rc = post_sealed(o, "/v1/reseal", s, &status, &resp, err);
	if (rc == 0 && status != 200)
		rc = remote_error(&resp, status, err);
	if (rc == 0)
		rc = ss_yaml_load(org.file, resp.data, resp.len, NULL, &ds, err);
	if (rc == 0 && ss_docset_count(ds) != 1)
		rc = ss_err_set(err, SS_E_INVAL, "the agent's reply is not one SealedSecret");
	if (rc == 0)
		rc = ss_sealed_parse(ss_docset_get(ds, 0), &org, out, err);
	if (rc == 0 && (strcmp(ss_sealed_name(*out), ss_sealed_name(s)) != 0 ||
			ss_sealed_count(*out) != ss_sealed_count(s))) {
		ss_sealed_free(*out);
		*out = NULL;
		rc = ss_err_set(err, SS_E_INVAL, "the agent's reply is another SealedSecret");
	}
	ss_docset_free(ds);
	ss_buf_release(&resp);
	return rc;
}

/* 409: names the first key the agent could not open. */
static int verify_failed(const struct ss_buf *resp, struct ss_err *err)
{
	json_t *j = json_loadb((const char *)resp->data, resp->len, 0, NULL);
	json_t *first = json_array_get(json_object_get(j, "failed"), 0);
	const char *key = json_string_value(json_object_get(first, "key"));
	const char *why = json_string_value(json_object_get(first, "reason"));

	ss_err_set(err, SS_E_NOMATCH, "the agent cannot open it: %s",
		   why != NULL ? why : "(no reason given)");
	if (key != NULL && strlen(key) < SS_ERR_NAME_MAX)
		ss_err_field(err, "spec.encryptedData", key);
	json_decref(j);
	return SS_E_NOMATCH;
}

int cm_agent_verify(const struct cm_opts *o, const struct ss_sealed *s, const char *ns,
		    struct ss_err *err)
{
	char path[SS_OBJ_LABEL_MAX + 64];
	struct ss_buf resp;
	long status = 0;
	int rc;

	if (ns != NULL && ns[0] != '\0')
		snprintf(path, sizeof(path), "/v1/verify?namespace=%s", ns);
	else
		snprintf(path, sizeof(path), "/v1/verify");
	ss_buf_init(&resp, REMOTE_RESP_MAX);
	rc = post_sealed(o, path, s, &status, &resp, err);
	if (rc == 0 && status == 409)
		rc = verify_failed(&resp, err);
	else if (rc == 0 && status != 200)
		rc = remote_error(&resp, status, err);
	ss_buf_release(&resp);
	return rc;
}
