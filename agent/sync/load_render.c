/*
 * load_render.c: a unit whose folder holds a kustomization is loaded from
 * what `kustomize build` prints (renderer.h), not from its files. The
 * output is cached per unit, keyed on the Git object ids of everything
 * below the folders the kustomization graph reached: a commit that
 * changes nothing there costs no render.
 *
 * What kustomize prints is Git content transformed: SealedSecrets come out
 * still sealed, and unseal checks their scope against the namespace and
 * name the build gave them (bundle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/bundle.h"
#include "sealsync/config.h"
#include "sealsync/log.h"
#include "sealsync/renderer.h"
#include "sealsync/source.h"

struct render_slot {
	unsigned char key[crypto_hash_sha256_BYTES];
	unsigned char *out;
	size_t len;
	int rendered; /* the last load of the unit came from a renderer */
};

struct ss_render_cache {
	struct ss_renderer_opts ro;
	char *tmp_dir;
	char *kustomize;
	struct render_slot units[SS_CONFIG_MAX_UNITS];
};

int ss_render_cache_open(const struct ss_config *c, struct ss_render_cache **out,
			 struct ss_err *err)
{
	struct ss_render_cache *rc = calloc(1, sizeof(*rc));
	size_t n = strlen(c->cache_dir) + 16;

	*out = NULL;
	if (rc == NULL || (rc->tmp_dir = malloc(n)) == NULL) {
		free(rc);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	snprintf(rc->tmp_dir, n, "%s/render", c->cache_dir);
	if (c->render_kustomize != NULL)
		rc->kustomize = strdup(c->render_kustomize);
	else if (ss_renderer_find_tool("kustomize", &rc->kustomize) != 0)
		rc->kustomize = NULL; /* a kustomize unit then says how to set it */
	rc->ro.tmp_dir = rc->tmp_dir;
	rc->ro.server = c->render_socket;
	rc->ro.timeout_sec = c->render_timeout_sec;
	rc->ro.memory_mib = c->render_memory_mib;
	rc->ro.no_sandbox = c->no_sandbox;
	*out = rc;
	return 0;
}

void ss_render_cache_free(struct ss_render_cache *rc)
{
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < SS_CONFIG_MAX_UNITS; i++)
		free(rc->units[i].out);
	free(rc->tmp_dir);
	free(rc->kustomize);
	free(rc);
}

int ss_render_cache_is_rendered(const struct ss_render_cache *rc, size_t i)
{
	return rc != NULL && i < SS_CONFIG_MAX_UNITS && rc->units[i].rendered;
}

const unsigned char *ss_render_cache_get(struct ss_render_cache *rc, size_t i,
					 const unsigned char key[SS_RENDER_KEY_BYTES], size_t *len)
{
	struct render_slot *slot;

	if (rc == NULL || i >= SS_CONFIG_MAX_UNITS)
		return NULL;
	slot = &rc->units[i];
	if (slot->out == NULL || sodium_memcmp(key, slot->key, sizeof(slot->key)) != 0)
		return NULL;
	*len = slot->len;
	return slot->out;
}

void ss_render_cache_put(struct ss_render_cache *rc, size_t i,
			 const unsigned char key[SS_RENDER_KEY_BYTES], unsigned char *out, size_t len)
{
	struct render_slot *slot;

	if (rc == NULL || i >= SS_CONFIG_MAX_UNITS) {
		free(out);
		return;
	}
	slot = &rc->units[i];
	free(slot->out);
	slot->out = out;
	slot->len = len;
	memcpy(slot->key, key, sizeof(slot->key));
}

/* The tree's entries as the renderer takes them (borrowed pointers). */
static int tree_files(const struct ss_tree *t, struct ss_renderer_file **out, size_t *n)
{
	size_t i;

	*n = ss_tree_count(t);
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (*out == NULL)
		return SS_E_NOMEM;
	for (i = 0; i < *n; i++) {
		(*out)[i].path = ss_tree_path(t, i);
		(*out)[i].data = ss_tree_data(t, i, &(*out)[i].len);
		(*out)[i].symlink = ss_tree_is_symlink(t, i);
	}
	return 0;
}

static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return n == 0 || (strncmp(path, dir, n) == 0 && path[n] == '/');
}

/* sha256 over (path, object id, kind) below the scanned folders, and the
 * tool: what the render read, so the key changes exactly when it would. */
static void input_key(const struct ss_tree *t, const struct ss_kustomize_scan *s,
		      const char *tool, unsigned char key[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state st;
	size_t i, j;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)tool, strlen(tool) + 1);
	for (i = 0; i < ss_tree_count(t); i++)
		for (j = 0; j < s->n; j++) {
			const char *p = ss_tree_path(t, i);

			if (!under_dir(p, s->dirs[j]))
				continue;
			crypto_hash_sha256_update(&st, (const unsigned char *)p, strlen(p) + 1);
			crypto_hash_sha256_update(&st, (const unsigned char *)ss_tree_oid(t, i), 41);
			crypto_hash_sha256_update(&st, ss_tree_is_symlink(t, i) ? (const unsigned char *)"l"
										: (const unsigned char *)"f", 1);
			break;
		}
	crypto_hash_sha256_final(&st, key);
}

/* Flux decrypts SOPS files for kustomize; we refuse them (sops_kustomize.c)
 * in every kustomization the unit reaches. */
static int sops_check(const struct ss_tree *t, const struct ss_kustomize_scan *s,
		      struct ss_err *err)
{
	const unsigned char *d;
	size_t i, j, len;
	int rc;

	for (j = 0; j < s->n; j++)
		for (i = 0; i < ss_tree_count(t); i++) {
			if (strcmp(ss_tree_path(t, i), s->files[j]) != 0)
				continue;
			d = ss_tree_data(t, i, &len);
			if ((rc = ss_bundle_kustomize_sops(t, s->files[j], d, len, err)) != 0)
				return rc;
		}
	return 0;
}

/* Renders (or takes from the cache) unit i's kustomize output. */
static int kustomize_output(struct ss_render_cache *rc, size_t i, const char *unit,
			    const struct ss_tree *whole, const struct ss_renderer_file *files,
			    size_t n, const struct ss_kustomize_scan *s, struct ss_err *err)
{
	struct render_slot *slot = &rc->units[i];
	unsigned char key[crypto_hash_sha256_BYTES], *out = NULL;
	char bytes[32];
	size_t len = 0;
	int r;

	input_key(whole, s, rc->kustomize != NULL ? rc->kustomize : "", key);
	if (slot->out != NULL && sodium_memcmp(key, slot->key, sizeof(key)) == 0) {
		ss_log(SS_LOG_DEBUG, "render skipped: what it reads is unchanged", "unit", unit, NULL);
		return 0;
	}
	rc->ro.unit = unit;
	r = ss_kustomize_build(&rc->ro, rc->kustomize, files, n, s, &out, &len, err);
	if (r != 0)
		return r;
	free(slot->out);
	slot->out = out;
	slot->len = len;
	memcpy(slot->key, key, sizeof(key));
	snprintf(bytes, sizeof(bytes), "%zu", len);
	ss_log(SS_LOG_INFO, "unit rendered", "unit", unit, "tool", "kustomize", "folder",
	       s->dirs[0][0] != '\0' ? s->dirs[0] : ".", "bytes", bytes, NULL);
	return 0;
}

static int load_kustomize(struct ss_bundle *b, struct ss_render_cache *rc, size_t i,
			  const struct ss_unit_config *u, const struct ss_tree *whole,
			  struct ss_err *err)
{
	struct ss_renderer_file *files = NULL;
	struct ss_kustomize_scan s;
	char origin[1100];
	size_t n = 0;
	int r;

	memset(&s, 0, sizeof(s));
	if (tree_files(whole, &files, &n) != 0)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	r = ss_kustomize_scan(files, n, u->path, &s, err);
	if (r == 0)
		r = sops_check(whole, &s, err);
	if (r == 0)
		r = kustomize_output(rc, i, u->name, whole, files, n, &s, err);
	if (r == 0) {
		snprintf(origin, sizeof(origin), "%s (kustomize build)",
			 s.dirs[0][0] != '\0' ? s.dirs[0] : ".");
		r = ss_bundle_load_text(b, origin, rc->units[i].out, rc->units[i].len, err);
	}
	ss_kustomize_scan_release(&s);
	free(files);
	return r;
}

/* The unit's folder has a kustomization file at its top. */
static int is_kustomize_unit(const struct ss_tree *t, const char *path)
{
	struct ss_renderer_file *files = NULL;
	char buf[1100], dir[1024];
	const char *p = path;
	size_t n = 0, l;
	int yes;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	l = strlen(p);
	while (l > 0 && p[l - 1] == '/')
		l--;
	snprintf(dir, sizeof(dir), "%.*s", (int)l, strcmp(p, ".") == 0 ? "" : p);
	if (tree_files(t, &files, &n) != 0)
		return 0;
	yes = ss_kustomize_file_in(files, n, dir, buf, sizeof(buf)) != NULL;
	free(files);
	return yes;
}

int ss_bundle_load_unit(struct ss_bundle *b, struct ss_render_cache *rc, size_t i,
			const struct ss_unit_config *u, struct ss_source *src, const char *commit,
			const struct ss_tree *unit_tree, struct ss_err *err)
{
	static const char *const whole_repo[1] = {""};
	struct ss_tree *whole = NULL;
	int r;

	if (rc == NULL || i >= SS_CONFIG_MAX_UNITS || !is_kustomize_unit(unit_tree, u->path)) {
		if (rc != NULL && i < SS_CONFIG_MAX_UNITS)
			rc->units[i].rendered = 0;
		return ss_bundle_load_tree(b, unit_tree, u->path, err);
	}
	rc->units[i].rendered = 1;
	/* bases and components may live anywhere in the repository */
	r = ss_source_read_tree(src, commit, whole_repo, 1, &whole, err);
	if (r == 0)
		r = load_kustomize(b, rc, i, u, whole, err);
	ss_tree_free(whole);
	return r;
}

void ss_bundle_warn_plain_secrets(const struct ss_bundle *b, const struct ss_unit_config *u)
{
	char id[600];
	size_t i;

	if (u->allow_plain_secrets)
		return;
	for (i = 0; i < b->n; i++) {
		const struct ss_item *it = &b->items[i];

		if (it->sealed || it->sops || strcmp(it->id.kind, "Secret") != 0 ||
		    it->id.group[0] != '\0')
			continue;
		snprintf(id, sizeof(id), "%s/%s", it->id.ns, it->id.name);
		ss_log(SS_LOG_WARN,
		       "a plain Secret in the unit: its values are in Git unencrypted; seal it with sealctl, or set allowPlainSecrets: true on the unit",
		       "unit", u->name, "secret", id, "file", it->origin.file, NULL);
	}
}
