/*
 * secmem.h: guarded memory for secrets (file keys, identities, plaintext).
 *
 * Memory comes from sodium_malloc: guard pages around it, mlock where the
 * system allows, and a canary. Containers lock little memory, so callers keep
 * a few long-lived slots (struct ss_secslot) and reuse them instead of
 * allocating one region per value. Everything is wiped with sodium_memzero
 * before it is freed or reused.
 */
#ifndef SEALSYNC_SECMEM_H
#define SEALSYNC_SECMEM_H

#include <stddef.h>

#include "sealsync/err.h"

/* Starts libsodium (idempotent, thread-safe). SS_E_INTERNAL if it cannot. */
int ss_secmem_init(void) SS_MUST_CHECK;

/*
 * Guarded allocation of n bytes (n > 0), zero-filled. NULL on failure.
 * Free with ss_secmem_free, which wipes; NULL is accepted.
 */
void *ss_secmem_alloc(size_t n);
void ss_secmem_free(void *p);

/*
 * Short-lived guarded scratch of n bytes, zero-filled, NULL on failure: like
 * ss_secmem_alloc but reused from a small per-thread cache (no mmap per
 * call). Return it with ss_secmem_unscratch, which wipes, from the SAME
 * thread (NULL accepted); meant for buffers that live within one call.
 */
void *ss_secmem_scratch(size_t n);
void ss_secmem_unscratch(void *p);

/*
 * Long-lived small secret of n bytes (n <= 64; identity scalars), zero-filled,
 * NULL on failure: a slot of a guarded, locked page shared with other such
 * secrets (no guard page between slots), so that loading many identities
 * costs no mapping each. Free with ss_secmem_small_free, which wipes the slot
 * (NULL accepted; any thread). Larger n falls back to ss_secmem_alloc.
 */
void *ss_secmem_small(size_t n);
void ss_secmem_small_free(void *p);

/*
 * A reusable guarded region of fixed capacity. ss_secslot_wipe zeroes it for
 * the next user; ss_secslot_free wipes and frees (NULL accepted).
 */
struct ss_secslot;
int ss_secslot_new(struct ss_secslot **out, size_t cap) SS_MUST_CHECK;
void *ss_secslot_data(struct ss_secslot *s);
size_t ss_secslot_cap(const struct ss_secslot *s);
void ss_secslot_wipe(struct ss_secslot *s);
void ss_secslot_free(struct ss_secslot *s);

#endif
