/* keystore.c: identities from files or a managed Secret (see keystore.h). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "keystore_int.h"
#include "sealsync/config.h"
#include "sealsync/file.h"
#include "sealsync/kube.h"

static int parse_retired(struct ss_keystore *ks, const char *list, struct ss_err *err)
{
	char item[SS_RECIPIENT_STR_MAX];
	const char *p = list, *end;

	while (p != NULL && *p != '\0') {
		size_t n;

		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0) {
			if (n >= sizeof(item) || ks->nretired >= KS_MAX_RETIRED)
				return ss_err_set(err, SS_E_INVAL, "keys.retired: entry too long or too many");
			memcpy(item, p, n);
			item[n] = '\0';
			if (ss_recipient_parse(item, &ks->retired[ks->nretired], err) != 0) {
				ss_err_prefix(err, "keys.retired: entry %zu", ks->nretired + 1);
				return SS_E_INVAL;
			}
			ks->nretired++;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

int ss_keystore_open(const struct ss_config *cfg, struct ss_keystore **out, struct ss_err *err)
{
	struct ss_keystore *ks;
	struct ss_kube_opts o;
	int rc;

	*out = NULL;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&ks->mu, NULL) != 0) {
		free(ks);
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	}
	ks->cfg = cfg;
	ss_buf_init_secure(&ks->text, SS_KEYFILE_MAX);
	rc = parse_retired(ks, cfg->retired_keys, err);
	if (rc == 0 && cfg->keys_managed) {
		ss_kube_opts_default(&o);
		o.kubeconfig = cfg->kubeconfig;
		o.context = cfg->context;
		o.field_manager = cfg->field_manager;
		o.max_retries = cfg->max_retries;
		rc = ss_kube_open(&o, &ks->kube, err);
	}
	if (rc != 0) {
		ss_keystore_free(ks);
		return rc;
	}
	*out = ks;
	return 0;
}

void ss_keystore_free(struct ss_keystore *ks)
{
	if (ks == NULL)
		return;
	ss_keyring_free(ks->all);
	free(ks->pub);
	ss_kube_free(ks->kube);
	ss_buf_release(&ks->text);
	pthread_mutex_destroy(&ks->mu);
	free(ks);
}

static int is_retired(const struct ss_keystore *ks, const struct ss_recipient *r)
{
	size_t i;

	for (i = 0; i < ks->nretired; i++)
		if (ss_recipient_equal(&ks->retired[i], r))
			return 1;
	return 0;
}

int ks_install(struct ss_keystore *ks, struct ss_keyring *kr, time_t created, struct ss_err *err)
{
	const struct ss_identity *active = ss_keyring_active(kr);
	struct ss_recipient r;

	if (active == NULL)
		return ss_err_set(err, SS_E_NOTFOUND, "no identities found");
	ss_identity_recipient(active, &r);
	if (is_retired(ks, &r))
		return ss_err_set(err, SS_E_INVAL,
				  "keys.retired names the active key: rotate before retiring it");
	pthread_mutex_lock(&ks->mu);
	ss_keyring_free(ks->all);
	ks->all = kr;
	free(ks->pub);
	ks->pub = NULL;
	ks->npub = 0;
	ks->created = created;
	ks->generation++;
	pthread_mutex_unlock(&ks->mu);
	return 0;
}

time_t ks_text_created(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	time_t seen = 0, active = 0;
	struct tm tm;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > 11 && strncmp(p, "# created: ", 11) == 0) {
			char stamp[32];
			size_t n = (size_t)(nl - p) - 11;

			memset(&tm, 0, sizeof(tm));
			if (n < sizeof(stamp)) {
				memcpy(stamp, p + 11, n);
				stamp[n] = '\0';
				const char *rest = strptime(stamp, "%Y-%m-%dT%H:%M:%S", &tm);
				seen = rest != NULL ? timegm(&tm) : 0;
			}
		} else if ((size_t)(nl - p) > 16 && strncmp(p, "AGE-SECRET-KEY-1", 16) == 0) {
			active = seen;
			seen = 0;
		}
	}
	return active;
}

/* Sorted non-dot names of dir; the caller frees names[i] and names. */
static int list_dir(const char *dir, char ***names, size_t *n)
{
	struct dirent **ents = NULL;
	int i, k;

	*names = NULL;
	*n = 0;
	k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0)
		return SS_E_IO;
	*names = calloc((size_t)k + 1, sizeof(char *));
	for (i = 0; i < k; i++) {
		if (*names != NULL && ents[i]->d_name[0] != '.')
			(*names)[(*n)++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return *names == NULL ? SS_E_NOMEM : 0;
}

static void fp_add_stat(crypto_generichash_state *h, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	(void)stat(path, &st); /* a vanished file hashes as zeros: a change */
	crypto_generichash_update(h, (const unsigned char *)path, strlen(path) + 1);
	crypto_generichash_update(h, (const unsigned char *)&st.st_ino, sizeof(st.st_ino));
	crypto_generichash_update(h, (const unsigned char *)&st.st_size, sizeof(st.st_size));
	crypto_generichash_update(h, (const unsigned char *)&st.st_mtim, sizeof(st.st_mtim));
	crypto_generichash_update(h, (const unsigned char *)&st.st_mode, sizeof(st.st_mode));
}

/* Fingerprint of the key files; *last gets the path of the last one (the
 * file holding the active key), malloc'd, or NULL. */
static void fingerprint(const struct ss_config *cfg, unsigned char fp[32], char **last)
{
	crypto_generichash_state h;
	char **names = NULL;
	size_t n = 0;

	*last = NULL;
	crypto_generichash_init(&h, NULL, 0, 32);
	if (cfg->identities_file != NULL) {
		fp_add_stat(&h, cfg->identities_file);
		*last = strdup(cfg->identities_file);
	}
	if (cfg->identities_dir != NULL && list_dir(cfg->identities_dir, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			char path[4096];

			if (names[i] == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s", cfg->identities_dir, names[i]);
			fp_add_stat(&h, path);
			free(names[i]);
			if (i + 1 == n) {
				free(*last);
				*last = strdup(path);
			}
		}
	}
	free(names);
	crypto_generichash_final(&h, fp, 32);
}

static time_t file_created(const char *path)
{
	struct ss_buf text;
	time_t t = 0;

	if (path == NULL)
		return 0;
	ss_buf_init_secure(&text, SS_KEYFILE_MAX);
	if (ss_file_read(path, &text, NULL) == 0)
		t = ks_text_created((const char *)text.data, text.len);
	ss_buf_release(&text);
	return t;
}

static int files_load(struct ss_keystore *ks, struct ss_err *err)
{
	const struct ss_config *c = ks->cfg;
	struct ss_keyring *kr = NULL;
	unsigned char fp[32];
	char *last = NULL;
	int rc;

	fingerprint(c, fp, &last);
	rc = ss_keyring_new(&kr);
	if (rc != 0)
		rc = ss_err_set(err, rc, "out of memory");
	if (rc == 0 && c->identities_file != NULL)
		rc = ss_keyring_load_file(kr, c->identities_file, err);
	if (rc == 0 && c->identities_dir != NULL)
		rc = ss_keyring_load_dir(kr, c->identities_dir, err);
	if (rc == 0)
		rc = ks_install(ks, kr, file_created(last), err);
	if (rc == 0) {
		kr = NULL;
		pthread_mutex_lock(&ks->mu);
		memcpy(ks->fp, fp, sizeof(fp));
		pthread_mutex_unlock(&ks->mu);
	}
	ss_keyring_free(kr);
	free(last);
	return rc;
}

int ss_keystore_load(struct ss_keystore *ks, int create, struct ss_err *err)
{
	if (ks->cfg->keys_managed)
		return ks_managed_load(ks, create, err);
	return files_load(ks, err);
}

int ss_keystore_changed(struct ss_keystore *ks)
{
	unsigned char fp[32];
	char *last = NULL;
	int changed;

	if (ks->cfg->keys_managed)
		return 0;
	fingerprint(ks->cfg, fp, &last);
	free(last);
	pthread_mutex_lock(&ks->mu);
	changed = sodium_memcmp(fp, ks->fp, sizeof(fp)) != 0;
	pthread_mutex_unlock(&ks->mu);
	return changed;
}

int ss_keystore_maintain(struct ss_keystore *ks, int leader, int *changed, struct ss_err *err)
{
	*changed = 0;
	if (!ks->cfg->keys_managed)
		return 0;
	return ks_managed_maintain(ks, leader, changed, err);
}

static int identity_copy(const struct ss_identity *id, struct ss_identity **out)
{
	char *s = sodium_malloc(SS_IDENTITY_STR_MAX);
	int rc;

	*out = NULL;
	if (s == NULL)
		return SS_E_NOMEM;
	rc = ss_identity_format(id, s, SS_IDENTITY_STR_MAX);
	if (rc == 0)
		rc = ss_identity_parse(s, strlen(s), out, NULL);
	sodium_memzero(s, SS_IDENTITY_STR_MAX);
	sodium_free(s);
	return rc;
}

static int copy_usable(const struct ss_keystore *ks, struct ss_keyring *kr)
{
	size_t i, n = ss_keyring_count(ks->all);
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		const struct ss_identity *id = ss_keyring_get(ks->all, i);
		struct ss_identity *copy = NULL;
		struct ss_recipient r;

		ss_identity_recipient(id, &r);
		if (is_retired(ks, &r))
			continue;
		rc = identity_copy(id, &copy);
		if (rc == 0 && (rc = ss_keyring_add(kr, copy)) != 0)
			ss_identity_free(copy);
	}
	return rc;
}

int ss_keystore_keyring(struct ss_keystore *ks, struct ss_keyring **out, struct ss_err *err)
{
	struct ss_keyring *kr = NULL;
	int rc;

	*out = NULL;
	rc = ss_keyring_new(&kr);
	if (rc != 0)
		return ss_err_set(err, rc, "out of memory");
	pthread_mutex_lock(&ks->mu);
	if (ks->all == NULL)
		rc = ss_err_set(err, SS_E_NOTFOUND, "no identities loaded yet");
	else if ((rc = copy_usable(ks, kr)) != 0)
		ss_err_set(err, rc, "cannot copy the identities");
	pthread_mutex_unlock(&ks->mu);
	if (rc != 0) {
		ss_keyring_free(kr);
		return rc;
	}
	*out = kr;
	return 0;
}

int ss_keystore_drop_identities(struct ss_keystore *ks)
{
	struct ss_recipient *pub;
	size_t i, n;

	if (ks->cfg->keys_managed)
		return SS_E_INVAL;
	pthread_mutex_lock(&ks->mu);
	n = ks->all != NULL ? ss_keyring_count(ks->all) : 0;
	pub = n > 0 ? calloc(n, sizeof(*pub)) : NULL;
	if (pub != NULL) {
		for (i = 0; i < n; i++)
			ss_identity_recipient(ss_keyring_get(ks->all, i), &pub[i]);
		ss_keyring_free(ks->all); /* wipes */
		ks->all = NULL;
		free(ks->pub);
		ks->pub = pub;
		ks->npub = n;
	}
	pthread_mutex_unlock(&ks->mu);
	return n == 0 || pub != NULL ? 0 : SS_E_NOMEM;
}

unsigned long ss_keystore_generation(struct ss_keystore *ks)
{
	unsigned long g;

	pthread_mutex_lock(&ks->mu);
	g = ks->generation;
	pthread_mutex_unlock(&ks->mu);
	return g;
}

size_t ss_keystore_recipients(struct ss_keystore *ks, struct ss_recipient *out, size_t max,
			      size_t *retired, time_t *created)
{
	size_t i, n = 0, nret = 0, total;

	pthread_mutex_lock(&ks->mu);
	total = ks->all != NULL ? ss_keyring_count(ks->all) : ks->npub; /* 0 before a load */
	for (i = total; i-- > 0;) {
		struct ss_recipient r;

		if (ks->all != NULL)
			ss_identity_recipient(ss_keyring_get(ks->all, i), &r);
		else
			r = ks->pub[i];
		if (is_retired(ks, &r))
			nret++;
		else if (n < max)
			out[n++] = r;
	}
	if (retired != NULL)
		*retired = nret;
	if (created != NULL)
		*created = ks->created;
	pthread_mutex_unlock(&ks->mu);
	return n;
}
