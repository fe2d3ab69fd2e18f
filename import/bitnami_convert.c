/*
 * bitnami_convert.c: one Bitnami SealedSecret document in, one of ours out
 * (ss_bitnami_convert, bitnami.h), shared by `sealctl import bitnami` and
 * the agent's --import-bitnami. Values are opened one at a time into
 * guarded memory, sealed, and wiped.
 */
#include <string.h>

#include "sealsync/bitnami.h"
#include "sealsync/secmem.h"

/* Seals value i of b into s; the plaintext never leaves guarded memory. */
static int convert_value(const struct ss_bitnami_keys *k, const struct ss_bitnami *b, size_t i,
			 struct ss_sealed *s, const struct ss_sealed_seal_opts *so,
			 struct ss_err *err)
{
	const struct ss_bitnami_item *it = &b->items[i];
	unsigned char *pt = NULL;
	size_t len = 0;
	int rc;

	if (it->literal) /* clear text from Git: nothing to open */
		rc = ss_sealed_seal_value(s, it->key, it->ct, it->len, so, err);
	else if ((rc = ss_bitnami_open_item(k, b, i, &pt, &len, err)) == 0)
		rc = ss_sealed_seal_value(s, it->key, pt, len, so, err);
	ss_secmem_free(pt);
	if (rc != 0 && err != NULL && err->file[0] == '\0')
		ss_err_at(err, b->file, it->line, b->doc);
	return rc;
}

int ss_bitnami_convert(const struct ss_bitnami_keys *k, const json_t *doc,
		       const struct ss_origin *o, const struct ss_recipient *r, size_t nr,
		       json_t **out, struct ss_bitnami_result *res, struct ss_err *err)
{
	struct ss_sealed_seal_opts so = {r, nr, SS_SCOPE_STRICT, NULL};
	struct ss_bitnami *b = NULL;
	struct ss_sealed *s = NULL;
	size_t i;
	int rc;

	*out = NULL;
	rc = ss_bitnami_parse(doc, o, &b, err);
	if (rc != 0)
		return rc;
	so.mode = b->mode;
	rc = ss_sealed_from_secret(b->secret, o, &so, &s, err);
	for (i = 0; rc == 0 && i < b->n; i++)
		rc = convert_value(k, b, i, s, &so, err);
	if (rc == 0)
		rc = ss_sealed_to_json(s, out, err);
	if (rc == 0 && res != NULL) {
		res->nvalues = b->n;
		res->mode = b->mode;
	}
	ss_sealed_free(s);
	ss_bitnami_free(b);
	return rc;
}

/* One Bitnami object, counted in t. */
static int convert_counted(const struct ss_bitnami_keys *k, const json_t *doc,
			   const struct ss_origin *o, const struct ss_recipient *r, size_t nr,
			   json_t **out, struct ss_bitnami_tally *t, struct ss_err *err)
{
	struct ss_bitnami_result res;
	int rc = ss_bitnami_convert(k, doc, o, r, nr, out, &res, err);

	if (rc == 0) {
		t->nobjs++;
		t->nvalues += res.nvalues;
		t->nstrict += res.mode == SS_SCOPE_STRICT;
	}
	return rc;
}

/* A copy of the v1 List doc with its Bitnami items converted. */
static int convert_list(const struct ss_bitnami_keys *k, const json_t *doc,
			const struct ss_origin *o, const struct ss_recipient *r, size_t nr,
			json_t **out, struct ss_bitnami_tally *t, struct ss_err *err)
{
	json_t *copy = json_deep_copy(doc), *items = json_object_get(copy, "items"), *conv;
	size_t j;
	int rc = 0;

	if (copy == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (j = 0; rc == 0 && j < json_array_size(items); j++) {
		if (!ss_bitnami_is(json_array_get(items, j)))
			continue;
		rc = convert_counted(k, json_array_get(items, j), o, r, nr, &conv, t, err);
		if (rc == 0 && json_array_set_new(items, j, conv) != 0)
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	if (rc != 0)
		json_decref(copy);
	else
		*out = copy;
	return rc;
}

int ss_bitnami_convert_doc(const struct ss_bitnami_keys *k, const json_t *doc,
			   const struct ss_origin *o, const struct ss_recipient *r, size_t nr,
			   json_t **out, struct ss_bitnami_tally *t, struct ss_err *err)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	*out = NULL;
	if (ss_bitnami_is(doc))
		return convert_counted(k, doc, o, r, nr, out, t, err);
	if (kind != NULL && strcmp(kind, "List") == 0 && json_is_array(json_object_get(doc, "items")))
		return convert_list(k, doc, o, r, nr, out, t, err);
	*out = json_incref((json_t *)doc);
	return 0;
}
