/*
 * Fuzz target: the SOPS reader (sops.h) on arbitrary YAML. Every document
 * that has a `sops` key goes through ss_sops_decrypt with a fixed test
 * identity, so the seed corpus (files sops encrypted to that identity, see
 * corpus/sops/README) reaches the value decryption and the MAC check, and
 * mutations of it reach every refusal. A decrypted Secret must be a v1
 * Secret without a `sops` key and without stringData: anything else aborts.
 */
// fuzz-link: ss_manifest ss_crypto OpenSSL::Crypto
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/jsonalloc.h"
#include "sealsync/keys.h"
#include "sealsync/secmem.h"
#include "sealsync/sops.h"
#include "sealsync/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus' test identity (never a real key). */
static const char test_identity[] =
	"AGE-SECRET-KEY-19PWFC3LJVPPRDXE6RR800VW4RGUGJAJ276DV4ZF3QVC8N8HEA32SGE7K8T\n";

static const struct ss_yaml_limits lim = {.max_bytes = 1 << 16, .max_docs = 8,
					  .max_depth = 48, .max_nodes = 20000,
					  .max_scalar = 1 << 14};

static struct ss_keyring *keyring(void)
{
	static struct ss_keyring *kr;

	if (kr == NULL && (ss_keyring_new(&kr) != 0 ||
			   ss_keyring_parse(kr, test_identity, strlen(test_identity), "fuzz",
					    NULL) != 0))
		abort();
	return kr;
}

static void one_doc(const struct ss_docset *ds, size_t i)
{
	struct ss_origin o = {"fuzz.yaml", ss_docset_index(ds, i), ss_docset_line(ds, i), ds, i};
	struct ss_age_open_opts ao;
	unsigned budget = 64;
	json_t *secret = NULL;

	if (!ss_sops_is(ss_docset_get(ds, i)))
		return;
	memset(&ao, 0, sizeof(ao));
	ao.kr = keyring();
	ao.x25519_budget = &budget;
	if (ss_sops_decrypt(ss_docset_get(ds, i), &o, &ao, &secret, NULL) != 0)
		return;
	if (json_object_get(secret, "sops") != NULL || json_object_get(secret, "stringData") != NULL ||
	    strcmp(json_string_value(json_object_get(secret, "kind")), "Secret") != 0)
		abort();
	json_decref(secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct ss_docset *ds = NULL;
	size_t i;

	if (!init) {
		if (ss_secmem_init() != 0)
			abort();
		ss_json_use_zeroing_alloc();
		init = 1;
	}
	if (ss_yaml_load("fuzz.yaml", data, size, &lim, &ds, NULL) != 0)
		return 0;
	for (i = 0; i < ss_docset_count(ds); i++)
		one_doc(ds, i);
	ss_docset_free(ds);
	return 0;
}
