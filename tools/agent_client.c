/* agent_client.c: https client for the agent's endpoints (see agent_client.h). */
#include <stdio.h>
#include <string.h>

#include "agent_client.h"
#include "curl_dl.h"

#define RESPONSE_MAX (8u << 20)
#define TLS_PIN_PREFIX "sha256//"

int sealctl_agent_is_tls_pin(const char *pin)
{
	return strncmp(pin, TLS_PIN_PREFIX, strlen(TLS_PIN_PREFIX)) == 0;
}

/* The TLS pins joined as libcurl wants them ("sha256//a;sha256//b"); "" when none. */
static int tls_pins(const struct sealctl_agent *a, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < a->npins; i++) {
		size_t n = strlen(a->pins[i]);

		if (!sealctl_agent_is_tls_pin(a->pins[i]))
			continue;
		if (used + n + 2 > cap)
			return SS_E_LIMIT;
		if (used > 0)
			out[used++] = ';';
		memcpy(out + used, a->pins[i], n + 1);
		used += n;
	}
	return 0;
}

/* Why a transfer failed, TLS first (an unpinned key is a refusal, not a network error). */
static int transfer_error(const struct sealctl_curl *cu, const struct sealctl_agent *a,
			  CURLcode cc, const char *cerr, struct ss_err *err)
{
	if (cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
		return ss_err_set(err, SS_E_PERM, "%s: the agent's TLS key is not the pinned one "
				  "(--pin sha256//...)", a->url);
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
		return ss_err_set(err, SS_E_PERM, "%s: TLS verification failed: %s%s", a->url, cerr,
				  a->ca_file == NULL ? "; for the agent's own (self-signed) "
				  "certificate give --agent-ca FILE (the CA that signed it) or "
				  "--pin sha256//... (the key's pin: sealctl recipients --kubeconfig "
				  "prints it)" : "");
	if (cc == CURLE_WRITE_ERROR)
		return ss_err_set(err, SS_E_LIMIT, "%s: response too large", a->url);
	return ss_err_set(err, SS_E_NET, "%s: %s", a->url, cerr[0] ? cerr : cu->easy_strerror(cc));
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	/* Over the cap: returning less than given aborts the transfer. */
	if (ss_buf_append(ctx, p, size * n) != 0)
		return 0;
	return size * n;
}

static int transfer(const struct sealctl_agent *a, const char *path, const void *body, size_t len,
		    long *status, struct ss_buf *resp, struct ss_err *err)
{
	struct curl_slist *hdrs = NULL;
	char url[2048], cerr[CURL_ERROR_SIZE] = "";
	char pins[SEALCTL_AGENT_MAX_PINS * 64];
	const struct sealctl_curl *cu;
	CURLcode cc;
	CURL *c;
	int rc;

	*status = 0;
	if (a->url == NULL || strncmp(a->url, "https://", 8) != 0)
		return ss_err_set(err, SS_E_USAGE, "--agent must be an https:// URL");
	if (tls_pins(a, pins, sizeof(pins)) != 0)
		return ss_err_set(err, SS_E_USAGE, "--pin sha256//...: too long");
	snprintf(url, sizeof(url), "%s%s", a->url, path);
	if ((rc = sealctl_curl_load(&cu, err)) != 0)
		return rc;
	if ((c = cu->easy_init()) == NULL)
		return ss_err_set(err, SS_E_NOMEM, "cannot start libcurl");
	hdrs = cu->slist_append(hdrs, body != NULL ? "Content-Type: application/yaml"
						    : "Accept: text/plain");
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* A TLS pin without --agent-ca is the agent's generated, self-signed
	 * certificate: its key is the trust anchor, so no CA chain nor name
	 * applies (the pin is checked all the same; curl refuses a mismatch
	 * before any byte is sent). With --agent-ca both checks are made. */
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, pins[0] != '\0' && a->ca_file == NULL ? 0L : 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, pins[0] != '\0' && a->ca_file == NULL ? 0L : 2L);
	if (a->ca_file != NULL)
		cu->easy_setopt(c, CURLOPT_CAINFO, a->ca_file);
	/* On every request, not only /v1/recipients: the reseal reply must come
	 * from the same pinned agent. Checked after the CA verification. */
	if (pins[0] != '\0')
		cu->easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pins);
	cu->easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, resp);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (body != NULL) {
		cu->easy_setopt(c, CURLOPT_POSTFIELDS, body);
		cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = cu->easy_perform(c);
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	cu->slist_free_all(hdrs);
	cu->easy_cleanup(c);
	return cc == CURLE_OK ? 0 : transfer_error(cu, a, cc, cerr, err);
}

int sealctl_agent_post(const struct sealctl_agent *a, const char *path, const void *body,
		       size_t len, long *status, struct ss_buf *resp, struct ss_err *err)
{
	return transfer(a, path, body != NULL ? body : "", len, status, resp, err);
}

static int pinned(const struct sealctl_agent *a, const struct ss_recipient *r)
{
	struct ss_recipient p;
	size_t i;

	for (i = 0; i < a->npins; i++)
		if (!sealctl_agent_is_tls_pin(a->pins[i]) &&
		    ss_recipient_parse(a->pins[i], &p, NULL) == 0 && ss_recipient_equal(&p, r))
			return 1;
	return 0;
}

/* How many of the pins are recipient pins (age1...). */
static size_t recipient_pins(const struct sealctl_agent *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->npins; i++)
		n += !sealctl_agent_is_tls_pin(a->pins[i]);
	return n;
}

/* One line of the recipients file: '#' comments and blanks are skipped. */
static int take_line(const struct sealctl_agent *a, const char *line, size_t n, size_t lineno,
		     struct sealctl_recipients *out, struct ss_err *err)
{
	char s[SS_RECIPIENT_STR_MAX];
	struct ss_recipient r;

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n == 0 || line[0] == '#')
		return 0;
	if (n >= sizeof(s))
		return ss_err_set(err, SS_E_INVAL, "agent answer line %zu: not a recipient", lineno);
	memcpy(s, line, n);
	s[n] = '\0';
	if (ss_recipient_parse(s, &r, err) != 0) {
		ss_err_prefix(err, "agent answer line %zu", lineno);
		return SS_E_INVAL;
	}
	if (recipient_pins(a) > 0 && !pinned(a, &r))
		return ss_err_set(err, SS_E_SIG, "the agent advertises %s, which is not pinned (--pin)", s);
	return sealctl_recipients_add(out, s, err);
}

int sealctl_agent_recipients(const struct sealctl_agent *a, struct sealctl_recipients *out,
			     struct ss_buf *text, struct ss_err *err)
{
	struct ss_buf resp;
	const char *p, *nl;
	size_t lineno = 0, before = out->n;
	long status;
	int rc;

	ss_buf_init(&resp, RESPONSE_MAX);
	rc = transfer(a, "/v1/recipients", NULL, 0, &status, &resp, err);
	if (rc == 0 && status != 200)
		rc = ss_err_set(err, SS_E_NET, "%s/v1/recipients answered HTTP %ld", a->url, status);
	for (p = ss_buf_str(&resp); rc == 0 && *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		rc = take_line(a, p, (size_t)(nl - p), ++lineno, out, err);
	}
	if (rc == 0 && out->n == before)
		rc = ss_err_set(err, SS_E_INVAL, "the agent advertised no recipient");
	if (rc == 0 && text != NULL)
		rc = ss_buf_append(text, resp.data, resp.len);
	ss_buf_release(&resp);
	return rc;
}
