/*
 * sops_walk.c: decrypting a SOPS document's values and recomputing its MAC
 * the way sops does (see sops.h): a SHA-512 over every leaf in document
 * order, encrypted or not (unless mac_only_encrypted), in sops' string form
 * of each type; null leaves and comments are not hashed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"
#include "sealsync/buf.h"

#include "sops_int.h"

/* sha256("sops"): sops seeds the hash with it under mac_only_encrypted. */
static const unsigned char mac_only_seed[32] = {
	0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
	0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
};

struct walk {
	const struct sops_meta *m;
	const unsigned char *key;
	crypto_hash_sha512_state h;
	const char *path[SOPS_MAX_DEPTH];
	size_t npath;
	struct ss_buf pt;  /* one plaintext at a time, guarded */
	struct ss_err *err;
};

static int set_field(struct walk *w)
{
	char dotted[SS_ERR_NAME_MAX];
	size_t i, off = 0;

	dotted[0] = '\0';
	for (i = 0; i < w->npath && off < sizeof(dotted); i++)
		off += (size_t)snprintf(dotted + off, sizeof(dotted) - off, "%s%s", i ? "." : "",
					w->path[i]);
	ss_err_field(w->err, dotted, NULL);
	return 0;
}

static int aad_of(const struct walk *w, struct ss_buf *aad)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < w->npath && rc == 0; i++) {
		rc = ss_buf_puts(aad, w->path[i]);
		if (rc == 0)
			rc = ss_buf_putc(aad, ':');
	}
	return rc;
}

/* A leaf left in clear: sops hashes Go's string form of its type. */
static int hash_plain(struct walk *w, const json_t *v)
{
	char num[32];
	const char *s = NULL;
	size_t n = 0;

	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else if (json_is_integer(v)) {
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "True" : "False";
		n = strlen(s);
	} else {
		set_field(w);
		return ss_err_set(w->err, SS_E_UNSUPPORTED,
				  "a non-integral number left unencrypted by sops");
	}
	return crypto_hash_sha512_update(&w->h, (const unsigned char *)s, n) ? SS_E_INTERNAL : 0;
}

static int do_leaf(struct walk *w, json_t *v, json_t **repl)
{
	struct ss_buf aad;
	const char *s = json_string_value(v);
	int rc;

	*repl = NULL;
	if (!sops_meta_encrypted(w->m, w->path, w->npath))
		return w->m->mac_only_encrypted ? 0 : hash_plain(w, v);
	if (s == NULL) {
		set_field(w);
		return ss_err_set(w->err, SS_E_INVAL, "sops left a value unencrypted that it should have encrypted");
	}
	if (s[0] == '\0')
		return 0; /* sops keeps "" as is; it adds nothing to the hash */
	ss_buf_init(&aad, SOPS_MAX_PATH);
	rc = aad_of(w, &aad);
	if (rc == 0) {
		ss_buf_reset(&w->pt);
		rc = sops_value_open(w->key, s, ss_buf_str(&aad), &w->pt, repl, w->err);
	}
	if (rc == 0 && crypto_hash_sha512_update(&w->h, w->pt.data, w->pt.len) != 0)
		rc = SS_E_INTERNAL;
	if (rc != 0)
		set_field(w);
	ss_buf_release(&aad);
	return rc;
}

static int walk_value(struct walk *w, json_t *v, json_t **repl);

static int walk_object(struct walk *w, json_t *obj, int top)
{
	const char *k;
	json_t *v, *repl;
	int rc;

	if (w->npath >= SOPS_MAX_DEPTH)
		return ss_err_set(w->err, SS_E_LIMIT, "SOPS document nested too deeply");
	json_object_foreach(obj, k, v) {
		if (top && strcmp(k, "sops") == 0)
			continue;
		w->path[w->npath++] = k;
		rc = walk_value(w, v, &repl);
		w->npath--;
		if (rc == 0 && repl != NULL && json_object_set_new(obj, k, repl) != 0)
			rc = ss_err_set(w->err, SS_E_NOMEM, "out of memory");
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk_array(struct walk *w, json_t *arr)
{
	json_t *repl;
	size_t i;
	int rc;

	for (i = 0; i < json_array_size(arr); i++) {
		/* sops gives sequence items their parent's path, no index */
		rc = walk_value(w, json_array_get(arr, i), &repl);
		if (rc == 0 && repl != NULL && json_array_set_new(arr, i, repl) != 0)
			rc = ss_err_set(w->err, SS_E_NOMEM, "out of memory");
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk_value(struct walk *w, json_t *v, json_t **repl)
{
	*repl = NULL;
	if (json_is_object(v))
		return walk_object(w, v, 0);
	if (json_is_array(v))
		return walk_array(w, v);
	if (json_is_null(v))
		return 0; /* sops neither encrypts nor hashes null */
	return do_leaf(w, v, repl);
}

int sops_walk(json_t *doc, const struct sops_meta *m, const unsigned char *key,
	      char mac_hex[129], struct ss_err *err)
{
	unsigned char digest[crypto_hash_sha512_BYTES];
	struct walk *w = calloc(1, sizeof(*w));
	size_t i;
	int rc;

	if (w == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	w->m = m;
	w->key = key;
	w->err = err;
	ss_buf_init_secure(&w->pt, 2u * 1024 * 1024);
	crypto_hash_sha512_init(&w->h);
	if (m->mac_only_encrypted)
		crypto_hash_sha512_update(&w->h, mac_only_seed, sizeof(mac_only_seed));
	rc = walk_object(w, doc, 1);
	if (rc == 0) {
		crypto_hash_sha512_final(&w->h, digest);
		for (i = 0; i < sizeof(digest); i++)
			snprintf(mac_hex + 2 * i, 3, "%02X", digest[i]);
	}
	ss_buf_release(&w->pt);
	sodium_memzero(w, sizeof(*w));
	free(w);
	return rc;
}
