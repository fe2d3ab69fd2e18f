// fuzz-link: ss_crypto
/* libFuzzer: identity file parsing (age-keygen format, several identities). */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "sealsync/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_keyring *kr = NULL;
	struct ss_err err;

	if (sodium_init() < 0 || ss_keyring_new(&kr) != 0)
		return 0;
	ss_err_clear(&err);
	(void)!ss_keyring_parse(kr, (const char *)data, size, "fuzz", &err);
	ss_keyring_free(kr);
	return 0;
}
