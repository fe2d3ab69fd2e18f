/* keystore_int.h: internals shared by keystore.c and keystore_managed.c. */
#ifndef SEALSYNC_KEYSTORE_INT_H
#define SEALSYNC_KEYSTORE_INT_H

#include <pthread.h>
#include <time.h>

#include "sealsync/buf.h"
#include "sealsync/keystore.h"

struct ss_kube;

#define KS_MAX_RETIRED 64

struct ss_keystore {
	pthread_mutex_t mu;
	const struct ss_config *cfg;
	struct ss_keyring *all;       /* every identity, the active one last */
	struct ss_recipient retired[KS_MAX_RETIRED];
	size_t nretired;
	time_t created;               /* of the active key, 0 unknown */
	unsigned long generation;
	unsigned char fp[32];         /* file/dir fingerprint at the last load */
	/* managed */
	struct ss_kube *kube;
	struct ss_buf text;           /* the Secret's keys.txt (guarded memory) */
	char rv[64];                  /* its resourceVersion */
	time_t next_poll;
	/* privsep (ss_keystore_drop_identities): public keys of the dropped
	 * identities, the active one last; all is then NULL */
	struct ss_recipient *pub;
	size_t npub;
};

/* Installs kr (all identities; ownership taken on success) as the store's
 * keys after checking the retired list; created is the active key's. */
int ks_install(struct ss_keystore *ks, struct ss_keyring *kr, time_t created,
	       struct ss_err *err);

/* The "# created:" time of the last identity in an identity file text. */
time_t ks_text_created(const char *text, size_t len);

/* Managed source (keystore_managed.c). */
int ks_managed_load(struct ss_keystore *ks, int create, struct ss_err *err);
int ks_managed_maintain(struct ss_keystore *ks, int leader, int *changed, struct ss_err *err);

#endif
