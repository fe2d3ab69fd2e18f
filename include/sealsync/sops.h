/*
 * sops.h: reading Secret manifests that sops encrypted to age recipients
 * (docs/MIGRATION.md, "From SOPS with Flux"; docs/FORMAT.md has our own
 * format). Reading only: sealsync never writes SOPS files.
 *
 * A SOPS YAML document is the Secret with a top-level `sops` mapping. Each
 * value selected for encryption is
 *   ENC[AES256_GCM,data:B64,iv:B64,tag:B64,type:str|int|float|bool|bytes]
 * sealed with AES-256-GCM under a 32-byte data key, a 32-byte nonce and the
 * value's path as AAD (keys joined with ':' plus a trailing ':'). sops.mac
 * is the uppercase hex SHA-512 of every leaf's plaintext in document order
 * (leaves left unencrypted by encrypted_regex & co. included, unless
 * mac_only_encrypted), itself sealed like a value with sops.lastmodified as
 * AAD. The data key sits in sops.age[].enc: an armored age file per
 * recipient.
 *
 * The unscoped hole DESIGN §3.2 closes stays closed: the data key is opened
 * only by ss_sops_open_datakey, which returns exactly 32 bytes and refuses
 * any age file with a sealsync/scope (or sealsync/hint) stanza, so a sealed
 * value cannot be read through this path; callers apply a SOPS Secret only
 * at the namespace and name in its MAC-covered content.
 *
 * Refused, naming the thing: PGP, cloud KMS, Vault, key groups / Shamir,
 * age stanzas other than X25519 (ssh-ed25519, ssh-rsa, scrypt, plugins),
 * comment regexes, multi-document files, kinds other than v1 Secret.
 * Error text names files, fields and keys, never values.
 */
#ifndef SEALSYNC_SOPS_H
#define SEALSYNC_SOPS_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/age.h"
#include "sealsync/err.h"
#include "sealsync/object.h"

#define SS_SOPS_KEY_LEN 32
#define SS_SOPS_MAX_AGE 16 /* sops.age entries tried per document */

/* 1 when doc is a mapping with a top-level `sops` key (a SOPS document). */
int ss_sops_is(const json_t *doc);

/*
 * crypto: opens one armored (or binary) age file holding a SOPS data key
 * with o's identities (or o->sops_key_fn, the key holder). Every stanza must
 * be X25519: sealsync/scope and sealsync/hint give SS_E_SCOPE (a sealed
 * value is never a data key), other types SS_E_UNSUPPORTED naming the type.
 * The plaintext must be exactly 32 bytes (SS_E_INVAL). key must be guarded
 * memory. o->expect and o->allow_unscoped are ignored.
 */
int ss_sops_open_datakey(const struct ss_age_open_opts *o, const unsigned char *in, size_t inlen,
			 unsigned char key[SS_SOPS_KEY_LEN], struct ss_err *err) SS_MUST_CHECK;

/*
 * crypto: AES-256-GCM open with any nonce length (sops uses 32 bytes), via
 * OpenSSL. Appends the plaintext to pt. SS_E_AGE_PAYLOAD when the tag fails.
 */
int ss_sops_gcm_open(const unsigned char key[SS_SOPS_KEY_LEN], const unsigned char *iv,
		     size_t ivlen, const unsigned char *ct, size_t ctlen,
		     const unsigned char tag[16], const char *aad, size_t aadlen,
		     struct ss_buf *pt) SS_MUST_CHECK;

/*
 * manifest: decrypts the SOPS document doc: checks the metadata, opens the
 * data key from sops.age (each entry in turn until one opens), decrypts
 * every value, checks the MAC, and returns the v1 Secret with stringData
 * folded into data (as the API server does) and the `sops` key removed.
 * The Secret must name metadata.namespace and metadata.name itself.
 * Codes: SS_E_INVAL (malformed), SS_E_UNSUPPORTED (a refused feature),
 * SS_E_SIG (MAC mismatch or a value that does not decrypt), the age codes
 * of ss_sops_open_datakey. *out NULL on error.
 */
int ss_sops_decrypt(const json_t *doc, const struct ss_origin *origin,
		    const struct ss_age_open_opts *o, json_t **out,
		    struct ss_err *err) SS_MUST_CHECK;

#endif
