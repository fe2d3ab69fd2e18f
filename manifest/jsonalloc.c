/* jsonalloc.c: a wipe-on-free allocator for jansson (see jsonalloc.h). */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/jsonalloc.h"

/* The prefix keeps the block size for the wipe, and keeps the returned
 * pointer aligned as malloc's is. */
union ss_json_prefix {
	size_t size;
	max_align_t align; /* cppcheck-suppress unusedStructMember ; only for alignment */
};

static void *json_zalloc(size_t n)
{
	union ss_json_prefix *p;

	if (n > SIZE_MAX - sizeof(*p))
		return NULL;
	p = malloc(sizeof(*p) + n);
	if (p == NULL)
		return NULL;
	p->size = n;
	return p + 1;
}

static void json_zfree(void *ptr)
{
	union ss_json_prefix *p;

	if (ptr == NULL)
		return;
	p = (union ss_json_prefix *)ptr - 1;
	sodium_memzero(ptr, p->size);
	free(p);
}

void ss_json_use_zeroing_alloc(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;

	json_get_alloc_funcs(&m, &f);
	if (m == json_zalloc && f == json_zfree)
		return;
	json_set_alloc_funcs(json_zalloc, json_zfree);
}

void ss_json_free(void *p)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;

	if (p == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	if (f != NULL)
		f(p);
	else
		free(p);
}
