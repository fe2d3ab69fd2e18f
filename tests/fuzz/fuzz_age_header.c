// fuzz-link: ss_crypto
/* libFuzzer: the age header parser and the whole open path (ss_age_open). */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "sealsync/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ss_keyring *kr;
	struct ss_identity *id = NULL;
	struct ss_age_info info;
	struct ss_buf pt;
	struct ss_age_open_opts o = {NULL, NULL, 1, NULL, NULL, NULL, NULL, NULL};

	if (kr == NULL) {
		if (sodium_init() < 0 || ss_keyring_new(&kr) != 0 || ss_identity_generate(&id) != 0 ||
		    ss_keyring_add(kr, id) != 0)
			return 0;
	}
	o.kr = kr;
	(void)!ss_age_inspect(data, size, &info, NULL);
	ss_buf_init_secure(&pt, 1 << 20);
	(void)!ss_age_open(&o, data, size, &pt, &info, NULL);
	ss_buf_release(&pt);
	return 0;
}
