/*
 * sealctl_defaults.c: default recipients, so that developers stop passing
 * -R (like .sops.yaml's creation rules). When seal or set gets no -r, -R
 * or --agent, the recipients come from, in order:
 *   SEALSYNC_RECIPIENTS       age1... keys, separated by spaces or commas
 *   SEALSYNC_RECIPIENTS_FILE  an age recipients file
 *   .sealsync.yaml            the first rule whose path_regex matches the
 *                             file written, searched from the current folder
 *                             upwards, never past the Git root
 * sealctl says where they came from. A repository is someone else's input:
 * a cloned .sealsync.yaml could redirect sealing to another key, so its
 * recipients are compared with the user's own pinned set
 * (SEALSYNC_PINNED_RECIPIENTS_FILE, else ~/.config/sealsync/pinned-recipients)
 * and a difference is warned about, naming the unpinned keys.
 */
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealsync/file.h"

#include "cmd_manifest.h"

#define DEF_CONFIG ".sealsync.yaml"

/* Finds .sealsync.yaml from the current folder up to the Git root. */
static int find_config(char *dir, size_t cap)
{
	char path[PATH_MAX + 32];
	struct stat st;
	char *slash;

	if (getcwd(dir, cap) == NULL)
		return 0;
	for (;;) {
		snprintf(path, sizeof(path), "%s/%s", dir, DEF_CONFIG);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 1;
		snprintf(path, sizeof(path), "%s/.git", dir);
		if (stat(path, &st) == 0)
			return 0; /* the Git root: never look past it */
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return 0;
		*slash = '\0';
	}
}

/* target as a path relative to dir (both made absolute), for path_regex. */
static void relative_to(const char *dir, const char *target, char *out, size_t cap)
{
	char abs[2 * PATH_MAX + 2], cwd[PATH_MAX];
	size_t n = strlen(dir);
	int w;

	out[0] = '\0';
	if (target == NULL || strcmp(target, "-") == 0)
		return;
	if (target[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return;
	w = target[0] == '/' ? snprintf(abs, sizeof(abs), "%s", target)
			     : snprintf(abs, sizeof(abs), "%s/%s", cwd, target);
	if (w < 0 || (size_t)w >= sizeof(abs))
		return;
	w = snprintf(out, cap, "%s", strncmp(abs, dir, n) == 0 && abs[n] == '/' ? abs + n + 1 : abs);
	if (w < 0 || (size_t)w >= cap)
		out[0] = '\0';
}

/* 1 when rule's path_regex (absent: any path) matches path. */
static int rule_matches(const json_t *rule, const char *path, struct ss_err *err)
{
	const char *re = json_string_value(json_object_get(rule, "path_regex"));
	regex_t rx;
	int m;

	if (re == NULL)
		return 1;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
		ss_err_set(err, SS_E_INVAL, "path_regex %s is not an extended regex", re);
		return -1;
	}
	m = regexec(&rx, path, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* The rule's recipients: a list of age1... and/or recipients_file. */
static int take_rule(const json_t *rule, const char *dir, struct cm_opts *o, struct ss_err *err)
{
	const json_t *list = json_object_get(rule, "recipients"), *v;
	const char *file = json_string_value(json_object_get(rule, "recipients_file"));
	const char *scope = json_string_value(json_object_get(rule, "scope"));
	char path[PATH_MAX + 8];
	size_t i;
	int rc = 0;

	json_array_foreach(list, i, v) {
		if (rc == 0 && !json_is_string(v))
			rc = ss_err_set(err, SS_E_INVAL, "recipients must be a list of age1... strings");
		if (rc == 0)
			rc = sealctl_recipients_add(&o->rcpt, json_string_value(v), err);
	}
	if (rc == 0 && file != NULL) {
		snprintf(path, sizeof(path), "%s%s%s", file[0] == '/' ? "" : dir,
			 file[0] == '/' ? "" : "/", file);
		rc = sealctl_recipients_add_file(&o->rcpt, path, err);
	}
	if (rc == 0 && o->scope == NULL && scope != NULL) {
		snprintf(o->default_scope, sizeof(o->default_scope), "%s", scope);
		o->scope = o->default_scope; /* the docset is freed after this */
	}
	if (rc == 0 && o->rcpt.n == 0)
		rc = ss_err_set(err, SS_E_INVAL, "the matching rule names no recipients");
	return rc;
}

/* The first creation rule of cfg matching rel; 0, or an error. */
static int apply_rules(const json_t *cfg, const char *dir, const char *rel, struct cm_opts *o,
		       struct ss_err *err)
{
	const json_t *rules = json_object_get(cfg, "creation_rules"), *r;
	size_t i;
	int m;

	if (!json_is_array(rules))
		return ss_err_set(err, SS_E_INVAL, "creation_rules must be a list");
	json_array_foreach(rules, i, r) {
		m = rule_matches(r, rel, err);
		if (m < 0)
			return SS_E_INVAL;
		if (m == 0)
			continue;
		if (take_rule(r, dir, o, err) != 0)
			return SS_E_INVAL;
		fprintf(stderr, "sealctl: recipients: %zu from %s/%s (creation rule %zu%s%s)\n",
			o->rcpt.n, dir, DEF_CONFIG, i + 1, rel[0] ? ", path " : "", rel);
		return 0;
	}
	return ss_err_set(err, SS_E_NOTFOUND, "no creation rule matches %s: give -r or -R",
			  rel[0] ? rel : "stdout (no path_regex rule without -w)");
}

static int from_config(const char *dir, const char *target, struct cm_opts *o,
		       struct ss_err *err)
{
	char path[PATH_MAX + 32], rel[PATH_MAX];
	struct cm_file f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, DEF_CONFIG);
	relative_to(dir, target, rel, sizeof(rel));
	rc = cm_file_load(&f, path, 0, err);
	if (rc == 0 && ss_docset_count(f.ds) != 1)
		rc = ss_err_set(err, SS_E_INVAL, "must hold one document");
	if (rc == 0)
		rc = apply_rules(ss_docset_get(f.ds, 0), dir, rel, o, err);
	if (rc != 0 && err->file[0] == '\0')
		ss_err_at(err, path, 0, -1);
	cm_file_release(&f);
	return rc;
}

/* SEALSYNC_RECIPIENTS: age1... separated by spaces or commas. */
static int from_env_list(const char *list, struct cm_opts *o, struct ss_err *err)
{
	char one[SS_RECIPIENT_STR_MAX + 1];
	size_t n;
	int rc = 0;

	while (rc == 0 && *list != '\0') {
		list += strspn(list, " ,\t\n");
		n = strcspn(list, " ,\t\n");
		if (n == 0)
			break;
		if (n >= sizeof(one))
			return ss_err_set(err, SS_E_INVAL, "SEALSYNC_RECIPIENTS: not an age1... key");
		snprintf(one, sizeof(one), "%.*s", (int)n, list);
		rc = sealctl_recipients_add(&o->rcpt, one, err);
		list += n;
	}
	if (rc != 0)
		ss_err_prefix(err, "SEALSYNC_RECIPIENTS");
	return rc;
}

/* 1 when r is one of v[0..n). */
static int has_recipient(const struct ss_recipient *v, size_t n, const struct ss_recipient *r)
{
	char a[SS_RECIPIENT_STR_MAX], b[SS_RECIPIENT_STR_MAX];
	size_t i;

	if (ss_recipient_format(r, a, sizeof(a)) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (ss_recipient_format(&v[i], b, sizeof(b)) == 0 && strcmp(a, b) == 0)
			return 1;
	return 0;
}

/* Warns about recipients from the repository that the user has not pinned. */
static void check_pinned(const struct cm_opts *o)
{
	const char *env = getenv("SEALSYNC_PINNED_RECIPIENTS_FILE"), *home = getenv("HOME");
	char path[PATH_MAX], pub[SS_RECIPIENT_STR_MAX];
	struct ss_recipient *pins = NULL;
	struct ss_err err;
	size_t n = 0, i;

	if (env != NULL)
		snprintf(path, sizeof(path), "%s", env);
	else if (home != NULL)
		snprintf(path, sizeof(path), "%s/.config/sealsync/pinned-recipients", home);
	else
		return;
	if (access(path, F_OK) != 0 || ss_recipients_load_file(path, &pins, &n, &err) != 0) {
		if (access(path, F_OK) == 0)
			fprintf(stderr, "sealctl: WARNING: cannot read the pinned recipients %s\n", path);
		return;
	}
	for (i = 0; i < o->rcpt.n; i++)
		if (!has_recipient(pins, n, &o->rcpt.v[i]) &&
		    ss_recipient_format(&o->rcpt.v[i], pub, sizeof(pub)) == 0)
			fprintf(stderr, "sealctl: WARNING: recipient %s from %s is not in your pinned "
					"set %s: a cloned repository may redirect your secrets to "
					"someone else's key; check it, then add it to %s\n",
				pub, DEF_CONFIG, path, path);
	free(pins);
}

int cm_default_recipients(struct cm_opts *o, const char *target, const char *verb)
{
	const char *list = getenv("SEALSYNC_RECIPIENTS"), *file = getenv("SEALSYNC_RECIPIENTS_FILE");
	char dir[PATH_MAX];
	struct ss_err err;
	int rc;

	ss_err_clear(&err);
	if (list != NULL && list[0] != '\0') {
		rc = from_env_list(list, o, &err);
		if (rc == 0)
			fprintf(stderr, "sealctl: recipients: %zu from $SEALSYNC_RECIPIENTS\n", o->rcpt.n);
	} else if (file != NULL && file[0] != '\0') {
		rc = sealctl_recipients_add_file(&o->rcpt, file, &err);
		if (rc == 0)
			fprintf(stderr, "sealctl: recipients: %zu from $SEALSYNC_RECIPIENTS_FILE (%s)\n",
				o->rcpt.n, file);
	} else if (find_config(dir, sizeof(dir))) {
		rc = from_config(dir, target, o, &err);
		if (rc == 0)
			check_pinned(o);
	} else {
		return sealctl_usage(verb, "give at least one recipient (-r, -R, --agent, "
					   "SEALSYNC_RECIPIENTS or a .sealsync.yaml)");
	}
	return rc != 0 ? sealctl_fail(&err) : 0;
}
