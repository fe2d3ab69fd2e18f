/* sealctl_util.c: helpers shared by sealctl's verbs (see sealctl.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sealsync/file.h"

#include "sealctl.h"

int sealctl_fail(const struct ss_err *e)
{
	char msg[2048];

	ss_err_format(e, msg, sizeof(msg));
	fprintf(stderr, "sealctl: %s\n", msg);
	return SEALCTL_EXIT_FAIL;
}

int sealctl_usage(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sealctl %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'sealctl %s --help'.\n", verb);
	return SEALCTL_EXIT_USAGE;
}

/* Levenshtein distance of a and b (short option names: small arrays). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t prev[64], cur[64], la = strlen(a), lb = strlen(b), i, j;

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

/* The long option closest to name (no dashes), or NULL when none is near. */
static const char *closest_option(const char *name, const struct option *lopts)
{
	const char *best = NULL;
	size_t d, bestd = (size_t)-1, i;

	for (i = 0; lopts[i].name != NULL; i++) {
		d = edit_distance(name, lopts[i].name);
		if (strncmp(lopts[i].name, name, strlen(name)) == 0 && name[0] != '\0')
			d = d < 2 ? d : 2; /* a truncated name is near */
		if (d < bestd)
			bestd = d, best = lopts[i].name;
	}
	return bestd <= 3 && bestd * 3 <= strlen(name) + 3 ? best : NULL;
}

int sealctl_bad_option(const char *verb, const char *arg, const struct option *lopts)
{
	char name[64];
	const char *near;
	size_t i;

	if (strncmp(arg, "--", 2) != 0)
		return sealctl_usage(verb, "unknown option or missing argument: %s", arg);
	snprintf(name, sizeof(name), "%s", arg + 2);
	name[strcspn(name, "=")] = '\0';
	for (i = 0; lopts[i].name != NULL; i++)
		if (strcmp(lopts[i].name, name) == 0)
			return sealctl_usage(verb, "option --%s needs an argument", name);
	near = closest_option(name, lopts);
	if (near != NULL)
		return sealctl_usage(verb, "unknown option --%s; did you mean --%s?", name, near);
	return sealctl_usage(verb, "unknown option --%s", name);
}

int sealctl_recipients_add(struct sealctl_recipients *r, const char *age1, struct ss_err *err)
{
	if (r->n >= SS_AGE_MAX_X25519)
		return ss_err_set(err, SS_E_LIMIT, "more than %d recipients", SS_AGE_MAX_X25519);
	if (strncmp(age1, "AGE-SECRET-KEY-", 15) == 0)
		return ss_err_set(err, SS_E_INVAL, "-r got a secret key, not a recipient: give its "
				  "public key (age-keygen -y), and consider this key exposed (it is "
				  "in the process list and shell history)");
	return ss_recipient_parse(age1, &r->v[r->n++], err) == 0 ? 0 : (r->n--, SS_E_INVAL);
}

/* An identity file given as recipients: say so (never quoting it). */
static void hint_identity_file(const char *path, struct ss_err *err)
{
	struct ss_buf b;
	struct ss_err ignore;

	ss_buf_init_secure(&b, 1u << 20);
	if (ss_file_read(path, &b, &ignore) == 0 && b.len > 0 &&
	    memmem(b.data, b.len, "AGE-SECRET-KEY-", 15) != NULL) {
		ss_err_set(err, SS_E_INVAL, "this is an identity file (it holds a secret key), not "
			   "a recipients file: give its public keys (age-keygen -y %s >recipients.txt)",
			   path);
		ss_err_at(err, path, 0, -1);
	}
	ss_buf_release(&b);
}

int sealctl_recipients_add_file(struct sealctl_recipients *r, const char *path, struct ss_err *err)
{
	struct ss_recipient *v = NULL;
	size_t n = 0, i;
	int rc = ss_recipients_load_file(path, &v, &n, err);

	if (rc == SS_E_INVAL)
		hint_identity_file(path, err);

	for (i = 0; rc == 0 && i < n; i++) {
		if (r->n >= SS_AGE_MAX_X25519) {
			rc = ss_err_set(err, SS_E_LIMIT, "more than %d recipients", SS_AGE_MAX_X25519);
			ss_err_at(err, path, 0, -1);
		} else {
			r->v[r->n++] = v[i];
		}
	}
	free(v);
	return rc;
}

int sealctl_scope_given(const struct sealctl_scope_opts *o)
{
	return o->mode != NULL || o->ns != NULL || o->name != NULL || o->key != NULL;
}

int sealctl_scope_build(const struct sealctl_scope_opts *o, struct ss_scope *out, struct ss_err *err)
{
	enum ss_scope_mode m = SS_SCOPE_STRICT;

	if (o->mode != NULL && ss_scope_parse_mode(o->mode, &m) != 0)
		return ss_err_set(err, SS_E_USAGE, "--scope must be strict, namespace or cluster");
	if (m != SS_SCOPE_STRICT && (o->name != NULL || o->key != NULL))
		return ss_err_set(err, SS_E_USAGE, "--name and --key only apply to --scope strict");
	if (m == SS_SCOPE_CLUSTER && o->ns != NULL)
		return ss_err_set(err, SS_E_USAGE, "--namespace does not apply to --scope cluster");
	if (ss_scope_make(out, m, o->ns, o->name, o->key, err) != 0) {
		if (err != NULL)
			err->code = SS_E_USAGE;
		return SS_E_USAGE;
	}
	return 0;
}

int sealctl_read_input(const char *path, struct ss_buf *b, struct ss_err *err)
{
	return ss_file_read(path != NULL ? path : "-", b, err);
}

int sealctl_load_identities(struct ss_keyring *kr, char **paths, size_t n, struct ss_err *err)
{
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = ss_keyring_load_dir(kr, paths[i], err);
		else
			rc = ss_keyring_load_file(kr, paths[i], err);
	}
	return rc;
}
