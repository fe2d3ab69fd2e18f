/*
 * splice.c: change a SealedSecret's values inside its file's text, keeping
 * every other byte (ss_sealed_splice, see include/sealsync/sealed.h).
 *
 * libyaml's events carry marks (character index, line, column) for the
 * start and end of every node. We walk the events, note where
 * spec.encryptedData and each of its values are in the target document, and
 * then copy the text with the new values put in those spans. Re-serialising
 * would lose comments, key order and quoting that people chose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "sealed_int.h"

#define SPLICE_MAX_DEPTH 64
#define SPLICE_KEY_MAX 256

struct sp_item {
	char key[SPLICE_KEY_MAX];
	size_t vstart, vend; /* character indexes (libyaml marks) */
	int block;           /* literal or folded scalar: its span ends a line */
	int bad;             /* anchor or tag: not ours to replace */
};

struct sp_doc {
	char name[SPLICE_KEY_MAX];
	char ns[SPLICE_KEY_MAX];
	int have_ed, flow;
	size_t ed_end;  /* index of the flow mapping's '}' */
	size_t key_col; /* column of the block mapping's keys */
	struct sp_item *items;
	size_t n, cap;
};

struct sp_frame {
	int is_map, want_key;
	char key[SPLICE_KEY_MAX];
};

struct sp_walk {
	struct sp_frame st[SPLICE_MAX_DEPTH];
	int depth;
	struct sp_doc cur;
	const char *name, *ns;
	int found;          /* an exact match (name and namespace) */
	struct sp_doc cand; /* the first match without a namespace */
	int have_cand;
};

static int key_is(const struct sp_walk *w, int i, const char *k)
{
	return w->st[i].is_map && strcmp(w->st[i].key, k) == 0;
}

/* The value now being read sits at metadata.<field>? */
static int at_meta(const struct sp_walk *w, const char *field)
{
	return w->depth == 2 && key_is(w, 0, "metadata") && key_is(w, 1, field);
}

static int at_ed(const struct sp_walk *w, int depth)
{
	return w->depth == depth && key_is(w, 0, "spec") && key_is(w, 1, "encryptedData");
}

static void set_key(struct sp_frame *f, const char *s, size_t n)
{
	/* An unmatchable marker for keys we cannot hold whole. */
	if (n >= sizeof(f->key) || memchr(s, '\0', n) != NULL)
		n = 0, s = "\x01";
	memcpy(f->key, s, n ? n : 1);
	f->key[n ? n : 1] = '\0';
}

/* After a node: a map's next scalar is a key again, unless it was a key. */
static void node_done(struct sp_walk *w)
{
	if (w->depth > 0 && w->st[w->depth - 1].is_map)
		w->st[w->depth - 1].want_key = !w->st[w->depth - 1].want_key;
}

static int add_item(struct sp_doc *d, const yaml_event_t *ev, const char *key)
{
	struct sp_item *it;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;

		it = reallocarray(d->items, cap, sizeof(*it));
		if (it == NULL)
			return SS_E_NOMEM;
		d->items = it;
		d->cap = cap;
	}
	it = &d->items[d->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->key, sizeof(it->key), "%s", key);
	it->vstart = ev->start_mark.index;
	it->vend = ev->end_mark.index;
	it->block = ev->type == YAML_SCALAR_EVENT &&
		    (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		     ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE);
	it->bad = ev->type != YAML_SCALAR_EVENT || ev->data.scalar.anchor != NULL ||
		  (ev->data.scalar.tag != NULL && ev->data.scalar.plain_implicit == 0 &&
		   ev->data.scalar.quoted_implicit == 0);
	return 0;
}

static void copy_text(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap || memchr(v, '\0', n) != NULL)
		n = 0; /* cannot match a valid name anyway */
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int on_scalar(struct sp_walk *w, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	struct sp_frame *top = w->depth > 0 ? &w->st[w->depth - 1] : NULL;
	int rc = 0;

	if (top != NULL && top->is_map && top->want_key) {
		set_key(top, v, n);
		if (at_ed(w, 3) && w->cur.n == 0)
			w->cur.key_col = ev->start_mark.column;
	} else if (at_meta(w, "name")) {
		copy_text(w->cur.name, sizeof(w->cur.name), v, n);
	} else if (at_meta(w, "namespace")) {
		copy_text(w->cur.ns, sizeof(w->cur.ns), v, n);
	} else if (at_ed(w, 3)) {
		rc = add_item(&w->cur, ev, w->st[2].key);
	}
	node_done(w);
	return rc;
}

static int on_start(struct sp_walk *w, const yaml_event_t *ev, int is_map)
{
	struct sp_frame *top = w->depth > 0 ? &w->st[w->depth - 1] : NULL;
	int rc = 0;

	if (w->depth >= SPLICE_MAX_DEPTH)
		return SS_E_LIMIT;
	if (top != NULL && top->is_map && top->want_key)
		set_key(top, "\x01", 1); /* a complex key */
	else if (at_ed(w, 3))
		rc = add_item(&w->cur, ev, w->st[2].key); /* marked bad */
	else if (at_ed(w, 2) && is_map) {
		w->cur.have_ed = 1;
		w->cur.flow = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	}
	memset(&w->st[w->depth], 0, sizeof(w->st[0]));
	w->st[w->depth].is_map = is_map;
	w->st[w->depth].want_key = is_map;
	w->depth++;
	return rc;
}

static void on_end(struct sp_walk *w, const yaml_event_t *ev)
{
	if (w->depth == 0)
		return;
	w->depth--;
	if (at_ed(w, 2) && ev->type == YAML_MAPPING_END_EVENT)
		w->cur.ed_end = ev->start_mark.index;
	node_done(w);
}

/* 2: name and namespace match; 1: name matches, the doc names no namespace. */
static int doc_matches(const struct sp_walk *w)
{
	if (!w->cur.have_ed || strcmp(w->cur.name, w->name) != 0)
		return 0;
	if (strcmp(w->cur.ns, w->ns) == 0)
		return 2;
	return w->cur.ns[0] == '\0';
}

static int on_doc_end(struct sp_walk *w)
{
	int m = doc_matches(w);

	if (m == 2) {
		w->found = 1;
		return 1;
	}
	if (m == 1 && !w->have_cand) {
		w->cand = w->cur;
		w->have_cand = 1;
		memset(&w->cur, 0, sizeof(w->cur));
	}
	return 0;
}

/* Returns 1 when the stream is done (or the target document is complete). */
static int on_event(struct sp_walk *w, const yaml_event_t *ev, int *rc)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		free(w->cur.items);
		memset(&w->cur, 0, sizeof(w->cur));
		w->depth = 0;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return on_doc_end(w);
	case YAML_SCALAR_EVENT:
		*rc = on_scalar(w, ev);
		return *rc != 0;
	case YAML_ALIAS_EVENT:
		if (at_ed(w, 3) && !(w->depth > 0 && w->st[w->depth - 1].want_key))
			*rc = add_item(&w->cur, ev, w->st[2].key);
		node_done(w);
		return *rc != 0;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		*rc = on_start(w, ev, ev->type == YAML_MAPPING_START_EVENT);
		return *rc != 0;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		on_end(w, ev);
		return 0;
	default:
		return 0;
	}
}

static int splice_walk(const char *text, size_t len, struct sp_walk *w, struct ss_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = ss_err_set(err, SS_E_INVAL, "not YAML: %s",
					p.problem ? p.problem : "syntax error");
			ss_err_at(err, NULL, (unsigned)p.problem_mark.line + 1, -1);
			break;
		}
		done = on_event(w, &ev, &rc);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == SS_E_LIMIT)
		ss_err_set(err, rc, "nested deeper than %d", SPLICE_MAX_DEPTH);
	else if (rc == SS_E_NOMEM)
		ss_err_set(err, rc, "out of memory");
	return rc;
}

/* libyaml marks count characters; we need byte offsets into the UTF-8 text. */
struct sp_cursor {
	const unsigned char *t;
	size_t len, base, ci, bi;
};

static size_t char_to_byte(struct sp_cursor *c, size_t index)
{
	if (index < c->ci) {
		c->ci = 0;
		c->bi = c->base;
	}
	while (c->ci < index && c->bi < c->len) {
		c->bi++;
		while (c->bi < c->len && (c->t[c->bi] & 0xc0) == 0x80)
			c->bi++;
		c->ci++;
	}
	return c->bi;
}

static int want_key(const char *k, const char *const *keys, size_t nkeys)
{
	size_t i;

	if (keys == NULL)
		return 1;
	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i], k) == 0)
			return 1;
	return 0;
}

static const struct sp_item *doc_item(const struct sp_doc *d, const char *k)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->items[i].key, k) == 0)
			return &d->items[i];
	return NULL;
}

/* "key: value" for a new entry. */
static int put_entry(const struct ss_sealed *s, size_t i, struct ss_buf *out)
{
	int rc = ss_emit_yaml_scalar(out, s->items[i].key, strlen(s->items[i].key));

	if (rc == 0)
		rc = ss_buf_puts(out, ": ");
	if (rc == 0)
		rc = ss_sealed_value_base64(s, i, out);
	return rc;
}

/* The text that new keys go in as, and the byte offset where it goes. */
static int new_entries(const struct sp_doc *d, const struct ss_sealed *s,
		       const char *const *keys, size_t nkeys, struct sp_cursor *c,
		       struct ss_buf *ins, size_t *at)
{
	const struct sp_item *last = d->n > 0 ? &d->items[d->n - 1] : NULL;
	size_t i, k, added = 0, p;
	int rc = 0, comma = 0; /* the flow mapping already ends in a comma */

	if (d->flow) {
		*at = char_to_byte(c, d->ed_end);
		/* "{a: x,}" already ends in a comma: do not add a second one. */
		for (p = *at; p > 0 && strchr(" \t\r\n", c->t[p - 1]) != NULL; p--)
			;
		comma = p > 0 && c->t[p - 1] == ',';
	} else {
		*at = char_to_byte(c, last->vend);
		while (!last->block && *at < c->len && c->t[*at] != '\n')
			(*at)++;
		if (*at < c->len && !last->block)
			(*at)++;
		else if (!last->block)
			rc = ss_buf_putc(ins, '\n'); /* the file had no final newline */
	}
	for (i = 0; rc == 0 && i < s->n; i++) {
		if (!want_key(s->items[i].key, keys, nkeys) || doc_item(d, s->items[i].key) != NULL)
			continue;
		if (d->flow)
			rc = ss_buf_puts(ins, (comma && added == 0) || d->n + added == 0 ? "" : ", ");
		for (k = 0; rc == 0 && !d->flow && k < d->key_col; k++)
			rc = ss_buf_putc(ins, ' ');
		if (rc == 0)
			rc = put_entry(s, i, ins);
		if (rc == 0 && !d->flow)
			rc = ss_buf_putc(ins, '\n');
		added++;
	}
	return rc;
}

/* Copies text with the replaced values and the new entries put in. */
static int splice_build(const struct sp_doc *d, const struct ss_sealed *s,
			const char *const *keys, size_t nkeys, struct sp_cursor *c,
			struct ss_buf *out)
{
	struct ss_buf ins;
	size_t i, pos = 0, at = 0;
	int rc;

	ss_buf_init(&ins, out->max);
	if (!d->flow && d->n == 0)
		return SS_E_UNSUPPORTED;
	rc = new_entries(d, s, keys, nkeys, c, &ins, &at);
	for (i = 0; rc == 0 && i < d->n; i++) {
		const struct sp_item *it = &d->items[i];
		long j = sealed_find(s, it->key);
		size_t b0, b1;

		if (j < 0 || !want_key(it->key, keys, nkeys))
			continue;
		if (it->bad) {
			rc = SS_E_UNSUPPORTED;
			break;
		}
		b0 = char_to_byte(c, it->vstart);
		b1 = char_to_byte(c, it->vend);
		rc = ss_buf_append(out, c->t + pos, b0 - pos);
		if (rc == 0)
			rc = ss_sealed_value_base64(s, (size_t)j, out);
		if (rc == 0 && it->block)
			rc = ss_buf_putc(out, '\n');
		pos = b1;
	}
	if (rc == 0 && at >= pos)
		rc = ss_buf_append(out, c->t + pos, at - pos);
	if (rc == 0)
		rc = ss_buf_append(out, ins.data != NULL ? ins.data : (const unsigned char *)"",
				   ins.len);
	if (rc == 0)
		rc = ss_buf_append(out, c->t + at, c->len - at);
	ss_buf_release(&ins);
	return rc;
}

/* Walks text for the SealedSecret name in ns (or one naming no namespace). */
static int splice_find(const char *name, const char *ns, const char *text, size_t len,
		       struct sp_walk *w, struct sp_cursor *c, struct ss_err *err)
{
	int rc;

	w->name = name;
	w->ns = ns;
	rc = splice_walk(text, len, w, err);
	if (rc == 0 && !w->found && w->have_cand) {
		free(w->cur.items);
		w->cur = w->cand;
		memset(&w->cand, 0, sizeof(w->cand));
		w->found = 1;
	}
	if (rc == 0 && !w->found)
		rc = ss_err_set(err, SS_E_NOTFOUND,
				"no SealedSecret named %s with spec.encryptedData in the file", name);
	memset(c, 0, sizeof(*c));
	c->t = (const unsigned char *)text;
	c->len = len;
	/* libyaml drops a UTF-8 byte order mark before counting. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c->base = c->bi = 3;
	return rc;
}

static void splice_done(struct sp_walk *w, const char *file, int rc, const char *key,
			struct ss_err *err)
{
	if (rc != 0) {
		ss_err_at(err, file, 0, -1);
		ss_err_field(err, "spec.encryptedData", key);
	}
	free(w->cur.items);
	free(w->cand.items);
	free(w);
}

int ss_sealed_splice(const char *name, const char *text, size_t len, const struct ss_sealed *s,
		     const char *const *keys, size_t nkeys, struct ss_buf *out,
		     struct ss_err *err)
{
	struct sp_walk *w = calloc(1, sizeof(*w));
	struct sp_cursor c;
	int rc;

	if (w == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = splice_find(s->name, s->ns, text, len, w, &c, err);
	if (rc == 0)
		rc = splice_build(&w->cur, s, keys, nkeys, &c, out);
	if (rc == SS_E_UNSUPPORTED)
		ss_err_set(err, rc, "a value to replace has an anchor, alias or tag");
	else if (rc != 0 && err != NULL && err->msg[0] == '\0')
		ss_err_set(err, rc, "cannot build the merged file: %s", ss_strerror(rc));
	splice_done(w, name, rc, NULL, err);
	return rc;
}

/*
 * The bytes of key's entry: from the start of its line to the end of its
 * value's line (a block scalar's span already ends a line). Only for an
 * entry whose key and value start on one line, as sealctl writes them.
 */
static int entry_span(const struct sp_doc *d, const struct sp_item *it, struct sp_cursor *c,
		      size_t *b0, size_t *b1)
{
	size_t v = char_to_byte(c, it->vstart), p;

	if (d->flow || it->bad)
		return SS_E_UNSUPPORTED;
	for (p = v; p > 0 && c->t[p - 1] != '\n'; p--)
		;
	if (memchr(c->t + p, ':', v - p) == NULL)
		return SS_E_UNSUPPORTED; /* the key is on an earlier line */
	*b0 = p;
	*b1 = char_to_byte(c, it->vend);
	while (!it->block && *b1 < c->len && c->t[*b1] != '\n')
		(*b1)++;
	if (!it->block && *b1 < c->len)
		(*b1)++;
	return 0;
}

int ss_sealed_splice_remove(const char *file, const char *text, size_t len, const char *name,
			    const char *ns, const char *key, struct ss_buf *out,
			    struct ss_err *err)
{
	struct sp_walk *w = calloc(1, sizeof(*w));
	const struct sp_item *it;
	struct sp_cursor c;
	size_t b0 = 0, b1 = 0;
	int rc;

	if (w == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	rc = splice_find(name, ns, text, len, w, &c, err);
	it = rc == 0 ? doc_item(&w->cur, key) : NULL;
	if (rc == 0 && it == NULL)
		rc = ss_err_set(err, SS_E_NOTFOUND, "SealedSecret %s has no key %s", name, key);
	else if (rc == 0 && w->cur.n == 1)
		rc = ss_err_set(err, SS_E_INVAL, "%s is the last key of SealedSecret %s: delete "
				"the document instead", key, name);
	if (rc == 0 && (rc = entry_span(&w->cur, it, &c, &b0, &b1)) != 0)
		ss_err_set(err, rc, "key %s is not on one line of a block mapping; edit the file "
			   "by hand", key);
	if (rc == 0 && (ss_buf_append(out, c.t, b0) != 0 ||
			ss_buf_append(out, c.t + b1, c.len - b1) != 0))
		rc = ss_err_set(err, SS_E_LIMIT, "file too large");
	splice_done(w, file, rc, key, err);
	return rc;
}
