/*
 * sshsig.c: OpenSSH SSHSIG signatures (PROTOCOL.sshsig) over git commits,
 * and git's allowed-signers file. Ed25519 only, verified with libsodium.
 * See include/sealsync/sshsig.h and docs/SOURCE.md.
 *
 * Everything parsed here comes from a Git server or a config file: every
 * length is checked against what is left before it is used.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/sshsig.h"

#define SIG_MAGIC "SSHSIG"
#define SIG_MAGIC_LEN 6
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define ED25519_NAME "ssh-ed25519"
#define MAX_SIGNERS 10000
#define MAX_NAME 64

struct ss_sshsig {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	char ns[MAX_NAME + 1];
	char hash[8];
	unsigned char *reserved;
	size_t reserved_len;
};

struct signer {
	char *principals;
	char *namespaces; /* NULL: any namespace */
	int ed25519;      /* 0: another key type, matches nothing */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

struct ss_signers {
	struct signer *v;
	size_t n, cap;
};

/* A cursor over untrusted SSH wire data (RFC 4251 strings). */
struct rd {
	const unsigned char *p;
	size_t n;
};

static int rd_bytes(struct rd *r, size_t n, const unsigned char **out)
{
	if (r->n < n)
		return -1;
	*out = r->p;
	r->p += n;
	r->n -= n;
	return 0;
}

static int rd_string(struct rd *r, const unsigned char **out, size_t *len)
{
	const unsigned char *b;
	uint32_t n;

	if (rd_bytes(r, 4, &b) != 0)
		return -1;
	n = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	if (rd_bytes(r, n, out) != 0)
		return -1;
	*len = n;
	return 0;
}

static int str_eq(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Copies a type name for an error message, printable characters only. */
static void name_copy(char *dst, size_t cap, const unsigned char *p, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++)
		dst[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	dst[o] = '\0';
}

/* Reads string(type) string(key) of an ed25519 key or signature blob. */
static int rd_ed25519(const unsigned char *p, size_t n, size_t want, unsigned char *out,
		      const char *what, struct ss_err *err)
{
	struct rd r = {p, n};
	const unsigned char *t, *k;
	size_t tl, kl;

	if (rd_string(&r, &t, &tl) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated %s", what);
	if (!str_eq(t, tl, ED25519_NAME)) {
		char name[MAX_NAME + 1];

		name_copy(name, sizeof(name), t, tl);
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "SSH signature: %s type \"%s\" is not supported (only %s)", what,
				  name, ED25519_NAME);
	}
	if (rd_string(&r, &k, &kl) != 0 || kl != want || r.n != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: malformed %s", what);
	memcpy(out, k, want);
	return 0;
}

/* Decodes the base64 between the armor lines into bin (cap *len). */
static int armor_decode(const char *a, size_t len, unsigned char *bin, size_t *blen,
			struct ss_err *err)
{
	const char *b, *e, *end = a + len;
	size_t bl = strlen(ARMOR_BEGIN), el = strlen(ARMOR_END), out = 0;

	while (a < end && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n'))
		a++;
	if ((size_t)(end - a) < bl || memcmp(a, ARMOR_BEGIN, bl) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: missing \"%s\"", ARMOR_BEGIN);
	b = a + bl;
	e = memmem(b, (size_t)(end - b), ARMOR_END, el);
	if (e == NULL)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: missing \"%s\"", ARMOR_END);
	for (a = e + el; a < end; a++)
		if (*a != ' ' && *a != '\t' && *a != '\r' && *a != '\n')
			return ss_err_set(err, SS_E_INVAL, "SSH signature: data after the armor");
	if (sodium_base642bin(bin, *blen, b, (size_t)(e - b), " \t\r\n", &out, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: bad base64 in the armor");
	*blen = out;
	return 0;
}

static int blob_header(struct rd *r, struct ss_err *err)
{
	const unsigned char *m, *v;

	if (rd_bytes(r, SIG_MAGIC_LEN, &m) != 0 || memcmp(m, SIG_MAGIC, SIG_MAGIC_LEN) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: bad magic (not SSHSIG)");
	if (rd_bytes(r, 4, &v) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated version");
	if (v[0] != 0 || v[1] != 0 || v[2] != 0 || v[3] != 1)
		return ss_err_set(err, SS_E_UNSUPPORTED, "SSH signature: version %u is not supported",
				  (unsigned)v[3] | (unsigned)v[2] << 8 | (unsigned)v[1] << 16 |
					  (unsigned)v[0] << 24);
	return 0;
}

static int blob_namespace(struct rd *r, struct ss_sshsig *s, struct ss_err *err)
{
	const unsigned char *p;
	size_t n, i;

	if (rd_string(r, &p, &n) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated namespace");
	if (n == 0 || n > MAX_NAME)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: bad namespace length %zu", n);
	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return ss_err_set(err, SS_E_INVAL, "SSH signature: bad namespace byte");
	memcpy(s->ns, p, n);
	s->ns[n] = '\0';
	return 0;
}

static int blob_reserved_hash(struct rd *r, struct ss_sshsig *s, struct ss_err *err)
{
	const unsigned char *p;
	size_t n;

	if (rd_string(r, &p, &n) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated reserved field");
	if (n > 0) {
		s->reserved = malloc(n);
		if (s->reserved == NULL)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		memcpy(s->reserved, p, n);
		s->reserved_len = n;
	}
	if (rd_string(r, &p, &n) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated hash algorithm");
	if (!str_eq(p, n, "sha512") && !str_eq(p, n, "sha256")) {
		char name[MAX_NAME + 1];

		name_copy(name, sizeof(name), p, n);
		return ss_err_set(err, SS_E_UNSUPPORTED,
				  "SSH signature: hash algorithm \"%s\" is not supported", name);
	}
	memcpy(s->hash, p, n);
	s->hash[n] = '\0';
	return 0;
}

static int blob_parse(const unsigned char *bin, size_t len, struct ss_sshsig *s,
		      struct ss_err *err)
{
	struct rd r = {bin, len};
	const unsigned char *p;
	size_t n;
	int rc;

	if ((rc = blob_header(&r, err)) != 0)
		return rc;
	if (rd_string(&r, &p, &n) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated public key");
	if ((rc = rd_ed25519(p, n, sizeof(s->pk), s->pk, "public key", err)) != 0)
		return rc;
	if ((rc = blob_namespace(&r, s, err)) != 0)
		return rc;
	if ((rc = blob_reserved_hash(&r, s, err)) != 0)
		return rc;
	if (rd_string(&r, &p, &n) != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: truncated signature");
	if ((rc = rd_ed25519(p, n, sizeof(s->sig), s->sig, "signature", err)) != 0)
		return rc;
	if (r.n != 0)
		return ss_err_set(err, SS_E_INVAL, "SSH signature: trailing data");
	return 0;
}

int ss_sshsig_parse(const char *armor, size_t len, struct ss_sshsig **out, struct ss_err *err)
{
	struct ss_sshsig *s = NULL;
	unsigned char *bin = NULL;
	size_t blen;
	int rc;

	*out = NULL;
	if (len > SS_SSHSIG_MAX_ARMOR)
		return ss_err_set(err, SS_E_LIMIT, "SSH signature: larger than %u bytes",
				  SS_SSHSIG_MAX_ARMOR);
	if (sodium_init() < 0)
		return ss_err_set(err, SS_E_INTERNAL, "libsodium failed to start");
	blen = len / 4 * 3 + 3;
	bin = malloc(blen);
	s = calloc(1, sizeof(*s));
	if (bin == NULL || s == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = armor_decode(armor, len, bin, &blen, err)) != 0)
		goto out;
	if ((rc = blob_parse(bin, blen, s, err)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	free(bin);
	ss_sshsig_free(s);
	return rc;
}

void ss_sshsig_free(struct ss_sshsig *sig)
{
	if (sig == NULL)
		return;
	free(sig->reserved);
	free(sig);
}

const char *ss_sshsig_namespace(const struct ss_sshsig *sig)
{
	return sig->ns;
}

/* The SSH wire form of an ed25519 public key: string(type) string(key). */
static size_t pk_blob(const unsigned char pk[32], unsigned char out[51])
{
	size_t tl = strlen(ED25519_NAME);

	out[0] = out[1] = out[2] = 0;
	out[3] = (unsigned char)tl;
	memcpy(out + 4, ED25519_NAME, tl);
	out[4 + tl] = out[5 + tl] = out[6 + tl] = 0;
	out[7 + tl] = 32;
	memcpy(out + 8 + tl, pk, 32);
	return 8 + tl + 32;
}

static void fingerprint_pk(const unsigned char pk[32], char out[64])
{
	unsigned char blob[51], h[crypto_hash_sha256_BYTES];
	size_t n = pk_blob(pk, blob);

	crypto_hash_sha256(h, blob, n);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, 64 - 7, h, sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

void ss_sshsig_fingerprint(const struct ss_sshsig *sig, char out[64])
{
	fingerprint_pk(sig->pk, out);
}

/* ---- allowed signers ---- */

void ss_signers_free(struct ss_signers *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].principals);
		free(s->v[i].namespaces);
	}
	free(s->v);
	free(s);
}

size_t ss_signers_count(const struct ss_signers *s)
{
	return s->n;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Reads one field: up to whitespace, or a "quoted" string. NULL if bad. */
static char *field_next(char **line)
{
	char *p = *line, *start;

	while (is_space(*p))
		p++;
	if (*p == '\0')
		return NULL;
	if (*p == '"') {
		start = ++p;
		while (*p != '\0' && *p != '"')
			p++;
		if (*p != '"')
			return NULL;
	} else {
		start = p;
		while (*p != '\0' && !is_space(*p))
			p++;
	}
	if (*p != '\0')
		*p++ = '\0';
	*line = p;
	return start;
}

/* Options are comma-separated; values may be quoted and hold commas. */
static char *options_end(char *p)
{
	int quoted = 0;

	for (; *p != '\0'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (is_space(*p) && !quoted)
			return p;
	}
	return quoted ? NULL : p;
}

static int is_key_type(const char *t)
{
	return strncmp(t, "ssh-", 4) == 0 || strncmp(t, "ecdsa-", 6) == 0 ||
	       strncmp(t, "sk-", 3) == 0 || strncmp(t, "rsa-", 4) == 0;
}

static int option_apply(struct signer *sg, const char *name, size_t nl, const char *val,
			size_t vl, struct ss_err *err)
{
	if (nl == 10 && strncasecmp(name, "namespaces", nl) == 0 && val != NULL) {
		free(sg->namespaces);
		sg->namespaces = strndup(val, vl);
		if (sg->namespaces == NULL)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		return 0;
	}
	if ((nl == 14 && strncasecmp(name, "cert-authority", nl) == 0) ||
	    (nl == 11 && strncasecmp(name, "valid-after", nl) == 0) ||
	    (nl == 12 && strncasecmp(name, "valid-before", nl) == 0))
		return ss_err_set(err, SS_E_UNSUPPORTED, "option %.*s is not supported", (int)nl,
				  name);
	return ss_err_set(err, SS_E_INVAL, "unknown option \"%.*s\"", (int)(nl > 64 ? 64 : nl),
			  name);
}

/* Reads a value after '=': "quoted" (may hold commas) or up to ','. */
static const char *option_value(const char *p, const char **val, size_t *vl)
{
	if (*p == '"') {
		*val = ++p;
		while (*p != '\0' && *p != '"')
			p++;
		if (*p != '"')
			return NULL;
		*vl = (size_t)(p - *val);
		return p + 1;
	}
	*val = p;
	while (*p != '\0' && *p != ',')
		p++;
	*vl = (size_t)(p - *val);
	return p;
}

static int options_parse(struct signer *sg, const char *p, struct ss_err *err)
{
	while (*p != '\0') {
		const char *name = p, *val = NULL;
		size_t nl, vl = 0;
		int rc;

		while (*p != '\0' && *p != '=' && *p != ',')
			p++;
		nl = (size_t)(p - name);
		if (*p == '=' && (p = option_value(p + 1, &val, &vl)) == NULL)
			return ss_err_set(err, SS_E_INVAL, "unterminated quote in options");
		if (nl == 0)
			return ss_err_set(err, SS_E_INVAL, "empty option");
		if ((rc = option_apply(sg, name, nl, val, vl, err)) != 0)
			return rc;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return ss_err_set(err, SS_E_INVAL, "bad options syntax");
	}
	return 0;
}

static int key_parse(struct signer *sg, const char *type, const char *b64, struct ss_err *err)
{
	unsigned char bin[128];
	size_t n = 0;

	if (strcmp(type, ED25519_NAME) != 0)
		return 0; /* kept, but no signature we accept can match it */
	if (sodium_base642bin(bin, sizeof(bin), b64, strlen(b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return ss_err_set(err, SS_E_INVAL, "bad base64 in the %s key", type);
	if (rd_ed25519(bin, n, sizeof(sg->pk), sg->pk, "allowed signer key", err) != 0)
		return ss_err_set(err, SS_E_INVAL, "malformed %s key", type);
	sg->ed25519 = 1;
	return 0;
}

/* One non-empty, non-comment line: principals [options] keytype base64. */
static int line_parse(char *line, struct signer *sg, struct ss_err *err)
{
	char *principals, *type, *b64;

	principals = field_next(&line);
	if (principals == NULL || *principals == '\0')
		return ss_err_set(err, SS_E_INVAL, "missing principals");
	sg->principals = strdup(principals);
	/* gcc 12's analyzer loses the store into the signer array element and
	 * reports a leak; ss_signers_free frees every counted signer. */
#pragma GCC diagnostic push
#ifndef __clang__ /* clang has no -fanalyzer and warns on the unknown name */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
	if (sg->principals == NULL)
#pragma GCC diagnostic pop
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	while (is_space(*line))
		line++;
	if (!is_key_type(line)) {
		char *oend = options_end(line);
		int rc;

		if (oend == NULL)
			return ss_err_set(err, SS_E_INVAL, "unterminated quote in options");
		if (*oend != '\0')
			*oend++ = '\0';
		if ((rc = options_parse(sg, line, err)) != 0)
			return rc;
		line = oend;
	}
	type = field_next(&line);
	b64 = type != NULL ? field_next(&line) : NULL;
	if (type == NULL || b64 == NULL)
		return ss_err_set(err, SS_E_INVAL, "missing key type or key");
	if (!is_key_type(type))
		return ss_err_set(err, SS_E_INVAL, "unknown key type");
	return key_parse(sg, type, b64, err);
}

static int signers_add(struct ss_signers *s, char *line, struct ss_err *err)
{
	int rc;

	if (s->n == s->cap) {
		struct signer *v;
		size_t cap = s->cap ? s->cap * 2 : 8;

		if (s->n >= MAX_SIGNERS)
			return ss_err_set(err, SS_E_LIMIT, "more than %d allowed signers",
					  MAX_SIGNERS);
		v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return ss_err_set(err, SS_E_NOMEM, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	rc = line_parse(line, &s->v[s->n], err);
	s->n++; /* counted even on error, so ss_signers_free releases it */
	return rc;
}

static int signers_parse_lines(struct ss_signers *s, char *text, const char *origin,
			       struct ss_err *err)
{
	char *line = text;
	unsigned lineno = 0;

	while (line != NULL && *line != '\0') {
		char *nl = strchr(line, '\n'), *end, *p;
		int rc;

		lineno++;
		end = nl != NULL ? nl : line + strlen(line);
		if (end > line && end[-1] == '\r')
			end--;
		*end = '\0';
		for (p = line; is_space(*p); p++)
			;
		if (*p != '\0' && *p != '#' && (rc = signers_add(s, p, err)) != 0) {
			ss_err_at(err, origin, lineno, -1);
			ss_err_prefix(err, "allowed signers");
			return rc;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

int ss_signers_parse(const char *text, size_t len, const char *origin, struct ss_signers **out,
		     struct ss_err *err)
{
	struct ss_signers *s = NULL;
	char *copy = NULL;
	int rc;

	*out = NULL;
	if (len > SS_SSHSIG_MAX_SIGNERS_FILE)
		return ss_err_set(err, SS_E_LIMIT, "allowed signers: larger than %u bytes",
				  SS_SSHSIG_MAX_SIGNERS_FILE);
	if (memchr(text, '\0', len) != NULL) {
		ss_err_at(err, origin, 0, -1);
		return ss_err_set(err, SS_E_INVAL, "allowed signers: NUL byte in the file");
	}
	if (sodium_init() < 0)
		return ss_err_set(err, SS_E_INTERNAL, "libsodium failed to start");
	s = calloc(1, sizeof(*s));
	copy = strndup(text, len);
	if (s == NULL || copy == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = signers_parse_lines(s, copy, origin, err)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	free(copy);
	ss_signers_free(s);
	return rc;
}

int ss_signers_load(const char *path, struct ss_signers **out, struct ss_err *err)
{
	struct ss_buf b;
	int rc;

	*out = NULL;
	ss_buf_init(&b, SS_SSHSIG_MAX_SIGNERS_FILE);
	rc = ss_file_read(path, &b, err);
	if (rc == 0)
		rc = ss_signers_parse(ss_buf_str(&b), b.len, path, out, err);
	ss_buf_release(&b);
	return rc;
}

/* OpenSSH match_pattern_list semantics: a negated match wins. */
static int namespace_allowed(const char *list, const char *ns)
{
	char *copy, *pat, *save = NULL;
	int ok = 0;

	if (list == NULL)
		return 1;
	copy = strdup(list);
	if (copy == NULL)
		return 0;
	for (pat = strtok_r(copy, ",", &save); pat != NULL; pat = strtok_r(NULL, ",", &save)) {
		if (pat[0] == '!') {
			if (fnmatch(pat + 1, ns, 0) == 0) {
				ok = 0;
				break;
			}
		} else if (fnmatch(pat, ns, 0) == 0) {
			ok = 1;
		}
	}
	free(copy);
	return ok;
}

static int put_string(unsigned char *p, const void *s, size_t n)
{
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	if (n > 0)
		memcpy(p + 4, s, n);
	return (int)(4 + n);
}

/* PROTOCOL.sshsig: MAGIC || string(ns) || string(reserved) || string(hash
 * alg) || string(H(message)); ed25519 signs exactly these bytes. */
static int signature_check(const struct ss_sshsig *sig, const void *msg, size_t msg_len)
{
	unsigned char h[crypto_hash_sha512_BYTES], *data, *p;
	size_t hl, n;
	int ok;

	if (strcmp(sig->hash, "sha512") == 0) {
		crypto_hash_sha512(h, msg, msg_len);
		hl = crypto_hash_sha512_BYTES;
	} else {
		crypto_hash_sha256(h, msg, msg_len);
		hl = crypto_hash_sha256_BYTES;
	}
	n = SIG_MAGIC_LEN + 16 + strlen(sig->ns) + sig->reserved_len + strlen(sig->hash) + hl;
	data = malloc(n);
	if (data == NULL)
		return SS_E_NOMEM;
	memcpy(data, SIG_MAGIC, SIG_MAGIC_LEN);
	p = data + SIG_MAGIC_LEN;
	p += put_string(p, sig->ns, strlen(sig->ns));
	p += put_string(p, sig->reserved, sig->reserved_len);
	p += put_string(p, sig->hash, strlen(sig->hash));
	put_string(p, h, hl);
	ok = crypto_sign_verify_detached(sig->sig, data, n, sig->pk) == 0;
	free(data);
	return ok ? 0 : SS_E_SIG;
}

static const struct signer *signer_find(const struct ss_signers *s, const unsigned char *pk,
					const char *ns, int *ns_refused)
{
	size_t i;

	*ns_refused = 0;
	for (i = 0; i < s->n; i++) {
		if (!s->v[i].ed25519 || sodium_memcmp(s->v[i].pk, pk, sizeof(s->v[i].pk)) != 0)
			continue;
		if (namespace_allowed(s->v[i].namespaces, ns))
			return &s->v[i];
		*ns_refused = 1;
	}
	return NULL;
}

int ss_sshsig_verify(const struct ss_sshsig *sig, const void *msg, size_t msg_len, const char *ns,
		     const struct ss_signers *signers, char *principal, size_t cap,
		     struct ss_err *err)
{
	const struct signer *sg;
	char fp[64];
	int refused, rc;

	if (principal != NULL && cap > 0)
		principal[0] = '\0';
	if (strcmp(sig->ns, ns) != 0)
		return ss_err_set(err, SS_E_SIG, "signed for namespace \"%s\", not \"%s\"", sig->ns,
				  ns);
	ss_sshsig_fingerprint(sig, fp);
	sg = signer_find(signers, sig->pk, ns, &refused);
	if (sg == NULL && refused)
		return ss_err_set(err, SS_E_SIG, "key %s is not allowed to sign for namespace \"%s\"",
				  fp, ns);
	if (sg == NULL)
		return ss_err_set(err, SS_E_SIG, "key %s is not an allowed signer", fp);
	rc = signature_check(sig, msg, msg_len);
	if (rc == SS_E_NOMEM)
		return ss_err_set(err, rc, "out of memory");
	if (rc != 0)
		return ss_err_set(err, SS_E_SIG, "signature by key %s does not verify", fp);
	if (principal != NULL && cap > 0)
		snprintf(principal, cap, "%s", sg->principals);
	return 0;
}
