/*
 * yaml_load.c: ss_yaml_load and the docset (see include/sealsync/yaml.h).
 *
 * A file is cut into documents exactly as apimachinery's YAMLReader does
 * (kubectl, and every Go controller reading manifests): a line that starts
 * with "---" ends the current document when only blanks or a comment
 * follow, and is an error otherwise; a separator with nothing before it
 * makes no document. Each piece is then parsed as one YAML document.
 */
#include <stdlib.h>
#include <string.h>

#include "yaml_int.h"

struct ss_ydoc {
	json_t *value;
	int index;
	unsigned line;
};

struct ss_docset {
	char *name;
	struct ss_ydoc *docs;
	size_t n;
	size_t cap;
	struct ss_ylines *lines; /* NULL once dropped (ss_docset_drop_lines) */
	unsigned char *text;     /* a copy of the source, to find lines again */
	size_t len;
	struct ss_docset *again; /* the source parsed again (field_line_again) */
};

void ss_yaml_limits_default(struct ss_yaml_limits *l)
{
	l->max_bytes = 16u << 20;
	l->max_docs = 4096;
	l->max_depth = 128;
	l->max_nodes = 1000000;
	l->max_scalar = 2u << 20;
}

static void limits_effective(const struct ss_yaml_limits *in, struct ss_yaml_limits *l)
{
	ss_yaml_limits_default(l);
	if (in == NULL)
		return;
	if (in->max_bytes)
		l->max_bytes = in->max_bytes;
	if (in->max_docs)
		l->max_docs = in->max_docs;
	if (in->max_depth)
		l->max_depth = in->max_depth;
	if (in->max_nodes)
		l->max_nodes = in->max_nodes;
	if (in->max_scalar)
		l->max_scalar = in->max_scalar;
}

static int is_go_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* 1 for a separator line, 0 for content, SS_E_INVAL for "---" followed by
 * something other than blanks or a comment (as YAMLReader refuses it). */
static int separator_kind(const unsigned char *line, size_t len)
{
	size_t i = 3;

	if (len < 3 || memcmp(line, "---", 3) != 0)
		return 0;
	while (i < len && is_go_space(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return 1;
	return SS_E_INVAL;
}

static int docset_add(struct ss_docset *ds, json_t *v, int index, unsigned line)
{
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 8;
		struct ss_ydoc *d = realloc(ds->docs, cap * sizeof(*d));

		if (d == NULL)
			return SS_E_NOMEM;
		ds->docs = d;
		ds->cap = cap;
	}
	ds->docs[ds->n].value = v;
	ds->docs[ds->n].index = index;
	ds->docs[ds->n].line = line;
	ds->n++;
	return 0;
}

/* Parses and decodes one document; null documents are counted, not kept. */
static int load_chunk(struct ss_yctx *c, const unsigned char *p, size_t len, struct ss_docset *ds)
{
	struct ss_ytree t;
	json_t *v = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((size_t)c->doc >= c->lim->max_docs) {
		ss_err_at(c->err, c->file, c->first_line, c->doc);
		return ss_err_set(c->err, SS_E_LIMIT, "more than %zu documents (limit max_docs)",
				  c->lim->max_docs);
	}
	if ((rc = ss_ytree_parse(c, p, len, &t)) != 0)
		return rc;
	rc = ss_ydecode(c, &t, ds->lines, &v);
	if (rc == 0 && !json_is_null(v)) {
		rc = docset_add(ds, v, c->doc, t.root->line);
		if (rc == 0)
			v = NULL;
	}
	json_decref(v);
	ss_ytree_release(&t);
	return rc;
}

/* Cuts text into documents as YAMLReader does and loads each. */
static int load_split(struct ss_yctx *c, const unsigned char *text, size_t len,
		      struct ss_docset *ds)
{
	size_t pos = 0, start = 0;
	unsigned line = 1, start_line = 1;
	int rc;

	while (pos < len) {
		const unsigned char *nl = memchr(text + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - text) + 1 : len;
		int sep = separator_kind(text + pos, eol - pos);

		if (sep < 0) {
			ss_err_at(c->err, c->file, line, c->doc);
			return ss_err_set(c->err, SS_E_INVAL,
					  "invalid document separator: only a comment may follow \"---\"");
		}
		if (sep == 1) {
			if (pos > start) {
				c->first_line = start_line;
				if ((rc = load_chunk(c, text + start, pos - start, ds)) != 0)
					return rc;
				c->doc++;
			}
			start = eol;
			start_line = line + 1;
		}
		pos = eol;
		line++;
	}
	if (len > start) {
		c->first_line = start_line;
		return load_chunk(c, text + start, len - start, ds);
	}
	return 0;
}

int ss_yaml_load(const char *name, const unsigned char *text, size_t len,
		 const struct ss_yaml_limits *lim, struct ss_docset **out, struct ss_err *err)
{
	struct ss_yaml_limits l;
	struct ss_docset *ds = NULL;
	struct ss_yctx c;
	int rc;

	*out = NULL;
	if (name == NULL)
		name = "<input>";
	limits_effective(lim, &l);
	if (len > l.max_bytes) {
		ss_err_at(err, name, 0, -1);
		return ss_err_set(err, SS_E_LIMIT, "file larger than %zu bytes (limit max_bytes)",
				  l.max_bytes);
	}
	ds = calloc(1, sizeof(*ds));
	if (ds == NULL || (ds->name = strdup(name)) == NULL || ss_ylines_new(&ds->lines) != 0) {
		ss_err_at(err, name, 0, -1);
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.file = name;
	c.lim = &l;
	c.err = err;
	rc = load_split(&c, text, len, ds);
	if (rc == SS_E_NOMEM) {
		ss_err_at(err, name, 0, -1);
		ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	if (rc == 0) {
		*out = ds;
		ds = NULL;
	}
out:
	ss_docset_free(ds);
	return rc;
}

size_t ss_docset_count(const struct ss_docset *ds)
{
	return ds ? ds->n : 0;
}

json_t *ss_docset_get(const struct ss_docset *ds, size_t i)
{
	return ds && i < ds->n ? ds->docs[i].value : NULL;
}

int ss_docset_index(const struct ss_docset *ds, size_t i)
{
	return ds && i < ds->n ? ds->docs[i].index : -1;
}

unsigned ss_docset_line(const struct ss_docset *ds, size_t i)
{
	return ds && i < ds->n ? ds->docs[i].line : 0;
}

/* The line table was dropped: parse the source again (it loaded before,
 * so it loads the same documents, in the same order) and look there. The
 * parse is kept until the next drop: a SealedSecret asks for the line of
 * each of its values. Not thread-safe, as a docset never is. */
static unsigned field_line_again(const struct ss_docset *ds, size_t i, const char *dotted_path)
{
	struct ss_docset *again = ds->again;
	struct ss_err err;

	if (again == NULL) {
		ss_err_clear(&err);
		if (ss_yaml_load(ds->name, ds->text, ds->len, NULL, &again, &err) != 0)
			return 0;
		((struct ss_docset *)ds)->again = again;
	}
	if (i >= again->n)
		return 0;
	return ss_ylines_path(again->lines, again->docs[i].value, dotted_path);
}

unsigned ss_docset_field_line(const struct ss_docset *ds, size_t i, const char *dotted_path)
{
	if (ds == NULL || i >= ds->n)
		return 0;
	if (ds->lines == NULL && ds->text != NULL)
		return field_line_again(ds, i, dotted_path);
	return ss_ylines_path(ds->lines, ds->docs[i].value, dotted_path);
}

int ss_docset_keep_source(struct ss_docset *ds, const unsigned char *text, size_t len)
{
	unsigned char *copy = malloc(len + 1);

	if (copy == NULL)
		return SS_E_NOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	free(ds->text);
	ds->text = copy;
	ds->len = len;
	return 0;
}

static void docs_release(struct ss_docset *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++) {
		json_decref(ds->docs[i].value);
		ds->docs[i].value = NULL;
	}
}

void ss_docset_drop_lines(struct ss_docset *ds)
{
	if (ds == NULL || ds->text == NULL)
		return;
	ss_ylines_free(ds->lines);
	ds->lines = NULL;
	ss_docset_free(ds->again);
	ds->again = NULL;
}

void ss_docset_drop_docs(struct ss_docset *ds)
{
	if (ds == NULL || ds->text == NULL)
		return;
	ss_docset_drop_lines(ds);
	docs_release(ds);
}

const char *ss_docset_name(const struct ss_docset *ds)
{
	return ds ? ds->name : NULL;
}

void ss_docset_free(struct ss_docset *ds)
{
	size_t i;

	if (ds == NULL)
		return;
	for (i = 0; i < ds->n; i++)
		json_decref(ds->docs[i].value);
	free(ds->docs);
	ss_ylines_free(ds->lines);
	ss_docset_free(ds->again);
	free(ds->text);
	free(ds->name);
	free(ds);
}
