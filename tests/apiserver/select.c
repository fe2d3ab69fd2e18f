/*
 * select.c: label selectors as in k8s.io/apimachinery/pkg/labels.
 *
 *   a=b  a==b  a!=b  a in (x,y)  a notin (x,y)  a  !a
 *
 * Requirements are ANDed. Keys and values are limited to the label
 * character set; anything else is a 400 for the caller.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "apisrv.h"

#define SEL_MAX_REQ 16
#define SEL_MAX_VALS 16
#define SEL_TOKEN 256

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOT_EXISTS };

struct sel_req {
	enum sel_op op;
	char key[SEL_TOKEN];
	size_t nvals;
	char vals[SEL_MAX_VALS][SEL_TOKEN];
};

struct apisrv_selector {
	size_t n;
	struct sel_req req[SEL_MAX_REQ];
};

static int is_label_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
}

static void skip_space(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Reads a key or value token into out; an empty token is allowed. */
static int read_token(const char **p, char *out, struct ss_err *err)
{
	size_t n = 0;

	skip_space(p);
	while (is_label_char((unsigned char)**p)) {
		if (n + 1 >= SEL_TOKEN)
			return ss_err_set(err, SS_E_LIMIT, "label selector token too long");
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	skip_space(p);
	return 0;
}

static int read_set(const char **p, struct sel_req *r, struct ss_err *err)
{
	int rc;

	skip_space(p);
	if (**p != '(')
		return ss_err_set(err, SS_E_INVAL, "label selector: expected '(' after in/notin");
	(*p)++;
	for (;;) {
		if (r->nvals >= SEL_MAX_VALS)
			return ss_err_set(err, SS_E_LIMIT, "label selector: too many values");
		rc = read_token(p, r->vals[r->nvals], err);
		if (rc != 0)
			return rc;
		r->nvals++;
		if (**p == ',') {
			(*p)++;
			continue;
		}
		if (**p == ')') {
			(*p)++;
			return 0;
		}
		return ss_err_set(err, SS_E_INVAL, "label selector: expected ',' or ')'");
	}
}

static int read_op(const char **p, struct sel_req *r, struct ss_err *err)
{
	const char *s = *p;

	if (strncmp(s, "==", 2) == 0 || strncmp(s, "!=", 2) == 0) {
		r->op = s[0] == '!' ? SEL_NE : SEL_EQ;
		*p += 2;
	} else if (s[0] == '=') {
		r->op = SEL_EQ;
		*p += 1;
	} else if (strncmp(s, "in", 2) == 0 && (s[2] == ' ' || s[2] == '(')) {
		r->op = SEL_IN;
		*p += 2;
		return read_set(p, r, err);
	} else if (strncmp(s, "notin", 5) == 0 && (s[5] == ' ' || s[5] == '(')) {
		r->op = SEL_NOTIN;
		*p += 5;
		return read_set(p, r, err);
	} else {
		return ss_err_set(err, SS_E_INVAL, "label selector: unknown operator");
	}
	r->nvals = 1;
	return read_token(p, r->vals[0], err);
}

static int read_req(const char **p, struct sel_req *r, struct ss_err *err)
{
	int neg = 0, rc;

	skip_space(p);
	if (**p == '!') {
		neg = 1;
		(*p)++;
	}
	rc = read_token(p, r->key, err);
	if (rc != 0)
		return rc;
	if (r->key[0] == '\0')
		return ss_err_set(err, SS_E_INVAL, "label selector: empty key");
	if (neg || **p == ',' || **p == '\0') {
		r->op = neg ? SEL_NOT_EXISTS : SEL_EXISTS;
		return 0;
	}
	return read_op(p, r, err);
}

int apisrv_selector_parse(const char *text, struct apisrv_selector **out, struct ss_err *err)
{
	struct apisrv_selector *s;
	const char *p = text ? text : "";
	int rc = 0;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	skip_space(&p);
	while (*p) {
		if (s->n >= SEL_MAX_REQ) {
			rc = ss_err_set(err, SS_E_LIMIT, "label selector: too many requirements");
			goto out;
		}
		rc = read_req(&p, &s->req[s->n], err);
		if (rc != 0)
			goto out;
		s->n++;
		if (*p == ',')
			p++;
		else if (*p != '\0') {
			rc = ss_err_set(err, SS_E_INVAL, "label selector: unexpected character");
			goto out;
		}
	}
	*out = s;
	s = NULL;
out:
	free(s);
	return rc;
}

static int req_has_value(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (strcmp(r->vals[i], v) == 0)
			return 1;
	return 0;
}

static int req_match(const struct sel_req *r, const json_t *labels)
{
	const json_t *jv = labels ? json_object_get(labels, r->key) : NULL;
	const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;

	switch (r->op) {
	case SEL_EXISTS:
		return v != NULL;
	case SEL_NOT_EXISTS:
		return v == NULL;
	case SEL_EQ:
	case SEL_IN:
		return v != NULL && req_has_value(r, v);
	case SEL_NE:
	case SEL_NOTIN:
		return v == NULL || !req_has_value(r, v);
	}
	return 0;
}

int apisrv_selector_match(const struct apisrv_selector *s, const json_t *labels)
{
	if (!s)
		return 1;
	for (size_t i = 0; i < s->n; i++)
		if (!req_match(&s->req[i], labels))
			return 0;
	return 1;
}

void apisrv_selector_free(struct apisrv_selector *s)
{
	free(s);
}
