/*
 * runner.c: runs the CCTV age testkit vectors (C2SP/CCTV age/testdata) that
 * apply to X25519 against crypto/, and checks that each expected outcome
 * class maps to its own error code, and the SHA-256 of the released
 * plaintext for success and payload failures.
 *
 *   ss-vectors DIR     exit 0 only when all 99 X25519 vectors pass
 *
 * Vector format: "key: value" lines, an empty line, then the age file
 * (binary, armored, or zlib-compressed). See DIR/README.md.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "sealsync/age.h"
#include "sealsync/file.h"
#include "sealsync/keys.h"

#define EXPECTED_X25519 99
#define MAX_VECTOR (1u << 20)
#define MAX_INFLATED (32u << 20)

struct vector {
	char expect[32];
	char payload[65];
	int armored, compressed, passphrase, pq, unknown;
	struct ss_keyring *kr;
	const unsigned char *body;
	size_t bodylen;
};

static const struct {
	const char *name;
	int code;
} outcomes[] = {
	{"success", 0},
	{"header failure", SS_E_AGE_HEADER},
	{"armor failure", SS_E_AGE_ARMOR},
	{"payload failure", SS_E_AGE_PAYLOAD},
	{"no match", SS_E_NOMATCH},
	{"HMAC failure", SS_E_AGE_MAC},
};

#define N_OUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))
static size_t passed_by_class[N_OUTCOMES];

static int expected_code(const char *expect)
{
	size_t i;

	for (i = 0; i < N_OUTCOMES; i++)
		if (strcmp(expect, outcomes[i].name) == 0)
			return outcomes[i].code;
	return 1; /* not an error code: never matches */
}

static void count_class(const char *expect)
{
	size_t i;

	for (i = 0; i < N_OUTCOMES; i++)
		if (strcmp(expect, outcomes[i].name) == 0)
			passed_by_class[i]++;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int header_line(struct vector *v, const char *line, size_t n)
{
	const char *sep = memchr(line, ':', n);
	size_t klen, vlen;
	const char *val;

	if (sep == NULL || (size_t)(sep - line) + 2 > n || sep[1] != ' ')
		return -1;
	klen = (size_t)(sep - line);
	val = sep + 2;
	vlen = n - klen - 2;
#define KEY(s) (klen == strlen(s) && memcmp(line, s, klen) == 0)
	if (KEY("expect"))
		copy_value(v->expect, sizeof(v->expect), val, vlen);
	else if (KEY("payload"))
		copy_value(v->payload, sizeof(v->payload), val, vlen);
	else if (KEY("armored"))
		v->armored = vlen == 3 && memcmp(val, "yes", 3) == 0;
	else if (KEY("compressed"))
		v->compressed = vlen == 4 && memcmp(val, "zlib", 4) == 0;
	else if (KEY("passphrase"))
		v->passphrase = 1;
	else if (KEY("identity")) {
		if (vlen > 19 && memcmp(val, "AGE-SECRET-KEY-PQ-", 18) == 0)
			v->pq = 1;
		else if (ss_keyring_parse(v->kr, val, vlen, "identity", NULL) != 0)
			return -1;
	} else if (!KEY("comment") && !KEY("file key"))
		v->unknown = 1;
#undef KEY
	return 0;
}

static int parse_vector(struct vector *v, const unsigned char *p, size_t len)
{
	size_t pos = 0;
	const unsigned char *nl;

	for (;;) {
		nl = memchr(p + pos, '\n', len - pos);
		if (nl == NULL)
			return -1;
		if (nl == p + pos) {
			v->body = nl + 1;
			v->bodylen = len - pos - 1;
			return 0;
		}
		if (header_line(v, (const char *)p + pos, (size_t)(nl - (p + pos))) != 0)
			return -1;
		pos = (size_t)(nl - p) + 1;
	}
}

static int inflate_all(const unsigned char *in, size_t len, struct ss_buf *out)
{
	unsigned char chunk[65536];
	z_stream z;
	int zrc;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zrc = inflate(&z, Z_NO_FLUSH);
		if ((zrc != Z_OK && zrc != Z_STREAM_END) ||
		    ss_buf_append(out, chunk, sizeof(chunk) - z.avail_out) != 0) {
			inflateEnd(&z);
			return -1;
		}
	} while (zrc != Z_STREAM_END);
	inflateEnd(&z);
	return 0;
}

static void sha256_hex(const struct ss_buf *b, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, b->data != NULL ? b->data : (const unsigned char *)"", b->len);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* Decrypts v's file; returns the code and the released plaintext's hash. */
static int run_file(const struct vector *v, const unsigned char *f, size_t n, char hex[65],
		    struct ss_err *err)
{
	struct ss_age_open_opts o = {v->kr, NULL, 1, NULL, NULL, NULL, NULL, NULL};
	struct ss_buf bin, pt;
	int rc = 0;

	ss_buf_init(&bin, MAX_INFLATED);
	ss_buf_init_secure(&pt, MAX_INFLATED);
	if (v->armored) {
		rc = ss_age_armor_decode(f, n, &bin, err);
		f = bin.data != NULL ? bin.data : (const unsigned char *)"";
		n = bin.len;
	}
	if (rc == 0)
		rc = ss_age_open(&o, f, n, &pt, NULL, err);
	sha256_hex(&pt, hex);
	ss_buf_release(&pt);
	ss_buf_release(&bin);
	return rc;
}

/* 1 pass, 0 fail, -1 not an X25519 vector. */
static int run_vector(const char *path, const char *name)
{
	struct ss_buf raw, inflated;
	struct vector v;
	struct ss_err err;
	char hex[65] = "";
	int rc, want, result = 0;

	memset(&v, 0, sizeof(v));
	ss_err_clear(&err);
	ss_buf_init(&raw, MAX_VECTOR);
	ss_buf_init(&inflated, MAX_INFLATED);
	if (ss_keyring_new(&v.kr) != 0 || ss_file_read(path, &raw, &err) != 0 ||
	    parse_vector(&v, raw.data, raw.len) != 0) {
		printf("FAIL %s: cannot read or parse the vector\n", name);
		goto out;
	}
	if (v.unknown || v.passphrase || (v.pq && ss_keyring_count(v.kr) == 0)) {
		result = -1;
		goto out;
	}
	if (v.compressed && inflate_all(v.body, v.bodylen, &inflated) != 0) {
		printf("FAIL %s: cannot inflate\n", name);
		goto out;
	}
	rc = v.compressed ? run_file(&v, inflated.data, inflated.len, hex, &err)
			  : run_file(&v, v.body, v.bodylen, hex, &err);
	want = expected_code(v.expect);
	result = rc == want && (v.payload[0] == '\0' || strcmp(hex, v.payload) == 0);
	if (result)
		count_class(v.expect);
	else
		printf("FAIL %s: expected %s, got %d (%s)%s\n", name, v.expect, rc, err.msg,
		       rc == want ? ", plaintext hash differs" : "");
out:
	ss_keyring_free(v.kr);
	ss_buf_release(&raw);
	ss_buf_release(&inflated);
	return result;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char *names[512], path[4096];
	size_t n = 0, i, ran = 0, passed = 0;
	struct dirent *e;
	DIR *d;

	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: ss-vectors DIR\n");
		return 2;
	}
	d = opendir(argv[1]);
	if (d == NULL) {
		fprintf(stderr, "vectors: cannot open %s: the testkit folder is missing\n", argv[1]);
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < 512)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "README.md") != 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		int r = names[i] != NULL ? run_vector(path, names[i]) : 0;
		ran += r >= 0;
		passed += r == 1;
		free(names[i]);
	}
	for (i = 0; i < N_OUTCOMES; i++)
		printf("vectors: %-15s %zu passed\n", outcomes[i].name, passed_by_class[i]);
	printf("vectors: %zu/%zu passed (%zu X25519 vectors expected, %zu files)\n", passed, ran,
	       (size_t)EXPECTED_X25519, n);
	return passed == ran && ran == EXPECTED_X25519 ? 0 : 1;
}
