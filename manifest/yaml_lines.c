/*
 * yaml_lines.c: the line of every mapping member and sequence item, for
 * error messages ("file:line: field spec.encryptedData.password").
 *
 * A side table keyed by (container pointer, member name or item index) keeps
 * the JSON values plain, so callers see ordinary jansson objects. Names are
 * copied into an arena: the table stays valid when callers change the
 * documents (a changed member just has no line, or a stale one). Leaves are
 * not keys because jansson shares true/false/null singletons.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_int.h"

/*
 * Every loaded file has its own table and it lives as long as the loaded
 * set (10,000 one-object files in a bundle), while a typical object needs
 * 1-2 KiB of names: start small and double, so small files cost little and
 * big ones still get few blocks.
 */
#define ARENA_FIRST 1024
#define ARENA_MAX 65536
#define TABLE_FIRST 32

struct ss_yline {
	const json_t *parent; /* NULL: empty slot */
	const char *key;      /* NULL for a sequence item */
	size_t index;
	unsigned line;
};

struct ss_yarena {
	struct ss_yarena *next;
	size_t used;
	size_t cap;
	char data[];
};

struct ss_ylines {
	struct ss_yline *tab; /* open addressing, power-of-two size */
	size_t n;
	size_t cap;
	struct ss_yarena *arena;
};

static uint64_t hash_entry(const json_t *parent, const char *key, size_t index)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)parent;

	h *= 1099511628211ULL;
	if (key == NULL)
		return (h ^ index) * 1099511628211ULL;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

static struct ss_yline *slot_find(struct ss_yline *tab, size_t cap, const json_t *parent,
				  const char *key, size_t index)
{
	size_t i = (size_t)hash_entry(parent, key, index) & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		struct ss_yline *s = &tab[i];

		if (s->parent == NULL)
			return s;
		if (s->parent != parent || (s->key == NULL) != (key == NULL))
			continue;
		if (key == NULL ? s->index == index : strcmp(s->key, key) == 0)
			return s;
	}
}

static int table_grow(struct ss_ylines *l)
{
	size_t cap = l->cap ? l->cap * 2 : TABLE_FIRST, i;
	struct ss_yline *tab;

	if (cap > SIZE_MAX / sizeof(*tab))
		return SS_E_NOMEM;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		return SS_E_NOMEM;
	for (i = 0; i < l->cap; i++)
		if (l->tab[i].parent != NULL)
			*slot_find(tab, cap, l->tab[i].parent, l->tab[i].key, l->tab[i].index) =
				l->tab[i];
	free(l->tab);
	l->tab = tab;
	l->cap = cap;
	return 0;
}

static const char *arena_strdup(struct ss_ylines *l, const char *s)
{
	size_t n = strlen(s) + 1;
	struct ss_yarena *a = l->arena;
	char *p;

	if (a == NULL || a->cap - a->used < n) {
		size_t cap = a == NULL ? ARENA_FIRST : a->cap < ARENA_MAX / 2 ? a->cap * 2 : ARENA_MAX;

		if (cap < n)
			cap = n;

		a = malloc(sizeof(*a) + cap);
		if (a == NULL)
			return NULL;
		a->next = l->arena;
		a->used = 0;
		a->cap = cap;
		l->arena = a;
	}
	p = a->data + a->used;
	memcpy(p, s, n);
	a->used += n;
	return p;
}

int ss_ylines_new(struct ss_ylines **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? SS_E_NOMEM : 0;
}

void ss_ylines_free(struct ss_ylines *l)
{
	struct ss_yarena *a, *next;

	if (l == NULL)
		return;
	for (a = l->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(l->tab);
	free(l);
}

int ss_ylines_put(struct ss_ylines *l, const json_t *parent, const char *key, size_t index,
		  unsigned line)
{
	struct ss_yline *s;
	int rc;

	if ((l->n + 1) * 4 > l->cap * 3 && (rc = table_grow(l)) != 0)
		return rc;
	s = slot_find(l->tab, l->cap, parent, key, index);
	if (s->parent == NULL) {
		if (key != NULL && (key = arena_strdup(l, key)) == NULL)
			return SS_E_NOMEM;
		s->parent = parent;
		s->key = key;
		s->index = key == NULL ? index : 0;
		l->n++;
	}
	s->line = line;
	return 0;
}

unsigned ss_ylines_get(const struct ss_ylines *l, const json_t *parent, const char *key,
		       size_t index)
{
	if (l == NULL || l->cap == 0)
		return 0;
	if (key != NULL)
		index = 0;
	return slot_find(l->tab, l->cap, parent, key, index)->line;
}

/* Next step of a path into an array: "3", "3.x", "[3]", "[3].x". */
static unsigned path_in_array(const struct ss_ylines *l, const json_t *arr, const char *p)
{
	char *end;
	unsigned long idx;
	int bracket = *p == '[';

	if (bracket)
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	idx = strtoul(p, &end, 10);
	if (bracket && *end++ != ']')
		return 0;
	if (idx >= json_array_size(arr))
		return 0;
	if (*end == '\0')
		return ss_ylines_get(l, arr, NULL, idx);
	if (*end == '.')
		end++;
	else if (*end != '[')
		return 0;
	return ss_ylines_path(l, json_array_get(arr, idx), end);
}

/* Next step into an object: any member name that the path starts with,
 * followed by the end, '.' or '[' (names may contain dots). Looked up by
 * name at each such split, longest first, rather than by walking every
 * member: a SealedSecret of 1,000 keys asks for each key's line, which
 * made the walk quadratic (PERFORMANCE.md, 2c). */
static unsigned path_in_object(const struct ss_ylines *l, const json_t *obj, const char *p)
{
	size_t n = strlen(p);
	json_t *val;
	unsigned line;

	if (json_object_get(obj, p) != NULL)
		return ss_ylines_get(l, obj, p, 0);
	while (n-- > 0) {
		if (p[n] != '.' && p[n] != '[')
			continue;
		val = json_object_getn(obj, p, n);
		if (val == NULL)
			continue;
		line = ss_ylines_path(l, val, p[n] == '.' ? p + n + 1 : p + n);
		if (line != 0)
			return line;
	}
	return 0;
}

unsigned ss_ylines_path(const struct ss_ylines *l, const json_t *root, const char *path)
{
	if (l == NULL || root == NULL || path == NULL || *path == '\0')
		return 0;
	if (json_is_array(root))
		return path_in_array(l, root, path);
	if (json_is_object(root))
		return path_in_object(l, root, path);
	return 0;
}
