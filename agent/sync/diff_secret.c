/*
 * diff_secret.c: a Secret in a diff shows no value (see diff.h). Values
 * are compared here, in constant time, and replaced by markers before any
 * YAML is written, so no plaintext reaches an output buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "diff_int.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

enum key_state { KEY_UNCHANGED, KEY_CHANGED, KEY_ADDED, KEY_REMOVED };

static const char *const state_names[] = {"unchanged", "changed", "added", "removed"};

/* Equal strings, compared without a data-dependent early exit. */
static int same_value(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(a), *y = json_string_value(b);
	size_t lx = json_string_length(a), ly = json_string_length(b);

	if (x == NULL || y == NULL)
		return json_equal(a, b);
	return lx == ly && sodium_memcmp(x, y, lx) == 0;
}

static enum key_state key_state(const json_t *lv, const json_t *nv)
{
	if (lv == NULL)
		return KEY_ADDED;
	if (nv == NULL)
		return KEY_REMOVED;
	return same_value(lv, nv) ? KEY_UNCHANGED : KEY_CHANGED;
}

/* Both sides of one key become markers ("(hidden)", "(hidden: changed)"
 * for word "hidden"); the side that differs says how. */
static int mask_key(json_t *live, json_t *next, const char *key, const char *word)
{
	enum key_state s = key_state(json_object_get(live, key), json_object_get(next, key));
	char lm[64], nm[64];
	int rc = 0;

	snprintf(lm, sizeof(lm), s == KEY_REMOVED ? "(%s: removed)" : "(%s)", word);
	if (s == KEY_CHANGED || s == KEY_ADDED)
		snprintf(nm, sizeof(nm), "(%s: %s)", word, state_names[s]);
	else
		snprintf(nm, sizeof(nm), "(%s)", word);
	if (json_object_get(live, key) != NULL)
		rc |= json_object_set_new(live, key, json_string(lm));
	if (json_object_get(next, key) != NULL)
		rc |= json_object_set_new(next, key, json_string(nm));
	return rc != 0 ? SS_E_NOMEM : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a ∪ b, sorted; *out is malloc'd (borrowed strings). */
static int union_keys(const json_t *a, const json_t *b, const char ***out, size_t *n)
{
	size_t cap = json_object_size(a) + json_object_size(b) + 1;
	const char *key;
	json_t *v;

	*n = 0;
	*out = calloc(cap, sizeof(**out));
	if (*out == NULL)
		return SS_E_NOMEM;
	/* braces around each foreach body, so that cppcheck parses the macro */
	json_object_foreach((json_t *)a, key, v) {
		(*out)[(*n)++] = key;
	}
	json_object_foreach((json_t *)b, key, v) {
		if (json_object_get(a, key) == NULL)
			(*out)[(*n)++] = key;
	}
	qsort(*out, *n, sizeof(**out), cmp_str);
	return 0;
}

int ss_diff_put_keys(const char *what, const json_t *live, const json_t *next,
		     struct ss_buf *out)
{
	const char **keys = NULL;
	size_t i, n = 0;
	int rc = union_keys(live, next, &keys, &n);

	if (rc == 0 && n > 0)
		rc = ss_buf_printf(out, "# %s (values are never shown):\n", what);
	for (i = 0; i < n && rc == 0; i++)
		rc = ss_buf_printf(out, "#   %s: %s\n", keys[i],
				   state_names[key_state(json_object_get(live, keys[i]),
							 json_object_get(next, keys[i]))]);
	free(keys);
	return rc;
}

int diff_mask_values(json_t *live, json_t *next, const char *word)
{
	const char **keys = NULL;
	size_t i, n = 0;
	int rc = union_keys(live, next, &keys, &n);

	for (i = 0; i < n && rc == 0; i++)
		rc = mask_key(live, next, keys[i], word);
	free(keys);
	return rc;
}

static json_t *annotations(json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "annotations");
}

int diff_secret_is(const json_t *obj)
{
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	return av != NULL && kind != NULL && strcmp(av, "v1") == 0 && strcmp(kind, "Secret") == 0;
}

/*
 * Prints the per-key lines into keys_out (from the values before masking),
 * then masks both sides (either may be NULL): data, stringData and the
 * last-applied annotation, which holds the values of a kubectl apply.
 */
int diff_secret_mask(const char *what, json_t *live, json_t *next, struct ss_buf *keys_out)
{
	json_t *ld = json_object_get(live, "data"), *nd = json_object_get(next, "data");
	const char *one[1] = {LAST_APPLIED};
	int rc = ss_diff_put_keys(what, ld, nd, keys_out);

	if (rc == 0)
		rc = diff_mask_values(ld, nd, "hidden");
	if (rc == 0)
		rc = diff_mask_values(json_object_get(live, "stringData"),
				      json_object_get(next, "stringData"), "hidden");
	if (rc == 0 && (json_object_get(annotations(live), one[0]) != NULL ||
			json_object_get(annotations(next), one[0]) != NULL))
		rc = mask_key(annotations(live), annotations(next), one[0], "hidden");
	return rc;
}
