/*
 * cmd_seal.c: `sealctl seal`, Secret manifests in, SealedSecrets out
 * (DESIGN 5). The input Secret is plaintext: it is read into guarded memory
 * and only ciphertext is ever written, to stdout or atomically into the
 * --merge-into file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sealsync/file.h"
#include "sealsync/object.h"

#include "cmd_manifest.h"

#define SEAL_MAX_DOCS 1024

static const char seal_help[] =
	"usage: sealctl seal -r age1... [-r ...] [-R FILE] [--scope MODE] [-n NS]\n"
	"                    [-o yaml|json] [-w FILE | --merge-into FILE [--allow-mixed]]\n"
	"                    [SECRET-FILE | --name NAME --from-literal K=V ...\n"
	"                                 --from-file [K=]PATH ...]\n"
	"       sealctl seal --agent URL [--agent-ca FILE] [--pin age1...] ...\n"
	"\n"
	"Seals Kubernetes Secrets (YAML or JSON, several documents or a v1 List;\n"
	"`data` is base64, `stringData` plain text) from SECRET-FILE or stdin into\n"
	"SealedSecrets (apiVersion sealsync.dev/v1) on stdout. Every value becomes\n"
	"an age file for all recipients, bound to its scope. A key given twice (in\n"
	"data, or in data and stringData) is refused. With --raw, seals one value\n"
	"(see `sealctl seal --raw --help`).\n"
	"\n"
	"  -r, --recipient R          an age1... recipient (repeatable: clusters,\n"
	"                             a recovery key)\n"
	"  -R, --recipients-file F    age recipients file (repeatable)\n"
	"                             (none given: SEALSYNC_RECIPIENTS,\n"
	"                             SEALSYNC_RECIPIENTS_FILE or .sealsync.yaml; see\n"
	"                             sealctl(1), DEFAULT RECIPIENTS)\n"
	"  --agent URL                also seal to the agent's recipients (GET\n"
	"                             URL/v1/recipients; https, certificate verified)\n"
	"  --agent-ca FILE            CA bundle for the agent's certificate\n"
	"  --pin age1...              refuse unless every recipient the agent\n"
	"                             advertises is one of these (repeatable)\n"
	"  --scope MODE               strict (default: namespace, name and key),\n"
	"                             namespace, or cluster\n"
	"  -n, --namespace NS         namespace to seal for (default: the Secret's)\n"
	"  -o, --format yaml|json     output format (default yaml)\n"
	"  -w, --output FILE          write to FILE (atomically, and only when sealing\n"
	"                             succeeded) instead of stdout\n"
	"  --merge-into FILE          update the Secret's keys in the SealedSecret of\n"
	"                             the same name in FILE, add new ones, and keep\n"
	"                             every other byte of FILE; nothing on stdout.\n"
	"                             Refused when FILE's other values are sealed to\n"
	"                             other recipients\n"
	"  --allow-mixed              merge even so (one file, two key sets)\n"
	"  --name NAME                build the Secret NAME (in -n NS) here, without\n"
	"                             kubectl, from:\n"
	"  --from-literal KEY=VALUE   a value (repeatable); warning: it is\n"
	"                             visible in the process list and kept in shell\n"
	"                             history, so prefer --from-file for secrets\n"
	"  --from-file [KEY=]PATH     a file's bytes (repeatable; KEY defaults to the\n"
	"                             file's name)\n";

struct seal_ctx {
	const struct cm_opts *o;
	enum ss_scope_mode mode;
	struct ss_sealed *out[SEAL_MAX_DOCS];
	size_t n;
	struct cm_file target; /* --merge-into */
	int have_target;
};

/* name in ns? ("" on either side matches: the manifest names no namespace) */
static int same_place(const struct ss_sealed *s, const char *name, const char *ns)
{
	return strcmp(ss_sealed_name(s), name) == 0 &&
	       (ns[0] == '\0' || ss_sealed_namespace(s)[0] == '\0' ||
		strcmp(ss_sealed_namespace(s), ns) == 0);
}

/* Not found: say so, naming the namespace where that name does exist. */
static int target_missing(struct seal_ctx *c, const char *name, const char *ns,
			  const char *other_ns, const struct ss_origin *o, struct ss_err *err)
{
	if (other_ns[0] != '\0')
		ss_err_set(err, SS_E_NOTFOUND,
			   "SealedSecret %s in %s is in namespace %s, not %s (seal with -n %s, or "
			   "fix the Secret's namespace)", name, c->target.name, other_ns, ns, other_ns);
	else
		ss_err_set(err, SS_E_NOTFOUND, "no SealedSecret named %s in %s", name,
			   c->target.name);
	ss_origin_err(err, o, "metadata.name", NULL);
	return SS_E_NOTFOUND;
}

/* With --merge-into, the SealedSecret in the target that this Secret updates. */
static int find_target(struct seal_ctx *c, const char *name, const char *ns,
		       const struct ss_origin *o, struct ss_sealed **out, struct ss_err *err)
{
	char other_ns[SS_OBJ_LABEL_MAX + 1] = "";
	struct ss_origin to;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < ss_docset_count(c->target.ds); i++) {
		const json_t *doc = ss_docset_get(c->target.ds, i);
		struct ss_sealed *s = NULL;

		if (!ss_sealed_is(doc))
			continue;
		cm_origin(&c->target, i, &to);
		rc = ss_sealed_parse(doc, &to, &s, err);
		if (rc != 0)
			return rc;
		if (same_place(s, name, ns)) {
			*out = s;
			return 0;
		}
		if (strcmp(ss_sealed_name(s), name) == 0)
			snprintf(other_ns, sizeof(other_ns), "%s", ss_sealed_namespace(s));
		ss_sealed_free(s);
	}
	return target_missing(c, name, ns, other_ns, o, err);
}

/* "a1b2c3, d4e5f6": the hint tags of a value's recipients. */
static void hints_str(const struct ss_age_info *info, char *buf, size_t len)
{
	char t[16];
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < info->n_hints && at < len; i++) {
		ss_age_hint_format(info->hints[i], t, sizeof(t));
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", t);
	}
}

/* 1 when a and b name the same set of hint tags. */
static int same_hints(const struct ss_age_info *a, const struct ss_age_info *b)
{
	size_t i, j;

	if (a->n_hints != b->n_hints)
		return 0;
	for (i = 0; i < a->n_hints; i++) {
		for (j = 0; j < b->n_hints && memcmp(a->hints[i], b->hints[j], SS_AGE_HINT_LEN); j++)
			;
		if (j == b->n_hints)
			return 0;
	}
	return 1;
}

/* Index of key in s, or -1. */
static long key_index(const struct ss_sealed *s, const char *key)
{
	size_t i;

	for (i = 0; i < ss_sealed_count(s); i++)
		if (strcmp(ss_sealed_key(s, i), key) == 0)
			return (long)i;
	return -1;
}

/*
 * --merge-into must not leave one SealedSecret sealed half to one key set
 * and half to another (a retired key, someone else's): the values it keeps
 * must be sealed to the recipients of this seal, unless --allow-mixed.
 */
static int check_mixed(const struct ss_sealed *target, const struct ss_sealed *fresh,
		       const struct ss_origin *o, struct ss_err *err)
{
	char old[SS_AGE_MAX_X25519 * 10 + 1], now[SS_AGE_MAX_X25519 * 10 + 1];
	const struct ss_age_info *mine;
	size_t i;

	if (ss_sealed_count(fresh) == 0)
		return 0;
	mine = ss_sealed_info(fresh, 0);
	for (i = 0; i < ss_sealed_count(target); i++) {
		const struct ss_age_info *theirs = ss_sealed_info(target, i);

		if (key_index(fresh, ss_sealed_key(target, i)) >= 0 || theirs->n_hints == 0 ||
		    same_hints(theirs, mine))
			continue;
		hints_str(theirs, old, sizeof(old));
		hints_str(mine, now, sizeof(now));
		ss_err_set(err, SS_E_CONFLICT,
			   "recipients differ: key %s of %s is sealed to hints [%s], this seal to "
			   "[%s]; reseal the file to one key set (sealctl reseal), or pass "
			   "--allow-mixed", ss_sealed_key(target, i), ss_sealed_name(target), old, now);
		ss_origin_err(err, o, "metadata.name", NULL);
		return SS_E_CONFLICT;
	}
	return 0;
}

/* A SealedSecret given to seal: say which verb does what the user wants. */
static int refuse_sealed(const json_t *doc, const struct ss_origin *o, struct ss_err *err)
{
	if (!cm_is_sealed_like(doc))
		return 0;
	ss_err_set(err, SS_E_INVAL, "this is already a SealedSecret, seal takes a Secret: to "
				    "change its recipients use `sealctl reseal`; to add or change "
				    "a value seal a Secret with --merge-into FILE (or `sealctl set`)");
	ss_origin_err(err, o, "kind", NULL);
	return SS_E_INVAL;
}

static int seal_secret(struct seal_ctx *c, const json_t *sec, const struct ss_origin *o,
		       struct ss_err *err)
{
	struct ss_sealed_seal_opts so = {c->o->rcpt.v, c->o->rcpt.n, c->mode, c->o->ns};
	struct ss_sealed *target = NULL;
	struct ss_objid id;
	int rc;

	if (c->n >= SEAL_MAX_DOCS)
		return ss_err_set(err, SS_E_LIMIT, "more than %d Secrets", SEAL_MAX_DOCS);
	if ((rc = refuse_sealed(sec, o, err)) != 0)
		return rc;
	if (c->have_target) {
		rc = ss_object_identity(sec, o, &id, err);
		if (rc == 0)
			rc = find_target(c, id.name, so.ns != NULL ? so.ns : id.ns, o, &target, err);
		if (rc != 0)
			return rc;
		if (c->o->scope == NULL)
			so.mode = ss_sealed_mode(target);
		if (so.ns == NULL && id.ns[0] == '\0')
			so.ns = ss_sealed_namespace(target);
		rc = ss_sealed_from_secret(sec, o, &so, &c->out[c->n], err);
		if (rc == 0 && !c->o->allow_mixed && (rc = check_mixed(target, c->out[c->n], o, err)))
			ss_sealed_free(c->out[c->n]);
		ss_sealed_free(target);
	} else {
		rc = ss_sealed_from_secret(sec, o, &so, &c->out[c->n], err);
	}
	if (rc == 0)
		c->n++;
	return rc;
}

static int seal_doc(const json_t *doc, const struct ss_origin *o, void *ctx,
		    struct ss_err *err)
{
	return seal_secret(ctx, doc, o, err);
}

/* Every document of the input: a Secret, or a v1 List of Secrets. */
static int seal_input(struct seal_ctx *c, const struct cm_file *in, struct ss_err *err)
{
	int rc = cm_each_doc(in, seal_doc, c, err);

	if (rc == 0 && c->n == 0) {
		rc = ss_err_set(err, SS_E_INVAL, "no Secret in the input");
		ss_err_at(err, in->name, 0, -1);
	}
	return rc;
}

static int emit_all(struct seal_ctx *c, struct ss_err *err)
{
	json_t *docs[SEAL_MAX_DOCS];
	struct ss_buf out;
	size_t i, n = 0;
	int rc = 0;

	ss_buf_init(&out, (size_t)SEALCTL_SEALED_MAX * 4);
	for (i = 0; rc == 0 && i < c->n; i++)
		if ((rc = ss_sealed_to_json(c->out[i], &docs[i], err)) == 0)
			n++;
	if (rc == 0)
		rc = ss_emit_docs(docs, n, c->o->fmt, &out, err);
	if (rc == 0)
		rc = cm_write_output(c->o, &out, err);
	for (i = 0; i < n; i++)
		json_decref(docs[i]);
	ss_buf_release(&out);
	return rc;
}

static int merge_all(struct seal_ctx *c, struct ss_err *err)
{
	struct ss_buf cur, next;
	struct stat st;
	size_t i;
	int rc = 0;

	ss_buf_init(&cur, SEALCTL_SEALED_MAX);
	ss_buf_init(&next, SEALCTL_SEALED_MAX);
	if (ss_buf_append(&cur, c->target.text.data, c->target.text.len) != 0)
		rc = ss_err_set(err, SS_E_LIMIT, "file too large");
	for (i = 0; rc == 0 && i < c->n; i++) {
		struct ss_buf t;

		ss_buf_reset(&next);
		rc = ss_sealed_splice(c->target.name, ss_buf_str(&cur), cur.len, c->out[i], NULL, 0,
				      &next, err);
		t = cur, cur = next, next = t;
	}
	if (rc == 0)
		rc = cm_check_sealed_text(c->target.name, &cur, err);
	if (rc != 0)
		ss_err_prefix(err, "the merged file would not be valid");
	if (rc == 0 && stat(c->o->merge_into, &st) != 0)
		st.st_mode = 0644;
	if (rc == 0)
		rc = ss_file_write_atomic(c->o->merge_into, cur.data, cur.len, st.st_mode & 0777, err);
	if (rc == 0)
		fprintf(stderr, "sealctl: merged %zu SealedSecret(s) into %s\n", c->n,
			c->o->merge_into);
	ss_buf_release(&cur);
	ss_buf_release(&next);
	return rc;
}

/* The Secret of --from-literal/--from-file (or `sealctl set`). */
static int seal_built(struct seal_ctx *c, const json_t *sec, struct ss_err *err)
{
	struct ss_origin o = {"<command line>", 0, 0, NULL, 0};

	return seal_secret(c, sec, &o, err);
}

static int seal_run(struct seal_ctx *c, const char *input, const json_t *built,
		    struct ss_err *err)
{
	struct cm_file in;
	int rc;

	if (c->o->merge_into != NULL) {
		rc = cm_file_load(&c->target, c->o->merge_into, 0, err);
		c->have_target = 1;
		if (rc != 0)
			return rc;
	}
	if (built != NULL) {
		rc = seal_built(c, built, err);
	} else {
		rc = cm_file_load(&in, input, 1, err);
		if (rc == 0)
			rc = seal_input(c, &in, err);
		cm_file_release(&in);
	}
	if (rc != 0)
		return rc;
	return c->o->merge_into != NULL ? merge_all(c, err) : emit_all(c, err);
}

int cm_seal_main(const struct cm_opts *o, const char *verb, const json_t *built)
{
	struct seal_ctx *c;
	struct ss_err err;
	size_t i;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SEALCTL_EXIT_FAIL;
	c->o = o;
	if (o->scope != NULL && ss_scope_parse_mode(o->scope, &c->mode) != 0) {
		free(c);
		return sealctl_usage(verb, "--scope must be strict, namespace or cluster");
	}
	ss_err_clear(&err);
	rc = seal_run(c, o->npaths == 1 ? o->paths[0] : "-", built, &err);
	for (i = 0; i < c->n; i++)
		ss_sealed_free(c->out[i]);
	if (c->have_target)
		cm_file_release(&c->target);
	free(c);
	return rc != 0 ? sealctl_fail(&err) : SEALCTL_EXIT_OK;
}

/* --from-literal/--from-file: build the Secret, then seal it. */
static int seal_from_args(const struct cm_opts *o, const char *verb)
{
	json_t *sec = NULL;
	struct ss_err err;
	int rc;

	if (o->name == NULL)
		return sealctl_usage(verb, "--from-literal and --from-file need --name NAME");
	if (o->npaths > 0)
		return sealctl_usage(verb, "give either SECRET-FILE or --from-literal/--from-file");
	ss_err_clear(&err);
	rc = cm_build_secret(o, &sec, &err);
	if (rc == SS_E_USAGE)
		return sealctl_usage(verb, "%s", err.msg);
	if (rc != 0)
		return sealctl_fail(&err);
	rc = cm_seal_main(o, verb, sec);
	json_decref(sec);
	return rc;
}

int sealctl_cmd_seal(int argc, char **argv)
{
	struct cm_opts o;
	int rc;

	rc = cm_parse(argc, argv,
		      CM_RECIPIENTS | CM_FORMAT | CM_SCOPE | CM_NAMESPACE | CM_MERGE | CM_AGENT |
			      CM_WRITE | CM_BUILD,
		      seal_help, &o);
	if (rc == 0 && !o.help)
		rc = cm_agent_setup(&o, argv[0]);
	if (rc != 0 || o.help)
		return rc;
	if (o.rcpt.n == 0 && o.agent.url == NULL &&
	    (rc = cm_default_recipients(&o, o.merge_into != NULL ? o.merge_into : o.write_to,
					argv[0])) != 0)
		return rc;
	if (o.npaths > 1)
		return sealctl_usage(argv[0], "one input file at most");
	if (o.write_to != NULL && o.merge_into != NULL)
		return sealctl_usage(argv[0], "give either -w or --merge-into");
	if (o.allow_mixed && o.merge_into == NULL)
		return sealctl_usage(argv[0], "--allow-mixed applies to --merge-into");
	if (o.name != NULL && o.nfrom == 0)
		return sealctl_usage(argv[0], "--name applies to --from-literal/--from-file");
	return o.nfrom > 0 ? seal_from_args(&o, argv[0]) : cm_seal_main(&o, argv[0], NULL);
}
