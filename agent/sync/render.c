/* render.c: the merged manifests of a unit, for review (see render.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sealsync/buf.h"
#include "sealsync/bundle.h"
#include "sealsync/emit.h"
#include "sealsync/file.h"
#include "sealsync/render.h"

#define RENDER_MAX (256u * 1024 * 1024)

/* base64 length → byte count, without decoding the value. Data from a
 * plain Secret in Git may be malformed: never wrap below zero. */
static size_t b64_decoded_len(const char *b64, size_t len)
{
	size_t n = len / 4 * 3, pad = 0;

	if (len >= 1 && b64[len - 1] == '=')
		pad++;
	if (len >= 2 && b64[len - 2] == '=')
		pad++;
	return n >= pad ? n - pad : 0;
}

static int redact_secret(json_t *obj)
{
	json_t *data = json_object_get(obj, "data"), *v;
	const char *key;
	char note[64];
	size_t len;

	json_object_foreach(data, key, v) {
		const char *b64 = json_string_value(v);

		len = b64 != NULL ? strlen(b64) : 0;
		len = b64_decoded_len(b64, len);
		snprintf(note, sizeof(note), "<redacted: %zu bytes>", len);
		if (json_object_set_new(data, key, json_string(note)) != 0)
			return SS_E_NOMEM;
	}
	return 0;
}

int ss_render_bundle(struct ss_bundle *b, const char *unit, const char *target,
		     int show_secrets, struct ss_err *err)
{
	char path[4096];
	json_t **docs = NULL;
	struct ss_buf out;
	size_t i;
	int rc = 0, to_stdout = strcmp(target, "-") == 0;

	if (show_secrets && !to_stdout)
		return ss_err_set(err, SS_E_USAGE, "--show-secrets only goes with --render -");
	ss_buf_init_secure(&out, RENDER_MAX);
	docs = calloc(b->n ? b->n : 1, sizeof(*docs));
	if (docs == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < b->n && rc == 0; i++) {
		docs[i] = ss_item_obj(&b->items[i]);
		if (docs[i] == NULL)
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		else if (!show_secrets && strcmp(b->items[i].id.kind, "Secret") == 0 &&
		    b->items[i].id.group[0] == '\0')
			rc = redact_secret(docs[i]);
	}
	/* Units go to stdout one after the other: each one opens with its own
	 * separator, or the last object of a unit and the first of the next
	 * would merge into one document (kubectl keeps only one of them). A
	 * unit without objects prints nothing: "---" alone is an empty doc. */
	if (rc == 0 && to_stdout && b->n > 0 && ss_buf_puts(&out, "---\n") != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "rendered manifests exceed %u bytes", RENDER_MAX);
	if (rc == 0)
		rc = ss_emit_docs(docs, b->n, SS_EMIT_YAML, &out, err);
	if (rc != 0)
		goto out;
	if (to_stdout) {
		if (ss_fd_write_all(STDOUT_FILENO, out.data, out.len) != 0)
			rc = ss_err_set(err, SS_E_IO, "cannot write to stdout");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s.yaml", target, unit);
	rc = ss_file_write_atomic(path, out.data, out.len, 0644, err);
out:
	free(docs);
	ss_buf_release(&out);
	return rc;
}
