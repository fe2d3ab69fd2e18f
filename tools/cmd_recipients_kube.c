/*
 * cmd_recipients_kube.c: two more ways to get the recipients to seal to.
 *
 *   sealctl recipients --kubeconfig [FILE] [--context NAME]
 *       reads the ConfigMap the agent publishes ("<name>-recipients" in its
 *       namespace, keystore.h) through the API server, with the user's own
 *       kubeconfig credentials (token, client certificate or an exec
 *       credential plugin) and the cluster CA: authenticated end to end, no
 *       agent port to reach. Not through the API server's service proxy,
 *       which does not verify the backend's certificate.
 *   sealctl recipients -i keys.txt
 *       the active recipient of an identity file (its last key).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd_recipients_kube.h"
#include "kubeconfig.h"
#include "sealsync/jsonalloc.h"
#include "sealctl.h"
#include "sealsync/keys.h"

static const char help[] =
	"usage: sealctl recipients --kubeconfig [FILE] [--context NAME]\n"
	"                          [--agent-namespace NS] [--agent-name NAME] [--pin age1...]...\n"
	"       sealctl recipients -i FILE\n"
	"\n"
	"--kubeconfig reads the recipients the agent publishes in the ConfigMap\n"
	"NAME-recipients (default sealsync-recipients) of its namespace (default\n"
	"sealsync-system) through the API server, with your kubeconfig's\n"
	"credentials (token, client certificate or exec plugin) and its cluster CA.\n"
	"FILE defaults to $KUBECONFIG, then ~/.kube/config; the context to the\n"
	"current-context. With --pin, every advertised recipient must be pinned.\n"
	"When the agent serves HTTPS with a generated certificate, a last comment\n"
	"line gives its pin for sealctl --agent URL --pin sha256//....\n"
	"-i prints the active recipient (the last key) of an identity file.\n";

struct rk_opts {
	const char *kubeconfig, *context, *ns, *name, *identities;
	const char *pins[16];
	size_t npins;
	int kube, help;
};

static int takes_value(const char *a)
{
	return strcmp(a, "--context") == 0 || strcmp(a, "--agent-namespace") == 0 ||
	       strcmp(a, "--agent-name") == 0 || strcmp(a, "--pin") == 0 ||
	       strcmp(a, "-i") == 0 || strcmp(a, "--identities") == 0;
}

int sealctl_recipients_kube_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "--kubeconfig", 12) == 0 || strcmp(argv[i], "-i") == 0 ||
		    strcmp(argv[i], "--identities") == 0 || strcmp(argv[i], "--context") == 0)
			return 1;
	return 0;
}

static int set_opt(struct rk_opts *o, const char *a, const char *v)
{
	if (strcmp(a, "--context") == 0)
		o->context = v;
	else if (strcmp(a, "--agent-namespace") == 0)
		o->ns = v;
	else if (strcmp(a, "--agent-name") == 0)
		o->name = v;
	else if (strcmp(a, "-i") == 0 || strcmp(a, "--identities") == 0)
		o->identities = v;
	else if (o->npins >= 16)
		return sealctl_usage("recipients", "too many --pin");
	else
		o->pins[o->npins++] = v;
	return 0;
}

/* --kubeconfig takes an optional FILE: the next word, unless it is a flag. */
static int parse(struct rk_opts *o, int argc, char **argv)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			o->help = 1;
		else if (strncmp(a, "--kubeconfig=", 13) == 0) {
			o->kube = 1;
			o->kubeconfig = a + 13;
		} else if (strcmp(a, "--kubeconfig") == 0) {
			o->kube = 1;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				o->kubeconfig = argv[++i];
		} else if (takes_value(a)) {
			if (i + 1 >= argc)
				return sealctl_usage("recipients", "%s needs a value", a);
			if ((rc = set_opt(o, a, argv[++i])) != 0)
				return rc;
		} else
			return sealctl_usage("recipients", "bad option or argument '%s'", a);
	}
	if (!o->help && o->kube == (o->identities != NULL))
		return sealctl_usage("recipients", "give either --kubeconfig or -i FILE");
	if (!o->help && !o->kube && (o->context != NULL || o->npins > 0))
		return sealctl_usage("recipients", "--context and --pin go with --kubeconfig");
	return 0;
}

static int from_identities(const struct rk_opts *o)
{
	char *paths[1] = {(char *)o->identities}, line[SS_RECIPIENT_STR_MAX];
	struct ss_keyring *kr = NULL;
	struct ss_recipient r;
	struct ss_err err;
	int rc;

	ss_err_clear(&err);
	if (ss_keyring_new(&kr) != 0)
		return sealctl_fail(&err);
	rc = sealctl_load_identities(kr, paths, 1, &err);
	if (rc == 0 && ss_keyring_count(kr) == 0)
		rc = ss_err_set(&err, SS_E_NOTFOUND, "%s: no identities", o->identities);
	if (rc == 0) {
		ss_identity_recipient(ss_keyring_active(kr), &r);
		rc = ss_recipient_format(&r, line, sizeof(line));
	}
	ss_keyring_free(kr);
	if (rc != 0)
		return sealctl_fail(&err);
	printf("%s\n", line);
	return SEALCTL_EXIT_OK;
}

/* Every recipient line (not a comment) must be one of the pins. */
static int check_pins(const struct rk_opts *o, const char *text, struct ss_err *err)
{
	struct ss_recipient r, p;
	char line[256];
	size_t i, n;

	for (; o->npins > 0 && *text != '\0'; text += n + (text[n] == '\n')) {
		n = strcspn(text, "\n");
		if (n == 0 || text[0] == '#' || n >= sizeof(line))
			continue;
		memcpy(line, text, n);
		line[n] = '\0';
		if (ss_recipient_parse(line, &r, err) != 0)
			return SS_E_INVAL;
		for (i = 0; i < o->npins; i++)
			if (ss_recipient_parse(o->pins[i], &p, NULL) == 0 && ss_recipient_equal(&p, &r))
				break;
		if (i == o->npins)
			return ss_err_set(err, SS_E_SIG, "recipient %s is not pinned (--pin): "
					  "nothing printed", line);
	}
	return 0;
}

/* What the API server's answer means for the user, and what to do. */
static int answer(const struct rk_opts *o, const struct sealctl_kube *k, long status,
		  const struct ss_buf *body, const char **text, json_t **doc, struct ss_err *err)
{
	const char *ctx = k->context;

	if (status == 401)
		return ss_err_set(err, SS_E_PERM, "the API server (context %s) did not accept your "
				  "credentials (HTTP 401): log in again", ctx);
	if (status == 403)
		return ss_err_set(err, SS_E_PERM, "context %s may not read ConfigMap %s/%s-recipients "
				  "(HTTP 403): ask for get on it (deploy/ has a Role for this)",
				  ctx, o->ns, o->name);
	if (status == 404)
		return ss_err_set(err, SS_E_NOTFOUND, "no ConfigMap %s/%s-recipients in context %s: "
				  "is the agent running there (it publishes it at start), with "
				  "--agent-namespace and --agent-name as given?", o->ns, o->name, ctx);
	if (status != 200)
		return ss_err_set(err, SS_E_NET, "the API server answered HTTP %ld", status);
	*doc = json_loadb((const char *)body->data, body->len, 0, NULL);
	*text = json_string_value(json_object_get(json_object_get(*doc, "data"),
						  "recipients.txt"));
	if (*text == NULL)
		return ss_err_set(err, SS_E_INVAL, "ConfigMap %s/%s-recipients has no "
				  "data.recipients.txt", o->ns, o->name);
	return 0;
}

/* The pin of the agent's generated HTTPS certificate, as a comment line
 * (recipients files skip comments): for `sealctl --agent URL --pin`. */
static void print_tls_pin(json_t *doc)
{
	const char *pin = json_string_value(json_object_get(json_object_get(doc, "data"),
							    "tlsPin"));

	if (pin != NULL && strncmp(pin, "sha256//", 8) == 0 && strlen(pin) == 8 + 44 &&
	    strspn(pin + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == 44)
		printf("# agent TLS key (sealctl --agent https://... --pin): %s\n", pin);
}

static int from_kube(const struct rk_opts *o)
{
	struct sealctl_kube k;
	struct ss_buf body;
	struct ss_err err;
	const char *text = NULL;
	json_t *doc = NULL;
	char path[1024];
	long status = 0;
	int rc;

	ss_err_clear(&err);
	rc = sealctl_kube_load(o->kubeconfig, o->context, &k, &err);
	if (rc != 0)
		return rc == SS_E_USAGE ? sealctl_usage("recipients", "%s", err.msg) : sealctl_fail(&err);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps/%s-recipients", o->ns,
		 o->name);
	ss_buf_init(&body, 8u << 20);
	rc = sealctl_kube_get(&k, path, &status, &body, &err);
	if (rc == 0)
		rc = answer(o, &k, status, &body, &text, &doc, &err);
	if (rc == 0)
		rc = check_pins(o, text, &err);
	if (rc == 0) {
		fputs(text, stdout);
		print_tls_pin(doc);
	}
	json_decref(doc);
	ss_buf_release(&body);
	sealctl_kube_release(&k);
	return rc == 0 ? SEALCTL_EXIT_OK : sealctl_fail(&err);
}

int sealctl_cmd_recipients_kube(int argc, char **argv)
{
	struct rk_opts o;
	int rc;

	/* The kubeconfig's tokens and keys pass through jansson: wipe on free. */
	ss_json_use_zeroing_alloc();
	memset(&o, 0, sizeof(o));
	o.ns = "sealsync-system";
	o.name = "sealsync";
	rc = parse(&o, argc, argv);
	if (rc != 0)
		return rc;
	if (o.help) {
		fputs(help, stdout);
		return SEALCTL_EXIT_OK;
	}
	return o.kube ? from_kube(&o) : from_identities(&o);
}
