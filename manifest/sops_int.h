/*
 * sops_int.h: manifest/-private parts of the SOPS reader (sops_meta.c,
 * sops_walk.c, sops.c). See sealsync/sops.h.
 */
#ifndef SEALSYNC_SOPS_INT_H
#define SEALSYNC_SOPS_INT_H

#include <regex.h>

#include <jansson.h>

#include "sealsync/sops.h"

#define SOPS_MAX_DEPTH 128
#define SOPS_MAX_PATH 4096 /* bytes of one value's AAD path */

/* The `sops` mapping, checked; strings borrow from the document. */
struct sops_meta {
	const char *lastmodified, *mac;
	const char *enc_suffix, *unenc_suffix;
	regex_t enc_re, unenc_re;
	int has_enc_re, has_unenc_re;
	int mac_only_encrypted;
	size_t nage;
	const char *age_enc[SS_SOPS_MAX_AGE];
};

/* Reads and checks doc's `sops` mapping (refused features named). */
int sops_meta_parse(const json_t *doc, struct sops_meta *m, struct ss_err *err);
void sops_meta_release(struct sops_meta *m);

/* 1 when the value at path (npath keys) is one sops encrypted. */
int sops_meta_encrypted(const struct sops_meta *m, const char *const *path, size_t npath);

/*
 * Decrypts one ENC[AES256_GCM,...] string with aad; *out is the typed
 * plaintext (string, integer, real or boolean) and the plaintext bytes are
 * appended to pt (the MAC's input form). SS_E_SIG when the tag fails.
 */
int sops_value_open(const unsigned char *key, const char *enc, const char *aad,
		    struct ss_buf *pt, json_t **out, struct ss_err *err);

/*
 * Walks doc (a deep copy, modified in place): decrypts every encrypted leaf
 * and writes the MAC of all leaves (uppercase hex SHA-512) into mac_hex.
 */
int sops_walk(json_t *doc, const struct sops_meta *m, const unsigned char *key,
	      char mac_hex[129], struct ss_err *err);

#endif
