/*
 * kustomize_scan.c: the kustomization graph of a unit, walked before
 * kustomize runs (renderer.h, docs/REPOSITORIES.md).
 *
 * kustomize fetches http(s) and git URLs itself, and tries any reference
 * that is not a local path as a remote one; it has no flag to refuse them.
 * So every reference in every kustomization the unit reaches (resources,
 * bases, components, patches, generators' files, crds, configurations,
 * openapi, replacements, transformers/generators/validators) must name a
 * file or folder of the repository, or the unit is refused naming the
 * kustomization file and field. Helm charts and plugins are refused: only
 * kustomize's built-in transformers run. The seccomp filter's socket
 * refusal is the second layer, should this walk miss a field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"
#include "sealsync/yaml.h"

#define KS_MAX_DEPTH 32

struct kscan {
	const struct ss_renderer_file *files;
	size_t nfiles;
	struct ss_kustomize_scan *out;
	struct ss_err *err;
};

struct kdoc {
	const char *file;           /* the kustomization file */
	const char *dir;            /* its folder ("" the root) */
	const struct ss_docset *ds;
	int depth;
};

static const char *const kfile_names[] = {"kustomization.yaml", "kustomization.yml",
					  "Kustomization"};

const char *ss_kustomize_file_in(const struct ss_renderer_file *files, size_t n,
				 const char *dir, char *buf, size_t len)
{
	size_t i, j;

	for (j = 0; j < 3; j++) {
		snprintf(buf, len, "%s%s%s", dir, dir[0] != '\0' ? "/" : "", kfile_names[j]);
		for (i = 0; i < n; i++)
			if (!files[i].symlink && strcmp(files[i].path, buf) == 0)
				return buf;
	}
	return NULL;
}

void ss_kustomize_scan_release(struct ss_kustomize_scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->dirs[i]);
		free(s->files[i]);
	}
	memset(s, 0, sizeof(*s));
}

/* kdoc's error location: the kustomization file, the field's line. */
static int kfail(struct kscan *k, const struct kdoc *d, const char *field, int code,
		 const char *why, const char *ref)
{
	char shown[160];
	const char *at = strstr(ref, "://"), *user = at != NULL ? strchr(at + 3, '@') : NULL;

	/* a URL's userinfo may hold a token: never repeat it */
	if (user != NULL && (strchr(at + 3, '/') == NULL || user < strchr(at + 3, '/')))
		snprintf(shown, sizeof(shown), "%.*s***%.100s", (int)(at + 3 - ref), ref, user);
	else
		snprintf(shown, sizeof(shown), "%.150s", ref);
	ss_err_at(k->err, d->file, ss_docset_field_line(d->ds, 0, field), 0);
	ss_err_field(k->err, field, NULL);
	return ss_err_set(k->err, code, "%s: \"%s\"", why, shown);
}

/* Unmistakably remote: a URL, scp-like git, go-getter, a ?ref= query. */
static int remote_marked(const char *s)
{
	return strstr(s, "://") != NULL || strncmp(s, "git@", 4) == 0 ||
	       strstr(s, "git::") != NULL || strchr(s, '?') != NULL || strstr(s, "//") != NULL;
}

/* "github.com/o/r": a first component that looks like a host name. */
static int host_like(const char *s)
{
	size_t n = strcspn(s, "/");
	const char *dot = memchr(s, '.', n);

	return s[n] == '/' && dot != NULL && dot != s && dot[1] != '.' && dot + 1 < s + n;
}

/* dir + "/" + rel with "." and ".." resolved; -1 when it climbs out of
 * the repository or does not fit. */
static int path_join(const char *dir, const char *rel, char *out, size_t len)
{
	char tmp[2048];
	size_t o = 0;
	const char *s;

	if (snprintf(tmp, sizeof(tmp), "%s/%s", dir, rel) >= (int)sizeof(tmp))
		return -1;
	out[0] = '\0';
	for (s = tmp; *s != '\0';) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (o == 0)
				return -1;
			while (o > 0 && out[o - 1] != '/')
				o--;
			o = o > 0 ? o - 1 : 0;
		} else if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (o + n + 2 > len)
				return -1;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		out[o] = '\0';
		s += n + (s[n] == '/');
	}
	return 0;
}

enum kind { K_NONE, K_FILE, K_DIR };

static enum kind path_kind(const struct kscan *k, const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0)
		return K_DIR;
	for (i = 0; i < k->nfiles; i++) {
		const char *f = k->files[i].path;

		if (strncmp(f, p, n) != 0)
			continue;
		if (f[n] == '\0')
			return K_FILE;
		if (f[n] == '/')
			return K_DIR;
	}
	return K_NONE;
}

/* A reference of d's field: must be a local file or folder; its resolved
 * path goes to out and its kind is returned (> 0), or an error (< 0). */
static int resolve(struct kscan *k, const struct kdoc *d, const char *field, const char *ref,
		   char *out, size_t len)
{
	enum kind kd;

	if (ref[0] == '\0')
		return kfail(k, d, field, SS_E_INVAL, "an empty reference", ref);
	if (remote_marked(ref))
		return kfail(k, d, field, SS_E_UNSUPPORTED,
			     "a remote reference is refused (vendor it into the repository)", ref);
	if (ref[0] == '/')
		return kfail(k, d, field, SS_E_UNSUPPORTED, "an absolute path is refused", ref);
	if (path_join(d->dir, ref, out, len) != 0)
		return kfail(k, d, field, SS_E_UNSUPPORTED, "the path leaves the repository", ref);
	kd = path_kind(k, out);
	if (kd != K_NONE)
		return (int)kd;
	if (host_like(ref))
		return kfail(k, d, field, SS_E_UNSUPPORTED,
			     "a remote reference is refused (vendor it into the repository)", ref);
	return kfail(k, d, field, SS_E_NOTFOUND,
		     "not a file or folder of the repository (kustomize would try it as a remote URL, which is refused)",
		     ref);
}

static int scan_dir(struct kscan *k, const struct kdoc *from, const char *field, const char *dir,
		    int depth);

/* kustomize's built-in transformers and generators (api/builtins); any
 * other kind is a plugin, which needs --enable-alpha-plugins or runs a
 * program or container: refused. */
static int builtin_kind(const char *kind)
{
	static const char *const names[] = {
		"AnnotationsTransformer", "ConfigMapGenerator", "HashTransformer",
		"ImageTagTransformer", "LabelTransformer", "NamespaceTransformer",
		"PatchJson6902Transformer", "PatchStrategicMergeTransformer", "PatchTransformer",
		"PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer",
		"ReplacementTransformer", "ReplicaCountTransformer", "SecretGenerator",
		"SortOrderTransformer", "ValueAddTransformer"};
	size_t i;

	for (i = 0; kind != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(kind, names[i]) == 0)
			return 1;
	return 0;
}

static int plugin_doc(struct kscan *k, const struct kdoc *d, const char *field, const json_t *obj)
{
	const json_t *an = json_object_get(json_object_get(obj, "metadata"), "annotations");
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (json_object_get(an, "config.kubernetes.io/function") != NULL ||
	    json_object_get(an, "config.k8s.io/function") != NULL)
		return kfail(k, d, field, SS_E_UNSUPPORTED,
			     "a KRM function (exec or container plugin) is refused", kind ? kind : "");
	if (!builtin_kind(kind))
		return kfail(k, d, field, SS_E_UNSUPPORTED,
			     "a kustomize plugin is refused; only built-in transformers run",
			     kind ? kind : "(no kind)");
	return 0;
}

/* Every document of a transformer file (or inline text) is a built-in. */
static int plugin_text(struct kscan *k, const struct kdoc *d, const char *field, const char *name,
		       const unsigned char *text, size_t len)
{
	struct ss_docset *ds = NULL;
	size_t i;
	int rc = ss_yaml_load(name, text, len, NULL, &ds, k->err);

	for (i = 0; rc == 0 && i < ss_docset_count(ds); i++)
		rc = plugin_doc(k, d, field, ss_docset_get(ds, i));
	ss_docset_free(ds);
	return rc;
}

static const struct ss_renderer_file *file_get(const struct kscan *k, const char *path)
{
	size_t i;

	for (i = 0; i < k->nfiles; i++)
		if (strcmp(k->files[i].path, path) == 0)
			return &k->files[i];
	return NULL;
}

/* transformers / generators / validators: a folder (a kustomization), a
 * file of built-in configs, or inline YAML. */
static int scan_plugin_entry(struct kscan *k, const struct kdoc *d, const char *field,
			     const char *v)
{
	const struct ss_renderer_file *f;
	char p[1024];
	int kd;

	if (strchr(v, '\n') != NULL)
		return plugin_text(k, d, field, d->file, (const unsigned char *)v, strlen(v));
	kd = resolve(k, d, field, v, p, sizeof(p));
	if (kd < 0)
		return kd;
	if (kd == K_DIR)
		return scan_dir(k, d, field, p, d->depth + 1);
	f = file_get(k, p);
	if (f == NULL || f->symlink)
		return kfail(k, d, field, SS_E_UNSUPPORTED, "not a regular file", v);
	return plugin_text(k, d, field, f->path, f->data, f->len);
}

enum entry_rule {
	R_PATH,    /* a local file or folder */
	R_KUST,    /* a file, or a folder that is a kustomization: walked */
	R_INLINE,  /* a path, or inline YAML (patchesStrategicMerge) */
	R_PLUGIN,  /* transformers, generators, validators */
};

static int scan_entry(struct kscan *k, const struct kdoc *d, const char *field, const char *v,
		      enum entry_rule rule)
{
	char p[1024];
	int kd;

	if (rule == R_PLUGIN)
		return scan_plugin_entry(k, d, field, v);
	if (rule == R_INLINE && strchr(v, '\n') != NULL)
		return 0;
	kd = resolve(k, d, field, v, p, sizeof(p));
	if (kd < 0)
		return kd;
	if (rule == R_KUST && kd == K_DIR)
		return scan_dir(k, d, field, p, d->depth + 1);
	return 0;
}

/* A list of strings under name, each checked by rule. */
static int scan_strings(struct kscan *k, const struct kdoc *d, const json_t *doc,
			const char *name, enum entry_rule rule)
{
	const json_t *list = json_object_get(doc, name), *v;
	char field[128];
	size_t i;
	int rc;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return kfail(k, d, name, SS_E_INVAL, "expected a list", name);
	json_array_foreach(list, i, v) {
		snprintf(field, sizeof(field), "%s[%zu]", name, i);
		if (!json_is_string(v) && rule == R_PLUGIN && json_is_object(v))
			rc = plugin_doc(k, d, field, v);
		else if (!json_is_string(v))
			rc = kfail(k, d, field, SS_E_INVAL, "expected a path", name);
		else
			rc = scan_entry(k, d, field, json_string_value(v), rule);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A list of mappings whose "path" (when present) is a local file. */
static int scan_paths(struct kscan *k, const struct kdoc *d, const json_t *doc, const char *name)
{
	const json_t *list = json_object_get(doc, name), *v, *p;
	char field[128];
	size_t i;
	int rc;

	json_array_foreach(list, i, v) {
		p = json_object_get(v, "path");
		if (p == NULL)
			continue;
		snprintf(field, sizeof(field), "%s[%zu].path", name, i);
		if (!json_is_string(p))
			return kfail(k, d, field, SS_E_INVAL, "expected a path", name);
		if ((rc = scan_entry(k, d, field, json_string_value(p), R_PATH)) != 0)
			return rc;
	}
	return 0;
}

static int scan_gen_list(struct kscan *k, const struct kdoc *d, const json_t *gen,
			 const char *name, size_t gi, const char *list)
{
	const json_t *v;
	char field[160];
	size_t i;
	int rc;

	json_array_foreach(json_object_get(gen, list), i, v) {
		const char *s = json_string_value(v), *eq;

		snprintf(field, sizeof(field), "%s[%zu].%s[%zu]", name, gi, list, i);
		if (s == NULL)
			return kfail(k, d, field, SS_E_INVAL, "expected a path", list);
		eq = strchr(s, '=');
		if ((rc = scan_entry(k, d, field, eq != NULL ? eq + 1 : s, R_PATH)) != 0)
			return rc;
	}
	return 0;
}

/* configMapGenerator / secretGenerator: files ([key=]path), envs, env. */
static int scan_generators(struct kscan *k, const struct kdoc *d, const json_t *doc,
			   const char *name)
{
	const json_t *gen, *env;
	char field[160];
	size_t i;
	int rc;

	json_array_foreach(json_object_get(doc, name), i, gen) {
		if ((rc = scan_gen_list(k, d, gen, name, i, "files")) != 0 ||
		    (rc = scan_gen_list(k, d, gen, name, i, "envs")) != 0)
			return rc;
		env = json_object_get(gen, "env");
		snprintf(field, sizeof(field), "%s[%zu].env", name, i);
		if (json_is_string(env) &&
		    (rc = scan_entry(k, d, field, json_string_value(env), R_PATH)) != 0)
			return rc;
	}
	return 0;
}

static int scan_refused(struct kscan *k, const struct kdoc *d, const json_t *doc)
{
	static const char *const helm[] = {"helmCharts", "helmGlobals",
					   "helmChartInflationGenerator"};
	size_t i;

	for (i = 0; i < 3; i++)
		if (json_object_get(doc, helm[i]) != NULL)
			return kfail(k, d, helm[i], SS_E_UNSUPPORTED,
				     "Helm charts inside a kustomization are refused (kustomize would need --enable-helm); render the chart as a helm unit",
				     helm[i]);
	return 0;
}

static int scan_doc(struct kscan *k, const struct kdoc *d, const json_t *doc)
{
	static const struct {
		const char *name;
		enum entry_rule rule;
	} lists[] = {{"resources", R_KUST},       {"bases", R_KUST},
		     {"components", R_KUST},      {"crds", R_PATH},
		     {"configurations", R_PATH},  {"patchesStrategicMerge", R_INLINE},
		     {"transformers", R_PLUGIN},  {"generators", R_PLUGIN},
		     {"validators", R_PLUGIN}};
	static const char *const with_path[] = {"patches", "patchesJson6902", "replacements"};
	const json_t *oa = json_object_get(doc, "openapi");
	size_t i;
	int rc = scan_refused(k, d, doc);

	for (i = 0; rc == 0 && i < sizeof(lists) / sizeof(lists[0]); i++)
		rc = scan_strings(k, d, doc, lists[i].name, lists[i].rule);
	for (i = 0; rc == 0 && i < 3; i++)
		rc = scan_paths(k, d, doc, with_path[i]);
	if (rc == 0)
		rc = scan_generators(k, d, doc, "configMapGenerator");
	if (rc == 0)
		rc = scan_generators(k, d, doc, "secretGenerator");
	if (rc == 0 && json_is_string(json_object_get(oa, "path")))
		rc = scan_entry(k, d, "openapi.path", json_string_value(json_object_get(oa, "path")),
				R_PATH);
	return rc;
}

static int record(struct kscan *k, const char *dir, const char *file)
{
	struct ss_kustomize_scan *s = k->out;

	if (s->n >= SS_KUSTOMIZE_MAX_DIRS)
		return ss_err_set(k->err, SS_E_LIMIT, "more than %d kustomizations in one unit",
				  SS_KUSTOMIZE_MAX_DIRS);
	s->dirs[s->n] = strdup(dir);
	s->files[s->n] = strdup(file);
	if (s->dirs[s->n] == NULL || s->files[s->n] == NULL) {
		free(s->dirs[s->n]);
		free(s->files[s->n]);
		return ss_err_set(k->err, SS_E_NOMEM, "out of memory");
	}
	s->n++;
	return 0;
}

static int visited(const struct kscan *k, const char *dir)
{
	size_t i;

	for (i = 0; i < k->out->n; i++)
		if (strcmp(k->out->dirs[i], dir) == 0)
			return 1;
	return 0;
}

/* Walks the kustomization in dir (reached from `from`'s field). */
static int scan_dir(struct kscan *k, const struct kdoc *from, const char *field, const char *dir,
		    int depth)
{
	const struct ss_renderer_file *f;
	struct ss_docset *ds = NULL;
	struct kdoc d;
	char name[1100];
	int rc;

	if (visited(k, dir))
		return 0;
	if (depth > KS_MAX_DEPTH)
		return kfail(k, from, field, SS_E_LIMIT, "kustomizations nest too deep", dir);
	if (ss_kustomize_file_in(k->files, k->nfiles, dir, name, sizeof(name)) == NULL)
		return from != NULL ? kfail(k, from, field, SS_E_NOTFOUND,
					    "the folder has no kustomization.yaml", dir)
				    : ss_err_set(k->err, SS_E_NOTFOUND, "%s has no kustomization.yaml", dir);
	/* ss_kustomize_file_in found name among k->files, so file_get finds it
	 * too; checked all the same rather than trusting the two to agree. */
	f = file_get(k, name);
	if (f == NULL)
		return ss_err_set(k->err, SS_E_INTERNAL, "%s: not in the unit's files", name);
	if ((rc = record(k, dir, name)) != 0)
		return rc;
	rc = ss_yaml_load(name, f->data, f->len, NULL, &ds, k->err);
	if (rc != 0)
		return rc;
	d.file = k->out->files[k->out->n - 1];
	d.dir = k->out->dirs[k->out->n - 1];
	d.ds = ds;
	d.depth = depth;
	if (ss_docset_count(ds) > 1)
		rc = kfail(k, &d, "", SS_E_INVAL, "a kustomization is one YAML document", name);
	else if (ss_docset_count(ds) == 1 && !json_is_object(ss_docset_get(ds, 0)))
		rc = kfail(k, &d, "", SS_E_INVAL, "a kustomization must be a mapping", name);
	else if (ss_docset_count(ds) == 1)
		rc = scan_doc(k, &d, ss_docset_get(ds, 0));
	ss_docset_free(ds);
	return rc;
}

int ss_kustomize_scan(const struct ss_renderer_file *files, size_t nfiles, const char *dir,
		      struct ss_kustomize_scan *out, struct ss_err *err)
{
	struct kscan k = {files, nfiles, out, err};
	char root[1024];
	int rc;

	memset(out, 0, sizeof(*out));
	if (path_join("", dir, root, sizeof(root)) != 0)
		return ss_err_set(err, SS_E_USAGE, "bad unit folder %s", dir);
	rc = scan_dir(&k, NULL, NULL, root, 0);
	if (rc != 0)
		ss_kustomize_scan_release(out);
	return rc;
}
