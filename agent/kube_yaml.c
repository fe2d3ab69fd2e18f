/*
 * kube_yaml.c: reads a kubeconfig (YAML or JSON) into a jansson tree.
 *
 * A kubeconfig needs only mappings, sequences and string scalars, so this
 * is a small converter over libyaml's document API rather than the full
 * Kubernetes-typed loader of manifest/: every scalar becomes a JSON
 * string, and the few boolean fields are read with kube_yaml_bool-like
 * rules by the caller. Bounded: file size (KUBE_FILE_MAX), nesting depth
 * and node count after alias expansion (a "billion laughs" file fails
 * instead of exploding), one document only.
 */
#include <string.h>

#include <yaml.h>

#include "sealsync/file.h"

#include "kube_int.h"

#define KC_MAX_DEPTH 32
#define KC_MAX_NODES 100000

struct kc_ctx {
	yaml_document_t *doc;
	size_t nodes;
};

static json_t *kc_node(struct kc_ctx *c, yaml_node_t *n, int depth);

static json_t *kc_mapping(struct kc_ctx *c, yaml_node_t *n, int depth)
{
	json_t *o = json_object(), *v;
	yaml_node_pair_t *p;
	yaml_node_t *key;

	if (o == NULL)
		return NULL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		key = yaml_document_get_node(c->doc, p->key);
		if (key == NULL || key->type != YAML_SCALAR_NODE)
			goto fail;
		v = kc_node(c, yaml_document_get_node(c->doc, p->value), depth + 1);
		if (v == NULL)
			goto fail;
		if (json_object_setn_new(o, (const char *)key->data.scalar.value,
					 key->data.scalar.length, v) != 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *kc_sequence(struct kc_ctx *c, yaml_node_t *n, int depth)
{
	json_t *a = json_array(), *v;
	yaml_node_item_t *it;

	if (a == NULL)
		return NULL;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		v = kc_node(c, yaml_document_get_node(c->doc, *it), depth + 1);
		if (v == NULL || json_array_append_new(a, v) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *kc_node(struct kc_ctx *c, yaml_node_t *n, int depth)
{
	if (n == NULL || depth > KC_MAX_DEPTH || ++c->nodes > KC_MAX_NODES)
		return NULL;
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return kc_mapping(c, n, depth);
	case YAML_SEQUENCE_NODE:
		return kc_sequence(c, n, depth);
	case YAML_SCALAR_NODE:
		/* A plain "null"/"~"/empty scalar reads as absent. */
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (n->data.scalar.length == 0 ||
		     strcmp((const char *)n->data.scalar.value, "null") == 0 ||
		     strcmp((const char *)n->data.scalar.value, "~") == 0))
			return json_null();
		return json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
	default:
		return NULL;
	}
}

static int kc_parse(const char *path, const struct ss_buf *b, json_t **out,
		    struct ss_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct kc_ctx c = {&doc, 0};
	json_t *root = NULL;
	int rc, have_doc = 0;

	if (!yaml_parser_initialize(&parser))
		return ss_err_set(err, SS_E_NOMEM, "cannot start the YAML parser");
	yaml_parser_set_input_string(&parser, b->data, b->len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = ss_err_set(err, SS_E_INVAL, "kubeconfig is not valid YAML: %s",
				parser.problem ? parser.problem : "syntax error");
		ss_err_at(err, path, (unsigned)parser.problem_mark.line + 1, -1);
		goto out;
	}
	have_doc = 1;
	if (yaml_document_get_root_node(&doc) == NULL) {
		rc = ss_err_set(err, SS_E_INVAL, "kubeconfig is empty");
		goto out;
	}
	root = kc_node(&c, yaml_document_get_root_node(&doc), 0);
	if (!json_is_object(root)) {
		rc = ss_err_set(err, c.nodes > KC_MAX_NODES ? SS_E_LIMIT : SS_E_INVAL,
				"kubeconfig is not a mapping of bounded size and depth");
		goto out;
	}
	*out = root;
	root = NULL;
	rc = 0;
out:
	json_decref(root);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0)
		ss_err_at(err, path, 0, -1);
	return rc;
}

int kube_config_read_tree(const char *path, json_t **out, struct ss_err *err)
{
	struct ss_buf b;
	int rc;

	*out = NULL;
	/* Secure: a kubeconfig can hold a client key and a token. */
	ss_buf_init_secure(&b, KUBE_FILE_MAX);
	rc = ss_file_read(path, &b, err);
	if (rc == 0 && b.data == NULL)
		rc = ss_err_set(err, SS_E_INVAL, "kubeconfig is empty");
	if (rc == 0)
		rc = kc_parse(path, &b, out, err);
	if (rc != 0)
		ss_err_at(err, path, 0, -1);
	ss_buf_release(&b);
	return rc;
}
