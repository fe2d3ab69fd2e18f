/*
 * jsonalloc.h: make jansson wipe its memory when it frees it.
 *
 * jansson copies every string it is given (plaintext Secret values among
 * them) into malloc memory and frees it without wiping. This installs, with
 * json_set_alloc_funcs, an allocator that prefixes each block with its size
 * and zeroes the block (sodium_memzero) before free.
 *
 * Process-wide. Call it once at the start of main(), and in tests, before any
 * jansson value exists: a value allocated before the switch would be freed
 * by the wrong function. Calling it again is harmless. Not thread-safe with
 * concurrent jansson use while it runs (call it before threads start).
 */
#ifndef SEALSYNC_JSONALLOC_H
#define SEALSYNC_JSONALLOC_H

void ss_json_use_zeroing_alloc(void);

/*
 * Frees memory that jansson handed out, above all json_dumps() output. With
 * the zeroing allocator such a block starts after a size prefix, so plain
 * free() on it crashes ("free(): invalid size"): always use this (it wipes
 * the block too). NULL is accepted. Works with either allocator.
 */
void ss_json_free(void *p);

#endif
