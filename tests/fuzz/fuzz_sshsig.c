// fuzz-link: ss_common
// fuzz-src: agent/sshsig.c
/* fuzz_sshsig.c: the SSHSIG armor/blob parser, the allowed-signers parser,
 * and verification of whatever parses (the input is its own signers file). */
#include <stddef.h>
#include <stdint.h>

#include "sealsync/sshsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_sshsig *sig = NULL;
	struct ss_signers *signers = NULL;
	char principal[64];

	if (ss_signers_parse((const char *)data, size, "fuzz", &signers, NULL) != 0)
		signers = NULL;
	if (ss_sshsig_parse((const char *)data, size, &sig, NULL) == 0 && signers != NULL)
		(void)ss_sshsig_verify(sig, data, size, "git", signers, principal,
				       sizeof(principal), NULL);
	ss_sshsig_free(sig);
	ss_signers_free(signers);
	return 0;
}
