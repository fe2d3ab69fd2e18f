/*
 * bundle.h: the objects of one unit's revision, from load to apply.
 *
 * load    every .yaml/.yml/.json file of the unit, in path order, each
 *         document an item with its origin (file, document, line);
 * unseal  each SealedSecret item becomes a v1 Secret in memory (values in
 *         jansson, which runs with the zeroing allocator);
 * plan    effective namespaces, identity and duplicate checks, owner label,
 *         apply order (rank), collisions with the agent's own state.
 *
 * The bundle owns everything in it; ss_bundle_release wipes and frees it.
 */
#ifndef SEALSYNC_BUNDLE_H
#define SEALSYNC_BUNDLE_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/err.h"
#include "sealsync/object.h"

struct ss_docset;
struct ss_tree;
struct ss_keyring;

#define SS_BUNDLE_MAX_ITEMS 100000

/*
 * An item's object is a jansson tree only while a stage works on it:
 * between stages it is frozen into compact JSON (body, ~10 times smaller;
 * jansson's allocator, which wipes it when freed). Read it through
 * ss_item_obj, which thaws it, and give it back with ss_item_freeze.
 */
struct ss_item {
	json_t *obj;          /* owned reference; NULL while frozen */
	char *body;           /* compact JSON while frozen, else NULL */
	struct ss_objid id;   /* id.ns is the effective namespace after plan */
	struct ss_origin origin;
	int sealed;           /* 1 while obj is still a SealedSecret */
	int rank;             /* apply order (lower first), set by plan */
	int namespaced;       /* set by plan */
	int sops;             /* 1 while obj is still a SOPS document (no id yet) */
};

struct ss_bundle {
	struct ss_item *items;
	size_t n, cap;
	struct ss_docset **docsets; /* kept for field lines in errors */
	char **files;               /* origin file names (owned) */
	size_t ndocsets, capdocsets;
	size_t nvalues;             /* sealed values unsealed */
	int allow_sops;             /* the unit opted in to SOPS files (set before load) */
};

/* The item's object, parsed from its body when frozen (it stays thawed,
 * owned by the item, until ss_item_freeze); NULL when out of memory. The
 * item is logically const: thawing changes only its representation. */
json_t *ss_item_obj(const struct ss_item *it);
/* Freezes the item (serializes and drops the tree); on failure (out of
 * memory) it just stays thawed. */
void ss_item_freeze(struct ss_item *it);
/* Thaws the item (it->obj is its tree after it): 0, or SS_E_NOMEM in err. */
int ss_item_thaw(const struct ss_item *it, struct ss_err *err) SS_MUST_CHECK;
/* After a stage's look at item it: frozen again, and a parse of its file
 * made to name a line (ss_docset_field_line) is freed. */
void ss_item_done(struct ss_item *it);
/* Gives back the items array's spare room once loading is over (an item
 * is ~770 bytes; the array doubles as it loads). */
void ss_bundle_fit(struct ss_bundle *b);

void ss_bundle_init(struct ss_bundle *b);
void ss_bundle_release(struct ss_bundle *b);

/*
 * Loads the files of tree that lie under prefix ("" or "." for all) into b.
 * A kustomization file is refused (SS_E_UNSUPPORTED naming the file: only
 * a unit's top folder may hold one, see ss_bundle_load_unit), as is
 * a document that is not a Kubernetes object, and a SOPS document unless
 * b->allow_sops (SS_E_UNSUPPORTED naming the file). A SOPS item has no id
 * until unseal decrypts it; namespaces skip it (it names its own).
 */
int ss_bundle_load_tree(struct ss_bundle *b, const struct ss_tree *tree, const char *prefix,
			struct ss_err *err) SS_MUST_CHECK;

/*
 * Rendered units (load_render.c, renderer.h). The cache holds the render
 * options from the config, the kustomize binary (render.kustomize, or
 * kustomize found on PATH at open) and per unit the last output with the
 * key of what it read.
 */
struct ss_config;
struct ss_unit_config;
struct ss_source;
struct ss_render_cache;
int ss_render_cache_open(const struct ss_config *c, struct ss_render_cache **out,
			 struct ss_err *err) SS_MUST_CHECK;
void ss_render_cache_free(struct ss_render_cache *rc);
/* 1 when unit i's last load came from a renderer (no per-file repair). */
int ss_render_cache_is_rendered(const struct ss_render_cache *rc, size_t i);
/* Unit i's last output when it was kept under key (borrowed), else NULL;
 * ss_render_cache_put keeps out (taken over) as unit i's output under key.
 * Helm units use these; kustomize units go through ss_bundle_load_unit. */
#define SS_RENDER_KEY_BYTES 32
const unsigned char *ss_render_cache_get(struct ss_render_cache *rc, size_t i,
					 const unsigned char key[SS_RENDER_KEY_BYTES], size_t *len);
void ss_render_cache_put(struct ss_render_cache *rc, size_t i,
			 const unsigned char key[SS_RENDER_KEY_BYTES], unsigned char *out, size_t len);

/*
 * Loads unit i (u) at commit: when its folder (read into unit_tree) has a
 * kustomization at its top, the whole revision is read, the kustomization
 * graph checked (no remote references, no SOPS generator files, no
 * plugins) and `kustomize build` output loaded, its origin named
 * "<folder> (kustomize build)"; otherwise as ss_bundle_load_tree. Output
 * is reused while the content below the folders the graph reached is
 * unchanged.
 */
int ss_bundle_load_unit(struct ss_bundle *b, struct ss_render_cache *rc, size_t i,
			const struct ss_unit_config *u, struct ss_source *src, const char *commit,
			const struct ss_tree *unit_tree, struct ss_err *err) SS_MUST_CHECK;

/* Logs a warning naming each plain v1 Secret of b (not from a
 * SealedSecret or SOPS), unless u allows plain Secrets. */
void ss_bundle_warn_plain_secrets(const struct ss_bundle *b, const struct ss_unit_config *u);

/*
 * A Helm unit (helm.h): its objects are what helm template prints for the
 * chart in tree (read whole: a chart may use files beside it), with the
 * cluster's version and API list from kube (NULL: helm's defaults, or the
 * unit's kubeVersion), run through the renderer with ro (agent/sync/helm_load.c).
 */
struct ss_unit_config;
struct ss_kube;
struct ss_renderer_opts;
struct ss_helm_unit {
	const struct ss_unit_config *unit;  /* unit->helm is set */
	const char *helm_bin;               /* absolute path */
	struct ss_kube *kube;               /* NULL: no cluster (--render, -n) */
	const struct ss_renderer_opts *ro;
	struct ss_render_cache *rc;         /* NULL: render every time */
	size_t index;                       /* the unit's slot in rc */
};
int ss_bundle_load_helm(struct ss_bundle *b, const struct ss_helm_unit *hu,
			const struct ss_tree *tree, struct ss_err *err) SS_MUST_CHECK;

/*
 * Frees what errors parsed again to name a field's line (each file's text
 * is kept, a quarter of a line table's size; the tables and documents are
 * dropped as each file is loaded).
 */
void ss_bundle_drop_lines(struct ss_bundle *b);

/* Loads one file's text (used by the tree loader and by tests). */
int ss_bundle_load_text(struct ss_bundle *b, const char *name, const unsigned char *text,
			size_t len, struct ss_err *err) SS_MUST_CHECK;

/* How kinds are scoped, for plan: asks discovery, then the bundle's CRDs. */
typedef int (*ss_scope_lookup_fn)(void *ctx, const char *api_version, const char *kind,
				  int *namespaced);

struct ss_plan_opts {
	const char *agent_name;      /* owner label: <agent>.<unit> */
	const char *unit_name;
	const char *target_ns;       /* for namespaced objects that name none */
	const char *agent_ns;        /* the agent's own namespace */
	ss_scope_lookup_fn lookup;   /* NULL: built-in table only */
	void *lookup_ctx;
};

#define SS_LABEL_OWNER "sealsync.dev/owner"
#define SS_ANNOT_MANAGED "sealsync.dev/managed"
#define SS_ANNOT_PRUNE "sealsync.dev/prune"

/* Effective namespace of each item (before unseal: the scope check uses it). */
int ss_bundle_resolve_namespaces(struct ss_bundle *b, const struct ss_plan_opts *o,
				 struct ss_err *err) SS_MUST_CHECK;

/* Unseals every SealedSecret item in place (see sealed.h), and decrypts
 * every SOPS item (sops.h) through open's sops_key_fn or keyring. */
struct ss_age_open_opts;
int ss_bundle_unseal(struct ss_bundle *b, const struct ss_age_open_opts *open,
		     void (*on_value)(void *ctx, const unsigned char *v, size_t len), void *ctx,
		     struct ss_err *err) SS_MUST_CHECK;

/* SS_E_UNSUPPORTED naming a SOPS-encrypted file that the kustomization at
 * path (text) feeds to a secretGenerator; 0 when there is none. */
int ss_bundle_kustomize_sops(const struct ss_tree *tree, const char *path,
			     const unsigned char *text, size_t len, struct ss_err *err) SS_MUST_CHECK;
/* One SOPS item to its Secret, id from its MAC-covered content (agent/sync/sops.c). */
int ss_bundle_open_sops_item(struct ss_item *it, const struct ss_age_open_opts *open,
			     struct ss_err *err) SS_MUST_CHECK;
/*
 * Validates the whole set (duplicates, collisions with the agent's state),
 * sets the owner label on every object and sorts items by rank (stable).
 */
int ss_bundle_plan(struct ss_bundle *b, const struct ss_plan_opts *o, struct ss_err *err) SS_MUST_CHECK;

/* Apply rank of a kind (Flux's order: CRDs, Namespaces, ... webhooks last). */
int ss_kind_rank(const char *kind);
/* The built-in scope of well-known kinds: 1 namespaced, 0 cluster, -1 unknown. */
int ss_kind_namespaced_builtin(const char *kind);

/* Owner label value "<agent>.<unit>" into buf. */
void ss_owner_value(const char *agent, const char *unit, char *buf, size_t len);

#endif
