/* objstate.c: per-object applied state and drift (see objstate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/objstate.h"

#define KEY_MAX 1200

struct entry {
	size_t unit;
	int present;   /* in the unit's last applied revision */
	int have_live; /* live holds a baseline */
	int drifted;
	unsigned long long rv; /* of our last apply: older events are stale */
	unsigned char body[SS_OBJSTATE_DIGEST];
	unsigned char live[SS_OBJSTATE_DIGEST];
	char *file;    /* where it comes from in the tree (a repair reads it) */
};

struct ss_objstate {
	unsigned char *key; /* guarded memory; never leaves the process */
	const char *manager;
	json_t *index;      /* "group|kind|ns|name" → integer index into ents */
	struct entry *ents;
	size_t n, cap, nunits;
	json_t *kinds;      /* "apiVersion\nkind" → true: every kind seen */
	json_t *fresh;      /* [[apiVersion, kind], ...] not yet handed out */
	int drift;
};

int ss_objstate_new(size_t nunits, struct ss_objstate **out, struct ss_err *err)
{
	struct ss_objstate *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL || (s->key = sodium_malloc(crypto_generichash_KEYBYTES)) == NULL ||
	    (s->index = json_object()) == NULL || (s->kinds = json_object()) == NULL ||
	    (s->fresh = json_array()) == NULL) {
		ss_objstate_free(s);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	randombytes_buf(s->key, crypto_generichash_KEYBYTES);
	s->nunits = nunits;
	s->manager = "sealsync";
	*out = s;
	return 0;
}

void ss_objstate_free(struct ss_objstate *s)
{
	if (s == NULL)
		return;
	sodium_free(s->key); /* wipes */
	json_decref(s->index);
	json_decref(s->kinds);
	json_decref(s->fresh);
	for (size_t i = 0; i < s->n; i++)
		free(s->ents[i].file);
	free(s->ents);
	free(s);
}

void ss_objstate_set_manager(struct ss_objstate *s, const char *manager)
{
	s->manager = manager;
}

static int feed(const char *buf, size_t len, void *ctx)
{
	crypto_generichash_update(ctx, (const unsigned char *)buf, len);
	return 0;
}

/* Canonical: sorted keys, compact; the length frames each part. */
static void hash_json(crypto_generichash_state *h, const json_t *j)
{
	if (j == NULL) {
		crypto_generichash_update(h, (const unsigned char *)"\0absent", 7);
		return;
	}
	json_dump_callback(j, feed, h, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	crypto_generichash_update(h, (const unsigned char *)"\0", 1);
}

void ss_objstate_body_digest(const struct ss_objstate *s, const json_t *obj,
			     unsigned char out[SS_OBJSTATE_DIGEST])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, s->key, crypto_generichash_KEYBYTES, SS_OBJSTATE_DIGEST);
	hash_json(&h, obj);
	crypto_generichash_final(&h, out, SS_OBJSTATE_DIGEST);
	sodium_memzero(&h, sizeof(h));
}

/* "group|kind|ns|name" of an object; 0 when it has no kind or name. */
static int obj_key(const json_t *obj, char *buf, size_t len)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *slash = av != NULL ? strchr(av, '/') : NULL;
	int glen = slash != NULL ? (int)(slash - av) : 0;

	if (av == NULL || kind == NULL || name == NULL)
		return 0;
	return snprintf(buf, len, "%.*s|%s|%s|%s", glen, av, kind, ns != NULL ? ns : "", name) <
	       (int)len;
}

static struct entry *find(const struct ss_objstate *s, const json_t *obj)
{
	char key[KEY_MAX];
	json_t *i;

	if (!obj_key(obj, key, sizeof(key)) || (i = json_object_get(s->index, key)) == NULL)
		return NULL;
	return &s->ents[json_integer_value(i)];
}

int ss_objstate_unchanged(const struct ss_objstate *s, size_t u, const json_t *obj,
			  const unsigned char body[SS_OBJSTATE_DIGEST])
{
	const struct entry *e = find(s, obj);

	return e != NULL && e->present && e->unit == u && !e->drifted &&
	       sodium_memcmp(e->body, body, SS_OBJSTATE_DIGEST) == 0;
}

static unsigned long long obj_rv(const json_t *obj)
{
	const char *rv = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

	return rv != NULL ? strtoull(rv, NULL, 10) : 0;
}

/* Our managedFields entry's fieldsV1, or NULL. */
static const json_t *our_fields(const struct ss_objstate *s, const json_t *obj)
{
	const json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields"), *m;
	size_t i;

	json_array_foreach(mf, i, m) {
		const char *mgr = json_string_value(json_object_get(m, "manager"));
		const char *op = json_string_value(json_object_get(m, "operation"));

		if (mgr != NULL && op != NULL && strcmp(mgr, s->manager) == 0 &&
		    strcmp(op, "Apply") == 0)
			return json_object_get(m, "fieldsV1");
	}
	return NULL;
}

/* Feeds the values of v at the fields of set f (FieldsV1): a leaf, or a
 * list (k:/v:/i: members), is taken whole; a map, field by field. */
static void hash_fields(crypto_generichash_state *h, const json_t *f, const json_t *v, int depth)
{
	const char *k;
	json_t *sub;

	if (depth > 64 || !json_is_object(v) || json_object_size(f) == 0) {
		hash_json(h, v);
		return;
	}
	json_object_foreach((json_t *)f, k, sub) {
		if (strncmp(k, "f:", 2) != 0)
			continue; /* ".": the map itself; k:/v:/i: cannot be under a map */
		crypto_generichash_update(h, (const unsigned char *)k, strlen(k) + 1);
		hash_fields(h, sub, json_object_get(v, k + 2), depth + 1);
	}
}

static void live_digest(const struct ss_objstate *s, const json_t *obj,
			unsigned char out[SS_OBJSTATE_DIGEST])
{
	const json_t *f = our_fields(s, obj);
	crypto_generichash_state h;

	crypto_generichash_init(&h, s->key, crypto_generichash_KEYBYTES, SS_OBJSTATE_DIGEST);
	hash_json(&h, f); /* the set itself: a field another manager took leaves it */
	if (f != NULL)
		hash_fields(&h, f, obj, 0);
	crypto_generichash_final(&h, out, SS_OBJSTATE_DIGEST);
	sodium_memzero(&h, sizeof(h));
}

/* The entry of obj, added (not present, no unit) when new; NULL when out
 * of memory or obj has no name. */
static struct entry *find_or_add(struct ss_objstate *s, const json_t *obj)
{
	char key[KEY_MAX];
	struct entry *e;
	json_t *i;

	if (!obj_key(obj, key, sizeof(key)))
		return NULL;
	if ((i = json_object_get(s->index, key)) != NULL)
		return &s->ents[json_integer_value(i)];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct entry *ents = realloc(s->ents, cap * sizeof(*ents));

		if (ents == NULL)
			return NULL;
		s->ents = ents;
		s->cap = cap;
	}
	if (json_object_set_new(s->index, key, json_integer((json_int_t)s->n)) != 0)
		return NULL;
	e = &s->ents[s->n++];
	memset(e, 0, sizeof(*e));
	e->unit = (size_t)-1;
	return e;
}

/* Before the commit that follows it, so a new object keeps its baseline. */
void ss_objstate_applied(struct ss_objstate *s, const json_t *live)
{
	struct entry *e = find_or_add(s, live);

	if (e == NULL)
		return; /* out of memory: the first watch event sets the baseline */
	live_digest(s, live, e->live);
	e->have_live = 1;
	e->rv = obj_rv(live);
}

void ss_objstate_seen(struct ss_objstate *s, const json_t *live)
{
	unsigned char d[SS_OBJSTATE_DIGEST];
	struct entry *e = find(s, live);
	unsigned long long rv = obj_rv(live);

	if (e == NULL || !e->present || (rv != 0 && rv <= e->rv))
		return; /* not ours, or older than our last apply */
	live_digest(s, live, d);
	if (e->have_live && sodium_memcmp(d, e->live, sizeof(d)) != 0 && !e->drifted) {
		e->drifted = 1;
		s->drift = 1;
	}
	if (!e->have_live) {
		memcpy(e->live, d, sizeof(d));
		e->have_live = 1;
	}
	e->rv = rv;
}

void ss_objstate_deleted(struct ss_objstate *s, const json_t *last)
{
	struct entry *e = find(s, last);
	unsigned long long rv = obj_rv(last);

	/* Older than our last apply: the deletion of a copy we re-created
	 * since (sealsync.dev/force, apply.h). Equal is a deletion: a server
	 * may send the object's last resourceVersion with DELETED. */
	if (e == NULL || !e->present || (rv != 0 && rv < e->rv))
		return;
	e->drifted = 1;
	s->drift = 1;
}

/* Splits "group|kind|..." keys: 1 when key is of group g and kind k. */
static int key_of_kind(const char *key, const char *g, size_t glen, const char *kind)
{
	size_t klen = strlen(kind);

	return strncmp(key, g, glen) == 0 && key[glen] == '|' &&
	       strncmp(key + glen + 1, kind, klen) == 0 && key[glen + 1 + klen] == '|';
}

void ss_objstate_listed(struct ss_objstate *s, const char *api_version, const char *kind,
			const json_t *list)
{
	const char *slash = strchr(api_version, '/'), *key;
	size_t glen = slash != NULL ? (size_t)(slash - api_version) : 0, i;
	json_t *seen = json_object(), *it, *idx;
	char k[KEY_MAX];

	if (seen == NULL)
		return; /* out of memory: deletions are seen by the next full apply */
	/* kube_watch.c gave every item its apiVersion and kind. */
	json_array_foreach(json_object_get(list, "items"), i, it) {
		if (obj_key(it, k, sizeof(k)) && json_object_set_new(seen, k, json_true()) != 0) {
			json_decref(seen);
			return; /* out of memory: as above */
		}
	}
	json_object_foreach(s->index, key, idx) {
		struct entry *e = &s->ents[json_integer_value(idx)];

		if (e->present && key_of_kind(key, api_version, glen, kind) &&
		    json_object_get(seen, key) == NULL) {
			e->drifted = 1;
			s->drift = 1;
		}
	}
	json_decref(seen);
}

static void note_kind(struct ss_objstate *s, const json_t *obj)
{
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	char key[512];

	if (av == NULL || kind == NULL ||
	    snprintf(key, sizeof(key), "%s\n%s", av, kind) >= (int)sizeof(key) ||
	    json_object_get(s->kinds, key) != NULL)
		return;
	/* Out of memory: the kind is retried at the next commit. */
	if (json_array_append_new(s->fresh, json_pack("[s,s]", av, kind)) == 0)
		json_object_set_new(s->kinds, key, json_true());
}

void ss_objstate_forget(struct ss_objstate *s, size_t u)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ents[i].unit == u)
			s->ents[i].present = 0;
}

/* gcc -fanalyzer loses the strdup'd file name once it is stored in an entry
 * found through the index (&s->ents[i] with i from a JSON integer) and
 * reports a leak; the entry owns it and ss_objstate_free frees it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
int ss_objstate_commit(struct ss_objstate *s, size_t u, json_t *const *objs,
		       const unsigned char (*body)[SS_OBJSTATE_DIGEST], const char *const *files,
		       size_t n)
{
	struct entry *e;
	size_t i;

	ss_objstate_forget(s, u);
	for (i = 0; i < n; i++) {
		e = find_or_add(s, objs[i]);
		if (e == NULL) {
			ss_objstate_forget(s, u);
			return SS_E_NOMEM;
		}
		e->unit = u;
		e->present = 1;
		e->drifted = 0;
		memcpy(e->body, body[i], SS_OBJSTATE_DIGEST);
		free(e->file);
		/* No file (out of memory): a repair of it re-syncs the unit. */
		e->file = files != NULL && files[i] != NULL ? strdup(files[i]) : NULL;
		note_kind(s, objs[i]);
	}
	return 0;
}
#pragma GCC diagnostic pop

size_t ss_objstate_drifted_files(const struct ss_objstate *s, size_t u, const char **out,
				 size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++) {
		const struct entry *e = &s->ents[i];

		if (!e->present || e->unit != u || !e->drifted)
			continue;
		if (e->file == NULL || n == max)
			return (size_t)-1;
		out[n++] = e->file;
	}
	return n;
}

void ss_objstate_repaired(struct ss_objstate *s, size_t u, const json_t *obj,
			  const unsigned char body[SS_OBJSTATE_DIGEST])
{
	struct entry *e = find(s, obj);

	if (e != NULL && e->present && e->unit == u &&
	    sodium_memcmp(e->body, body, SS_OBJSTATE_DIGEST) == 0)
		e->drifted = 0;
}

int ss_objstate_unit_drifted(const struct ss_objstate *s, size_t u)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ents[i].present && s->ents[i].unit == u && s->ents[i].drifted)
			return 1;
	return 0;
}

int ss_objstate_take_drift(struct ss_objstate *s)
{
	int d = s->drift;

	s->drift = 0;
	return d;
}

void ss_objstate_new_kinds(struct ss_objstate *s,
			   void (*fn)(void *ctx, const char *api_version, const char *kind),
			   void *ctx)
{
	json_t *k;
	size_t i;

	json_array_foreach(s->fresh, i, k) {
		fn(ctx, json_string_value(json_array_get(k, 0)),
		   json_string_value(json_array_get(k, 1)));
	}
	json_array_clear(s->fresh);
}
