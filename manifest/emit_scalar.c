/*
 * emit_scalar.c: YAML and JSON scalars and the shared key order
 * (see include/sealsync/emit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sealsync/emit.h"
#include "emit_int.h"

/* Well-known Kubernetes fields, in the order people expect to read them. */
static const char *const key_order[] = {
	"apiVersion", "kind",     "metadata",      "name",     "generateName",
	"namespace",  "labels",   "annotations",   "spec",     "scope",
	"encryptedData", "template", "type",       "immutable", "data",
	"stringData",
};

static int key_rank(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(key_order) / sizeof(key_order[0]); i++)
		if (strcmp(k, key_order[i]) == 0)
			return (int)i;
	return (int)(sizeof(key_order) / sizeof(key_order[0]));
}

int ss_emit_key_cmp(const char *a, const char *b)
{
	int ra = key_rank(a), rb = key_rank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a, b);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid. */
size_t emit_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * Code points that must be escaped: those YAML treats as line breaks or
 * strips, and those outside YAML's printable set (c-printable), which a YAML
 * reader refuses in the stream itself. Of the multi-byte ones that are C1
 * controls, the noncharacters U+FFFE and U+FFFF, and (kept escaped) the BOM;
 * surrogates are never valid UTF-8 here (emit_utf8_len).
 */
int emit_is_special_cp(const unsigned char *s, size_t len)
{
	return (len == 2 && s[0] == 0xc2 && s[1] < 0xa0 /* C1 controls, NEL */) ||
	       (len == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) ||
	       (len == 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) ||
	       (len == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf));
}

/* Words that YAML 1.1 (go-yaml v2) reads as booleans or null. */
static int is_yaml11_word(const char *s, size_t n)
{
	static const char *const words[] = {"y", "n", "yes", "no", "on", "off",
					    "true", "false", "null"};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Conservative: a letter first (so no number, timestamp, indicator or
 * special float can start), then a small safe alphabet, no trailing space.
 * No length limit: a sealed value is base64 of an age file ("YWdl..."), and
 * it must stay one plain word however long, so that `grep | awk | base64 -d`
 * recipes work (keys are capped at SS_EMIT_MAX_KEY before they get here).
 */
int emit_plain_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || is_yaml11_word(s, n))
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++) {
		int c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (strchr("_./+=-", c) != NULL && c != '\0')
			continue;
		if (c == ' ' && i + 1 < n && s[i + 1] != ' ')
			continue;
		return 0;
	}
	return 1;
}

static int put_escaped_cp(struct ss_buf *out, const unsigned char *p, size_t len)
{
	unsigned cp = 0;
	size_t i;

	if (len == 1)
		return ss_buf_printf(out, "\\x%02x", p[0]);
	cp = p[0] & (len == 2 ? 0x1f : 0x0f);
	for (i = 1; i < len; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return ss_buf_printf(out, "\\u%04x", cp);
}

static int put_dq_byte(struct ss_buf *out, unsigned char c)
{
	switch (c) {
	case '"':
		return ss_buf_puts(out, "\\\"");
	case '\\':
		return ss_buf_puts(out, "\\\\");
	case '\n':
		return ss_buf_puts(out, "\\n");
	case '\t':
		return ss_buf_puts(out, "\\t");
	case '\r':
		return ss_buf_puts(out, "\\r");
	default:
		if (c < 0x20 || c == 0x7f)
			return ss_buf_printf(out, "\\x%02x", c);
		return ss_buf_putc(out, c);
	}
}

static int put_double_quoted(struct ss_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int rc = ss_buf_putc(out, '"');

	while (rc == 0 && i < n) {
		size_t len = emit_utf8_len(p + i, n - i);

		if (len == 0)
			return SS_E_INVAL; /* YAML cannot carry invalid UTF-8 */
		if (len == 1)
			rc = put_dq_byte(out, p[i]);
		else if (emit_is_special_cp(p + i, len))
			rc = put_escaped_cp(out, p + i, len);
		else
			rc = ss_buf_append(out, p + i, len);
		i += len;
	}
	return rc != 0 ? rc : ss_buf_putc(out, '"');
}

int ss_emit_yaml_scalar(struct ss_buf *out, const char *s, size_t n)
{
	if (emit_plain_ok(s, n))
		return ss_buf_append(out, s, n);
	return put_double_quoted(out, s, n);
}

/* Shortest text that reads back as the same double, always with a '.'/'e'. */
int emit_real(struct ss_buf *out, double d)
{
	char tmp[64];
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (strpbrk(tmp, ".eEn") == NULL)
		return ss_buf_printf(out, "%s.0", tmp);
	return ss_buf_puts(out, tmp);
}

/* JSON text that is also valid YAML: DEL, C1 and line separators escaped. */
int emit_json_string(struct ss_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int rc = ss_buf_putc(out, '"');

	while (rc == 0 && i < n) {
		unsigned char c = p[i];
		size_t len = emit_utf8_len(p + i, n - i);

		if (len == 0)
			return SS_E_INVAL;
		if (len > 1 && emit_is_special_cp(p + i, len))
			rc = put_escaped_cp(out, p + i, len); /* \uXXXX, BMP only */
		else if (len > 1)
			rc = ss_buf_append(out, p + i, len);
		else if (c == '"' || c == '\\')
			rc = ss_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			rc = ss_buf_puts(out, "\\n");
		else if (c == '\t')
			rc = ss_buf_puts(out, "\\t");
		else if (c == '\r')
			rc = ss_buf_puts(out, "\\r");
		else if (c < 0x20 || c == 0x7f)
			rc = ss_buf_printf(out, "\\u%04x", c);
		else
			rc = ss_buf_putc(out, c);
		i += len;
	}
	return rc != 0 ? rc : ss_buf_putc(out, '"');
}

int ss_emit_parse_format(const char *s, enum ss_emit_format *out)
{
	if (strcmp(s, "yaml") == 0)
		*out = SS_EMIT_YAML;
	else if (strcmp(s, "json") == 0)
		*out = SS_EMIT_JSON;
	else
		return SS_E_USAGE;
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return ss_emit_key_cmp(*(const char *const *)a, *(const char *const *)b);
}

int emit_sorted_keys(const json_t *obj, const char ***out, size_t *n)
{
	const char **keys;
	const char *k;
	json_t *v;
	size_t i = 0;

	*out = NULL;
	*n = json_object_size(obj);
	keys = calloc(*n ? *n : 1, sizeof(*keys));
	if (keys == NULL)
		return SS_E_NOMEM;
	json_object_foreach((json_t *)obj, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, *n, sizeof(*keys), cmp_keys);
	*out = keys;
	return 0;
}
