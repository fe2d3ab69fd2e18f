/* sealctl_util.c: helpers shared by sealctl's verbs (see sealctl.h). */
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

int sealctl_recipients_add(struct sealctl_recipients *r, const char *age1, struct ss_err *err)
{
	if (r->n >= SS_AGE_MAX_X25519)
		return ss_err_set(err, SS_E_LIMIT, "more than %d recipients", SS_AGE_MAX_X25519);
	return ss_recipient_parse(age1, &r->v[r->n++], err) == 0 ? 0 : (r->n--, SS_E_INVAL);
}

int sealctl_recipients_add_file(struct sealctl_recipients *r, const char *path, struct ss_err *err)
{
	struct ss_recipient *v = NULL;
	size_t n = 0, i;
	int rc = ss_recipients_load_file(path, &v, &n, err);

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
