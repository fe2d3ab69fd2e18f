/*
 * parse.c: request bodies (JSON or YAML) into jansson values.
 *
 * The YAML side is a small event-driven converter over libyaml with an
 * explicit stack, so hostile nesting cannot overflow the C stack. It types
 * plain scalars as sigs.k8s.io/yaml does (YAML 1.1: yes/no/on/off are
 * booleans, 0777 is octal); aliases are refused, which also rules out
 * "billion laughs" expansion.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "apisrv.h"

struct yframe {
	json_t *node;
	char *key; /* pending mapping key, owned */
};

struct yload {
	struct yframe stack[APISRV_MAX_DEPTH + 1];
	int depth; /* number of open containers */
	json_t *root;
	int docs;
};

static int str_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static json_t *scalar_int(const char *s)
{
	const char *p = s;
	int base = 10;
	char *end = NULL;
	long long v;

	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8;
	if (base != 10)
		p += (base == 8) ? 1 : 2;
	if (*p == '\0' || *p == '-' || *p == '+')
		return NULL;
	errno = 0;
	v = strtoll(p, &end, base);
	if (*end != '\0' || errno == ERANGE)
		return NULL;
	return json_integer(s[0] == '-' ? -v : v);
}

static json_t *scalar_float(const char *s)
{
	const char *p = s;
	char *end = NULL;
	double d;
	int digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	for (const char *q = p; *q; q++) {
		if (*q >= '0' && *q <= '9')
			digits++;
		else if (!strchr(".eE+-", *q))
			return NULL;
	}
	if (digits == 0)
		return NULL;
	errno = 0;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d))
		return NULL;
	return json_real(d);
}

/* Resolves a plain scalar: null, bool, int, float, else string. */
static json_t *scalar_resolve(const char *s, int *bad)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
					    "on", "On", "ON", "y", "Y", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO",
					     "off", "Off", "OFF", "n", "N", NULL};
	static const char *const nonfinite[] = {".inf", ".Inf", ".INF", "-.inf", "-.Inf",
						"-.INF", "+.inf", ".nan", ".NaN", ".NAN", NULL};
	json_t *v;

	*bad = 0;
	if (str_in(s, nulls))
		return json_null();
	if (str_in(s, trues))
		return json_true();
	if (str_in(s, falses))
		return json_false();
	if (str_in(s, nonfinite)) {
		*bad = 1; /* JSON cannot carry them; sigs.k8s.io/yaml fails too */
		return NULL;
	}
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.') {
		v = scalar_int(s);
		if (v)
			return v;
		v = scalar_float(s);
		if (v)
			return v;
	}
	return json_string(s);
}

static json_t *scalar_value(const yaml_event_t *ev, int *bad)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;

	*bad = 0;
	if (strlen(s) != ev->data.scalar.length) {
		*bad = 1; /* embedded NUL */
		return NULL;
	}
	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		return json_string(s);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(s);
	return scalar_resolve(s, bad);
}

/* Adds v (stolen) to the innermost container, or makes it the root. */
static int yload_add(struct yload *y, json_t *v, struct ss_err *err)
{
	struct yframe *f;
	int rc = 0;

	if (!v)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (y->depth == 0) {
		if (y->root) {
			json_decref(v);
			return ss_err_set(err, SS_E_INVAL, "more than one document");
		}
		y->root = v;
		return 0;
	}
	f = &y->stack[y->depth - 1];
	if (json_is_array(f->node))
		return json_array_append_new(f->node, v) ? ss_err_set(err, SS_E_NOMEM, "oom") : 0;
	if (!f->key) {
		/* A key: only scalars, stringified as sigs.k8s.io/yaml does. */
		if (json_is_object(v) || json_is_array(v))
			rc = ss_err_set(err, SS_E_INVAL, "a mapping key must be a scalar");
		else if (json_is_string(v))
			f->key = strdup(json_string_value(v));
		else
			f->key = json_dumps(v, JSON_ENCODE_ANY);
		json_decref(v);
		if (rc == 0 && !f->key)
			rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		return rc;
	}
	if (json_object_get(f->node, f->key)) {
		rc = ss_err_set(err, SS_E_INVAL, "duplicate key \"%.100s\"", f->key);
		json_decref(v);
	} else if (json_object_set_new(f->node, f->key, v) != 0) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	free(f->key);
	f->key = NULL;
	return rc;
}

static int yload_open(struct yload *y, json_t *node, struct ss_err *err)
{
	if (!node)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (y->depth >= APISRV_MAX_DEPTH) {
		json_decref(node);
		return ss_err_set(err, SS_E_LIMIT, "nesting deeper than %d", APISRV_MAX_DEPTH);
	}
	y->stack[y->depth].node = node;
	y->stack[y->depth].key = NULL;
	y->depth++;
	return 0;
}

static int yload_close(struct yload *y, struct ss_err *err)
{
	struct yframe *f = &y->stack[y->depth - 1];
	json_t *node = f->node;

	if (f->key) {
		free(f->key);
		f->key = NULL;
	}
	f->node = NULL;
	y->depth--;
	return yload_add(y, node, err);
}

static int yload_event(struct yload *y, const yaml_event_t *ev, int *done, struct ss_err *err)
{
	json_t *v;
	int bad = 0;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++y->docs > 1)
			return ss_err_set(err, SS_E_INVAL, "more than one document");
		return 0;
	case YAML_ALIAS_EVENT:
		return ss_err_set(err, SS_E_INVAL, "YAML aliases are not supported");
	case YAML_SCALAR_EVENT:
		v = scalar_value(ev, &bad);
		if (bad)
			return ss_err_set(err, SS_E_INVAL, "scalar not representable in JSON");
		return yload_add(y, v, err);
	case YAML_SEQUENCE_START_EVENT:
		return yload_open(y, json_array(), err);
	case YAML_MAPPING_START_EVENT:
		return yload_open(y, json_object(), err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return yload_close(y, err);
	default:
		return 0;
	}
}

static void yload_release(struct yload *y)
{
	while (y->depth > 0) {
		y->depth--;
		free(y->stack[y->depth].key);
		json_decref(y->stack[y->depth].node);
	}
	json_decref(y->root);
	y->root = NULL;
}

int apisrv_yaml_load(const void *data, size_t len, json_t **out, struct ss_err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct yload y;
	int rc = 0, done = 0;

	*out = NULL;
	memset(&y, 0, sizeof(y));
	if (!yaml_parser_initialize(&parser))
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, data, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = ss_err_set(err, SS_E_INVAL, "YAML line %lu: %.200s",
					(unsigned long)parser.problem_mark.line + 1,
					parser.problem ? parser.problem : "syntax error");
			goto out;
		}
		rc = yload_event(&y, &ev, &done, err);
		yaml_event_delete(&ev);
		if (rc != 0)
			goto out;
	}
	if (!y.root) {
		rc = ss_err_set(err, SS_E_INVAL, "empty body");
		goto out;
	}
	*out = y.root;
	y.root = NULL;
out:
	yaml_parser_delete(&parser);
	yload_release(&y);
	return rc;
}

static int ctype_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(ctype, want, n) == 0 && (ctype[n] == '\0' || ctype[n] == ';' ||
						    ctype[n] == ' ');
}

static int body_parse_json(const void *data, size_t len, json_t **out, struct ss_err *err)
{
	json_error_t je;
	json_t *v;

	v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return ss_err_set(err, SS_E_INVAL, "invalid JSON at line %d column %d: %.200s",
				  je.line, je.column, je.text);
	*out = v;
	return 0;
}

/* Depth of a JSON value, stopping at limit+1. */
static int json_depth(const json_t *v, int limit)
{
	int d = 0, c;
	size_t i;
	const char *k;
	json_t *x;

	if (limit < 0)
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			c = json_depth(x, limit - 1);
			if (c > d)
				d = c;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			c = json_depth(x, limit - 1);
			if (c > d)
				d = c;
		}
		return d + 1;
	}
	return 0;
}

int apisrv_body_parse(const char *ctype, const void *data, size_t len,
		      json_t **out, struct ss_err *err)
{
	json_t *v = NULL;
	int rc;

	*out = NULL;
	if (!ctype)
		ctype = "application/json";
	int yaml = ctype_is(ctype, "application/apply-patch+yaml") ||
		   ctype_is(ctype, "application/yaml");

	if (!yaml && !ctype_is(ctype, "application/json") &&
	    !ctype_is(ctype, "application/merge-patch+json") &&
	    !ctype_is(ctype, "application/strategic-merge-patch+json"))
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "unsupported media type \"%.100s\" (ss-apiserver speaks JSON and YAML only)",
				  ctype);
	if (len == 0)
		return ss_err_set(err, SS_E_INVAL, "empty body");
	if (memchr(data, '\0', len))
		return ss_err_set(err, SS_E_INVAL, "body contains a NUL byte");
	if (yaml)
		rc = apisrv_yaml_load(data, len, &v, err);
	else
		rc = body_parse_json(data, len, &v, err);
	if (rc != 0)
		return rc;
	if (!json_is_object(v)) {
		json_decref(v);
		return ss_err_set(err, SS_E_INVAL, "the body must be an object");
	}
	if (json_depth(v, APISRV_MAX_DEPTH) > APISRV_MAX_DEPTH) {
		json_decref(v);
		return ss_err_set(err, SS_E_LIMIT, "nesting deeper than %d", APISRV_MAX_DEPTH);
	}
	*out = v;
	return 0;
}
