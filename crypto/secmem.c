/* secmem.c: guarded memory for secrets (see include/sealsync/secmem.h). */
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
