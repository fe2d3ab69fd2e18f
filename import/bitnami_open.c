/*
 * bitnami_open.c: the controller's RSA keys and opening Bitnami's hybrid
 * values (include/sealsync/bitnami.h) with OpenSSL's libcrypto.
 *
 * Where secrets live: the RSA private numbers in OpenSSL's secure heap
 * (started before any key is decoded, so the ASN.1 decoder allocates them
 * there); the 32-byte session key and every plaintext in sodium_malloc
 * memory, wiped on free. The AES key schedule lives in OpenSSL's cipher
 * context, which OpenSSL cleanses when it is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "sealsync/bitnami.h"
#include "sealsync/secmem.h"

#define SESSION_KEY_LEN 32
#define GCM_TAG_LEN 16
#define GCM_NONCE_LEN 12
/* Room for a few dozen RSA-4096 keys and OpenSSL's temporaries. */
#define SECURE_HEAP_SIZE (1u << 20)
#define SECURE_HEAP_MIN 32

struct ss_bitnami_keys {
	EVP_PKEY *k[SS_BITNAMI_MAX_KEYS];
	size_t n;
};

int ss_bitnami_crypto_init(struct ss_err *err)
{
	if (ss_secmem_init() != 0)
		return ss_err_set(err, SS_E_INTERNAL, "libsodium did not start");
	if (CRYPTO_secure_malloc_initialized())
		return 0;
	/* 0: no secure heap at all; 2: a heap that could not be mlocked, still
	 * guarded and cleansed, as sodium_malloc is where mlock is refused. */
	if (CRYPTO_secure_malloc_init(SECURE_HEAP_SIZE, SECURE_HEAP_MIN) == 0)
		return ss_err_set(err, SS_E_INTERNAL, "OpenSSL's secure heap did not start; "
				  "refusing to read RSA private keys into ordinary memory");
	return 0;
}

int ss_bitnami_keys_new(struct ss_bitnami_keys **out, struct ss_err *err)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? ss_err_set(err, SS_E_NOMEM, "out of memory") : 0;
}

void ss_bitnami_keys_free(struct ss_bitnami_keys *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++)
		EVP_PKEY_free(k->k[i]);
	free(k);
}

size_t ss_bitnami_keys_count(const struct ss_bitnami_keys *k) { return k->n; }

int ss_bitnami_keys_add_pem(struct ss_bitnami_keys *k, const char *name,
			    const unsigned char *pem, size_t len, struct ss_err *err)
{
	EVP_PKEY *p = NULL;
	BIO *bio;
	int rc = 0;

	if (k->n >= SS_BITNAMI_MAX_KEYS)
		return ss_err_set(err, SS_E_LIMIT, "%s: more than %d keys", name,
				  SS_BITNAMI_MAX_KEYS);
	if (len > (size_t)1 << 20)
		return ss_err_set(err, SS_E_LIMIT, "%s: key text too large", name);
	/* A read-only BIO over the caller's guarded text: no copy. */
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	p = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	if (p == NULL)
		ERR_clear_error();
	if (p == NULL)
		rc = ss_err_set(err, SS_E_INVAL, "%s: no PEM private key (PKCS#1 or PKCS#8, "
				"unencrypted)", name);
	else if (EVP_PKEY_get_base_id(p) != EVP_PKEY_RSA)
		rc = ss_err_set(err, SS_E_INVAL, "%s: not an RSA key", name);
	if (rc == 0)
		k->k[k->n++] = p;
	else
		EVP_PKEY_free(p);
	BIO_free(bio);
	return rc;
}

/* RSA-OAEP with SHA-256 for both the hash and MGF1 (Go's rsa.DecryptOAEP). */
static int rsa_unwrap(EVP_PKEY *key, const unsigned char *in, size_t inlen, const char *label,
		      unsigned char *sk)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	unsigned char *out = NULL, *lab = NULL;
	size_t outlen = (size_t)EVP_PKEY_get_size(key);
	size_t ll = strlen(label);
	int ok = 0;

	out = ss_secmem_alloc(outlen > 0 ? outlen : 1);
	if (c == NULL || out == NULL || EVP_PKEY_decrypt_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) <= 0)
		goto out;
	if (ll > 0) {
		/* set0 takes ownership of an OPENSSL_malloc'd label. */
		lab = OPENSSL_memdup(label, ll);
		if (lab == NULL || EVP_PKEY_CTX_set0_rsa_oaep_label(c, lab, (int)ll) <= 0)
			goto out;
		lab = NULL;
	}
	if (EVP_PKEY_decrypt(c, out, &outlen, in, inlen) <= 0 || outlen != SESSION_KEY_LEN)
		goto out;
	memcpy(sk, out, SESSION_KEY_LEN);
	ok = 1;
out:
	if (!ok) /* a wrong key is expected: leave no error queued */
		ERR_clear_error();
	OPENSSL_free(lab);
	ss_secmem_free(out);
	EVP_PKEY_CTX_free(c);
	return ok;
}

/* AES-256-GCM, zero nonce (their session key is used once), tag at the end. */
static int gcm_open(const unsigned char *sk, const unsigned char *in, size_t len,
		    unsigned char *pt)
{
	static const unsigned char zero[GCM_NONCE_LEN];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t n = len - GCM_TAG_LEN;
	int outl = 0, fin = 0, ok = 0;

	if (c == NULL || n > (size_t)1 << 30 ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, sk, zero) != 1 ||
	    (n > 0 && EVP_DecryptUpdate(c, pt, &outl, in, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, (void *)(in + n)) != 1)
		goto out;
	ok = EVP_DecryptFinal_ex(c, pt + outl, &fin) == 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

int ss_bitnami_open(const struct ss_bitnami_keys *k, const unsigned char *ct, size_t len,
		    const char *label, unsigned char **pt, size_t *ptlen, struct ss_err *err)
{
	unsigned char *sk = NULL, *out = NULL;
	size_t rl, i, n;
	int rc;

	*pt = NULL, *ptlen = 0;
	rc = ss_bitnami_split(ct, len, &rl, err);
	if (rc != 0)
		return rc;
	n = len - 2 - rl - GCM_TAG_LEN;
	sk = ss_secmem_alloc(SESSION_KEY_LEN);
	out = ss_secmem_alloc(n > 0 ? n : 1);
	rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
	if (sk == NULL || out == NULL)
		goto out;
	rc = ss_err_set(err, SS_E_NOMATCH, "no --key unwraps it");
	for (i = 0; i < k->n; i++)
		if (rsa_unwrap(k->k[i], ct + 2, rl, label, sk))
			break;
	if (i == k->n)
		goto out;
	rc = ss_err_set(err, SS_E_SIG, "the session key unwraps, but AES-GCM authentication "
			"fails: the value was changed after sealing");
	if (!gcm_open(sk, ct + 2 + rl, len - 2 - rl, out))
		goto out;
	rc = 0;
	ss_err_clear(err);
	*pt = n > 0 ? out : NULL, *ptlen = n;
	if (n > 0)
		out = NULL;
out:
	ss_secmem_free(sk);
	ss_secmem_free(out);
	return rc;
}

/* "strict shop/db", "namespace-wide shop" or "cluster-wide", in their words. */
static void describe(const struct ss_bitnami *b, enum ss_scope_mode m, char *buf, size_t len)
{
	if (m == SS_SCOPE_CLUSTER)
		snprintf(buf, len, "cluster-wide");
	else if (m == SS_SCOPE_NAMESPACE)
		snprintf(buf, len, "namespace-wide %s", b->ns);
	else
		snprintf(buf, len, "strict %s/%s", b->ns, b->name);
}

/*
 * A value no key opens under the manifest's scope may open under another:
 * trying the other two labels tells a moved, renamed or re-annotated object
 * from a wrong key. Only on failure, so it costs nothing when all is well.
 */
static void diagnose(const struct ss_bitnami_keys *k, const struct ss_bitnami *b, size_t i,
		     struct ss_err *err)
{
	char label[SS_BITNAMI_LABEL_MAX], want[SS_BITNAMI_LABEL_MAX + 32];
	char got[SS_BITNAMI_LABEL_MAX + 32];
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	int m;

	describe(b, b->mode, want, sizeof(want));
	for (m = SS_SCOPE_STRICT; m <= SS_SCOPE_CLUSTER; m++) {
		if ((enum ss_scope_mode)m == b->mode || (m != SS_SCOPE_CLUSTER && b->ns[0] == '\0'))
			continue;
		ss_bitnami_label(b, (enum ss_scope_mode)m, label, sizeof(label));
		if (ss_bitnami_open(k, b->items[i].ct, b->items[i].len, label, &pt, &ptlen, NULL) == 0) {
			ss_secmem_free(pt);
			describe(b, (enum ss_scope_mode)m, got, sizeof(got));
			ss_err_set(err, SS_E_SCOPE, "scope mismatch: the value was sealed %s, but "
				   "the manifest's scope is %s (renamed, moved or re-annotated?)",
				   got, want);
			return;
		}
	}
	ss_err_set(err, SS_E_NOMATCH, "no --key opens it under their scope %s (a wrong key, "
		   "or the value was sealed for another object)", want);
}

int ss_bitnami_open_item(const struct ss_bitnami_keys *k, const struct ss_bitnami *b, size_t i,
			 unsigned char **pt, size_t *ptlen, struct ss_err *err)
{
	char label[SS_BITNAMI_LABEL_MAX];
	int rc;

	ss_bitnami_label(b, b->mode, label, sizeof(label));
	rc = ss_bitnami_open(k, b->items[i].ct, b->items[i].len, label, pt, ptlen, err);
	if (rc == SS_E_NOMATCH)
		diagnose(k, b, i, err);
	if (rc != 0) {
		ss_err_prefix(err, "SealedSecret %s%s%s", b->ns, b->ns[0] != '\0' ? "/" : "",
			      b->name);
		ss_err_at(err, b->file, b->items[i].line, b->doc);
		ss_err_field(err, "spec.encryptedData", b->items[i].key);
		rc = err != NULL ? err->code : rc;
	}
	return rc;
}
