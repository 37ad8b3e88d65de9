/* trusted_heap.h: the trusted heap: one jemalloc arena over one reserved range, where malloc goes outside every domain. */
#ifndef BACKENDS_TRUSTED_HEAP_H
#define BACKENDS_TRUSTED_HEAP_H

#include "region.h"

/* The trusted heap's jemalloc arena (set up on first use), or -1 if it could not be. */
int trusted_heap_arena(void);
/* Is the trusted heap in place?  ISO_OK or ISO_ENOTSUP + reason. */
int trusted_heap_probe(void);
/* The part handed out so far, in whole 2 MiB pages (len 0: nothing yet). */
struct region trusted_heap_used(void);
/* A process domain's child: its malloc may take at most `bytes` more (0: no limit). */
void trusted_heap_limit(size_t bytes);
/* The whole reserved range (len 0: none was reserved). */
struct region trusted_heap_range(void);

#endif
