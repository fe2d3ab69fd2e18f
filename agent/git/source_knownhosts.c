/*
 * source_knownhosts.c: SSH host key check against the configured
 * known_hosts file. libgit2 1.5 only knows $HOME/.ssh/known_hosts, and
 * accepts any host key when no certificate_check callback is set, so the
 * check is ours; libssh2's parser handles "[host]:port" and hashed
 * ("|1|salt|hash") entries.
 */
#include <libssh2.h>

#include "source_int.h"

static int keybit_of(git_cert_ssh_raw_type_t t)
{
	switch (t) {
	case GIT_CERT_SSH_RAW_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case GIT_CERT_SSH_RAW_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		return -1;
	}
}

static int check_result(const struct ss_source *s, int rc, struct ss_err *err)
{
	const char *file = s->o.known_hosts_file;

	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		return 0;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		return ss_err_set(err, SS_E_NET,
				  "host key of %s port %d does not match %s (changed host key)",
				  s->host, s->port, file);
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		return ss_err_set(err, SS_E_NET, "host key of %s port %d is unknown (not in %s)",
				  s->host, s->port, file);
	default:
		return ss_err_set(err, SS_E_NET, "cannot check the host key of %s against %s",
				  s->host, file);
	}
}

int source_hostkey_check(const struct ss_source *s, const git_cert_hostkey *cert,
			 struct ss_err *err)
{
	LIBSSH2_SESSION *session = NULL;
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *found = NULL;
	int keybit, rc;

	if (!(cert->type & GIT_CERT_SSH_RAW) || (keybit = keybit_of(cert->raw_type)) < 0)
		return ss_err_set(err, SS_E_NET, "host %s offered a host key of an unknown type",
				  s->host);
	session = libssh2_session_init();
	kh = session != NULL ? libssh2_knownhost_init(session) : NULL;
	if (kh == NULL) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	if (libssh2_knownhost_readfile(kh, s->o.known_hosts_file,
				       LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		rc = ss_err_set(err, SS_E_IO, "cannot read known_hosts file %s",
				s->o.known_hosts_file);
		goto out;
	}
	rc = libssh2_knownhost_checkp(kh, s->host, s->port, cert->hostkey, cert->hostkey_len,
				      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
					      keybit,
				      &found);
	rc = check_result(s, rc, err);
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	if (session != NULL)
		libssh2_session_free(session);
	return rc;
}
