/*
 * object_set.c: a set of object identities that refuses duplicates.
 *
 * Open addressing over a power-of-two table. Identities come from Git, so
 * the hash is SipHash with a random key per set: a crafted repo cannot make
 * every object collide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/object.h"
#include "sealsync/yaml.h"

struct objset_entry {
	char *key; /* group \0 kind \0 ns \0 name \0 */
	size_t keylen;
	char *file;
	int doc;
	unsigned line;
	const struct ss_docset *ds; /* for the line of metadata.name, on a duplicate */
	size_t ds_index;
	char *desc; /* exact size: a fixed buffer was 666 bytes per object */
};

struct ss_objset {
	struct objset_entry *entries;
	size_t count;
	size_t *slots; /* index + 1 into entries; 0 is empty */
	size_t nslots; /* power of two */
	unsigned char hkey[crypto_shorthash_KEYBYTES];
};

int ss_objset_new(struct ss_objset **out)
{
	struct ss_objset *s;

	*out = NULL;
	if (sodium_init() < 0)
		return SS_E_INTERNAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SS_E_NOMEM;
	randombytes_buf(s->hkey, sizeof(s->hkey));
	*out = s;
	return 0;
}

void ss_objset_free(struct ss_objset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->count; i++) {
		free(s->entries[i].key);
		free(s->entries[i].file);
		free(s->entries[i].desc);
	}
	free(s->entries);
	free(s->slots);
	free(s);
}

size_t ss_objset_count(const struct ss_objset *s)
{
	return s->count;
}

/* The identity as one byte string; the version is left out on purpose. */
static size_t objset_key(const struct ss_objid *id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%c%s%c%s%c%s", id->group, 0, id->kind, 0, id->ns, 0,
			 id->name);

	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

static size_t objset_hash(const struct ss_objset *s, const char *k, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	size_t v;

	crypto_shorthash(h, (const unsigned char *)k, n, s->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

/* The slot holding key k, or the empty slot where it would go. */
static size_t *objset_find(const struct ss_objset *s, const char *k, size_t n)
{
	size_t i = objset_hash(s, k, n) & (s->nslots - 1);

	for (;;) {
		size_t e = s->slots[i];

		if (e == 0)
			return &s->slots[i];
		if (s->entries[e - 1].keylen == n && memcmp(s->entries[e - 1].key, k, n) == 0)
			return &s->slots[i];
		i = (i + 1) & (s->nslots - 1);
	}
}

static int objset_grow(struct ss_objset *s)
{
	size_t nslots = s->nslots ? s->nslots * 2 : 64, i;
	size_t *old = s->slots;
	struct objset_entry *ents;

	ents = reallocarray(s->entries, nslots / 2, sizeof(*ents));
	if (ents == NULL)
		return SS_E_NOMEM;
	s->entries = ents;
	s->slots = calloc(nslots, sizeof(*s->slots));
	if (s->slots == NULL) {
		s->slots = old;
		return SS_E_NOMEM;
	}
	s->nslots = nslots;
	for (i = 0; i < s->count; i++)
		*objset_find(s, s->entries[i].key, s->entries[i].keylen) = i + 1;
	free(old);
	return 0;
}

static int objset_dup_error(const struct objset_entry *first, const struct ss_origin *o,
			    struct ss_err *err)
{
	unsigned line = first->line, l = 0;

	/* Looked up only now: a docset whose line table was dropped (yaml.h)
	 * parses its file again for it. */
	if (first->ds != NULL)
		l = ss_docset_field_line(first->ds, first->ds_index, "metadata.name");
	ss_err_set(err, SS_E_DUP, "duplicate object %s: first defined at %s:%u (document %d)",
		   first->desc, first->file, l != 0 ? l : line, first->doc);
	ss_origin_err(err, o, "metadata.name", NULL);
	return SS_E_DUP;
}

int ss_objset_add(struct ss_objset *s, const struct ss_objid *id, const struct ss_origin *o,
		  struct ss_err *err)
{
	char k[sizeof(struct ss_objid)];
	size_t n = objset_key(id, k, sizeof(k)), *slot;
	struct objset_entry *e;
	char *key = NULL, *file = NULL, *desc = NULL, what[SS_OBJ_NAME_MAX * 2 + 160];

	if (n == 0)
		return ss_err_set(err, SS_E_INTERNAL, "object identity too long");
	if (s->count >= SS_OBJSET_MAX)
		return ss_err_set(err, SS_E_LIMIT, "more than %d objects", SS_OBJSET_MAX);
	if (s->nslots == 0 || (s->count + 1) * 2 > s->nslots) {
		int rc = objset_grow(s);

		if (rc != 0)
			return ss_err_set(err, rc, "out of memory");
	}
	slot = objset_find(s, k, n);
	if (*slot != 0)
		return objset_dup_error(&s->entries[*slot - 1], o, err);
	ss_objid_describe(id, what, sizeof(what));
	key = malloc(n);
	file = strdup(o != NULL && o->file != NULL ? o->file : "<unknown>");
	desc = strdup(what);
	if (key == NULL || file == NULL || desc == NULL) {
		free(key);
		free(file);
		free(desc);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	memcpy(key, k, n);
	e = &s->entries[s->count];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->file = file;
	e->keylen = n;
	e->doc = o != NULL ? o->doc : -1;
	e->line = o != NULL ? o->line : 0;
	e->ds = o != NULL ? o->ds : NULL;
	e->ds_index = o != NULL ? o->ds_index : 0;
	e->desc = desc;
	*slot = ++s->count;
	return 0;
}

int ss_objset_contains(const struct ss_objset *s, const struct ss_objid *id)
{
	char k[sizeof(struct ss_objid)];
	size_t n = objset_key(id, k, sizeof(k));

	if (n == 0 || s->nslots == 0)
		return 0;
	return *objset_find(s, k, n) != 0;
}
