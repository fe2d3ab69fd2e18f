/*
 * keyholder_int.h: the wire format between the agent and its key holder,
 * shared by keyholder.c (parent), keyholder_child.c and keyholder_wire.c.
 *
 * Every message: struct kh_hdr (type, body length, host byte order: both
 * ends are the same binary), then exactly len body bytes, len <=
 * SS_KH_MAX_BODY. Requests and their bodies (u32 = host-order uint32_t):
 *   KH_LOAD        identity text
 *   KH_OPEN        struct kh_params, value bytes
 *   KH_RESEAL      struct kh_params, u32 n, n * 32-byte X25519 public keys,
 *                  value bytes
 *   KH_RECIPIENTS  empty
 *   KH_OPEN_SOPS_KEY  u32 budget, an age file holding a SOPS data key
 * Replies: KH_OK with the request's result (OPEN: u32 ops, plaintext;
 * RESEAL: u32 ops, sealed value; LOAD: u32 count; RECIPIENTS: u32 n,
 * n * 32 bytes; OPEN_SOPS_KEY: u32 ops, the 32-byte key), or KH_ERR with i32 code and message text. The child sends
 * KH_HELLO first: u32 sandboxed, then the reason text when it is 0.
 */
#ifndef SEALSYNC_KEYHOLDER_INT_H
#define SEALSYNC_KEYHOLDER_INT_H

#include <stdint.h>

#include "sealsync/buf.h"
#include "sealsync/keyholder.h"
#include "sealsync/scope.h"

enum kh_type {
	KH_LOAD = 1,
	KH_OPEN = 2,
	KH_RESEAL = 3,
	KH_RECIPIENTS = 4,
	KH_OPEN_SOPS_KEY = 5,
	KH_HELLO = 0x100,
	KH_OK = 0x101,
	KH_ERR = 0x102,
};

struct kh_hdr {
	uint32_t type;
	uint32_t len;
};

/* Fixed prefix of OPEN and RESEAL. */
struct kh_params {
	uint32_t allow_unscoped;
	uint32_t budget;
	uint32_t has_scope;
	struct ss_scope scope; /* NUL-terminated fields are re-checked by the child */
};

#define KH_REPLY_PREFIX 4 /* u32 before the plaintext / sealed bytes */
#define KH_ERR_TEXT_MAX 512

/* Writes one message: header, then a and b (either may be empty). */
int kh_send(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen);

/* Reads a header. SS_E_IO on EOF or error, SS_E_LIMIT when len is too big. */
int kh_recv_hdr(int fd, struct kh_hdr *h);

/* Reads exactly len bytes and appends them to out (no intermediate copy). */
int kh_recv_body(int fd, size_t len, struct ss_buf *out);

/* Reads exactly n bytes into p. */
int kh_recv_exact(int fd, void *p, size_t n);

/* Reads and drops len bytes (a body the reader does not want). */
int kh_discard(int fd, size_t len);

/* The child: applies the sandbox (when asked), says hello, serves requests
 * on fd until EOF. Never returns. */
void kh_child_main(int fd, int sandbox, const struct ss_keyholder_debug *debug);

/* Serves requests on fd until EOF (0) or a malformed message (its code),
 * then wipes the identities. kh_child_main's loop; fuzz_keyholder's entry. */
int kh_serve(int fd, const struct ss_keyholder_debug *debug);

/* NO_NEW_PRIVS + the seccomp allow list. 0, or -errno with why in reason. */
int kh_sandbox_apply(char *reason, size_t len);

#endif
