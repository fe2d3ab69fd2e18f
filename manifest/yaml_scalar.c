/*
 * yaml_scalar.c: typing of scalars as go-yaml v2 (resolve.go) does, and the
 * JSON form sigs.k8s.io/yaml gives the result (YAMLToJSON).
 *
 * The rules are Go's, not the YAML 1.1 spec's: ints are whatever
 * strconv.ParseInt(s, 0, 64) takes once every "_" is removed (so 0o17 and
 * 0b101 are ints, 0777 is octal 511, and 08 falls through to the float 8),
 * floats must match go-yaml's yamlStyleFloat pattern, base-60 is a string.
 * Error messages name the tags involved, never the scalar's text.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_int.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

enum rkind { R_STR, R_NULL, R_BOOL, R_INT, R_UINT, R_FLOAT, R_TIMESTAMP };

struct resolved {
	enum rkind kind;
	int b;
	long long i;
	double f;
};

static const char *const words_true[] = {"y", "Y", "yes", "Yes", "YES", "true", "True",
					 "TRUE", "on", "On", "ON", NULL};
static const char *const words_false[] = {"n", "N", "no", "No", "NO", "false", "False",
					  "FALSE", "off", "Off", "OFF", NULL};
static const char *const words_null[] = {"~", "null", "Null", "NULL", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* go-yaml's resolveMap: fixed words. Returns 1 when s is one of them. */
static int resolve_word(const char *s, struct resolved *r)
{
	if (*s == '\0' || in_list(words_null, s)) {
		r->kind = R_NULL;
	} else if (in_list(words_true, s) || in_list(words_false, s)) {
		r->kind = R_BOOL;
		r->b = in_list(words_true, s);
	} else if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		r->kind = R_FLOAT;
		r->f = NAN;
	} else if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
		   !strcmp(s, "+.inf") || !strcmp(s, "+.Inf") || !strcmp(s, "+.INF")) {
		r->kind = R_FLOAT;
		r->f = INFINITY;
	} else if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
		r->kind = R_FLOAT;
		r->f = -INFINITY;
	} else {
		return 0;
	}
	return 1;
}

static int digit_val(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 10;
	return 99;
}

/* Go's base prefix for ParseInt(s, 0, 64): "0x", "0o", "0b" (with at least
 * one more character), else a leading 0 means octal. */
static int go_base_prefix(const char **s)
{
	int lc;

	if ((*s)[0] != '0')
		return 10;
	lc = tolower((unsigned char)(*s)[1]);
	if (strlen(*s) >= 3 && (lc == 'b' || lc == 'o' || lc == 'x')) {
		*s += 2;
		return lc == 'b' ? 2 : lc == 'o' ? 8 : 16;
	}
	*s += 1;
	return 8;
}

/*
 * strconv.ParseInt(s, base, 64) (base 0: with Go's prefixes), and ParseUint
 * for the unsigned range. Returns 1 and sets r (R_INT, or R_UINT for
 * 2^63..2^64-1 without a sign) when Go accepts it.
 */
static int parse_go_int(const char *s, int base, struct resolved *r)
{
	int neg = 0, sign = 0;
	unsigned long long v = 0;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		sign = 1;
		s++;
	}
	if (*s == '\0')
		return 0;
	if (base == 0)
		base = go_base_prefix(&s);
	for (; *s; s++) {
		int d = digit_val((unsigned char)*s);

		if (d >= base)
			return 0;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return 0;
		v = v * (unsigned)base + (unsigned)d;
	}
	if (neg && v <= (unsigned long long)LLONG_MAX + 1ULL) {
		r->kind = R_INT;
		r->i = v == (unsigned long long)LLONG_MAX + 1ULL ? LLONG_MIN : -(long long)v;
		return 1;
	}
	if (!neg && v <= (unsigned long long)LLONG_MAX) {
		r->kind = R_INT;
		r->i = (long long)v;
		return 1;
	}
	if (!neg && !sign) {
		r->kind = R_UINT;
		return 1;
	}
	return 0;
}

/* A run of digits: at least one, a digit first. */
static const char *skip_digits(const char *s)
{
	while (*s >= '0' && *s <= '9')
		s++;
	return s;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int match_yaml_float(const char *s)
{
	const char *e;

	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		e = skip_digits(s + 1);
		if (e == s + 1)
			return 0;
	} else {
		e = skip_digits(s);
		if (e == s)
			return 0;
		if (*e == '.')
			e = skip_digits(e + 1);
	}
	if (*e == 'e' || *e == 'E') {
		const char *x = e + 1;

		if (*x == '+' || *x == '-')
			x++;
		e = skip_digits(x);
		if (e == x)
			return 0;
	}
	return *e == '\0';
}

/* Digits with single underscores between them, as Go's underscoreOK allows. */
static const char *skip_go_digits(const char *s)
{
	const char *e = skip_digits(s);

	while (e != s && e[0] == '_' && e[1] >= '0' && e[1] <= '9')
		e = skip_digits(e + 1);
	return e;
}

/* strconv.ParseFloat on a string that starts with '.' (go-yaml's '.' hint). */
static int match_go_dot_float(const char *s)
{
	const char *e = skip_go_digits(s + 1);

	if (e == s + 1)
		return 0;
	if (*e == 'e' || *e == 'E') {
		const char *x = e + 1;

		if (*x == '+' || *x == '-')
			x++;
		e = skip_go_digits(x);
		if (e == x)
			return 0;
	}
	return *e == '\0';
}

/* Parses a float that matched; Go refuses (and go-yaml then keeps the
 * string) only when it overflows. */
static int parse_float(const char *s, struct resolved *r)
{
	char *end;
	double f;

	errno = 0;
	f = strtod(s, &end);
	if (*end != '\0' || isinf(f))
		return 0;
	r->kind = R_FLOAT;
	r->f = f;
	return 1;
}

static void remove_underscores(char *s)
{
	char *w = s;

	for (; *s; s++)
		if (*s != '_')
			*w++ = *s;
	*w = '\0';
}

/* n digits (min..max of them) at *s as a number; advances *s. -1 if not. */
static int take_digits(const char **s, int min, int max)
{
	int v = 0, n = 0;

	while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9') {
		v = v * 10 + ((*s)[n] - '0');
		n++;
	}
	if (n < min)
		return -1;
	*s += n;
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* The time part after [Tt ]: H:M:S[.frac], then for T/t a zone Z|+hh:mm. */
static int is_go_time(const char *s, int zone)
{
	int h = take_digits(&s, 1, 2), mi, sec;

	if (h < 0 || h > 23 || *s++ != ':' || (mi = take_digits(&s, 1, 2)) < 0 || mi > 59 ||
	    *s++ != ':' || (sec = take_digits(&s, 1, 2)) < 0 || sec > 59)
		return 0;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (!zone)
		return *s == '\0';
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return 0;
	s++;
	h = take_digits(&s, 2, 2);
	if (h < 0 || h > 24 || *s++ != ':' || (mi = take_digits(&s, 2, 2)) < 0 || mi > 59)
		return 0;
	return *s == '\0';
}

/* time.Parse with go-yaml's formats: YYYY-M-D, optionally followed by
 * [Tt ]H:M:S[.frac] and, for T/t, a zone Z or +hh:mm. Only used for an
 * explicit !!timestamp tag: untagged timestamps stay strings anyway. */
static int is_go_timestamp(const char *s)
{
	int y = take_digits(&s, 4, 4), mo, d;
	char sep;

	if (y < 0 || *s++ != '-' || (mo = take_digits(&s, 1, 2)) < 1 || mo > 12 || *s++ != '-' ||
	    (d = take_digits(&s, 1, 2)) < 1 || d > days_in_month(y, mo))
		return 0;
	if (*s == '\0')
		return 1;
	sep = *s++;
	if (sep != 'T' && sep != 't' && sep != ' ')
		return 0;
	return is_go_time(s, sep != ' ');
}

/* The numeric part of resolve(): hint 'D' (digit) or 'S' (sign). */
static int resolve_number(const char *in, int timestamp_ok, struct resolved *r)
{
	char *plain;
	int found = 0;

	if (timestamp_ok && strlen(in) > 4 && in[4] == '-' && is_go_timestamp(in)) {
		r->kind = R_TIMESTAMP;
		return 0;
	}
	plain = strdup(in);
	if (plain == NULL)
		return SS_E_NOMEM;
	remove_underscores(plain);
	found = parse_go_int(plain, 0, r);
	if (!found && match_yaml_float(plain))
		found = parse_float(plain, r);
	/* go-yaml's own "0b" fallback: ParseInt(plain[2:], 2) takes a sign,
	 * so "0b+101" is 5 (its "-0b" fallback adds nothing to base 0). */
	if (!found && strncmp(plain, "0b", 2) == 0)
		found = parse_go_int(plain + 2, 2, r);
	sodium_memzero(plain, strlen(plain));
	free(plain);
	if (!found)
		r->kind = R_STR;
	return 0;
}

static int b64_val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Go's base64.StdEncoding.DecodeString, which !!binary uses: padding
 * required, CR and LF ignored, trailing bits not checked. out holds at
 * least len bytes. Returns the decoded length or -1. */
static long decode_b64_go(const unsigned char *in, size_t len, unsigned char *out)
{
	unsigned acc = 0, nacc = 0, pad = 0;
	size_t i, o = 0;
	int v;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r' || in[i] == '\n')
			continue;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		v = b64_val(in[i]);
		if (v < 0 || pad > 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		if (++nacc == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = nacc = 0;
		}
	}
	if ((nacc + pad) % 4 != 0 || pad > 2 || (pad > 0 && nacc + pad != 4) || nacc == 1)
		return -1;
	if (nacc == 2)
		out[o++] = (unsigned char)(acc >> 4);
	if (nacc == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return (long)o;
}

/* Length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune rules:
 * shortest form, no surrogates, <= U+10FFFF), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need, cp, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3, cp = c & 0x07;
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need + 1;
}

/* A JSON string of bytes that may not be UTF-8: each bad byte becomes
 * U+FFFD, as Go's encoding/json writes it. */
static json_t *json_string_go(const unsigned char *s, size_t n)
{
	unsigned char *fixed;
	size_t i = 0, o = 0;
	json_t *j;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	fixed = malloc(n * 3 + 1);
	if (fixed == NULL)
		return NULL;
	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);

		if (k == 0) {
			memcpy(fixed + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(fixed + o, s + i, k);
		o += k;
		i += k;
	}
	j = json_stringn((const char *)fixed, o);
	sodium_memzero(fixed, n * 3 + 1);
	free(fixed);
	return j;
}

/* Scalars from libyaml are UTF-8, but jansson may refuse some that Go takes. */
static json_t *json_string_any(const unsigned char *s, size_t n)
{
	json_t *j = json_stringn((const char *)s, n);

	return j != NULL ? j : json_string_go(s, n);
}

static int tag_is(const char *tag, const char *short_name)
{
	return tag != NULL && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0 &&
	       strcmp(tag + strlen(TAG_PREFIX), short_name) == 0;
}

static int tag_resolvable(const char *tag)
{
	return tag == NULL || tag_is(tag, "str") || tag_is(tag, "bool") || tag_is(tag, "int") ||
	       tag_is(tag, "float") || tag_is(tag, "null") || tag_is(tag, "timestamp");
}

static const char *const kind_tag[] = {
	[R_STR] = "str", [R_NULL] = "null", [R_BOOL] = "bool", [R_INT] = "int",
	[R_UINT] = "int", [R_FLOAT] = "float", [R_TIMESTAMP] = "timestamp",
};

/* go-yaml's resolve(tag, in) for a resolvable tag, including its final
 * check that the value fits the explicit tag. */
static int resolve_tagged(struct ss_yctx *c, const struct ss_ynode *n, struct resolved *r)
{
	const char *in = (const char *)n->value, *tag = n->tag;
	int ch = (unsigned char)in[0];

	r->kind = R_STR;
	if (!tag_is(tag, "str") && strlen(in) == n->len) {
		if (resolve_word(in, r)) {
			/* done */
		} else if (ch == '.') {
			if (match_go_dot_float(in)) {
				char *plain = strdup(in);

				if (plain == NULL)
					return SS_E_NOMEM;
				remove_underscores(plain);
				(void)parse_float(plain, r);
				sodium_memzero(plain, strlen(plain));
				free(plain);
			}
		} else if (ch == '+' || ch == '-' || (ch >= '0' && ch <= '9')) {
			int rc = resolve_number(in, tag == NULL || tag_is(tag, "timestamp"), r);
			if (rc != 0)
				return rc;
		}
	}
	if (tag == NULL || tag_is(tag, kind_tag[r->kind]) || tag_is(tag, "str"))
		return 0;
	if (tag_is(tag, "float") && r->kind == R_INT) {
		r->kind = R_FLOAT;
		r->f = (double)r->i;
		return 0;
	}
	ss_err_at(c->err, c->file, n->line, c->doc);
	return ss_err_set(c->err, SS_E_INVAL, "cannot decode a !!%s as %s", kind_tag[r->kind], tag);
}

/* A Go float64 as Kubernetes reads it back from Go's JSON: integral values
 * below 1e21 are printed without a fraction, so they are integers. */
static json_t *json_from_float(double f)
{
	if (f == floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0)
		return json_integer((json_int_t)f);
	return json_real(f);
}

static int fail_at(struct ss_yctx *c, int code, unsigned line, const char *what)
{
	ss_err_at(c->err, c->file, line, c->doc);
	return ss_err_set(c->err, code, "%s", what);
}

static int resolved_json(struct ss_yctx *c, const struct ss_ynode *n, const struct resolved *r,
			 json_t **out)
{
	switch (r->kind) {
	case R_NULL:
		*out = json_null();
		break;
	case R_BOOL:
		*out = json_boolean(r->b);
		break;
	case R_INT:
		*out = json_integer(r->i);
		break;
	case R_UINT:
		return fail_at(c, SS_E_LIMIT, n->line,
			       "integer beyond the signed 64-bit range (quote it if it is a string)");
	case R_FLOAT:
		if (!isfinite(r->f))
			return fail_at(c, SS_E_INVAL, n->line,
				       "infinity or NaN cannot be represented in JSON");
		*out = json_from_float(r->f);
		break;
	default: /* strings, timestamps and "<<" outside a key keep their text */
		*out = json_string_any(n->value, n->len);
		break;
	}
	return *out == NULL ? SS_E_NOMEM : 0;
}

static int resolve_binary(struct ss_yctx *c, const struct ss_ynode *n, json_t **out)
{
	unsigned char *bin = malloc(n->len + 1);
	long blen;

	if (bin == NULL)
		return SS_E_NOMEM;
	blen = decode_b64_go(n->value, n->len, bin);
	if (blen >= 0)
		*out = json_string_go(bin, (size_t)blen);
	sodium_memzero(bin, n->len + 1);
	free(bin);
	if (blen < 0)
		return fail_at(c, SS_E_INVAL, n->line, "!!binary value contains invalid base64 data");
	return *out == NULL ? SS_E_NOMEM : 0;
}

int ss_yscalar_resolve(struct ss_yctx *c, const struct ss_ynode *n, json_t **out)
{
	struct resolved r;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (n->tag == NULL && !n->implicit) { /* quoted, untagged: a string */
		*out = json_string_any(n->value, n->len);
		return *out == NULL ? SS_E_NOMEM : 0;
	}
	if (tag_is(n->tag, "binary"))
		return resolve_binary(c, n, out);
	if (!tag_resolvable(n->tag)) { /* "!", "!foo", "!!map" on a scalar... */
		*out = json_string_any(n->value, n->len);
		return *out == NULL ? SS_E_NOMEM : 0;
	}
	if ((rc = resolve_tagged(c, n, &r)) != 0)
		return rc;
	return resolved_json(c, n, &r, out);
}

/* strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses for float
 * mapping keys: shortest digits that round-trip as float32, exponent form
 * when the exponent is < -4 or >= 6. */
static void format_go_float32_key(double d, char *out, size_t cap)
{
	float f = (float)d;
	char e[32], digits[16];
	const char *sign = signbit(f) ? "-" : "";
	int p, x, nd = 0;
	const char *q;

	if (isnan(f) || isinf(f)) {
		snprintf(out, cap, "%s", isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
		return;
	}
	if (f == 0) {
		snprintf(out, cap, "%s0", sign);
		return;
	}
	for (p = 1; p < 9; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, (double)fabsf(f));
		if (strtof(e, NULL) == fabsf(f))
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, (double)fabsf(f));
	for (q = e; *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	digits[nd] = '\0';
	x = atoi(q + 1);
	if (x < -4 || x >= 6)
		snprintf(out, cap, "%s%c%s%.*se%c%02d", sign, digits[0], nd > 1 ? "." : "", nd - 1,
			 digits + 1, x < 0 ? '-' : '+', x < 0 ? -x : x);
	else if (x < 0)
		snprintf(out, cap, "%s0.%.*s%s", sign, -x - 1, "0000", digits);
	else if (nd <= x + 1)
		snprintf(out, cap, "%s%s%.*s", sign, digits, x + 1 - nd, "000000");
	else
		snprintf(out, cap, "%s%.*s.%s", sign, x + 1, digits, digits + x + 1);
}

static int key_text(struct ss_yctx *c, const struct ss_ynode *n, const struct resolved *r,
		    char *num, size_t cap, const char **text)
{
	*text = num;
	switch (r->kind) {
	case R_NULL:
		return fail_at(c, SS_E_INVAL, n->line, "a null mapping key has no JSON form");
	case R_UINT:
		return fail_at(c, SS_E_LIMIT, n->line,
			       "integer mapping key beyond the signed 64-bit range");
	case R_BOOL:
		*text = r->b ? "true" : "false";
		return 0;
	case R_INT:
		snprintf(num, cap, "%lld", r->i);
		return 0;
	case R_FLOAT:
		format_go_float32_key(r->f, num, cap);
		return 0;
	default:
		*text = (const char *)n->value;
		return 0;
	}
}

int ss_yscalar_key(struct ss_yctx *c, const struct ss_ynode *n, char **out)
{
	struct resolved r;
	char num[64];
	const char *text = NULL;
	json_t *j = NULL;
	int rc = 0;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (n->tag == NULL && !n->implicit) {
		r.kind = R_STR;
	} else if (tag_is(n->tag, "binary") || !tag_resolvable(n->tag)) {
		if ((rc = ss_yscalar_resolve(c, n, &j)) != 0)
			return rc;
		text = json_string_value(j);
	} else if ((rc = resolve_tagged(c, n, &r)) != 0) {
		return rc;
	}
	if (text == NULL && (rc = key_text(c, n, &r, num, sizeof(num), &text)) != 0)
		return rc;
	if (strlen(text) != (j ? json_string_length(j) : n->len) && r.kind == R_STR)
		rc = fail_at(c, SS_E_UNSUPPORTED, n->line, "mapping key with a NUL character");
	else if ((*out = strdup(text)) == NULL)
		rc = SS_E_NOMEM;
	json_decref(j);
	return rc;
}
