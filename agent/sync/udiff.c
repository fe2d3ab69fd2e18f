/* udiff.c: a unified diff of two texts, line by line (see udiff.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/udiff.h"

struct line {
	const char *p;
	size_t len;   /* without the newline */
	uint32_t hash;
	int nl;       /* ends with a newline */
};

struct side {
	struct line *v;
	size_t n;
};

/* One step of the edit script: ' ' both sides, '-' a only, '+' b only. */
struct op {
	char type;
	size_t a, b;
};

struct script {
	struct op *v;
	size_t n, cap;
};

static uint32_t line_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a: a filter only, memcmp decides */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static int split_lines(const char *t, size_t len, struct side *s)
{
	size_t i, start = 0, n = 0;

	for (i = 0; i < len; i++)
		n += t[i] == '\n';
	n += len > 0 && t[len - 1] != '\n';
	if (n > SS_UDIFF_MAX_LINES)
		return SS_E_LIMIT;
	s->v = calloc(n + 1, sizeof(*s->v));
	if (s->v == NULL)
		return SS_E_NOMEM;
	s->n = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && t[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		s->v[s->n].p = t + start;
		s->v[s->n].len = i - start;
		s->v[s->n].hash = line_hash(t + start, i - start);
		s->v[s->n].nl = i < len;
		s->n++;
		start = i + 1;
	}
	return 0;
}

static int line_eq(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len && x->nl == y->nl &&
	       memcmp(x->p, y->p, x->len) == 0;
}

static int script_push(struct script *s, char type, size_t a, size_t b)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct op *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return SS_E_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].type = type;
	s->v[s->n].a = a;
	s->v[s->n].b = b;
	s->n++;
	return 0;
}

/* The middle a[lo_a, hi_a) / b[lo_b, hi_b) of the two texts. */
struct middle {
	const struct side *a, *b;
	size_t lo_a, lo_b, n, m;
};

static int mid_eq(const struct middle *md, long x, long y)
{
	return line_eq(&md->a->v[md->lo_a + (size_t)x], &md->b->v[md->lo_b + (size_t)y]);
}

/* Forward Myers: the snapshot of V after each d goes to trace (row d
 * holds k = -d..d). Returns D, or -1 when it would pass max_d. */
static long myers_forward(const struct middle *md, long max_d, long *trace)
{
	long n = (long)md->n, m = (long)md->m, d, k, x, y;
	long *v = trace, *prev = NULL;

	for (d = 0; d <= max_d; d++) {
		v = trace + d * d + d; /* row d starts at d^2; index k at v[k] */
		for (k = -d; k <= d; k += 2) {
			if (d == 0)
				x = 0;
			else if (k == -d || (k != d && prev[k - 1] < prev[k + 1]))
				x = prev[k + 1];
			else
				x = prev[k - 1] + 1;
			y = x - k;
			while (x < n && y < m && mid_eq(md, x, y)) {
				x++;
				y++;
			}
			v[k] = x;
			if (x >= n && y >= m)
				return d;
		}
		for (k = -d + 1; k <= d - 1; k += 2)
			v[k] = -1; /* never read: keeps the row defined */
		prev = v;
	}
	return -1;
}

/* Walks the trace back from (n, m); pushes the script in reverse. */
static int myers_back(const struct middle *md, long dmax, const long *trace, struct script *s)
{
	long x = (long)md->n, y = (long)md->m, d, k, pk, px, py;
	const long *prev;
	int rc = 0;

	for (d = dmax; d > 0 && rc == 0; d--) {
		prev = trace + (d - 1) * (d - 1) + (d - 1);
		k = x - y;
		pk = (k == -d || (k != d && prev[k - 1] < prev[k + 1])) ? k + 1 : k - 1;
		px = prev[pk];
		py = px - pk;
		while (x > px && y > py && rc == 0) {
			x--;
			y--;
			rc = script_push(s, ' ', md->lo_a + (size_t)x, md->lo_b + (size_t)y);
		}
		if (rc == 0 && x == px)
			rc = script_push(s, '+', md->lo_a + (size_t)x, md->lo_b + (size_t)--y);
		else if (rc == 0)
			rc = script_push(s, '-', md->lo_a + (size_t)--x, md->lo_b + (size_t)y);
	}
	while (x > 0 && y > 0 && rc == 0) {
		x--;
		y--;
		rc = script_push(s, ' ', md->lo_a + (size_t)x, md->lo_b + (size_t)y);
	}
	return rc;
}

/* Past the edit bound: all of a's middle removed, then b's added (pushed
 * in reverse, like myers_back). */
static int middle_replace(const struct middle *md, struct script *s)
{
	size_t i;
	int rc = 0;

	for (i = md->m; i-- > 0 && rc == 0;)
		rc = script_push(s, '+', md->lo_a + md->n, md->lo_b + i);
	for (i = md->n; i-- > 0 && rc == 0;)
		rc = script_push(s, '-', md->lo_a + i, md->lo_b);
	return rc;
}

static int diff_middle(const struct middle *md, struct script *s)
{
	long max_d = (long)(md->n + md->m), d;
	long *trace;
	int rc;

	if (max_d > SS_UDIFF_MAX_EDITS)
		max_d = SS_UDIFF_MAX_EDITS;
	trace = calloc((size_t)(max_d + 1) * (size_t)(max_d + 1) + 1, sizeof(*trace));
	if (trace == NULL)
		return SS_E_NOMEM;
	d = myers_forward(md, max_d, trace);
	rc = d < 0 ? middle_replace(md, s) : myers_back(md, d, trace, s);
	free(trace);
	return rc;
}

static void script_reverse(struct script *s, size_t from)
{
	size_t i = from, j = s->n;

	while (j > i + 1) {
		struct op t = s->v[i];

		s->v[i++] = s->v[--j];
		s->v[j] = t;
	}
}

/* The whole edit script, in order: common head, the middle, common tail. */
static int build_script(const struct side *a, const struct side *b, struct script *s)
{
	struct middle md = {a, b, 0, 0, 0, 0};
	size_t head = 0, tail = 0, from, i;
	int rc = 0;

	while (head < a->n && head < b->n && line_eq(&a->v[head], &b->v[head]))
		head++;
	while (tail < a->n - head && tail < b->n - head &&
	       line_eq(&a->v[a->n - 1 - tail], &b->v[b->n - 1 - tail]))
		tail++;
	for (i = 0; i < head && rc == 0; i++)
		rc = script_push(s, ' ', i, i);
	md.lo_a = md.lo_b = head;
	md.n = a->n - head - tail;
	md.m = b->n - head - tail;
	from = s->n;
	if (rc == 0 && md.n + md.m > 0)
		rc = diff_middle(&md, s);
	script_reverse(s, from);
	for (i = 0; i < tail && rc == 0; i++)
		rc = script_push(s, ' ', a->n - tail + i, b->n - tail + i);
	return rc;
}

static int put_range(struct ss_buf *out, char sign, size_t start, size_t count)
{
	if (count == 1)
		return ss_buf_printf(out, "%c%zu", sign, start + 1);
	return ss_buf_printf(out, "%c%zu,%zu", sign, count == 0 ? start : start + 1, count);
}

static int put_line(struct ss_buf *out, char sign, const struct line *l)
{
	int rc = ss_buf_putc(out, sign);

	if (rc == 0)
		rc = ss_buf_append(out, l->p, l->len);
	if (rc == 0)
		rc = ss_buf_puts(out, l->nl ? "\n" : "\n\\ No newline at end of file\n");
	return rc;
}

/* One hunk: ops [from, to). */
static int put_hunk(const struct side *a, const struct side *b, const struct script *s,
		    size_t from, size_t to, struct ss_buf *out)
{
	size_t i, na = 0, nb = 0;
	int rc;

	for (i = from; i < to; i++) {
		na += s->v[i].type != '+';
		nb += s->v[i].type != '-';
	}
	rc = ss_buf_puts(out, "@@ ");
	if (rc == 0)
		rc = put_range(out, '-', s->v[from].a, na);
	if (rc == 0)
		rc = ss_buf_putc(out, ' ');
	if (rc == 0)
		rc = put_range(out, '+', s->v[from].b, nb);
	if (rc == 0)
		rc = ss_buf_puts(out, " @@\n");
	for (i = from; i < to && rc == 0; i++)
		rc = put_line(out, s->v[i].type,
			      s->v[i].type == '+' ? &b->v[s->v[i].b] : &a->v[s->v[i].a]);
	return rc;
}

/* Groups the changes into hunks with ctx lines of context around each;
 * changes closer than 2*ctx share a hunk. */
static int put_hunks(const struct side *a, const struct side *b, const struct script *s,
		     size_t ctx, struct ss_buf *out)
{
	size_t i = 0, from, end, last;
	int rc = 0;

	while (rc == 0) {
		while (i < s->n && s->v[i].type == ' ')
			i++;
		if (i == s->n)
			break;
		from = i > ctx ? i - ctx : 0;
		last = i;
		for (end = i; end < s->n; end++) {
			if (s->v[end].type != ' ')
				last = end;
			else if (end - last > 2 * ctx)
				break;
		}
		end = last + 1 + ctx < s->n ? last + 1 + ctx : s->n;
		rc = put_hunk(a, b, s, from, end, out);
		i = end;
	}
	return rc;
}

int ss_udiff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
	     const char *label_b, unsigned context, struct ss_buf *out, int *changed)
{
	struct side sa = {NULL, 0}, sb = {NULL, 0};
	struct script s = {NULL, 0, 0};
	int rc;

	if (changed != NULL)
		*changed = 0;
	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	rc = split_lines(a, alen, &sa);
	if (rc == 0)
		rc = split_lines(b, blen, &sb);
	if (rc == 0)
		rc = build_script(&sa, &sb, &s);
	if (rc == 0)
		rc = ss_buf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
	if (rc == 0)
		rc = put_hunks(&sa, &sb, &s, context, out);
	if (rc == 0 && changed != NULL)
		*changed = 1;
	free(sa.v);
	free(sb.v);
	free(s.v);
	return rc;
}
