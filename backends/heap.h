/* heap.h: a jemalloc arena carved out of one caller-given region (the domain's heap). */
#ifndef BACKENDS_HEAP_H
#define BACKENDS_HEAP_H

#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * jemalloc asks the region for extents through hooks; its own metadata stays
 * outside the region, so a domain that scribbles over the region cannot corrupt
 * the allocator's bookkeeping.  (The metadata is ordinary memory, though: an
 * in-process domain with a wild pointer can still reach it; see the README.)
 * Extents are never handed back to the region, which is a simple bump range:
 * jemalloc keeps them for reuse, and purging gives their pages back to the kernel.
 */
/* A transparent huge page: a heap with `huge` set purges only whole ones. */
#define HEAP_HUGE ((size_t)2 << 20)

/* p rounded down, or up, to a huge page boundary. */
static inline char *heap_huge_down(const void *p)
{
	return (char *)((uintptr_t)p & ~(uintptr_t)(HEAP_HUGE - 1));
}

static inline char *heap_huge_up(const void *p)
{
	return heap_huge_down((const char *)p + HEAP_HUGE - 1);
}

struct heap {
	extent_hooks_t hooks; /* first: the hooks find their heap from this pointer */
	char *base, *end;
	/* The bump cursor.  It may live in memory the domain can write (the domain
	 * allocates while it runs), so the hooks check it against base/end. */
	char *_Atomic *next;
	char *_Atomic own_next; /* the cursor when the caller gives none */
	char *cap;       /* the cursor never passes this (heap_limit); end by default */
	unsigned arena;
	unsigned tcache; /* an explicit jemalloc cache, used only inside the domain */
	bool shared;     /* a MAP_SHARED region (purging must free, not just unmap) */
	bool huge;       /* transparent huge pages: purge only whole ones */
	bool ready;
};

/* malloc's flags inside the domain: its arena, through its own cache. */
#define HEAP_FLAGS(h) (MALLOCX_ARENA((h)->arena) | MALLOCX_TCACHE((h)->tcache))

/* A new arena over [base, base+size); cursor: where to keep the bump cursor (NULL: in h);
 * shared: the region is MAP_SHARED. */
int heap_init(struct heap *h, void *base, size_t size, char *_Atomic *cursor,
	      bool shared, bool huge);
/* The bytes handed out so far: [base, used end). */
static inline char *heap_top(const struct heap *h)
{
	return atomic_load(h->next);
}
void heap_fini(struct heap *h);
/* From now on hand out at most `bytes` more of the region (0: no limit but its end):
 * past that, malloc in the arena returns NULL. */
void heap_limit(struct heap *h, size_t bytes);
/* Free everything allocated in the arena at once; the arena stays. */
int heap_reset(struct heap *h);
/* Give the arena's unused pages back to the kernel now. */
void heap_purge(struct heap *h);
/* Empty this thread's own jemalloc cache (the trusted heap's objects): before a
 * confidential domain runs, whose allocations tick the thread's cache collection,
 * which would otherwise flush trusted objects back through the trusted heap with the
 * domain's rights (and fault on the trusted heap's struct, holding its locks). */
void heap_thread_flush(void);
/* After such a call: the thread's allocations so far are the domain's, and the next
 * heap_thread_flush skips the flush unless the thread allocated or freed since. */
void heap_thread_mark(void);
void *heap_alloc(struct heap *h, size_t n);
void heap_free(struct heap *h, void *p);

static inline bool heap_owns(const struct heap *h, const void *p, size_t n)
{
	const char *c = p;

	return c >= h->base && c <= h->end && n <= (size_t)(h->end - c);
}

#endif
