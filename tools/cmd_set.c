/*
 * cmd_set.c: `sealctl set` and `sealctl unset`, one value of a committed
 * SealedSecret changed without kubectl and without a private key. Both go
 * through the byte-preserving splice: every other byte of the file stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sealsync/file.h"

#include "cmd_manifest.h"

static const char set_help[] =
	"usage: sealctl set -r age1... [-R FILE] [--agent URL] [-n NS] [--allow-mixed]\n"
	"                   [--from-file PATH] FILE NAME KEY\n"
	"\n"
	"Seals one value (stdin, taken byte for byte, or --from-file PATH) to the\n"
	"recipients and puts it as KEY of the SealedSecret NAME in FILE: the value\n"
	"is replaced where it stands, or added, and every other byte of FILE is\n"
	"kept (as `seal --merge-into`). The scope mode and namespace are the\n"
	"SealedSecret's. Refused when FILE's other values are sealed to other\n"
	"recipients, unless --allow-mixed. No private key is needed.\n"
	"\n"
	"  -r, --recipient R          an age1... recipient (repeatable)\n"
	"  -R, --recipients-file F    age recipients file (repeatable)\n"
	"  --agent URL, --agent-ca FILE, --pin age1...   as for seal\n"
	"  -n, --namespace NS         the SealedSecret's namespace, when FILE has\n"
	"                             NAME in several\n"
	"  --from-file PATH           read the value from PATH instead of stdin\n"
	"  --allow-mixed              accept a file sealed to two key sets\n";

static const char unset_help[] =
	"usage: sealctl unset [-n NS] FILE NAME KEY\n"
	"\n"
	"Removes KEY (its line) from the SealedSecret NAME in FILE, keeping every\n"
	"other byte; FILE is rewritten atomically. The last key cannot be removed\n"
	"(delete the document instead). No key is needed.\n"
	"\n"
	"  -n, --namespace NS         the SealedSecret's namespace, when FILE has\n"
	"                             NAME in several\n";

/* The value: --from-file PATH or stdin, into guarded memory. */
static int read_value(const struct cm_opts *o, struct ss_buf *v, struct ss_err *err)
{
	return sealctl_read_input(o->nfrom == 1 ? o->from[0] : NULL, v, err);
}

int sealctl_cmd_set(int argc, char **argv)
{
	json_t *sec = NULL;
	struct cm_opts o;
	struct ss_err err;
	struct ss_buf v;
	int rc;

	rc = cm_parse(argc, argv, CM_RECIPIENTS | CM_AGENT | CM_MERGE | CM_NAMESPACE | CM_BUILD,
		      set_help, &o);
	if (rc == 0 && !o.help)
		rc = cm_agent_setup(&o, argv[0]);
	if (rc != 0 || o.help)
		return rc;
	if (o.npaths != 3)
		return sealctl_usage(argv[0], "give FILE NAME KEY");
	if (o.name != NULL || o.nfrom > 1 || (o.nfrom == 1 && !o.from_is_file[0]))
		return sealctl_usage(argv[0], "the value comes from stdin or one --from-file PATH");
	if (o.rcpt.n == 0 && o.agent.url == NULL &&
	    (rc = cm_default_recipients(&o, o.paths[0], argv[0])) != 0)
		return rc;
	ss_err_clear(&err);
	ss_buf_init_secure(&v, SEALCTL_VALUE_MAX);
	rc = read_value(&o, &v, &err);
	if (rc == 0)
		rc = cm_build_one(o.paths[1], o.paths[2], v.data, v.len, &sec, &err);
	ss_buf_release(&v);
	if (rc != 0)
		return sealctl_fail(&err);
	o.merge_into = o.paths[0];
	o.npaths = 0;
	rc = cm_seal_main(&o, argv[0], sec);
	json_decref(sec);
	return rc;
}

/* The namespace of SealedSecret name in f (-n when given); "" when it names none. */
static int target_ns(const struct cm_file *f, const char *name, const char *ns,
		     const char **out, struct ss_err *err)
{
	size_t i;

	for (i = 0; i < ss_docset_count(f->ds); i++) {
		const json_t *doc = ss_docset_get(f->ds, i);
		const json_t *md = json_object_get(doc, "metadata");
		const char *n = json_string_value(json_object_get(md, "name"));
		const char *s = json_string_value(json_object_get(md, "namespace"));

		if (!ss_sealed_is(doc) || n == NULL || strcmp(n, name) != 0)
			continue;
		if (ns == NULL || (s != NULL && strcmp(s, ns) == 0)) {
			*out = s != NULL ? s : "";
			return 0;
		}
	}
	ss_err_set(err, SS_E_NOTFOUND, "no SealedSecret named %s%s%s in %s", name,
		   ns != NULL ? " in namespace " : "", ns != NULL ? ns : "", f->name);
	return SS_E_NOTFOUND;
}

static int unset_run(const struct cm_opts *o, struct ss_err *err)
{
	const char *file = o->paths[0], *ns = NULL;
	struct cm_file f;
	struct ss_buf out;
	struct stat st;
	int rc;

	ss_buf_init(&out, SEALCTL_SEALED_MAX);
	rc = cm_file_load(&f, file, 0, err);
	if (rc == 0)
		rc = target_ns(&f, o->paths[1], o->ns, &ns, err);
	if (rc == 0)
		rc = ss_sealed_splice_remove(f.name, (const char *)f.text.data, f.text.len,
					     o->paths[1], ns, o->paths[2], &out, err);
	if (rc == 0 && (rc = cm_check_sealed_text(f.name, &out, err)) != 0)
		ss_err_prefix(err, "the file would not be valid");
	if (rc == 0 && stat(file, &st) != 0)
		st.st_mode = 0644;
	if (rc == 0)
		rc = ss_file_write_atomic(file, out.data, out.len, st.st_mode & 0777, err);
	if (rc == 0)
		fprintf(stderr, "sealctl: removed key %s of %s from %s\n", o->paths[2], o->paths[1],
			file);
	cm_file_release(&f);
	ss_buf_release(&out);
	return rc;
}

int sealctl_cmd_unset(int argc, char **argv)
{
	struct cm_opts o;
	struct ss_err err;
	int rc;

	rc = cm_parse(argc, argv, CM_NAMESPACE, unset_help, &o);
	if (rc != 0 || o.help)
		return rc;
	if (o.npaths != 3)
		return sealctl_usage(argv[0], "give FILE NAME KEY");
	ss_err_clear(&err);
	return unset_run(&o, &err) != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}
