/*
 * sops_value.c: one ENC[AES256_GCM,data:...,iv:...,tag:...,type:...] value
 * (see sops.h). Parsing is strict: the four fields in sops' order, standard
 * padded base64, a 16-byte tag, a known type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/base64.h"
#include "sealsync/buf.h"

#include "sops_int.h"

#define ENC_PREFIX "ENC[AES256_GCM,data:"

struct enc_parts {
	const char *data, *iv, *tag, *type;
	size_t ldata, liv, ltag, ltype;
};

/* Splits at the next sep; *p moves past it. */
static int field(const char **p, const char *sep, const char **out, size_t *len)
{
	const char *e = strstr(*p, sep);

	if (e == NULL)
		return SS_E_INVAL;
	*out = *p;
	*len = (size_t)(e - *p);
	*p = e + strlen(sep);
	return 0;
}

static int split(const char *s, struct enc_parts *x)
{
	const char *p = s + strlen(ENC_PREFIX);
	size_t n = strlen(s);

	if (strncmp(s, ENC_PREFIX, strlen(ENC_PREFIX)) != 0 || s[n - 1] != ']')
		return SS_E_INVAL;
	if (field(&p, ",iv:", &x->data, &x->ldata) || field(&p, ",tag:", &x->iv, &x->liv) ||
	    field(&p, ",type:", &x->tag, &x->ltag))
		return SS_E_INVAL;
	x->type = p;
	x->ltype = (size_t)(s + n - 1 - p);
	return x->liv == 0 || x->ltag == 0 ? SS_E_INVAL : 0;
}

static int type_is(const struct enc_parts *x, const char *t)
{
	return x->ltype == strlen(t) && strncmp(x->type, t, x->ltype) == 0;
}

static json_t *as_bool(const char *s)
{
	if (!strcmp(s, "True") || !strcmp(s, "true") || !strcmp(s, "TRUE") || !strcmp(s, "1") ||
	    !strcmp(s, "t") || !strcmp(s, "T"))
		return json_true();
	if (!strcmp(s, "False") || !strcmp(s, "false") || !strcmp(s, "FALSE") ||
	    !strcmp(s, "0") || !strcmp(s, "f") || !strcmp(s, "F"))
		return json_false();
	return NULL;
}

static json_t *as_number(const char *s, int integer)
{
	char *end = NULL;
	long long i;
	double d;

	errno = 0;
	if (integer) {
		i = strtoll(s, &end, 10);
		return errno == 0 && end != s && *end == '\0' ? json_integer(i) : NULL;
	}
	d = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' ? json_real(d) : NULL;
}

/* The typed value sops would give for the plaintext (a C string in pt). */
static int typed(const struct enc_parts *x, const struct ss_buf *pt, json_t **out)
{
	const char *s = ss_buf_str(pt);

	if (type_is(x, "str") || type_is(x, "bytes"))
		*out = json_stringn(s, pt->len);
	else if (type_is(x, "int") || type_is(x, "int64"))
		*out = as_number(s, 1);
	else if (type_is(x, "float"))
		*out = as_number(s, 0);
	else if (type_is(x, "bool"))
		*out = as_bool(s);
	else
		return SS_E_UNSUPPORTED;
	return *out == NULL || strlen(s) != pt->len ? SS_E_INVAL : 0;
}

static int decode3(const struct enc_parts *x, struct ss_buf *ct, struct ss_buf *iv,
		   struct ss_buf *tag)
{
	if (ss_base64_decode(x->data, x->ldata, ct, NULL) != 0 ||
	    ss_base64_decode(x->iv, x->liv, iv, NULL) != 0 ||
	    ss_base64_decode(x->tag, x->ltag, tag, NULL) != 0 || tag->len != 16 ||
	    iv->len == 0)
		return SS_E_INVAL;
	return 0;
}

int sops_value_open(const unsigned char *key, const char *enc, const char *aad,
		    struct ss_buf *pt, json_t **out, struct ss_err *err)
{
	struct ss_buf ct, iv, tag;
	struct enc_parts x;
	size_t start = pt->len;
	int rc;

	*out = NULL;
	if (split(enc, &x) != 0)
		return ss_err_set(err, SS_E_INVAL, "not a sops ENC[AES256_GCM,...] value");
	ss_buf_init(&ct, strlen(enc));
	ss_buf_init(&iv, 256);
	ss_buf_init(&tag, 64);
	rc = decode3(&x, &ct, &iv, &tag);
	if (rc != 0) {
		rc = ss_err_set(err, rc, "malformed base64 in a sops ENC[...] value");
		goto out;
	}
	rc = ss_sops_gcm_open(key, iv.data, iv.len, ct.data != NULL ? ct.data : iv.data, ct.len,
			      tag.data, aad, strlen(aad), pt);
	if (rc == SS_E_AGE_PAYLOAD)
		rc = ss_err_set(err, SS_E_SIG, "a sops value does not decrypt (tampered, moved or another data key)");
	else if (rc != 0)
		rc = ss_err_set(err, rc, "AES-GCM failed");
	if (rc == 0 && typed(&x, pt, out) != 0)
		rc = ss_err_set(err, SS_E_UNSUPPORTED, "a sops value of an unsupported type or form");
	if (rc != 0)
		pt->len = start;
out:
	ss_buf_release(&ct);
	ss_buf_release(&iv);
	ss_buf_release(&tag);
	return rc;
}
