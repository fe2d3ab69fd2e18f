/*
 * server_tlsgen.c: the agent's own HTTPS certificate when none is given
 * (http.tlsGenerate, docs/SERVICE.md "HTTPS").
 *
 * An ECDSA P-256 key and a self-signed certificate made at start with
 * GnuTLS: the TLS library libmicrohttpd already serves with, so no other
 * crypto library is linked for it. The key exists only in memory (GnuTLS's
 * own copy and a guarded buffer for the PEM libmicrohttpd parses); it is
 * never written anywhere, so every start has a new key and a new pin.
 * Clients authenticate it by its pin, sha256// + base64 of the SHA-256 of
 * the DER SubjectPublicKeyInfo (curl's CURLOPT_PINNEDPUBLICKEY form, what
 * `sealctl --pin` takes), published in the recipients ConfigMap.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "server_int.h"

#define PEM_MAX 8192
#define CERT_DAYS 825 /* the longest validity browsers ever accepted; restarts renew it */

static int gnutls_fail(struct ss_err *err, const char *what, int grc)
{
	return ss_err_set(err, SS_E_INTERNAL, "generating the TLS certificate: %s: %s", what,
			  gnutls_strerror(grc));
}

/* One subjectAltName: an IP literal as an address, anything else as a DNS name. */
static int add_san(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char ip[16];

	if (inet_pton(AF_INET, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
							    GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
							    GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						    (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
}

/* Subject, validity and extensions of a server certificate (not a CA). */
static int cert_fields(gnutls_x509_crt_t crt, const struct ss_server_opts *o)
{
	static const char cn[] = "sealsync-agent";
	unsigned char serial[16];
	time_t now = time(NULL);
	size_t i;
	int grc;

	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f; /* a positive INTEGER */
	grc = gnutls_x509_crt_set_version(crt, 3);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	if (grc >= 0)
		grc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						    sizeof(cn) - 1);
	if (grc >= 0) /* an hour back: clocks of clients that run a little late */
		grc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_expiration_time(crt, now + CERT_DAYS * 86400L);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	for (i = 0; grc >= 0 && o->tls_names != NULL && o->tls_names[i] != NULL; i++)
		grc = add_san(crt, o->tls_names[i]);
	return grc;
}

/* pin = "sha256//" + base64(SHA-256(DER SubjectPublicKeyInfo)). */
static int make_pin(gnutls_x509_crt_t crt, char *pin, size_t cap)
{
	unsigned char der[512], h[crypto_hash_sha256_BYTES];
	size_t len = sizeof(der);
	gnutls_pubkey_t pub = NULL;
	int grc;

	grc = gnutls_pubkey_init(&pub);
	if (grc >= 0)
		grc = gnutls_pubkey_import_x509(pub, crt, 0);
	if (grc >= 0)
		grc = gnutls_pubkey_export(pub, GNUTLS_X509_FMT_DER, der, &len);
	gnutls_pubkey_deinit(pub);
	if (grc < 0)
		return grc;
	crypto_hash_sha256(h, der, len);
	if (cap < sizeof(SS_SERVER_TLS_PIN_PREFIX) + 44)
		return GNUTLS_E_SHORT_MEMORY_BUFFER;
	memcpy(pin, SS_SERVER_TLS_PIN_PREFIX, sizeof(SS_SERVER_TLS_PIN_PREFIX) - 1);
	sodium_bin2base64(pin + sizeof(SS_SERVER_TLS_PIN_PREFIX) - 1,
			  cap - (sizeof(SS_SERVER_TLS_PIN_PREFIX) - 1), h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* The PEM of the key, through guarded scratch memory into s->tls_key. */
static int export_key(gnutls_x509_privkey_t key, struct ss_buf *out, struct ss_err *err)
{
	unsigned char *pem = sodium_malloc(PEM_MAX);
	size_t len = PEM_MAX;
	int grc, rc;

	if (pem == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of guarded memory for the TLS key");
	grc = gnutls_x509_privkey_export_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
					       pem, &len);
	if (grc < 0)
		rc = gnutls_fail(err, "exporting the key", grc);
	else if ((rc = ss_buf_append(out, pem, len)) != 0)
		rc = ss_err_set(err, rc, "generating the TLS certificate: key too large");
	sodium_free(pem); /* wipes */
	return rc;
}

static int export_cert(gnutls_x509_crt_t crt, struct ss_buf *out, struct ss_err *err)
{
	unsigned char pem[PEM_MAX];
	size_t len = sizeof(pem);
	int grc, rc;

	grc = gnutls_x509_crt_export(crt, GNUTLS_X509_FMT_PEM, pem, &len);
	if (grc < 0)
		return gnutls_fail(err, "exporting the certificate", grc);
	rc = ss_buf_append(out, pem, len);
	return rc != 0 ? ss_err_set(err, rc, "generating the TLS certificate: too large") : 0;
}

int srv_tls_generate(struct ss_server *s, struct ss_err *err)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	int grc, rc;

	grc = gnutls_x509_privkey_init(&key);
	if (grc >= 0)
		grc = gnutls_x509_privkey_generate2(
			key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
			NULL, 0);
	if (grc >= 0)
		grc = gnutls_x509_crt_init(&crt);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_key(crt, key);
	if (grc >= 0)
		grc = cert_fields(crt, &s->o);
	if (grc >= 0)
		grc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (grc >= 0)
		grc = make_pin(crt, s->tls_pin, sizeof(s->tls_pin));
	if (grc < 0) {
		rc = gnutls_fail(err, "building the certificate", grc);
		goto out;
	}
	rc = export_cert(crt, &s->tls_cert, err);
	if (rc == 0)
		rc = export_key(key, &s->tls_key, err);
out:
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key); /* GnuTLS wipes the key on deinit */
	return rc;
}
