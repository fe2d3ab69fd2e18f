/*
 * sshsig.h: OpenSSH signatures (PROTOCOL.sshsig) and git's allowed-signers
 * file (ssh-keygen(1) "ALLOWED SIGNERS"), as used by `git commit -S` with
 * gpg.format=ssh. Only ssh-ed25519 keys are supported (verified with
 * libsodium); other key types parse but are refused as unsupported.
 *
 * Depends only on libsodium and common/ (the fuzz build links it alone).
 */
#ifndef SEALSYNC_SSHSIG_H
#define SEALSYNC_SSHSIG_H

#include <stddef.h>

#include "sealsync/err.h"

#define SS_SSHSIG_MAX_ARMOR (64u * 1024)       /* armored signature text */
#define SS_SSHSIG_MAX_SIGNERS_FILE (1024u * 1024) /* allowed signers file */

/* A parsed signature. */
struct ss_sshsig;

/*
 * Parses an armored signature ("-----BEGIN SSH SIGNATURE-----" ...): magic,
 * version 1, public key, namespace, hash algorithm (sha256/sha512) and the
 * signature. SS_E_INVAL for malformed input (the message says which part),
 * SS_E_UNSUPPORTED for a key or signature type other than ssh-ed25519 (the
 * message names the type). *out is NULL on error.
 */
int ss_sshsig_parse(const char *armor, size_t len, struct ss_sshsig **out,
		    struct ss_err *err) SS_MUST_CHECK;
void ss_sshsig_free(struct ss_sshsig *sig);

/* The namespace the signature was made for (NUL-terminated, owned by sig). */
const char *ss_sshsig_namespace(const struct ss_sshsig *sig);

/* The signer's key as "SHA256:<base64>" (like ssh-keygen -l). */
void ss_sshsig_fingerprint(const struct ss_sshsig *sig, char out[64]);

/* Allowed signers: one entry per line "principals [options] keytype key". */
struct ss_signers;

/*
 * Parses an allowed-signers text. origin names it in errors (file name);
 * errors carry origin and the 1-based line. Supported options: namespaces=
 * (honoured). cert-authority, valid-after and valid-before are refused
 * (SS_E_UNSUPPORTED) rather than ignored, so the policy is never looser
 * than written. Lines of other key types are kept but match nothing.
 */
int ss_signers_parse(const char *text, size_t len, const char *origin,
		     struct ss_signers **out, struct ss_err *err) SS_MUST_CHECK;
/* Reads and parses a file (capped at SS_SSHSIG_MAX_SIGNERS_FILE). */
int ss_signers_load(const char *path, struct ss_signers **out,
		    struct ss_err *err) SS_MUST_CHECK;
void ss_signers_free(struct ss_signers *s);
size_t ss_signers_count(const struct ss_signers *s);

/*
 * Verifies sig over msg for namespace ns (e.g. "git"): the namespace must
 * match, the key must be in signers with ns allowed by its namespaces=
 * option, and the ed25519 signature over the SSHSIG signed data must
 * verify. On success, when principal is not NULL, it receives the first
 * matching entry's principals field (truncated to cap). All failures are
 * SS_E_SIG with the reason: "signed for namespace X", "key SHA256:... is
 * not an allowed signer", "signature does not verify".
 */
int ss_sshsig_verify(const struct ss_sshsig *sig, const void *msg, size_t msg_len,
		     const char *ns, const struct ss_signers *signers, char *principal,
		     size_t cap, struct ss_err *err) SS_MUST_CHECK;

#endif
