/*
 * kube_yaml.c: reads a kubeconfig (YAML or JSON) with the project's YAML
 * loader (sealsync/yaml.h), so it is typed as client-go's sigs.k8s.io/yaml
 * reads it, with the loader's bounds (alias expansion included). The
 * node bound is lowered: a kubeconfig is small, and a "billion laughs"
 * file should fail fast.
 */
#include <string.h>

#include "sealsync/file.h"
#include "sealsync/yaml.h"

#include "kube_int.h"

#define KC_MAX_NODES 100000

int kube_config_read_tree(const char *path, json_t **out, struct ss_docset **docs,
			  struct ss_err *err)
{
	struct ss_yaml_limits lim;
	struct ss_docset *ds = NULL;
	struct ss_buf b;
	int rc;

	*out = NULL;
	*docs = NULL;
	/* Secure: a kubeconfig can hold a client key and a token. */
	ss_buf_init_secure(&b, KUBE_FILE_MAX);
	rc = ss_file_read(path, &b, err);
	if (rc != 0)
		goto out;
	ss_yaml_limits_default(&lim);
	lim.max_bytes = KUBE_FILE_MAX;
	lim.max_nodes = KC_MAX_NODES;
	rc = ss_yaml_load(path, b.data != NULL ? b.data : (const unsigned char *)"", b.len, &lim,
			  &ds, err);
	if (rc != 0)
		goto out;
	if (ss_docset_count(ds) != 1 || !json_is_object(ss_docset_get(ds, 0))) {
		rc = ss_err_set(err, SS_E_INVAL, "a kubeconfig is one YAML mapping");
		goto out;
	}
	*out = ss_docset_get(ds, 0);
	*docs = ds;
	ds = NULL;
out:
	ss_docset_free(ds);
	ss_buf_release(&b);
	if (rc != 0)
		ss_err_at(err, path, 0, -1);
	return rc;
}

/*
 * Puts the line of err->field into err, or of its nearest parent that
 * exists (a missing field is reported at the mapping that lacks it).
 */
void kube_config_err_line(const struct ss_docset *ds, struct ss_err *err)
{
	char path[SS_ERR_NAME_MAX];
	unsigned line = 0;

	if (err == NULL || ds == NULL || err->field[0] == '\0')
		return;
	memcpy(path, err->field, sizeof(path));
	while (path[0] != '\0') {
		char *cut;

		line = ss_docset_field_line(ds, 0, path);
		if (line > 0)
			break;
		cut = strrchr(path, '.');
		if (cut == NULL)
			break;
		*cut = '\0';
	}
	if (line > 0)
		ss_err_at(err, NULL, line, -1);
}
