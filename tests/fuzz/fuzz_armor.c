// fuzz-link: ss_crypto
/* libFuzzer: age ASCII armor decoding, and re-encoding what decodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_buf out, again, back;

	ss_buf_init(&out, 1 << 20);
	ss_buf_init(&again, 2 << 20);
	ss_buf_init(&back, 1 << 20);
	if (ss_age_armor_decode(data, size, &out, NULL) == 0) {
		/* what decodes must round-trip through our encoder */
		if (ss_age_armor_encode(out.data, out.len, &again) != 0 ||
		    ss_age_armor_decode(again.data, again.len, &back, NULL) != 0 || back.len != out.len ||
		    (out.len > 0 && memcmp(back.data, out.data, out.len) != 0))
			abort();
	}
	(void)ss_age_is_armored(data, size);
	ss_buf_release(&out);
	ss_buf_release(&again);
	ss_buf_release(&back);
	return 0;
}
