/* cmd_common.c: what the manifest verbs share (see cmd_manifest.h). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealsync/file.h"
#include "sealsync/jsonalloc.h"

#include "cmd_manifest.h"

#define CM_WALK_MAX_FILES 100000
#define CM_WALK_MAX_DEPTH 64

enum { OPT_SCOPE = 300, OPT_MERGE, OPT_IN_PLACE, OPT_UNSCOPED, OPT_MIXED, OPT_LITERAL,
       OPT_FROM_FILE, OPT_NAME };

static const struct option cm_long[] = {
	{"recipient", required_argument, NULL, 'r'},
	{"recipients-file", required_argument, NULL, 'R'},
	{"identity", required_argument, NULL, 'i'},
	{"format", required_argument, NULL, 'o'},
	{"output", required_argument, NULL, 'w'},
	{"allow-mixed", no_argument, NULL, OPT_MIXED},
	{"from-literal", required_argument, NULL, OPT_LITERAL},
	{"from-file", required_argument, NULL, OPT_FROM_FILE},
	{"name", required_argument, NULL, OPT_NAME},
	{"namespace", required_argument, NULL, 'n'},
	{"scope", required_argument, NULL, OPT_SCOPE},
	{"merge-into", required_argument, NULL, OPT_MERGE},
	{"in-place", no_argument, NULL, OPT_IN_PLACE},
	{"allow-unscoped", no_argument, NULL, OPT_UNSCOPED},
	{"agent", required_argument, NULL, SEALCTL_OPT_AGENT},
	{"agent-ca", required_argument, NULL, SEALCTL_OPT_AGENT_CA},
	{"pin", required_argument, NULL, SEALCTL_OPT_PIN},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static unsigned opt_flag(int c)
{
	switch (c) {
	case 'r': case 'R': return CM_RECIPIENTS;
	case 'i': return CM_IDENTITIES;
	case 'o': return CM_FORMAT | CM_REPORT;
	case 'w': return CM_WRITE;
	case OPT_MIXED: return CM_MERGE;
	case OPT_LITERAL: case OPT_FROM_FILE: case OPT_NAME: return CM_BUILD;
	case 'n': return CM_NAMESPACE;
	case OPT_SCOPE: return CM_SCOPE;
	case OPT_MERGE: return CM_MERGE;
	case OPT_IN_PLACE: return CM_IN_PLACE;
	case OPT_UNSCOPED: return CM_UNSCOPED;
	case SEALCTL_OPT_AGENT: case SEALCTL_OPT_AGENT_CA: case SEALCTL_OPT_PIN: return CM_AGENT;
	default: return 0;
	}
}

/* -o: yaml|json, or for a report (verify) text|json. */
static int take_format(const char *arg, unsigned allowed, const char *verb, struct cm_opts *o)
{
	if ((allowed & CM_REPORT) != 0) {
		if (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0) {
			o->fmt = arg[0] == 'j' ? SS_EMIT_JSON : SS_EMIT_YAML;
			return 0;
		}
		return sealctl_usage(verb, "-o must be text or json");
	}
	if (ss_emit_parse_format(arg, &o->fmt) != 0)
		return sealctl_usage(verb, "-o is the output format, yaml or json (write to a file "
					   "with -w FILE)");
	return 0;
}

/* -w: an output file; "yaml"/"json" is the old `--output FORMAT` spelling. */
static int take_write(const char *arg, const char *verb, struct cm_opts *o)
{
	if (strcmp(arg, "yaml") == 0 || strcmp(arg, "json") == 0)
		return sealctl_usage(verb, "-w/--output is the output file; for the format '%s' "
					   "use -o %s", arg, arg);
	o->write_to = arg;
	return 0;
}

/* One option; 0 or an exit code. */
static int take_opt(int c, unsigned allowed, const char *verb, struct cm_opts *o)
{
	struct ss_err err;
	int rc = 0;

	ss_err_clear(&err);
	switch (c) {
	case 'r': rc = sealctl_recipients_add(&o->rcpt, optarg, &err); break;
	case 'R': rc = sealctl_recipients_add_file(&o->rcpt, optarg, &err); break;
	case 'i':
		if (o->nids >= CM_MAX_IDS)
			return sealctl_usage(verb, "too many -i");
		o->ids[o->nids++] = optarg;
		break;
	case 'o': return take_format(optarg, allowed, verb, o);
	case 'w': return take_write(optarg, verb, o);
	case OPT_MIXED: o->allow_mixed = 1; break;
	case OPT_NAME: o->name = optarg; break;
	case OPT_LITERAL: case OPT_FROM_FILE:
		if (o->nfrom >= CM_MAX_FROM)
			return sealctl_usage(verb, "more than %d --from-literal/--from-file", CM_MAX_FROM);
		o->from_is_file[o->nfrom] = c == OPT_FROM_FILE;
		o->from[o->nfrom++] = optarg;
		break;
	case 'n':
		if (ss_object_check_label(optarg) != 0)
			return sealctl_usage(verb, "--namespace is not a DNS label");
		o->ns = optarg;
		break;
	case SEALCTL_OPT_AGENT: case SEALCTL_OPT_AGENT_CA: case SEALCTL_OPT_PIN:
		return sealctl_agent_parse_opt(&o->agent, c, optarg, verb);
	case OPT_SCOPE: o->scope = optarg; break;
	case OPT_MERGE: o->merge_into = optarg; break;
	case OPT_IN_PLACE: o->in_place = 1; break;
	case OPT_UNSCOPED: o->allow_unscoped = 1; break;
	default: break;
	}
	if (rc != 0)
		return sealctl_fail(&err);
	return 0;
}

/* An unknown option: suggest only the options this verb takes. */
static int bad_option(const char *verb, const char *arg, unsigned allowed)
{
	struct option mine[sizeof(cm_long) / sizeof(cm_long[0])];
	size_t i, n = 0;

	for (i = 0; cm_long[i].name != NULL; i++)
		if ((opt_flag(cm_long[i].val) & allowed) != 0 || cm_long[i].val == 'h')
			mine[n++] = cm_long[i];
	memset(&mine[n], 0, sizeof(mine[n]));
	return sealctl_bad_option(verb, arg, mine);
}

int cm_parse(int argc, char **argv, unsigned allowed, const char *help, struct cm_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->fmt = SS_EMIT_YAML;
	/* Plaintext may pass through jansson: make it wipe what it frees. */
	ss_json_use_zeroing_alloc();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:R:i:o:w:n:h", cm_long, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			o->help = 1;
			return 0;
		}
		if (c == '?' || c == ':')
			return bad_option(argv[0], argv[optind - 1], allowed);
		if ((opt_flag(c) & allowed) == 0)
			return sealctl_usage(argv[0], "option %s does not apply", argv[optind - 1]);
		int rc = take_opt(c, allowed, argv[0], o);

		if (rc != 0)
			return rc;
	}
	o->paths = argv + optind;
	o->npaths = argc - optind;
	return 0;
}

int cm_agent_setup(struct cm_opts *o, const char *verb)
{
	struct ss_err err;
	int rc;

	if (o->agent.url == NULL) {
		if (o->agent.ca_file != NULL || o->agent.npins > 0)
			return sealctl_usage(verb, "--agent-ca and --pin need --agent");
		return 0;
	}
	ss_err_clear(&err);
	rc = cm_agent_recipients(o, &err);
	if (rc == SS_E_USAGE)
		return sealctl_usage(verb, "%s", err.msg);
	return rc != 0 ? sealctl_fail(&err) : 0;
}

/* 1 when line (1-based) of text holds a tab before its first other character. */
static int line_indented_with_tab(const struct ss_buf *text, unsigned line)
{
	const char *p = (const char *)text->data, *end = p + text->len;
	unsigned n = 1;

	while (p != NULL && p < end && n < line) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p != NULL)
			p++, n++;
	}
	for (; p != NULL && p < end && (*p == ' ' || *p == '\t'); p++)
		if (*p == '\t')
			return 1;
	return 0;
}

int cm_file_load(struct cm_file *f, const char *path, int secure, struct ss_err *err)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (secure)
		ss_buf_init_secure(&f->text, SEALCTL_SEALED_MAX);
	else
		ss_buf_init(&f->text, SEALCTL_SEALED_MAX);
	rc = ss_file_read(path, &f->text, err);
	if (rc == 0)
		rc = ss_yaml_load(f->name, f->text.data, f->text.len, NULL, &f->ds, err);
	/* The commonest YAML mistake of all, which libyaml words obscurely. */
	if (rc == SS_E_INVAL && err != NULL && err->line > 0 &&
	    line_indented_with_tab(&f->text, err->line))
		ss_err_set(err, rc, "line %u is indented with a tab: YAML indents with spaces only",
			   err->line);
	if (rc != 0 && err != NULL && err->file[0] == '\0')
		ss_err_at(err, f->name, 0, -1);
	return rc;
}

void cm_file_release(struct cm_file *f)
{
	ss_docset_free(f->ds);
	f->ds = NULL;
	ss_buf_release(&f->text);
}

void cm_origin(const struct cm_file *f, size_t i, struct ss_origin *o)
{
	o->file = f->name;
	o->doc = ss_docset_index(f->ds, i);
	o->line = ss_docset_line(f->ds, i);
	o->ds = f->ds;
	o->ds_index = i;
}

struct cm_list {
	char **v;
	size_t n, cap;
};

/* l's array with room for cap: a fresh zeroed copy, the old one freed.
 * Not reallocarray: gcc 12's -fanalyzer loses what is then stored into a
 * reallocated array and reports the copy in list_add leaked. */
static char **list_grow(struct cm_list *l, size_t cap)
{
	char **v = calloc(cap, sizeof(*v));

	if (v == NULL)
		return NULL;
	if (l->n > 0)
		memcpy(v, l->v, l->n * sizeof(*v));
	free(l->v);
	return v;
}

/* The copy is made before the array grows and goes in through v, the
 * array as this call has it, so that a failure frees exactly the copy. */
static int list_add(struct cm_list *l, const char *path)
{
	char **v = l->v, *copy;

	if (l->n >= CM_WALK_MAX_FILES)
		return SS_E_LIMIT;
	copy = strdup(path);
	if (copy == NULL)
		return SS_E_NOMEM;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		v = list_grow(l, cap);
		if (v == NULL) {
			free(copy);
			return SS_E_NOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	v[l->n++] = copy;
	return 0;
}

static int is_manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk_dir(const char *dir, unsigned depth, struct cm_list *l, struct ss_err *err)
{
	struct dirent **ents = NULL;
	char path[4096];
	struct stat st;
	int n, i, rc = 0;

	if (depth > CM_WALK_MAX_DEPTH)
		return ss_err_set(err, SS_E_LIMIT, "folders nested deeper than %d", CM_WALK_MAX_DEPTH);
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		ss_err_set(err, SS_E_IO, "cannot read folder");
		ss_err_at(err, dir, 0, -1);
		return SS_E_IO;
	}
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (rc != 0 || nm[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, nm) >= (int)sizeof(path))
			rc = ss_err_set(err, SS_E_LIMIT, "path too long");
		else if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
			continue;
		else if (S_ISDIR(st.st_mode))
			rc = walk_dir(path, depth + 1, l, err);
		else if (S_ISREG(st.st_mode) && is_manifest_name(nm) &&
			 (rc = list_add(l, path)) != 0)
			ss_err_set(err, rc, rc == SS_E_LIMIT ? "too many files" : "out of memory");
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int cm_walk(char **paths, int npaths, cm_file_fn *fn, void *ctx, struct ss_err *err)
{
	struct cm_list l = {NULL, 0, 0};
	struct stat st;
	size_t i;
	int k, rc = 0;

	for (k = 0; rc == 0 && k < npaths; k++) {
		if (strcmp(paths[k], "-") != 0 && stat(paths[k], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk_dir(paths[k], 0, &l, err);
		else if ((rc = list_add(&l, paths[k])) != 0)
			ss_err_set(err, rc, rc == SS_E_LIMIT ? "too many files" : "out of memory");
	}
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = fn(l.v[i], i, l.n, ctx);
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return rc;
}

int cm_keyring(const struct cm_opts *o, struct ss_keyring **out, struct ss_err *err)
{
	struct ss_keyring *kr = NULL;
	int rc;

	*out = NULL;
	rc = ss_keyring_new(&kr);
	if (rc != 0)
		return ss_err_set(err, rc, "out of memory");
	rc = sealctl_load_identities(kr, (char **)o->ids, o->nids, err);
	if (rc != 0) {
		ss_keyring_free(kr);
		return rc;
	}
	*out = kr;
	return 0;
}

int cm_write_stdout(const struct ss_buf *b, struct ss_err *err)
{
	if (b->len > 0 && ss_fd_write_all(STDOUT_FILENO, b->data, b->len) != 0) {
		ss_err_set(err, SS_E_IO, "cannot write to stdout");
		ss_err_at(err, "<stdout>", 0, -1);
		return SS_E_IO;
	}
	return 0;
}

int cm_check_sealed_text(const char *name, const struct ss_buf *text, struct ss_err *err)
{
	struct cm_file f;
	struct ss_origin o;
	size_t i;
	int rc;

	memset(&f, 0, sizeof(f));
	f.name = name;
	rc = ss_yaml_load(name, text->data, text->len, NULL, &f.ds, err);
	for (i = 0; rc == 0 && i < ss_docset_count(f.ds); i++) {
		struct ss_sealed *s = NULL;

		if (!cm_is_sealed_like(ss_docset_get(f.ds, i)))
			continue;
		cm_origin(&f, i, &o);
		rc = ss_sealed_parse(ss_docset_get(f.ds, i), &o, &s, err);
		ss_sealed_free(s);
	}
	ss_docset_free(f.ds);
	return rc;
}

int cm_each_doc(const struct cm_file *f, cm_doc_fn *fn, void *ctx, struct ss_err *err)
{
	struct ss_origin o;
	size_t i, k;
	int rc = 0;

	for (i = 0; rc == 0 && i < ss_docset_count(f->ds); i++) {
		const json_t *doc = ss_docset_get(f->ds, i);
		const char *kind = json_string_value(json_object_get(doc, "kind"));
		const json_t *items = json_object_get(doc, "items");

		cm_origin(f, i, &o);
		if (kind == NULL || strcmp(kind, "List") != 0 || !json_is_array(items)) {
			rc = fn(doc, &o, ctx, err);
			continue;
		}
		/* Field lines of the document root do not apply to its items. */
		o.ds = NULL;
		for (k = 0; rc == 0 && k < json_array_size(items); k++)
			rc = fn(json_array_get(items, k), &o, ctx, err);
	}
	return rc;
}

int cm_is_sealed_like(const json_t *doc)
{
	const char *av = json_string_value(json_object_get(doc, "apiVersion"));
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	return (av != NULL && strncmp(av, "sealsync.dev/", 13) == 0) ||
	       (kind != NULL && strcmp(kind, SS_SEALED_KIND) == 0);
}

const char *cm_effective_ns(const struct ss_sealed *s, const struct cm_opts *o)
{
	return ss_sealed_namespace(s)[0] != '\0' ? ss_sealed_namespace(s) : o->ns;
}

/* Places an error from the agent at the value's line in the file. */
void cm_err_at_value(struct ss_err *err, const struct ss_origin *o)
{
	char path[2 * SS_ERR_NAME_MAX + 2];
	char field[SS_ERR_NAME_MAX], key[SS_ERR_NAME_MAX];

	snprintf(field, sizeof(field), "%s", err->field);
	snprintf(key, sizeof(key), "%s", err->key);
	snprintf(path, sizeof(path), "%s%s%s", field, key[0] ? "." : "", key);
	ss_origin_err(err, o, path[0] ? path : NULL, NULL);
	ss_err_field(err, field[0] ? field : NULL, key[0] ? key : NULL);
}

int cm_write_output(const struct cm_opts *o, const struct ss_buf *b, struct ss_err *err)
{
	struct stat st;

	if (o->write_to == NULL || strcmp(o->write_to, "-") == 0)
		return cm_write_stdout(b, err);
	if (stat(o->write_to, &st) != 0)
		st.st_mode = 0644;
	return ss_file_write_atomic(o->write_to, b->data, b->len, st.st_mode & 0777, err);
}
