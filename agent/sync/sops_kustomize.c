/*
 * sops_kustomize.c: a kustomization's secretGenerator that reads a
 * SOPS-encrypted file (Flux decrypts those before kustomize runs) is named
 * in the refusal, so that the user knows to convert that file with
 * `sealctl import sops` rather than to drop the kustomization (sops.h).
 */
#include <stdio.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/source.h"
#include "sealsync/yaml.h"

/* dotenv and binary files have no YAML `sops` key; sops marks them anyway. */
static int looks_sops(const unsigned char *d, size_t len)
{
	return memmem(d, len, "sops_mac=", 9) != NULL || memmem(d, len, "\nsops:", 6) != NULL ||
	       memmem(d, len, "\"sops\":", 7) != NULL;
}

/* The tree file named by entry ("[key=]path", relative to dir), if SOPS. */
static int entry_is_sops(const struct ss_tree *tree, const char *dir, const char *entry)
{
	const unsigned char *d;
	const char *eq = strchr(entry, '=');
	char full[1024];
	size_t i, len;

	snprintf(full, sizeof(full), "%s%s", dir, eq != NULL ? eq + 1 : entry);
	for (i = 0; i < ss_tree_count(tree); i++) {
		if (strcmp(ss_tree_path(tree, i), full) != 0 || ss_tree_is_symlink(tree, i))
			continue;
		d = ss_tree_data(tree, i, &len);
		return d != NULL && looks_sops(d, len);
	}
	return 0;
}

/* The first SOPS file in gen's files/envs lists; NULL if none. */
static const char *generator_sops(const struct ss_tree *tree, const char *dir, const json_t *gen)
{
	static const char *const lists[] = {"files", "envs"};
	const json_t *v;
	size_t i, j;

	for (i = 0; i < 2; i++)
		json_array_foreach(json_object_get(gen, lists[i]), j, v)
			if (json_is_string(v) && entry_is_sops(tree, dir, json_string_value(v)))
				return json_string_value(v);
	return NULL;
}

int ss_bundle_kustomize_sops(const struct ss_tree *tree, const char *path,
			     const unsigned char *text, size_t len, struct ss_err *err)
{
	struct ss_docset *ds = NULL;
	const char *slash = strrchr(path, '/'), *hit = NULL;
	char dir[1024];
	const json_t *gen;
	size_t i;
	int n = slash != NULL ? (int)(slash - path + 1) : 0;

	snprintf(dir, sizeof(dir), "%.*s", n, path);
	if (ss_yaml_load(path, text, len, NULL, &ds, NULL) != 0)
		return 0; /* the general refusal names the file */
	json_array_foreach(json_object_get(ss_docset_get(ds, 0), "secretGenerator"), i, gen)
		if (hit == NULL)
			hit = generator_sops(tree, dir, gen);
	if (hit != NULL) {
		ss_err_at(err, path, 0, -1);
		ss_err_field(err, "secretGenerator", NULL);
		ss_err_set(err, SS_E_UNSUPPORTED,
			   "%s: a SOPS-encrypted file in a kustomize secretGenerator is not supported; convert the Secret with `sealctl import sops`",
			   hit);
	}
	ss_docset_free(ds);
	return hit != NULL ? SS_E_UNSUPPORTED : 0;
}
