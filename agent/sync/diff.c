/* diff.c: one unit's objects, live against the server's dry-run (diff.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sealsync/bundle.h"
#include "sealsync/emit.h"
#include "sealsync/file.h"
#include "sealsync/inventory.h"
#include "sealsync/kube.h"
#include "sealsync/log.h"
#include "sealsync/udiff.h"

#include "diff_int.h"

#define DIFF_CONTEXT 3

/* What the server sets, as kubectl diff leaves out (and status, which a
 * sync never writes). */
static void strip_server_fields(json_t *obj)
{
	static const char *const meta[] = {"managedFields", "resourceVersion", "uid",
					   "creationTimestamp", "generation", "selfLink"};
	json_t *m = json_object_get(obj, "metadata");
	size_t i;

	for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
		json_object_del(m, meta[i]);
	json_object_del(obj, "status");
	if (json_object_size(json_object_get(m, "annotations")) == 0)
		json_object_del(m, "annotations");
}

static const char *str_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	return json_string_value(b != NULL ? json_object_get(v, b) : v);
}

/* "v1.ConfigMap.shop.web", "apps.v1.Deployment.shop.web" (kubectl's
 * names), "v1.Namespace.shop" for a cluster-scoped object. */
static void object_file_name(const json_t *obj, char *buf, size_t len)
{
	const char *av = str_at(obj, "apiVersion", NULL), *kind = str_at(obj, "kind", NULL);
	const char *ns = str_at(obj, "metadata", "namespace"), *name = str_at(obj, "metadata", "name");
	size_t i;

	snprintf(buf, len, "%s.%s.%s%s%s", av ? av : "", kind ? kind : "", ns ? ns : "",
		 ns ? "." : "", name ? name : "");
	for (i = 0; buf[i] != '\0' && av != NULL && i < strlen(av); i++)
		if (buf[i] == '/')
			buf[i] = '.';
}

/* "v1 Secret shop/db", for the per-key lines. */
static void object_desc(const json_t *obj, char *buf, size_t len)
{
	const char *ns = str_at(obj, "metadata", "namespace");

	snprintf(buf, len, "%s %s %s%s%s", str_at(obj, "apiVersion", NULL),
		 str_at(obj, "kind", NULL), ns ? ns : "", ns ? "/" : "",
		 str_at(obj, "metadata", "name"));
}

static int emit_side(const json_t *obj, struct ss_buf *text, struct ss_err *err)
{
	return obj == NULL ? 0 : ss_emit_yaml(obj, text, err);
}

/* Strips, masks, writes both sides as YAML and diffs them into body. */
static int object_body(const char *unit, const char *const *sides, json_t *live, json_t *next,
		       struct ss_buf *keys, struct ss_buf *body, int *changed)
{
	const json_t *any = live != NULL ? live : next;
	char file[1200], desc[1200], la[1300], lb[1300];
	struct ss_buf ta, tb;
	int rc = 0;

	object_file_name(any, file, sizeof(file));
	object_desc(any, desc, sizeof(desc));
	strip_server_fields(live);
	strip_server_fields(next);
	if (diff_secret_is(any))
		rc = diff_secret_mask(desc, live, next, keys);
	ss_buf_init(&ta, DIFF_MAX);
	ss_buf_init(&tb, DIFF_MAX);
	if (rc == 0)
		rc = emit_side(live, &ta, NULL);
	if (rc == 0)
		rc = emit_side(next, &tb, NULL);
	snprintf(la, sizeof(la), "%s/%s/%s", sides[0], unit, file);
	snprintf(lb, sizeof(lb), "%s/%s/%s", sides[1], unit, file);
	if (rc == 0)
		rc = ss_buf_printf(body, "diff -u -N %s %s\n", la, lb);
	if (rc == 0)
		rc = ss_udiff(ss_buf_str(&ta), ta.len, ss_buf_str(&tb), tb.len, la, lb, DIFF_CONTEXT,
			      body, changed);
	ss_buf_release(&ta);
	ss_buf_release(&tb);
	return rc;
}

int diff_put_object(const char *unit, const char *const *sides, json_t *live, json_t *next,
		    const char *note, const struct ss_buf *extra, struct ss_buf *out, int *changed)
{
	static const char *const cluster[2] = {"live", "merged"};
	struct ss_buf keys, body;
	int rc;

	*changed = 0;
	ss_buf_init(&keys, DIFF_MAX);
	ss_buf_init(&body, DIFF_MAX);
	rc = object_body(unit, sides != NULL ? sides : cluster, live, next, &keys, &body, changed);
	if (rc == 0 && *changed && note != NULL)
		rc = ss_buf_printf(out, "# %s\n", note);
	if (rc == 0 && *changed)
		rc = ss_buf_append(out, body.data, body.len);
	if (rc == 0 && *changed)
		rc = ss_buf_append(out, keys.data, keys.len);
	if (rc == 0 && *changed && extra != NULL)
		rc = ss_buf_append(out, extra->data, extra->len);
	ss_buf_release(&keys);
	ss_buf_release(&body);
	return rc;
}

static void api_version_of(const struct ss_item *it, char *buf, size_t len)
{
	if (it->id.group[0] != '\0')
		snprintf(buf, len, "%s/%s", it->id.group, it->id.version);
	else
		snprintf(buf, len, "%s", it->id.version);
}

/* dst with src laid over it: mappings merge key by key, anything else
 * (lists included) is replaced. Depth is bounded by the YAML loader's. */
static int overlay(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *v, *d;

	json_object_foreach((json_t *)src, key, v) {
		d = json_object_get(dst, key);
		if (json_is_object(d) && json_is_object(v)) {
			if (overlay(d, v) != 0)
				return SS_E_NOMEM;
		} else if (json_object_set_new(dst, key, json_deep_copy(v)) != 0) {
			return SS_E_NOMEM;
		}
	}
	return 0;
}

/* What may stand in for the server's answer: the object as in Git (new),
 * or laid over the live one (no dry-run allowed). */
static int stand_in(const struct ss_item *it, const json_t *live, json_t **next,
		    struct ss_err *err)
{
	json_t *obj = ss_item_obj(it);

	ss_err_clear(err);
	*next = obj == NULL ? NULL : json_deep_copy(live != NULL ? live : obj);
	if (*next == NULL || (live != NULL && overlay(*next, obj) != 0))
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return 0;
}

/*
 * The server's view of what the sync would send. An object whose
 * Namespace or CRD is itself new cannot be dry-run yet (404): it is shown
 * as in Git, which the note says. Under approximate_forbidden a 403 gets
 * the Git object laid over the live one: no defaults, no list merges, no
 * removed fields, and the note says that too.
 */
static int dry_run(struct ss_kube *k, const struct ss_diff_opts *o, const struct ss_item *it,
		   const json_t *live, json_t **next, const char **note, struct ss_err *err)
{
	int rc = ss_item_thaw(it, err);

	if (rc == 0)
		rc = ss_kube_apply(k, it->obj, 1, next, err);

	if (rc == SS_E_NOTFOUND && live == NULL) {
		*note = "new, in a Namespace or of a kind that the sync creates first: shown as "
			"in Git, without the server's defaults";
		return stand_in(it, NULL, next, err);
	}
	if (rc == SS_E_PERM && o->approximate_forbidden) {
		*note = "approximated: this kubeconfig may not dry-run it (403), so the object in "
			"Git is laid over the live one, without the server's defaults, list merges "
			"or removals";
		return stand_in(it, live, next, err);
	}
	return rc;
}

static int diff_item(struct ss_kube *k, const struct ss_diff_opts *o, const struct ss_item *it,
		     struct ss_buf *out, struct ss_diff_stats *st, struct ss_err *err)
{
	char av[400];
	const char *note = NULL;
	json_t *live = NULL, *next = NULL;
	int rc, changed = 0;

	api_version_of(it, av, sizeof(av));
	rc = ss_kube_get(k, av, it->id.kind, it->namespaced ? it->id.ns : NULL, it->id.name,
			 &live, err);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		rc = 0;
	}
	if (rc == 0)
		rc = dry_run(k, o, it, live, &next, &note, err);
	if (rc == 0)
		rc = diff_put_object(o->unit_name, NULL, live, next, note, NULL, out, &changed);
	if (rc != 0)
		ss_origin_err(err, &it->origin, NULL, NULL);
	else
		diff_count(st, changed, live != NULL);
	json_decref(live);
	json_decref(next);
	return rc;
}

/* 1 when the sync's prune would delete the live object (prune.c decides
 * the same): our owner label, and not annotated prune: disabled. */
static int prunable(const json_t *live, const char *owner)
{
	const char *have = json_string_value(json_object_get(
		json_object_get(json_object_get(live, "metadata"), "labels"), SS_LABEL_OWNER));
	const char *mode = json_string_value(json_object_get(
		json_object_get(json_object_get(live, "metadata"), "annotations"), SS_ANNOT_PRUNE));

	return have != NULL && strcmp(have, owner) == 0 &&
	       (mode == NULL || strcmp(mode, "disabled") != 0);
}

static int cluster_kind(const struct ss_inv_ref *r)
{
	return strcmp(r->kind, "Namespace") == 0 || strcmp(r->kind, "CustomResourceDefinition") == 0;
}

static int diff_prune_one(struct ss_kube *k, const struct ss_diff_opts *o,
			  const struct ss_inv_ref *r, const char *owner, struct ss_buf *out,
			  struct ss_diff_stats *st, struct ss_err *err)
{
	char note[1200];
	json_t *live = NULL;
	int rc, changed = 0;

	if (cluster_kind(r) && !o->prune_cluster)
		return 0;
	rc = ss_kube_get(k, r->api_version, r->kind, r->ns[0] ? r->ns : NULL, r->name, &live, err);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		return 0;
	}
	if (rc == 0 && prunable(live, owner)) {
		snprintf(note, sizeof(note), "to be pruned: %s %s %s%s%s (no longer in Git)",
			 r->api_version, r->kind, r->ns, r->ns[0] ? "/" : "", r->name);
		rc = diff_put_object(o->unit_name, NULL, live, NULL, note, NULL, out, &changed);
		st->pruned += changed;
	}
	json_decref(live);
	return rc;
}

static int refuse_empty(const struct ss_diff_opts *o, size_t n, const struct ss_inv_list *known,
			struct ss_err *err)
{
	if (n > 0 || !o->prune || o->allow_empty || known->n == 0)
		return 0;
	return ss_err_set(err, SS_E_INVAL,
			  "unit %s has no objects left in Git; the sync would refuse to prune all "
			  "%zu of its objects (set allowEmpty on the unit to allow it)",
			  o->unit_name, known->n);
}

/* What the sync would prune: (inventory objects ∪ pending) − current,
 * in the sync's (reverse) order. */
static int diff_prunes(struct ss_kube *k, const struct ss_diff_opts *o,
		       const struct ss_inv_list *cur, struct ss_buf *out,
		       struct ss_diff_stats *st, struct ss_err *err)
{
	struct ss_inventory inv;
	struct ss_inv_list known = {0};
	char owner[256];
	size_t i;
	int rc;

	ss_inventory_init(&inv);
	ss_owner_value(o->agent_name, o->unit_name, owner, sizeof(owner));
	rc = ss_inventory_load(k, o->agent_ns, o->agent_name, o->unit_name, &inv, err);
	if (rc == 0 && (rc = ss_inv_list_union(&known, &inv.objects, &inv.pending)) != 0)
		rc = ss_err_set(err, rc, "inventory too large");
	if (rc == 0)
		rc = refuse_empty(o, cur->n, &known, err);
	for (i = known.n; rc == 0 && o->prune && i-- > 0;)
		if (!ss_inv_list_contains(cur, &known.refs[i]))
			rc = diff_prune_one(k, o, &known.refs[i], owner, out, st, err);
	ss_inv_list_release(&known);
	ss_inventory_release(&inv);
	return rc;
}

static int fatal(int rc)
{
	return rc == SS_E_NOMEM || rc == SS_E_LIMIT;
}

/* An object the server rejects is logged and counted; the rest still run. */
static int diff_items(struct ss_kube *k, const struct ss_diff_opts *o, struct ss_bundle *b,
		      struct ss_buf *out, struct ss_diff_stats *st, struct ss_err *err)
{
	struct ss_err ierr;
	size_t i;
	int rc, first = 0;

	for (i = 0; i < b->n; i++) {
		ss_err_clear(&ierr);
		rc = diff_item(k, o, &b->items[i], out, st, &ierr);
		if (rc == 0)
			continue;
		if (fatal(rc)) {
			*err = ierr;
			return rc;
		}
		st->failed++;
		ss_log_err(SS_LOG_ERROR, "diff: the server rejects an object", &ierr, "unit",
			   o->unit_name, NULL);
		if (first == 0) {
			first = rc;
			*err = ierr;
		}
	}
	return first;
}

int ss_diff_unit(struct ss_kube *k, const struct ss_diff_opts *o, struct ss_bundle *b,
		 const struct ss_inv_list *cur, struct ss_buf *out, struct ss_diff_stats *st,
		 struct ss_err *err)
{
	struct ss_inv_list all = {0}, mine = {0}, none = {0};
	struct ss_err perr;
	int rc, prc;

	ss_err_clear(&perr);
	rc = ss_inv_list_from_bundle(&mine, b);
	if (rc == 0)
		rc = ss_inv_list_union(&all, &mine, cur != NULL ? cur : &none);
	if (rc != 0) {
		rc = ss_err_set(err, rc, "inventory too large");
		goto out;
	}
	rc = diff_items(k, o, b, out, st, err);
	if (fatal(rc))
		goto out;
	/* The prune list is worth printing even after a rejected object. */
	prc = diff_prunes(k, o, &all, out, st, rc == 0 ? err : &perr);
	if (rc == 0)
		rc = prc;
out:
	ss_inv_list_release(&all);
	ss_inv_list_release(&mine);
	return rc;
}

int diff_flush(struct ss_buf *out, struct ss_err *err)
{
	int rc = 0;

	if (out->len > 0 && ss_fd_write_all(STDOUT_FILENO, out->data, out->len) != 0)
		rc = ss_err_set(err, SS_E_IO, "cannot write to stdout");
	ss_buf_reset(out);
	return rc;
}

void diff_count(struct ss_diff_stats *st, int changed, int existed)
{
	if (!changed)
		st->unchanged++;
	else if (existed)
		st->changed++;
	else
		st->added++;
}

void diff_log_unit(const char *unit, const struct ss_diff_stats *st, const char *revision)
{
	char c[32], a[32], p[32], u[32], f[32];

	snprintf(c, sizeof(c), "%zu", st->changed);
	snprintf(a, sizeof(a), "%zu", st->added);
	snprintf(p, sizeof(p), "%zu", st->pruned);
	snprintf(u, sizeof(u), "%zu", st->unchanged);
	snprintf(f, sizeof(f), "%zu", st->failed);
	ss_log(SS_LOG_INFO, "unit diffed", "unit", unit, "revision", revision, "changed", c,
	       "added", a, "pruned", p, "unchanged", u, "failed", f, NULL);
}
