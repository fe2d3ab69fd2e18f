/* base64.c: strict standard base64 for sealed values (see base64.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/base64.h"

int ss_base64_encode(const unsigned char *in, size_t len, struct ss_buf *out)
{
	size_t n;
	char *tmp;
	int rc;

	if (len > (SIZE_MAX - 4) / 4 * 3 - 3)
		return SS_E_LIMIT;
	n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	if (n - 1 > out->max)
		return SS_E_LIMIT;
	tmp = malloc(n);
	if (tmp == NULL)
		return SS_E_NOMEM;
	sodium_bin2base64(tmp, n, in, len, sodium_base64_VARIANT_ORIGINAL);
	rc = ss_buf_append(out, tmp, n - 1);
	free(tmp);
	return rc;
}

int ss_base64_decode(const char *in, size_t len, struct ss_buf *out, struct ss_err *err)
{
	size_t max = len / 4 * 3 + 3, n = 0;
	unsigned char *tmp;
	int rc;

	if (len == 0)
		return 0;
	if (len % 4 != 0)
		return ss_err_set(err, SS_E_INVAL, "not base64: length %zu is not a multiple of 4", len);
	/* The decoded bytes may be secret when out is: match its memory kind. */
	tmp = out->secure ? sodium_malloc(max) : malloc(max);
	if (tmp == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	/* ignore=NULL and b64_end=NULL: any stray character fails; libsodium
	 * also refuses missing padding and non-zero trailing bits. */
	if (sodium_base642bin(tmp, max, in, len, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		rc = ss_err_set(err, SS_E_INVAL,
				"not base64 (bad character, padding or non-canonical encoding)");
		goto out;
	}
	rc = ss_buf_append(out, tmp, n);
	if (rc != 0)
		ss_err_set(err, rc, "decoded value: %s", ss_strerror(rc));
out:
	sodium_memzero(tmp, max);
	if (out->secure)
		sodium_free(tmp);
	else
		free(tmp);
	return rc;
}
