/*
 * jsonpatch.c: RFC 6902 JSON Patch (add, remove, replace, move, copy,
 * test) with RFC 6901 pointers, for PATCH application/json-patch+json.
 * Operations apply in order to the document; the first failure stops and
 * the caller discards the document.
 */
#include <stdlib.h>
#include <string.h>

#include "apisrv.h"

#define PTR_MAX 1024

/* Splits off the first token of a pointer ("/a~1b/c" -> "a/b"). */
static const char *ptr_token(const char *p, char *tok, size_t len)
{
	size_t n = 0;

	if (*p != '/')
		return NULL;
	for (p++; *p && *p != '/'; p++) {
		char c = *p;
		if (c == '~') {
			if (p[1] != '0' && p[1] != '1')
				return NULL;
			c = p[1] == '0' ? '~' : '/';
			p++;
		}
		if (n + 1 >= len)
			return NULL;
		tok[n++] = c;
	}
	tok[n] = '\0';
	return p;
}

static int array_index(const char *tok, size_t size, int allow_end, size_t *out)
{
	char *end = NULL;
	unsigned long v;

	if (allow_end && strcmp(tok, "-") == 0) {
		*out = size;
		return 0;
	}
	if (!*tok || (tok[0] == '0' && tok[1]) || tok[0] < '0' || tok[0] > '9')
		return -1;
	v = strtoul(tok, &end, 10);
	if (*end || v > size || (!allow_end && v == size))
		return -1;
	*out = v;
	return 0;
}

/* The parent container of the pointer's target and the last token. */
static json_t *ptr_parent(json_t *doc, const char *ptr, char *last, size_t len)
{
	char tok[PTR_MAX];
	const char *p = ptr, *next;
	json_t *cur = doc;
	size_t idx;

	for (;;) {
		next = ptr_token(p, tok, sizeof(tok));
		if (!next)
			return NULL;
		if (*next == '\0') {
			if (strlen(tok) >= len)
				return NULL;
			memcpy(last, tok, strlen(tok) + 1);
			return cur;
		}
		if (json_is_object(cur))
			cur = json_object_get(cur, tok);
		else if (json_is_array(cur) && array_index(tok, json_array_size(cur), 0, &idx) == 0)
			cur = json_array_get(cur, idx);
		else
			return NULL;
		if (!cur)
			return NULL;
		p = next;
	}
}

static json_t *ptr_get(json_t *doc, const char *ptr)
{
	char last[PTR_MAX];
	json_t *parent;
	size_t idx;

	if (!*ptr)
		return doc;
	parent = ptr_parent(doc, ptr, last, sizeof(last));
	if (json_is_object(parent))
		return json_object_get(parent, last);
	if (json_is_array(parent) && array_index(last, json_array_size(parent), 0, &idx) == 0)
		return json_array_get(parent, idx);
	return NULL;
}

/* add: v is stolen. */
static int op_add(json_t *doc, const char *ptr, json_t *v)
{
	char last[PTR_MAX];
	json_t *parent = *ptr ? ptr_parent(doc, ptr, last, sizeof(last)) : NULL;
	size_t idx;

	if (json_is_object(parent))
		return json_object_set_new(parent, last, v) ? -1 : 0;
	if (json_is_array(parent) && array_index(last, json_array_size(parent), 1, &idx) == 0)
		return json_array_insert_new(parent, idx, v) ? -1 : 0;
	json_decref(v);
	return -1;
}

static int op_remove(json_t *doc, const char *ptr)
{
	char last[PTR_MAX];
	json_t *parent = *ptr ? ptr_parent(doc, ptr, last, sizeof(last)) : NULL;
	size_t idx;

	if (json_is_object(parent))
		return json_object_del(parent, last) ? -1 : 0;
	if (json_is_array(parent) && array_index(last, json_array_size(parent), 0, &idx) == 0)
		return json_array_remove(parent, idx) ? -1 : 0;
	return -1;
}

/* A move into the moved value itself is refused (RFC 6902 4.4). */
static int is_child(const char *path, const char *from)
{
	size_t n = strlen(from);

	return strncmp(path, from, n) == 0 && path[n] == '/';
}

static int apply_op(json_t *doc, const json_t *op)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *from = json_string_value(json_object_get(op, "from"));
	json_t *value = json_object_get(op, "value"), *src;

	if (!name || !path)
		return -1;
	if (!strcmp(name, "test"))
		return value && json_equal(ptr_get(doc, path), value) ? 0 : -1;
	if (!strcmp(name, "remove"))
		return op_remove(doc, path);
	if (!strcmp(name, "add"))
		return value ? op_add(doc, path, json_deep_copy(value)) : -1;
	if (!strcmp(name, "replace"))
		return value && ptr_get(doc, path) && op_remove(doc, path) == 0
			       ? op_add(doc, path, json_deep_copy(value))
			       : -1;
	if (!from || !(src = ptr_get(doc, from)) || !*from)
		return -1;
	src = json_deep_copy(src);
	if (!strcmp(name, "move") && (is_child(path, from) || op_remove(doc, from) != 0)) {
		json_decref(src);
		return -1;
	}
	if (strcmp(name, "move") != 0 && strcmp(name, "copy") != 0) {
		json_decref(src);
		return -1;
	}
	return op_add(doc, path, src);
}

int apisrv_json_patch(json_t *doc, const void *body, size_t len, struct ss_err *err)
{
	json_t *ops = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *op;
	size_t i;
	int rc = 0;

	if (!json_is_array(ops)) {
		json_decref(ops);
		return ss_err_set(err, SS_E_INVAL, "a JSON patch must be a JSON array of operations");
	}
	json_array_foreach(ops, i, op) {
		if (apply_op(doc, op) != 0) {
			rc = ss_err_set(err, SS_E_INVAL, "JSON patch operation %zu (\"%.20s\" at %.200s) failed",
					i, json_string_value(json_object_get(op, "op")) ?: "?",
					json_string_value(json_object_get(op, "path")) ?: "?");
			break;
		}
	}
	json_decref(ops);
	return rc;
}
