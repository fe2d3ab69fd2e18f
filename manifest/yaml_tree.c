/*
 * yaml_tree.c: libyaml events -> node tree for one document.
 *
 * Like go-yaml's parser, only the first document of the input is read (the
 * YAMLReader split has already cut the file into documents), anchors are
 * registered when their node starts (so an alias inside its own anchor is a
 * cycle, caught when decoding), and a later anchor of the same name wins.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml_int.h"

struct ss_yanchor {
	char *name;
	struct ss_ynode *node;
};

struct ss_yinput {
	const unsigned char *p;
	size_t len;
	size_t pos;
	int add_newline; /* YAMLReader ends every line, the last one too, with \n */
};

struct ss_yparse {
	struct ss_yctx *c;
	yaml_parser_t parser;
	struct ss_yinput in;
	size_t flow;      /* open flow collections */
	size_t cur_char;  /* a libyaml mark index (characters) ... */
	size_t cur_byte;  /* ... and its byte offset in the chunk */
	struct ss_ytree *t;
	struct ss_yanchor *anchors; /* open addressing, power-of-two size */
	size_t nanchors;
	size_t capanchors;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct ss_yanchor *anchor_slot(struct ss_yanchor *tab, size_t cap, const char *name)
{
	size_t i = (size_t)hash_name(name) & (cap - 1);

	while (tab[i].name != NULL && strcmp(tab[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int anchor_grow(struct ss_yparse *p)
{
	size_t cap = p->capanchors ? p->capanchors * 2 : 64, i;
	struct ss_yanchor *tab;

	if (cap > SIZE_MAX / sizeof(*tab))
		return SS_E_NOMEM;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		return SS_E_NOMEM;
	for (i = 0; i < p->capanchors; i++)
		if (p->anchors[i].name != NULL)
			*anchor_slot(tab, cap, p->anchors[i].name) = p->anchors[i];
	free(p->anchors);
	p->anchors = tab;
	p->capanchors = cap;
	return 0;
}

static int anchor_put(struct ss_yparse *p, const yaml_char_t *anchor, struct ss_ynode *n)
{
	struct ss_yanchor *slot;
	int rc;

	if (anchor == NULL)
		return 0;
	if ((p->nanchors + 1) * 2 > p->capanchors && (rc = anchor_grow(p)) != 0)
		return rc;
	slot = anchor_slot(p->anchors, p->capanchors, (const char *)anchor);
	if (slot->name == NULL) {
		slot->name = strdup((const char *)anchor);
		/* gcc 12's analyzer loses the store into the anchor table (freed
		 * by ss_ytree_parse) and reports a leak here. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
		if (slot->name == NULL)
#pragma GCC diagnostic pop
			return SS_E_NOMEM;
		p->nanchors++;
	}
	slot->node = n;
	return 0;
}

static struct ss_ynode *anchor_get(const struct ss_yparse *p, const yaml_char_t *name)
{
	struct ss_yanchor *slot;

	if (p->capanchors == 0 || name == NULL)
		return NULL;
	slot = anchor_slot(p->anchors, p->capanchors, (const char *)name);
	return slot->node;
}

static unsigned file_line(const struct ss_yparse *p, const yaml_mark_t *m)
{
	return p->c->first_line + (unsigned)m->line;
}

static int fail(struct ss_yparse *p, int code, unsigned line, const char *what)
{
	ss_err_at(p->c->err, p->c->file, line, p->c->doc);
	ss_err_set(p->c->err, code, "%s", what);
	/* Return code itself: the analyzer cannot see that ss_err_set does. */
	return code;
}

static int fail_syntax(struct ss_yparse *p)
{
	char what[256];
	const yaml_parser_t *y = &p->parser;
	unsigned line = p->c->first_line + (unsigned)y->problem_mark.line;

	if (y->error == YAML_MEMORY_ERROR)
		return SS_E_NOMEM;
	/* libyaml's problem and context are fixed strings: no input text. */
	snprintf(what, sizeof(what), "YAML syntax: %s%s%s", y->problem ? y->problem : "error",
		 y->context ? " " : "", y->context ? y->context : "");
	return fail(p, SS_E_INVAL, line, what);
}

static int nodes_grow(struct ss_ytree *t)
{
	size_t cap = t->capall ? t->capall * 2 : 64;
	struct ss_ynode **all = realloc(t->all, cap * sizeof(*all));

	if (all == NULL)
		return SS_E_NOMEM;
	t->all = all;
	t->capall = cap;
	return 0;
}

static int node_new(struct ss_yparse *p, enum ss_ynode_kind kind, const yaml_event_t *ev,
		    struct ss_ynode **out)
{
	struct ss_ytree *t = p->t;
	struct ss_ynode *n;

	*out = NULL;
	if (t->nall >= p->c->lim->max_nodes)
		return fail(p, SS_E_LIMIT, file_line(p, &ev->start_mark),
			    "too many YAML nodes (limit max_nodes)");
	/* gcc 12's analyzer reports the grown t->all as leaked here; it is
	 * reachable from t and freed by ss_ytree_release. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
	if (t->nall == t->capall && nodes_grow(t) != 0)
#pragma GCC diagnostic pop
		return SS_E_NOMEM;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return SS_E_NOMEM;
	t->all[t->nall++] = n;
	n->kind = kind;
	n->line = file_line(p, &ev->start_mark);
	*out = n;
	return 0;
}

static int node_tag(struct ss_ynode *n, const yaml_char_t *tag)
{
	if (tag == NULL)
		return 0;
	n->tag = strdup((const char *)tag);
	return n->tag == NULL ? SS_E_NOMEM : 0;
}

static int node_add(struct ss_ynode *parent, struct ss_ynode *kid)
{
	if (parent->nkids == parent->capkids) {
		size_t cap = parent->capkids ? parent->capkids * 2 : 4;
		struct ss_ynode **k = realloc(parent->kids, cap * sizeof(*k));

		if (k == NULL)
			return SS_E_NOMEM;
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static int next_event(struct ss_yparse *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->parser, ev))
		return fail_syntax(p);
	return 0;
}

static int parse_node(struct ss_yparse *p, yaml_event_t *ev, size_t depth, struct ss_ynode **out);

/* Byte offset of libyaml mark index idx, which counts characters. Events
 * come in input order, so the cursor only moves forward. */
static size_t byte_offset(struct ss_yparse *p, size_t idx)
{
	if (p->cur_char == 0 && p->cur_byte == 0 && p->in.len >= 3 &&
	    memcmp(p->in.p, "\xEF\xBB\xBF", 3) == 0)
		p->cur_byte = 3; /* libyaml does not count the BOM */
	while (p->cur_char < idx && p->cur_byte < p->in.len) {
		unsigned char b = p->in.p[p->cur_byte];

		p->cur_byte += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
		p->cur_char++;
	}
	return p->cur_byte < p->in.len ? p->cur_byte : p->in.len;
}

/* The chunk bytes from the event's start to its end mark (UTF-8 input). */
static const unsigned char *event_text(struct ss_yparse *p, const yaml_event_t *ev, size_t *len)
{
	size_t a = byte_offset(p, ev->start_mark.index);
	size_t b = byte_offset(p, ev->end_mark.index);

	*len = b - a;
	return p->in.p + a;
}

/*
 * Where libyaml 0.2.5 (Debian 12) accepts what go-yaml v2 refuses, refuse
 * too, so that we never apply what kubectl would not: "\/" is not an escape
 * in go-yaml, and "?" ends a plain scalar inside a flow collection there.
 */
static int check_go_scanner(struct ss_yparse *p, const yaml_event_t *ev)
{
	const unsigned char *t;
	size_t n, i;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && p->flow > 0 &&
	    memchr(ev->data.scalar.value, '?', ev->data.scalar.length) != NULL)
		return fail(p, SS_E_INVAL, file_line(p, &ev->start_mark),
			    "YAML syntax: '?' inside a plain scalar in a flow collection (quote it)");
	/* go-yaml reads "," as part of a tag ("[!a, b]" is one item there). */
	if (ev->data.scalar.tag != NULL && ev->data.scalar.length == 0 && p->flow > 0 &&
	    p->parser.encoding == YAML_UTF8_ENCODING) {
		size_t at = byte_offset(p, ev->end_mark.index);

		if (at < p->in.len && p->in.p[at] == ',')
			return fail(p, SS_E_INVAL, file_line(p, &ev->start_mark),
				    "YAML syntax: a tag directly followed by ',' (add a space or a value)");
	}
	/* An escaped slash leaves a '/' in the value; only then look at the
	 * source text (UTF-16 input is left alone). */
	if (ev->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
	    memchr(ev->data.scalar.value, '/', ev->data.scalar.length) == NULL ||
	    p->parser.encoding != YAML_UTF8_ENCODING)
		return 0;
	t = event_text(p, ev, &n);
	for (i = 0; i + 1 < n; i++) {
		if (t[i] != '\\')
			continue;
		if (t[i + 1] == '/')
			return fail(p, SS_E_INVAL, file_line(p, &ev->start_mark),
				    "YAML syntax: found unknown escape character");
		i++;
	}
	return 0;
}

static int parse_scalar(struct ss_yparse *p, yaml_event_t *ev, struct ss_ynode **out)
{
	struct ss_ynode *n = NULL;
	size_t len = ev->data.scalar.length;
	int rc;

	if (len > p->c->lim->max_scalar)
		return fail(p, SS_E_LIMIT, file_line(p, &ev->start_mark),
			    "scalar too large (limit max_scalar)");
	if ((rc = check_go_scanner(p, ev)) != 0)
		return rc;
	if ((rc = node_new(p, SS_YN_SCALAR, ev, &n)) != 0)
		return rc;
	if ((rc = node_tag(n, ev->data.scalar.tag)) != 0)
		return rc;
	n->value = malloc(len + 1);
	if (n->value == NULL)
		return SS_E_NOMEM;
	memcpy(n->value, ev->data.scalar.value, len);
	n->value[len] = '\0';
	n->len = len;
	n->implicit = ev->data.scalar.plain_implicit;
	if ((rc = anchor_put(p, ev->data.scalar.anchor, n)) != 0)
		return rc;
	*out = n;
	return 0;
}

static int parse_alias(struct ss_yparse *p, yaml_event_t *ev, struct ss_ynode **out)
{
	struct ss_ynode *n = NULL, *target;
	int rc;

	target = anchor_get(p, ev->data.alias.anchor);
	if (target == NULL)
		return fail(p, SS_E_INVAL, file_line(p, &ev->start_mark),
			    "alias to an unknown anchor");
	if ((rc = node_new(p, SS_YN_ALIAS, ev, &n)) != 0)
		return rc;
	n->target = target;
	*out = n;
	return 0;
}

/* Mapping or sequence: children until the matching end event. */
static int parse_collection(struct ss_yparse *p, yaml_event_t *ev, size_t depth,
			    struct ss_ynode **out)
{
	int mapping = ev->type == YAML_MAPPING_START_EVENT;
	int flow = mapping ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
			   : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	yaml_event_type_t end = mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	struct ss_ynode *n = NULL, *kid;
	yaml_event_t e;
	int rc;

	if (depth > p->c->lim->max_depth)
		return fail(p, SS_E_LIMIT, file_line(p, &ev->start_mark),
			    "YAML nested too deeply (limit max_depth)");
	if ((rc = node_new(p, mapping ? SS_YN_MAPPING : SS_YN_SEQUENCE, ev, &n)) != 0)
		return rc;
	if ((rc = node_tag(n, mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag)) != 0)
		return rc;
	rc = anchor_put(p, mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor, n);
	if (rc != 0)
		return rc;
	p->flow += flow;
	for (;;) {
		if ((rc = next_event(p, &e)) != 0)
			return rc;
		if (e.type == end) {
			yaml_event_delete(&e);
			break;
		}
		kid = NULL;
		rc = parse_node(p, &e, depth, &kid);
		yaml_event_delete(&e);
		if (rc != 0)
			return rc;
		if ((rc = node_add(n, kid)) != 0)
			return rc;
	}
	p->flow -= flow;
	*out = n;
	return 0;
}

static int parse_node(struct ss_yparse *p, yaml_event_t *ev, size_t depth, struct ss_ynode **out)
{
	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return parse_scalar(p, ev, out);
	case YAML_ALIAS_EVENT:
		return parse_alias(p, ev, out);
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		return parse_collection(p, ev, depth + 1, out);
	default:
		return fail(p, SS_E_INTERNAL, file_line(p, &ev->start_mark), "unexpected YAML event");
	}
}

/* Reads the events of the first document: STREAM-START, then DOCUMENT-START
 * node DOCUMENT-END, or STREAM-END for an empty input. */
static int parse_document(struct ss_yparse *p)
{
	yaml_event_t ev;
	int rc, type;

	for (;;) {
		if ((rc = next_event(p, &ev)) != 0)
			return rc;
		type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			return 0;
		if (type == YAML_DOCUMENT_START_EVENT)
			break;
	}
	if ((rc = next_event(p, &ev)) != 0)
		return rc;
	rc = parse_node(p, &ev, 0, &p->t->root);
	yaml_event_delete(&ev);
	if (rc != 0)
		return rc;
	if ((rc = next_event(p, &ev)) != 0)
		return rc;
	type = ev.type;
	yaml_event_delete(&ev);
	if (type != YAML_DOCUMENT_END_EVENT)
		return fail(p, SS_E_INTERNAL, 0, "expected YAML document end");
	return 0;
}

/* libyaml reads the chunk through this, plus the final newline that
 * YAMLReader gives a last line that has none. */
static int read_chunk(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct ss_yparse *p = data;
	size_t n = p->in.len - p->in.pos;

	if (n > size)
		n = size;
	memcpy(buf, p->in.p + p->in.pos, n);
	p->in.pos += n;
	if (n < size && p->in.add_newline) {
		buf[n++] = '\n';
		p->in.add_newline = 0;
	}
	*got = n;
	return 1;
}

/* libyaml skips a byte order mark at the start of any line; go-yaml reads
 * one after the first line as text. Refuse rather than differ. */
static int check_inner_bom(struct ss_yparse *p, const unsigned char *chunk, size_t len)
{
	unsigned line = p->c->first_line;
	size_t i;

	for (i = 0; i + 3 < len; i++) {
		if (chunk[i] != '\n')
			continue;
		line++;
		if (memcmp(chunk + i + 1, "\xEF\xBB\xBF", 3) == 0)
			return fail(p, SS_E_INVAL, line,
				    "byte order mark at the start of a line (only the file may start with one)");
	}
	return 0;
}

int ss_ytree_parse(struct ss_yctx *c, const unsigned char *chunk, size_t len, struct ss_ytree *t)
{
	struct ss_yparse p;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.t = t;
	if (memmem(chunk, len, "\xEF\xBB\xBF", 3) != NULL && (rc = check_inner_bom(&p, chunk, len)) != 0)
		return rc;
	if (!yaml_parser_initialize(&p.parser))
		return SS_E_NOMEM;
	p.in.p = chunk;
	p.in.len = len;
	p.in.add_newline = len > 0 && chunk[len - 1] != '\n';
	yaml_parser_set_input(&p.parser, read_chunk, &p);
	rc = parse_document(&p);
	yaml_parser_delete(&p.parser);
	for (i = 0; i < p.capanchors; i++)
		free(p.anchors[i].name);
	free(p.anchors);
	if (rc != 0)
		ss_ytree_release(t);
	return rc;
}

void ss_ytree_release(struct ss_ytree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nall; i++) {
		struct ss_ynode *n = t->all[i];

		if (n->value != NULL) {
			/* Scalars can be plaintext (a Secret's stringData). */
			sodium_memzero(n->value, n->len);
			free(n->value);
		}
		free(n->tag);
		free(n->kids);
		free(n);
	}
	free(t->all);
	memset(t, 0, sizeof(*t));
}
