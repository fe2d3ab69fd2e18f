/*
 * keystore.h: where the agent's identities come from, how they change, and
 * what it advertises (docs/OPERATIONS.md, "Keys").
 *
 * Sources (one per agent):
 *  - a file or a folder of age identity files (--identities, --identities-dir),
 *    reloaded on SIGHUP and when a file changes (ss_keystore_changed polls
 *    inode, size and mtime: no inotify, so kubelet's atomic "..data" swap of
 *    a Secret volume is seen as well);
 *  - agent-managed (--managed-keys): a Secret "<name>-keys" in the agent's
 *    namespace whose data key "keys.txt" is an age-keygen identity file.
 *    The first replica to start creates it with POST (a 409 means another
 *    replica won: it is read instead). Only the Lease holder rotates: every
 *    --key-renew-period it appends a new identity and writes the Secret with
 *    PUT and the resourceVersion it read, so a concurrent writer makes the
 *    PUT fail (409), the Secret is read again and no key is ever dropped.
 *    Other replicas re-read the Secret (ss_keystore_maintain).
 *
 * The newest identity is active (used for sealing); older ones are retained
 * for unsealing. Like the Sealed Secrets controller we never delete a key.
 * A key can be *retired* by configuration (keys.retired: "age1...,..."):
 * it stays in the store but is used for nothing, neither unsealing nor
 * advertising, so an operator can test that no value needs it any more and
 * take it back if one does. The active key cannot be retired.
 *
 * Threads: every function takes the store's mutex, so the HTTP thread may
 * call ss_keystore_keyring / ss_keystore_recipients while the main thread
 * loads or rotates. Identities live in guarded memory and are wiped on free.
 */
#ifndef SEALSYNC_KEYSTORE_H
#define SEALSYNC_KEYSTORE_H

#include <stddef.h>
#include <time.h>

#include "sealsync/err.h"
#include "sealsync/keys.h"

struct ss_config;
struct ss_keystore;

#define SS_KEYSTORE_DATA_KEY "keys.txt"

/* Prepares the store (managed: opens its own cluster client). Loads nothing. */
int ss_keystore_open(const struct ss_config *cfg, struct ss_keystore **out,
		     struct ss_err *err) SS_MUST_CHECK;
void ss_keystore_free(struct ss_keystore *ks); /* NULL accepted; wipes keys */

/*
 * (Re)loads every identity from the source. Managed: reads the Secret, and
 * when create is set and it does not exist, creates it with one new key.
 * All or nothing: on error the keys loaded before stay. SS_E_NOTFOUND when
 * managed, create is 0 and there is no Secret yet.
 */
int ss_keystore_load(struct ss_keystore *ks, int create, struct ss_err *err) SS_MUST_CHECK;

/* File/dir source: 1 when the files changed since the last load. */
int ss_keystore_changed(struct ss_keystore *ks);

/*
 * Managed source, called from the main loop: as leader, rotates when the
 * active key is older than the renew period; otherwise (and after a lost
 * race) re-reads the Secret. *changed = 1 when the keys changed.
 * File/dir source: does nothing.
 */
int ss_keystore_maintain(struct ss_keystore *ks, int leader, int *changed,
			 struct ss_err *err) SS_MUST_CHECK;

/* A new keyring with the usable (not retired) identities, oldest first, the
 * active one last; the caller frees it. SS_E_NOTFOUND before a load. */
int ss_keystore_keyring(struct ss_keystore *ks, struct ss_keyring **out,
			struct ss_err *err) SS_MUST_CHECK;

/*
 * privsep: frees the identities once the key holder has them, keeping only
 * their public keys (ss_keystore_recipients keeps working; keyring gives
 * SS_E_NOTFOUND). File/dir sources only: a managed store keeps its Secret
 * text to rotate it (docs/ARCHITECTURE.md, "Processes"). The next load
 * brings the identities back until the next drop.
 */
int ss_keystore_drop_identities(struct ss_keystore *ks) SS_MUST_CHECK;

/* Bumped by every load that changed the keys (so copies can be refreshed). */
unsigned long ss_keystore_generation(struct ss_keystore *ks);

/*
 * The usable recipients, newest (active) first, at most max; returns how
 * many. retired and created (may be NULL) get the count of retired keys and
 * the active key's creation time (its "# created:" line, 0 when unknown).
 */
size_t ss_keystore_recipients(struct ss_keystore *ks, struct ss_recipient *out, size_t max,
			      size_t *retired, time_t *created);

/*
 * Publishes the recipients in a ConfigMap "<name>-recipients" in the
 * agent's namespace (server-side apply through k): data."recipients.txt"
 * is what GET /v1/recipients serves as text, data.active the active key.
 * Users read it with `sealctl recipients --kubeconfig`: authenticated by
 * their own kubeconfig and the cluster CA, with no agent port to reach.
 * The service publishes at start and after every key change (leader only).
 * tls_pin, when not NULL, is the pin of the agent's generated HTTPS
 * certificate ("sha256//BASE64"), published as data.tlsPin so that
 * `sealctl --agent URL --pin` can authenticate the endpoint.
 */
#define SS_KEYSTORE_PUBLISH_SUFFIX "-recipients"
struct ss_kube;
int ss_keystore_publish(struct ss_keystore *ks, struct ss_kube *k, const char *tls_pin,
			struct ss_err *err) SS_MUST_CHECK;

#endif
