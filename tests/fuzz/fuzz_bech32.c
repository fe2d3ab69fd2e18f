// fuzz-link: ss_crypto
/* libFuzzer: Bech32 decoding, recipient parsing, and encode/decode round trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/bech32.h"
#include "sealsync/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hrp[SS_BECH32_MAX], s[SS_BECH32_MAX + 1];
	unsigned char bin[SS_BECH32_MAX];
	struct ss_recipient r;
	size_t n = 0;

	if (size > SS_BECH32_MAX)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ss_bech32_decode(s, size, hrp, sizeof(hrp), bin, sizeof(bin), &n, NULL) == 0) {
		int upper = hrp[0] >= 'A' && hrp[0] <= 'Z';
		char again[SS_BECH32_MAX + 1];
		size_t i;

		for (i = 0; hrp[i] != '\0'; i++)
			if (hrp[i] >= 'A' && hrp[i] <= 'Z')
				hrp[i] = (char)(hrp[i] - 'A' + 'a');
		/* a valid string re-encodes to itself */
		if (ss_bech32_encode(hrp, bin, n, upper, again, sizeof(again)) == 0 && strcmp(again, s) != 0)
			abort();
	}
	if (strlen(s) == size)
		(void)!ss_recipient_parse(s, &r, NULL);
	return 0;
}
