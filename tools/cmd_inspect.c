/*
 * cmd_inspect.c: `sealctl inspect`, what SealedSecrets claim: scope,
 * recipients' hint tags, sizes. Never a value, and no key needed; nothing
 * shown is authenticated (only unsealing checks the header MAC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_manifest.h"

static const char inspect_help[] =
	"usage: sealctl inspect [-r age1... | -R FILE] [-o yaml|json] [PATH...]\n"
	"\n"
	"Describes the SealedSecrets in PATHs (files, or folders walked like\n"
	"verify; stdin when none): each value's scope, the\n"
	"hint tag of each recipient it is sealed to, and its sizes. Never values.\n"
	"With -r/-R, tags that match a given recipient are labelled with it. With\n"
	"--raw, inspects one value (see `sealctl inspect --raw --help`).\n"
	"\n"
	"  -r, --recipient R          label this recipient's tag (repeatable)\n"
	"  -R, --recipients-file F    label these recipients' tags\n"
	"  -o, --format yaml|json     output format (default yaml)\n";

/* age STREAM: a 16-byte nonce, then 64 KiB chunks each with a 16-byte tag. */
static size_t plaintext_size(size_t payload)
{
	size_t body, chunks;

	if (payload < 32)
		return 0;
	body = payload - 16;
	chunks = (body + SS_AGE_CHUNK + 16 - 1) / (SS_AGE_CHUNK + 16);
	return body - 16 * (chunks ? chunks : 1);
}

static json_t *describe_recipients(const struct ss_age_info *info, const struct cm_opts *o)
{
	json_t *arr = json_array();
	unsigned char tag[SS_AGE_HINT_LEN];
	char hint[16], r[SS_RECIPIENT_STR_MAX];
	size_t i, k;

	for (i = 0; arr != NULL && i < info->n_x25519; i++) {
		json_t *one = json_object();

		if (i < info->n_hints) {
			ss_age_hint_format(info->hints[i], hint, sizeof(hint));
			json_object_set_new(one, "hint", json_string(hint));
		}
		for (k = 0; i < info->n_hints && k < o->rcpt.n; k++)
			if (ss_age_hint_for(&o->rcpt.v[k], tag) == 0 &&
			    memcmp(tag, info->hints[i], sizeof(tag)) == 0 &&
			    ss_recipient_format(&o->rcpt.v[k], r, sizeof(r)) == 0)
				json_object_set_new(one, "recipient", json_string(r));
		json_array_append_new(arr, one);
	}
	return arr;
}

static json_t *describe_value(const struct ss_sealed *s, size_t i, const struct cm_opts *o)
{
	const struct ss_age_info *info = ss_sealed_info(s, i);
	char scope[3 * SS_SCOPE_FIELD_MAX + 32];
	size_t len;

	(void)ss_sealed_value(s, i, &len);
	if (info->has_scope)
		ss_scope_describe(&info->scope, scope, sizeof(scope));
	else
		snprintf(scope, sizeof(scope), "none (unscoped)");
	return json_pack("{s:s, s:s, s:o, s:I, s:I}", "key", ss_sealed_key(s, i), "scope", scope,
			 "recipients", describe_recipients(info, o), "sealedBytes", (json_int_t)len,
			 "plaintextBytes", (json_int_t)plaintext_size(info->payload_len));
}

static json_t *describe(const struct ss_sealed *s, const struct ss_origin *org,
			const struct cm_opts *o)
{
	json_t *vals = json_array(), *d;
	size_t i;

	for (i = 0; vals != NULL && i < ss_sealed_count(s); i++)
		json_array_append_new(vals, describe_value(s, i, o));
	d = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:o}", "file", org->file, "document",
		      org->doc, "line", (int)org->line, "name", ss_sealed_name(s), "namespace",
		      ss_sealed_namespace(s), "scope", ss_scope_mode_name(ss_sealed_mode(s)),
		      "values", vals);
	return d;
}

struct inspect_ctx {
	const struct cm_opts *o;
	json_t *all;
	struct ss_err *err;
};

static int inspect_doc(const json_t *doc, const struct ss_origin *org, void *ctx,
		       struct ss_err *err)
{
	struct inspect_ctx *c = ctx;
	struct ss_sealed *s = NULL;
	int rc;

	if (!cm_is_sealed_like(doc))
		return 0;
	rc = ss_sealed_parse(doc, org, &s, err);
	if (rc == 0 && json_array_append_new(c->all, describe(s, org, c->o)) != 0)
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	ss_sealed_free(s);
	return rc;
}

static int inspect_file(const char *path, size_t index, size_t total, void *ctx)
{
	struct inspect_ctx *c = ctx;
	struct cm_file f;
	int rc = cm_file_load(&f, path, 0, c->err);

	(void)index;
	(void)total;
	if (rc == 0)
		rc = cm_each_doc(&f, inspect_doc, c, c->err);
	cm_file_release(&f);
	return rc;
}

int sealctl_cmd_inspect(int argc, char **argv)
{
	json_t *all = NULL, *doc = NULL;
	struct ss_buf out;
	struct cm_opts o;
	static char *stdin_path[] = {"-"};
	struct inspect_ctx c;
	struct ss_err err;
	int rc;

	rc = cm_parse(argc, argv, CM_RECIPIENTS | CM_FORMAT, inspect_help, &o);
	if (rc != 0 || o.help)
		return rc;
	ss_err_clear(&err);
	ss_buf_init(&out, (size_t)SEALCTL_SEALED_MAX);
	all = json_array();
	c.o = &o, c.all = all, c.err = &err;
	if (all == NULL)
		rc = ss_err_set(&err, SS_E_NOMEM, "out of memory");
	else
		rc = o.npaths > 0 ? cm_walk(o.paths, o.npaths, inspect_file, &c, &err)
				  : cm_walk(stdin_path, 1, inspect_file, &c, &err);
	if (rc == 0 && json_array_size(all) == 0)
		rc = ss_err_set(&err, SS_E_INVAL, "no SealedSecret in the input");
	if (rc == 0) {
		doc = json_pack("{s:O}", "sealedSecrets", all);
		rc = doc == NULL ? ss_err_set(&err, SS_E_NOMEM, "out of memory")
				 : ss_emit_docs(&doc, 1, o.fmt, &out, &err);
	}
	if (rc == 0)
		rc = cm_write_stdout(&out, &err);
	json_decref(doc);
	json_decref(all);
	ss_buf_release(&out);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}
