/*
 * armor.c: age's ASCII armor (a strict PEM subset), decoded exactly as age's
 * reader does, since the testkit checks it: whole-line whitespace only
 * before the BEGIN line and after the END line (at most 1 KiB each), LF or
 * CRLF line ends, each line at most 64 columns of padded, canonical base64,
 * only the last data line shorter, no empty lines, no headers.
 */
#include <string.h>

#include <sodium.h>

#include "sealsync/age.h"

#define BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define END "-----END AGE ENCRYPTED FILE-----"
#define COLUMNS 64
#define BYTES_PER_LINE 48
#define MAX_WHITESPACE 1024

struct rd {
	const unsigned char *p;
	size_t len, pos;
};

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int all_space(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_space(p[i]))
			return 0;
	return 1;
}

/* Next line without its LF and one CR before it; -1 at the end of input. */
static int get_line(struct rd *r, const unsigned char **line, size_t *n)
{
	const unsigned char *nl;
	size_t len;

	if (r->pos >= r->len)
		return -1;
	nl = memchr(r->p + r->pos, '\n', r->len - r->pos);
	len = nl != NULL ? (size_t)(nl - (r->p + r->pos)) : r->len - r->pos;
	*line = r->p + r->pos;
	r->pos += len + (nl != NULL);
	if (len > 0 && (*line)[len - 1] == '\r')
		len--;
	*n = len;
	return 0;
}

static int line_is(const unsigned char *line, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(line, s, n) == 0;
}

static int armor_fail(struct ss_err *err, const char *why)
{
	return ss_err_set(err, SS_E_AGE_ARMOR, "armor: %s", why);
}

static int read_begin(struct rd *r, struct ss_err *err)
{
	const unsigned char *line;
	size_t n, skipped = 0;

	for (;;) {
		if (get_line(r, &line, &n) != 0)
			return armor_fail(err, "no BEGIN line");
		if (!all_space(line, n))
			break;
		skipped += n + 1;
		if (skipped > MAX_WHITESPACE)
			return armor_fail(err, "too much leading whitespace");
	}
	return line_is(line, n, BEGIN) ? 0 : armor_fail(err, "bad BEGIN line");
}

static int drain_trailing(struct rd *r, struct ss_err *err)
{
	size_t rest = r->len - r->pos;

	if (!all_space(r->p + r->pos, rest < MAX_WHITESPACE ? rest : MAX_WHITESPACE))
		return armor_fail(err, "data after the END line");
	if (rest >= MAX_WHITESPACE)
		return armor_fail(err, "too much trailing whitespace");
	return 0;
}

static int decode_line(const unsigned char *line, size_t n, struct ss_buf *out, size_t *got,
		       struct ss_err *err)
{
	unsigned char bin[BYTES_PER_LINE];
	size_t m = 0;

	if (n == 0)
		return armor_fail(err, "empty line");
	if (n > COLUMNS)
		return armor_fail(err, "line longer than 64 columns");
	if (n % 4 != 0 || sodium_base642bin(bin, sizeof(bin), (const char *)line, n, NULL, &m, NULL,
					    sodium_base64_VARIANT_ORIGINAL) != 0)
		return armor_fail(err, "line is not canonical padded base64");
	*got = m;
	if (ss_buf_append(out, bin, m) != 0)
		return ss_err_set(err, SS_E_LIMIT, "armor: decoded file larger than %zu bytes", out->max);
	return 0;
}

int ss_age_armor_decode(const unsigned char *in, size_t len, struct ss_buf *out,
			struct ss_err *err)
{
	struct rd r = {in, len, 0};
	const unsigned char *line;
	size_t n, got = 0;
	int rc = read_begin(&r, err);

	while (rc == 0) {
		if (get_line(&r, &line, &n) != 0)
			return armor_fail(err, "no END line");
		if (line_is(line, n, END))
			return drain_trailing(&r, err);
		rc = decode_line(line, n, out, &got, err);
		if (rc == 0 && got < BYTES_PER_LINE) {
			if (get_line(&r, &line, &n) != 0 || !line_is(line, n, END))
				return armor_fail(err, "short line before the end, or no END line");
			return drain_trailing(&r, err);
		}
	}
	return rc;
}

int ss_age_armor_encode(const unsigned char *in, size_t len, struct ss_buf *out)
{
	char line[COLUMNS + 1];
	size_t pos = 0;
	int rc = ss_buf_puts(out, BEGIN "\n");

	while (rc == 0 && pos < len) {
		size_t n = len - pos < BYTES_PER_LINE ? len - pos : BYTES_PER_LINE;
		sodium_bin2base64(line, sizeof(line), in + pos, n, sodium_base64_VARIANT_ORIGINAL);
		rc = ss_buf_puts(out, line);
		if (rc == 0)
			rc = ss_buf_putc(out, '\n');
		pos += n;
	}
	if (rc == 0)
		rc = ss_buf_puts(out, END "\n");
	return rc;
}

int ss_age_is_armored(const unsigned char *in, size_t len)
{
	const unsigned char *p, *end;

	if (in == NULL || len == 0)
		return 0;
	p = in;
	end = in + len;
	while (p < end && is_space(*p))
		p++;
	return (size_t)(end - p) >= sizeof(BEGIN) - 1 && memcmp(p, BEGIN, sizeof(BEGIN) - 1) == 0;
}
