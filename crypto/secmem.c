/* secmem.c: guarded memory for secrets (see include/sealsync/secmem.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/secmem.h"

struct ss_secslot {
	unsigned char *data; /* sodium_malloc'd, cap bytes */
	size_t cap;
};

int ss_secmem_init(void)
{
	return sodium_init() < 0 ? SS_E_INTERNAL : 0;
}

void *ss_secmem_alloc(size_t n)
{
	void *p;

	if (n == 0 || ss_secmem_init() != 0)
		return NULL;
	p = sodium_malloc(n);
	if (p != NULL)
		memset(p, 0, n); /* sodium_malloc fills with 0xdb; callers expect zeroes */
	return p;
}

void ss_secmem_free(void *p)
{
	if (p != NULL)
		sodium_free(p); /* wipes before unmapping */
}

/*
 * Per-thread scratch regions: sealing or opening a value needs ~4 short-lived
 * guarded buffers, and a fresh sodium_malloc each costs mmap + mprotect +
 * munmap (most of the CPU was the kernel's TLB flushes). Each thread keeps a
 * few one-page regions, wiped when returned; the caller gets the end of the
 * region, so an overrun still hits the guard page as with sodium_malloc.
 * A thread's regions are freed when it exits.
 */
#define SCRATCH_SLOTS 6
#define SCRATCH_CAP (4096 - 16) /* one page with sodium's canary */

struct scratch {
	unsigned char *base[SCRATCH_SLOTS]; /* sodium_malloc'd, SCRATCH_CAP bytes */
	unsigned char busy[SCRATCH_SLOTS];
};

static __thread struct scratch *tls_scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_destroy(void *arg)
{
	struct scratch *sc = arg;
	size_t i;

	for (i = 0; i < SCRATCH_SLOTS; i++)
		if (sc->base[i] != NULL)
			sodium_free(sc->base[i]); /* wipes */
	free(sc);
}

static void scratch_key_init(void)
{
	scratch_key_ok = pthread_key_create(&scratch_key, scratch_destroy) == 0;
}

static struct scratch *scratch_get(void)
{
	struct scratch *sc;

	if (tls_scratch != NULL)
		return tls_scratch;
	if (pthread_once(&scratch_once, scratch_key_init) != 0 || !scratch_key_ok)
		return NULL;
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	if (pthread_setspecific(scratch_key, sc) != 0) {
		free(sc);
		return NULL;
	}
	tls_scratch = sc;
	return sc;
}

void *ss_secmem_scratch(size_t n)
{
	struct scratch *sc;
	size_t i, r = (n + 15) & ~(size_t)15;

	if (n == 0 || n > SCRATCH_CAP || ss_secmem_init() != 0 || (sc = scratch_get()) == NULL)
		return ss_secmem_alloc(n);
	for (i = 0; i < SCRATCH_SLOTS; i++) {
		if (sc->busy[i])
			continue;
		if (sc->base[i] == NULL) {
			sc->base[i] = sodium_malloc(SCRATCH_CAP);
			if (sc->base[i] == NULL)
				break;
			sodium_memzero(sc->base[i], SCRATCH_CAP);
		}
		sc->busy[i] = 1;
		return sc->base[i] + SCRATCH_CAP - r;
	}
	return ss_secmem_alloc(n);
}

void ss_secmem_unscratch(void *p)
{
	struct scratch *sc = tls_scratch;
	unsigned char *q = p;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; sc != NULL && i < SCRATCH_SLOTS; i++) {
		if (sc->busy[i] && q >= sc->base[i] && q < sc->base[i] + SCRATCH_CAP) {
			sodium_memzero(sc->base[i], SCRATCH_CAP);
			sc->busy[i] = 0;
			return;
		}
	}
	ss_secmem_free(p);
}

int ss_secslot_new(struct ss_secslot **out, size_t cap)
{
	struct ss_secslot *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SS_E_NOMEM;
	s->data = ss_secmem_alloc(cap);
	if (s->data == NULL) {
		free(s);
		return SS_E_NOMEM;
	}
	s->cap = cap;
	*out = s;
	return 0;
}

/*
 * Long-lived small secrets (identity scalars) share guarded pages. One
 * sodium_malloc each cost mmap + 3 mprotect + mlock, and munlock + munmap
 * to free: for a key file of 50 identities that was a third of `sealctl
 * verify -i`'s CPU per value over 1,000 values (PERFORMANCE.md, 2c). A page
 * keeps guard pages, mlock and sodium's canary; slots within it have no
 * guard between them (our code writes them only whole, with memcpy or
 * randombytes). A slot is wiped when freed, a page freed with its last slot.
 * Process-wide, under a mutex.
 */
#define POOL_SLOT 64
#define POOL_SLOTS 63 /* 63 * 64 bytes in one page (4080 usable) */
#define POOL_CAP SCRATCH_CAP
#define POOL_FULL ((UINT64_C(1) << POOL_SLOTS) - 1)

struct pool_page {
	unsigned char *base; /* sodium_malloc'd, POOL_CAP bytes */
	uint64_t used;       /* bit i: slot i taken */
	struct pool_page *next;
};

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pool_page *pool;

/* The first slot starts so that the last one ends at the guard page. */
static unsigned char *pool_slot(const struct pool_page *pg, unsigned i)
{
	return pg->base + POOL_CAP - POOL_SLOTS * POOL_SLOT + (size_t)i * POOL_SLOT;
}

static struct pool_page *pool_page_new(void)
{
	struct pool_page *pg = calloc(1, sizeof(*pg));

	if (pg == NULL)
		return NULL;
	pg->base = sodium_malloc(POOL_CAP);
	if (pg->base == NULL) {
		free(pg);
		return NULL;
	}
	sodium_memzero(pg->base, POOL_CAP);
	pg->next = pool;
	pool = pg;
	return pg;
}

void *ss_secmem_small(size_t n)
{
	struct pool_page *pg;
	void *p = NULL;
	unsigned i;

	if (n == 0 || n > POOL_SLOT || ss_secmem_init() != 0)
		return ss_secmem_alloc(n);
	pthread_mutex_lock(&pool_mu);
	for (pg = pool; pg != NULL && pg->used == POOL_FULL; pg = pg->next)
		;
	if (pg == NULL)
		pg = pool_page_new();
	if (pg != NULL) {
		i = (unsigned)__builtin_ctzll(~pg->used);
		pg->used |= UINT64_C(1) << i;
		p = pool_slot(pg, i);
	}
	pthread_mutex_unlock(&pool_mu);
	return p != NULL ? p : ss_secmem_alloc(n);
}

void ss_secmem_small_free(void *p)
{
	const unsigned char *q = p, *first;
	struct pool_page **pp, *pg = NULL;
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&pool_mu);
	for (pp = &pool; (pg = *pp) != NULL; pp = &pg->next) {
		first = pool_slot(pg, 0);
		if (q >= first && q < first + POOL_SLOTS * POOL_SLOT)
			break;
	}
	if (pg != NULL) {
		i = (size_t)(q - first) / POOL_SLOT;
		sodium_memzero(pool_slot(pg, (unsigned)i), POOL_SLOT);
		pg->used &= ~(UINT64_C(1) << i);
		if (pg->used == 0) {
			*pp = pg->next;
			sodium_free(pg->base);
			free(pg);
		}
	}
	pthread_mutex_unlock(&pool_mu);
	if (pg == NULL)
		ss_secmem_free(p); /* it came from the fallback */
}

void *ss_secslot_data(struct ss_secslot *s)
{
	return s->data;
}

size_t ss_secslot_cap(const struct ss_secslot *s)
{
	return s->cap;
}

void ss_secslot_wipe(struct ss_secslot *s)
{
	if (s != NULL)
		sodium_memzero(s->data, s->cap);
}

void ss_secslot_free(struct ss_secslot *s)
{
	if (s == NULL)
		return;
	ss_secmem_free(s->data);
	free(s);
}
