/*
 * fuzz_keyholder: the key holder's side of privilege separation. Its only
 * input is the agent's message stream, and a compromised agent is exactly
 * what the separation defends against: so the whole stream (any types,
 * lengths and bodies, several messages) is fed to kh_serve through a
 * socketpair, as the key holder reads it.
 */
// fuzz-link: ss_crypto
// fuzz-src: agent/keys/keyholder_child.c agent/keys/keyholder_wire.c agent/keys/keyholder_sandbox.c
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../agent/keys/keyholder_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	ssize_t w;

	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	while (size > 0 && (w = write(sv[0], data, size)) > 0) {
		data += w;
		size -= (size_t)w;
	}
	shutdown(sv[0], SHUT_WR); /* EOF after the input; replies stay queued */
	(void)kh_serve(sv[1], NULL);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
