/* emit.c: YAML (block style) and JSON writers (see include/sealsync/emit.h). */
#include <stdlib.h>
#include <string.h>

#include "sealsync/emit.h"
#include "emit_int.h"

static int pad(struct ss_buf *b, unsigned indent)
{
	int rc = 0;

	while (rc == 0 && indent-- > 0)
		rc = ss_buf_putc(b, ' ');
	return rc;
}

/*
 * A literal block keeps multi-line text readable. Only used when it reads
 * back exactly: printable UTF-8, no tabs or CR, no leading space on the
 * first line (that would need an indentation indicator), no trailing spaces.
 */
static int literal_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int text = 0;

	if (n == 0 || memchr(s, '\n', n) == NULL)
		return 0;
	while (i < n && s[i] == '\n')
		i++;
	if (i < n && s[i] == ' ')
		return 0;
	i = 0;
	while (i < n) {
		size_t len = emit_utf8_len(p + i, n - i);

		if (len == 0 || (len > 1 && emit_is_special_cp(p + i, len)))
			return 0;
		if (len == 1 && p[i] != '\n' && (p[i] < 0x20 || p[i] == 0x7f))
			return 0;
		if (p[i] == ' ' && (i + 1 == n || p[i + 1] == '\n'))
			return 0;
		if (p[i] != '\n')
			text = 1;
		i += len;
	}
	return text;
}

static int put_literal(struct ss_buf *b, const char *s, size_t n, unsigned indent)
{
	size_t trail = 0, i = 0, end;
	int rc;

	while (trail < n && s[n - 1 - trail] == '\n')
		trail++;
	rc = ss_buf_puts(b, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
	end = n - trail;
	while (rc == 0 && i < end) {
		const char *nl = memchr(s + i, '\n', end - i);
		size_t len = nl != NULL ? (size_t)(nl - (s + i)) : end - i;

		if (len > 0)
			rc = pad(b, indent);
		if (rc == 0)
			rc = ss_buf_append(b, s + i, len);
		if (rc == 0)
			rc = ss_buf_putc(b, '\n');
		i += len + 1;
	}
	for (i = 1; rc == 0 && i < trail; i++)
		rc = ss_buf_putc(b, '\n');
	return rc;
}

static int put_yaml_scalar(struct ss_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return ss_emit_yaml_scalar(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return ss_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return emit_real(b, json_real_value(v));
	case JSON_TRUE:
		return ss_buf_puts(b, "true");
	case JSON_FALSE:
		return ss_buf_puts(b, "false");
	default:
		return ss_buf_puts(b, "null");
	}
}

static int yaml_map(struct ss_buf *b, const json_t *obj, unsigned indent, int inline_first,
		    unsigned depth);
static int yaml_seq(struct ss_buf *b, const json_t *arr, unsigned indent, int inline_first,
		    unsigned depth);

/* Writes v after "key:" (after_dash 0) or after "-" (after_dash 1). */
static int yaml_value(struct ss_buf *b, const json_t *v, unsigned indent, int after_dash,
		      unsigned depth)
{
	int rc;

	if (depth > SS_EMIT_MAX_DEPTH)
		return SS_E_LIMIT;
	if (json_is_object(v) && json_object_size(v) > 0) {
		rc = ss_buf_puts(b, after_dash ? " " : "\n");
		return rc != 0 ? rc : yaml_map(b, v, indent + 2, after_dash, depth + 1);
	}
	if (json_is_array(v) && json_array_size(v) > 0) {
		rc = ss_buf_puts(b, after_dash ? " " : "\n");
		return rc != 0 ? rc : yaml_seq(b, v, indent + 2, after_dash, depth + 1);
	}
	rc = ss_buf_putc(b, ' ');
	if (rc != 0)
		return rc;
	if (json_is_object(v))
		return ss_buf_puts(b, "{}\n");
	if (json_is_array(v))
		return ss_buf_puts(b, "[]\n");
	if (json_is_string(v) && literal_ok(json_string_value(v), json_string_length(v)))
		return put_literal(b, json_string_value(v), json_string_length(v), indent + 2);
	rc = put_yaml_scalar(b, v);
	return rc != 0 ? rc : ss_buf_putc(b, '\n');
}

static int yaml_map(struct ss_buf *b, const json_t *obj, unsigned indent, int inline_first,
		    unsigned depth)
{
	const char **keys = NULL;
	size_t n, i;
	int rc = emit_sorted_keys(obj, &keys, &n);

	for (i = 0; rc == 0 && i < n; i++) {
		if (strlen(keys[i]) > SS_EMIT_MAX_KEY) {
			rc = SS_E_UNSUPPORTED;
			break;
		}
		if (i > 0 || !inline_first)
			rc = pad(b, indent);
		if (rc == 0)
			rc = ss_emit_yaml_scalar(b, keys[i], strlen(keys[i]));
		if (rc == 0)
			rc = ss_buf_putc(b, ':');
		if (rc == 0)
			rc = yaml_value(b, json_object_get(obj, keys[i]), indent, 0, depth);
	}
	free(keys);
	return rc;
}

static int yaml_seq(struct ss_buf *b, const json_t *arr, unsigned indent, int inline_first,
		    unsigned depth)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < json_array_size(arr); i++) {
		if (i > 0 || !inline_first)
			rc = pad(b, indent);
		if (rc == 0)
			rc = ss_buf_putc(b, '-');
		if (rc == 0)
			rc = yaml_value(b, json_array_get(arr, i), indent, 1, depth);
	}
	return rc;
}

static int emit_fail(struct ss_err *err, int rc)
{
	if (rc == SS_E_UNSUPPORTED)
		return ss_err_set(err, rc, "a mapping key is longer than %d bytes",
				  SS_EMIT_MAX_KEY);
	if (rc == SS_E_INVAL)
		return ss_err_set(err, rc, "a string is not valid UTF-8");
	if (rc == SS_E_LIMIT)
		return ss_err_set(err, rc, "output too large or nested too deeply");
	return ss_err_set(err, rc, "cannot write output: %s", ss_strerror(rc));
}

int ss_emit_yaml(const json_t *v, struct ss_buf *out, struct ss_err *err)
{
	int rc;

	if (json_is_object(v) && json_object_size(v) > 0)
		rc = yaml_map(out, v, 0, 0, 0);
	else if (json_is_array(v) && json_array_size(v) > 0)
		rc = yaml_seq(out, v, 0, 0, 0);
	else if (json_is_object(v))
		rc = ss_buf_puts(out, "{}\n");
	else if (json_is_array(v))
		rc = ss_buf_puts(out, "[]\n");
	else if ((rc = put_yaml_scalar(out, v)) == 0)
		rc = ss_buf_putc(out, '\n');
	return rc != 0 ? emit_fail(err, rc) : 0;
}

static int json_value(struct ss_buf *b, const json_t *v, unsigned indent, unsigned depth);

static int json_object_body(struct ss_buf *b, const json_t *obj, unsigned indent,
			    unsigned depth)
{
	const char **keys = NULL;
	size_t n, i;
	int rc = emit_sorted_keys(obj, &keys, &n);

	if (rc == 0)
		rc = ss_buf_puts(b, "{\n");
	for (i = 0; rc == 0 && i < n; i++) {
		rc = pad(b, indent + 2);
		if (rc == 0)
			rc = emit_json_string(b, keys[i], strlen(keys[i]));
		if (rc == 0)
			rc = ss_buf_puts(b, ": ");
		if (rc == 0)
			rc = json_value(b, json_object_get(obj, keys[i]), indent + 2, depth + 1);
		if (rc == 0)
			rc = ss_buf_puts(b, i + 1 < n ? ",\n" : "\n");
	}
	if (rc == 0)
		rc = pad(b, indent);
	free(keys);
	return rc != 0 ? rc : ss_buf_putc(b, '}');
}

static int json_array_body(struct ss_buf *b, const json_t *arr, unsigned indent,
			   unsigned depth)
{
	size_t i, n = json_array_size(arr);
	int rc = ss_buf_puts(b, "[\n");

	for (i = 0; rc == 0 && i < n; i++) {
		rc = pad(b, indent + 2);
		if (rc == 0)
			rc = json_value(b, json_array_get(arr, i), indent + 2, depth + 1);
		if (rc == 0)
			rc = ss_buf_puts(b, i + 1 < n ? ",\n" : "\n");
	}
	if (rc == 0)
		rc = pad(b, indent);
	return rc != 0 ? rc : ss_buf_putc(b, ']');
}

static int json_value(struct ss_buf *b, const json_t *v, unsigned indent, unsigned depth)
{
	if (depth > SS_EMIT_MAX_DEPTH)
		return SS_E_LIMIT;
	if (json_is_object(v))
		return json_object_size(v) == 0 ? ss_buf_puts(b, "{}")
						 : json_object_body(b, v, indent, depth);
	if (json_is_array(v))
		return json_array_size(v) == 0 ? ss_buf_puts(b, "[]")
					       : json_array_body(b, v, indent, depth);
	if (json_is_string(v))
		return emit_json_string(b, json_string_value(v), json_string_length(v));
	return put_yaml_scalar(b, v); /* numbers, booleans, null read the same */
}

int ss_emit_json(const json_t *v, struct ss_buf *out, struct ss_err *err)
{
	int rc = json_value(out, v, 0, 0);

	if (rc == 0)
		rc = ss_buf_putc(out, '\n');
	return rc != 0 ? emit_fail(err, rc) : 0;
}

static int emit_list(json_t *const *docs, size_t n, struct ss_buf *out, struct ss_err *err)
{
	json_t *list = json_pack("{s:s, s:s, s:[]}", "apiVersion", "v1", "kind", "List", "items");
	json_t *items = json_object_get(list, "items");
	size_t i;
	int rc = 0;

	if (list == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	for (i = 0; rc == 0 && i < n; i++)
		if (json_array_append(items, docs[i]) != 0)
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = ss_emit_json(list, out, err);
	json_decref(list);
	return rc;
}

int ss_emit_docs(json_t *const *docs, size_t n, enum ss_emit_format f, struct ss_buf *out,
		 struct ss_err *err)
{
	size_t i;
	int rc = 0;

	if (f == SS_EMIT_JSON)
		return n == 1 ? ss_emit_json(docs[0], out, err) : emit_list(docs, n, out, err);
	for (i = 0; rc == 0 && i < n; i++) {
		if (i > 0 && ss_buf_puts(out, "---\n") != 0)
			return emit_fail(err, SS_E_LIMIT);
		rc = ss_emit_yaml(docs[i], out, err);
	}
	return rc;
}
