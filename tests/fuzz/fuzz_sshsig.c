// fuzz-link: ss_common
// fuzz-src: agent/git/sshsig.c
/* fuzz_sshsig.c: the input is parsed both as an armored SSH signature
 * (then verified against the seed corpus' allowed signers, whose keys made
 * the seed signatures) and as an allowed-signers file. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sealsync/sshsig.h"

#define SIGNERS                                                                              \
	"signer1@example.com namespaces=\"git\" ssh-ed25519 "                                 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIL2T4yXVM9p0iLKDaQs978U6LakmiWtFpP1JkjJr5Xz5\n"             \
	"signer2@example.com ssh-ed25519 "                                                     \
	"AAAAC3NzaC1lZDI1NTE5AAAAIEJT015sldu5mjhbItIE/d5lqMbdsXGbbIYigfcKdh6s\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ss_signers *known;
	struct ss_signers *parsed = NULL;
	struct ss_sshsig *sig = NULL;

	if (known == NULL && ss_signers_parse(SIGNERS, strlen(SIGNERS), "seed", &known, NULL) != 0)
		__builtin_trap();
	if (ss_sshsig_parse((const char *)data, size, &sig, NULL) == 0) {
		char principal[64];

		(void)ss_sshsig_namespace(sig);
		(void)ss_sshsig_verify(sig, data, size, "git", known, principal,
				       sizeof(principal), NULL);
	}
	if (ss_signers_parse((const char *)data, size, "fuzz", &parsed, NULL) == 0)
		(void)ss_signers_count(parsed);
	ss_sshsig_free(sig);
	ss_signers_free(parsed);
	return 0;
}
