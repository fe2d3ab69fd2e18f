/*
 * sops_gcm.c: AES-256-GCM open with sops' 32-byte nonces (see sops.h).
 * libsodium's AES-GCM takes 12-byte nonces only, so this file uses
 * OpenSSL's libcrypto (as hkdf.c does, for speed).
 */
#include <limits.h>

#include <openssl/evp.h>

#include "sealsync/buf.h"
#include "sealsync/sops.h"

static int gcm_init(EVP_CIPHER_CTX *c, const unsigned char *key, const unsigned char *iv,
		    size_t ivlen)
{
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, iv) != 1)
		return SS_E_INTERNAL;
	return 0;
}

int ss_sops_gcm_open(const unsigned char key[SS_SOPS_KEY_LEN], const unsigned char *iv,
		     size_t ivlen, const unsigned char *ct, size_t ctlen,
		     const unsigned char tag[16], const char *aad, size_t aadlen,
		     struct ss_buf *pt)
{
	EVP_CIPHER_CTX *c = NULL;
	size_t start = pt->len;
	int n = 0, fin = 0, rc;

	if (ivlen == 0 || ivlen > 256 || ctlen > INT_MAX / 2 || aadlen > INT_MAX / 2)
		return SS_E_INVAL;
	rc = ss_buf_reserve(pt, ctlen + 32); /* GCM adds nothing; room for a NUL */
	if (rc != 0)
		return rc;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		return SS_E_NOMEM;
	rc = gcm_init(c, key, iv, ivlen);
	if (rc != 0)
		goto out;
	if (EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(c, pt->data + start, &n, ct, (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) {
		rc = SS_E_INTERNAL;
		goto out;
	}
	/* the tag is checked here; nothing is released before it passes */
	if (EVP_DecryptFinal_ex(c, pt->data + start + n, &fin) != 1) {
		rc = SS_E_AGE_PAYLOAD;
		goto out;
	}
	pt->len = start + (size_t)n + (size_t)fin;
	pt->data[pt->len] = '\0';
out:
	if (rc != 0 && pt->data != NULL)
		OPENSSL_cleanse(pt->data + start, ctlen);
	EVP_CIPHER_CTX_free(c);
	return rc;
}
