/*
 * bitnami.h: reading Bitnami Sealed Secrets (bitnami.com/v1alpha1
 * SealedSecret) to convert them into ours (`sealctl import bitnami`,
 * docs/MIGRATION.md). Module import/ (library ss_import), the only code that
 * links OpenSSL's libcrypto, and only into the binaries that import.
 *
 * Their value format (learned from their pkg/crypto HybridEncrypt and
 * checked against kubeseal's output, tests/e2e/t1070):
 *
 *   u16 big-endian L || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(32-byte key)
 *                       (L bytes)
 *                    || AES-256-GCM(key, 12 zero bytes nonce)(plaintext) || tag
 *
 * The OAEP label is the scope: "namespace/name" (strict, the default),
 * "namespace" (annotation sealedsecrets.bitnami.com/namespace-wide: "true")
 * or "" (sealedsecrets.bitnami.com/cluster-wide: "true"), read from the
 * SealedSecret's metadata.annotations as their controller reads it. Their
 * strict scope does not bind the data key: a value can be moved to another
 * key of the same object. Ours does; the import binds each value to the key
 * it is listed under.
 */
#ifndef SEALSYNC_BITNAMI_H
#define SEALSYNC_BITNAMI_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/err.h"
#include "sealsync/object.h"
#include "sealsync/sealed.h"
#include "sealsync/scope.h"

#define SS_BITNAMI_API_VERSION "bitnami.com/v1alpha1"
#define SS_BITNAMI_ANNO_PREFIX "sealedsecrets.bitnami.com/"
#define SS_BITNAMI_MAX_ITEMS 1024
#define SS_BITNAMI_MAX_KEYS 64      /* controller keys per run */
#define SS_BITNAMI_LABEL_MAX (SS_OBJ_LABEL_MAX + 1 + SS_OBJ_NAME_MAX + 1)

struct ss_bitnami_item {
	char key[SS_SCOPE_FIELD_MAX + 1];
	unsigned char *ct; /* decoded ciphertext (public: plain malloc) */
	size_t len;
	int literal;       /* 1: from spec.template.data, ct is the plain value */
	unsigned line;     /* of the key in its file, 0 unknown */
};

struct ss_bitnami {
	char name[SS_OBJ_NAME_MAX + 1];
	char ns[SS_OBJ_LABEL_MAX + 1]; /* "" when none (cluster-wide only) */
	enum ss_scope_mode mode;       /* their scope, mapped to ours */
	json_t *secret; /* a v1 Secret without data: identity, type, immutable,
			   labels, annotations (theirs dropped) */
	struct ss_bitnami_item *items; /* in the document's order */
	size_t n;
	char file[SS_ERR_NAME_MAX]; /* origin, for errors */
	int doc;
	unsigned line;
};

/* 1 when doc says apiVersion bitnami.com/v1alpha1 and kind SealedSecret. */
int ss_bitnami_is(const json_t *doc);

/*
 * Parses and validates doc. Refused by name (SS_E_UNSUPPORTED): the
 * legacy spec.data blob, and a spec.template.data entry that is a Go
 * template or null (their controller renders it; we have no templates). A
 * spec.template.data entry without "{{" is a literal value in clear text
 * and becomes an item with literal = 1. A key in both is SS_E_DUP.
 * Errors name the origin, field and key, never a value. *out NULL on error.
 */
int ss_bitnami_parse(const json_t *doc, const struct ss_origin *o, struct ss_bitnami **out,
		     struct ss_err *err) SS_MUST_CHECK;
void ss_bitnami_free(struct ss_bitnami *b); /* NULL accepted */

/* The OAEP label of scope mode for b's namespace and name (see above). */
void ss_bitnami_label(const struct ss_bitnami *b, enum ss_scope_mode mode, char *buf,
		      size_t len);

/*
 * The framing of one value: *rsa_len is L. SS_E_INVAL when the value is
 * shorter than its framing says, or leaves no room for the GCM tag.
 */
int ss_bitnami_split(const unsigned char *ct, size_t len, size_t *rsa_len,
		     struct ss_err *err) SS_MUST_CHECK;

/*
 * The controller's RSA private keys. ss_bitnami_crypto_init starts
 * OpenSSL's secure heap (mlocked, guarded) before any key is read, so the
 * keys' private numbers live there; SS_E_INTERNAL when it cannot.
 */
struct ss_bitnami_keys;
int ss_bitnami_crypto_init(struct ss_err *err) SS_MUST_CHECK;
int ss_bitnami_keys_new(struct ss_bitnami_keys **out, struct ss_err *err) SS_MUST_CHECK;
void ss_bitnami_keys_free(struct ss_bitnami_keys *k); /* NULL accepted */
size_t ss_bitnami_keys_count(const struct ss_bitnami_keys *k);

/*
 * Adds the RSA private key of a PEM text (PKCS#1 or PKCS#8, as the
 * controller's tls.key); name is for errors. SS_E_INVAL when there is none
 * or it is not RSA.
 */
int ss_bitnami_keys_add_pem(struct ss_bitnami_keys *k, const char *name,
			    const unsigned char *pem, size_t len, struct ss_err *err) SS_MUST_CHECK;

/*
 * Adds the keys of a file: a PEM private key, or YAML/JSON holding the
 * controller's key Secrets (kubernetes.io/tls Secrets, or a v1 List of
 * them, as `kubectl get secret -o yaml` prints them), each one's tls.key.
 * The file is read into guarded memory.
 */
int ss_bitnami_keys_add_file(struct ss_bitnami_keys *k, const char *path,
			     struct ss_err *err) SS_MUST_CHECK;
/* The same for text already in memory (guarded, the caller's), e.g. the
 * API server's SecretList (kind "SecretList"); name is for errors. */
int ss_bitnami_keys_add_text(struct ss_bitnami_keys *k, const char *name,
			     const unsigned char *text, size_t len,
			     struct ss_err *err) SS_MUST_CHECK;

/*
 * Opens one value (ct, len) with label: each key is tried on the RSA part;
 * the one that unwraps opens the AES-GCM part. *pt is guarded memory
 * (ss_secmem_alloc; free with ss_secmem_free; NULL for an empty value).
 * SS_E_NOMATCH: no key unwraps with this label (a wrong key or another
 * scope). SS_E_SIG: the session key unwrapped but the GCM tag does not
 * verify (the value was changed). SS_E_INVAL: framing.
 */
int ss_bitnami_open(const struct ss_bitnami_keys *k, const unsigned char *ct, size_t len,
		    const char *label, unsigned char **pt, size_t *ptlen,
		    struct ss_err *err) SS_MUST_CHECK;

/*
 * Opens item i of b with b's scope. On failure err names b's file,
 * document, object and key, and, when the value opens under another of
 * their scopes, says which (the object was renamed, moved or re-annotated).
 */
int ss_bitnami_open_item(const struct ss_bitnami_keys *k, const struct ss_bitnami *b, size_t i,
			 unsigned char **pt, size_t *ptlen, struct ss_err *err) SS_MUST_CHECK;

/*
 * Converts one Bitnami SealedSecret document into one of ours (*out, JSON,
 * a new reference): parsed, every value opened with k under its scope and
 * sealed to the recipients r[0..nr) in the mapped scope, the template
 * kept. res (may be NULL) gets the value count and the scope. Errors name
 * the origin, object and key, never a value.
 */
struct ss_bitnami_result {
	size_t nvalues;
	enum ss_scope_mode mode;
};
int ss_bitnami_convert(const struct ss_bitnami_keys *k, const json_t *doc,
		       const struct ss_origin *o, const struct ss_recipient *r, size_t nr,
		       json_t **out, struct ss_bitnami_result *res,
		       struct ss_err *err) SS_MUST_CHECK;

/*
 * One document of an input file, for both importers (sealctl import
 * bitnami, the agent's --import-bitnami): a Bitnami SealedSecret is
 * converted (ss_bitnami_convert), a v1 List (kubectl get sealedsecrets -o
 * yaml) is copied with its Bitnami items converted, anything else is kept
 * as it is. *out is a new reference, NULL on error. t adds up what was
 * converted (objects, values, strict ones); it is only added to.
 */
struct ss_bitnami_tally {
	size_t nobjs, nvalues, nstrict;
};
int ss_bitnami_convert_doc(const struct ss_bitnami_keys *k, const json_t *doc,
			   const struct ss_origin *o, const struct ss_recipient *r, size_t nr,
			   json_t **out, struct ss_bitnami_tally *t,
			   struct ss_err *err) SS_MUST_CHECK;

#endif
