/* heap.c: jemalloc arena over a fixed region, with jemalloc's metadata kept outside it. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "heap.h"
#include "iso.h"
#include "reason.h"
#include "route.h"

/* jemalloc 5.3's experimental.arenas_create_ext argument (arena_types.h, not public). */
struct je_arena_config {
	extent_hooks_t *extent_hooks;
	bool metadata_use_hooks;
};

static void *hook_alloc(extent_hooks_t *hooks, void *new_addr, size_t size,
			size_t align, bool *zero, bool *commit, unsigned arena)
{
	struct heap *h = (struct heap *)hooks;
	char *cur = atomic_load(h->next), *p;

	(void)arena;
	if (new_addr)
		return NULL; /* growing in place is optional; the region is a bump range */
	do {
		if (cur < h->base || cur > h->end)
			return NULL; /* a scribbled cursor: refuse rather than hand out anything */
		p = (char *)(((uintptr_t)cur + align - 1) & ~(uintptr_t)(align - 1));
		if (p > h->cap || size > (size_t)(h->cap - p))
			return NULL;
	} while (!atomic_compare_exchange_weak(h->next, &cur, p + size));
	*zero = true; /* fresh anonymous pages, never handed out twice */
	*commit = true;
	return p;
}

/* Returning true opts out: jemalloc keeps the extent and reuses it itself. */
static bool hook_dalloc(extent_hooks_t *hooks, void *addr, size_t size, bool committed,
			unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)committed, (void)arena;
	return true;
}

static void hook_destroy(extent_hooks_t *hooks, void *addr, size_t size, bool committed,
			 unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)committed, (void)arena;
}

/*
 * Unused pages go back to the kernel.  A heap of huge pages gives back only whole
 * ones: giving back part of one splits it into 4 KiB pages for good.  Where the
 * range is not all given back the hook says it failed, and jemalloc keeps the range
 * as it was (what was given back reads as zero, which dirty pages may).
 */
static bool purge(struct heap *h, char *lo, size_t len, int advice)
{
	char *a = lo, *b = lo + len;

	/* A domain's malloc runs jemalloc's collection of the thread's own cache, which
	 * frees trusted objects back to the trusted heap and may purge what that emptied.
	 * That purge is not the domain's to make (the system call filter would rewind it
	 * inside jemalloc, leaving the thread's allocator state half-changed): refused,
	 * the pages stay, and a trusted caller purges them later. */
	if (route_thread.heap && route_thread.heap != h)
		return true;
	if (h->huge) {
		a = heap_huge_up(lo);
		b = heap_huge_down(b);
		if (b <= a)
			return true;
	}
	return madvise(a, (size_t)(b - a), advice) != 0 || a != lo || b != lo + len;
}

/* After a forced purge pages must read as zero, which for shared memory takes
 * MADV_REMOVE (MADV_DONTNEED only unmaps shmem). */
static bool hook_purge_forced(extent_hooks_t *hooks, void *addr, size_t size, size_t off,
			      size_t len, unsigned arena)
{
	struct heap *h = (struct heap *)hooks;

	(void)size, (void)arena;
	return purge(h, (char *)addr + off, len, h->shared ? MADV_REMOVE : MADV_DONTNEED);
}

static bool hook_purge_lazy(extent_hooks_t *hooks, void *addr, size_t size, size_t off,
			    size_t len, unsigned arena)
{
	struct heap *h = (struct heap *)hooks;

	(void)size, (void)arena;
	return h->shared || purge(h, (char *)addr + off, len, MADV_FREE);
}

/* Splitting and merging ranges of one plain mapping needs no work: always allowed. */
static bool hook_split(extent_hooks_t *hooks, void *addr, size_t size, size_t a,
		       size_t b, bool committed, unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)a, (void)b, (void)committed, (void)arena;
	return false;
}

static bool hook_merge(extent_hooks_t *hooks, void *a, size_t asize, void *b,
		       size_t bsize, bool committed, unsigned arena)
{
	(void)hooks, (void)a, (void)asize, (void)b, (void)bsize, (void)committed, (void)arena;
	return false;
}

static void hooks_init(struct heap *h, void *base, size_t size, char *_Atomic *cursor)
{
	*h = (struct heap){
		.hooks = {
			.alloc = hook_alloc,
			.dalloc = hook_dalloc,
			.destroy = hook_destroy,
			.purge_lazy = hook_purge_lazy,
			.purge_forced = hook_purge_forced,
			.split = hook_split,
			.merge = hook_merge,
		},
		.base = base,
		.end = (char *)base + size,
		.cap = (char *)base + size,
		.next = cursor ? cursor : &h->own_next,
	};
	atomic_store(h->next, h->base);
}

static int new_tcache(struct heap *h)
{
	size_t len = sizeof(h->tcache);

	if (mallctl("tcache.create", &h->tcache, &len, NULL, 0))
		return reason_set(ISO_ENOMEM, "jemalloc cannot create a thread cache");
	return ISO_OK;
}

static void drop_tcache(struct heap *h)
{
	mallctl("tcache.destroy", NULL, NULL, &h->tcache, sizeof(h->tcache));
}

void heap_limit(struct heap *h, size_t bytes)
{
	char *top = heap_top(h);

	h->cap = bytes && bytes < (size_t)(h->end - top) ? top + bytes : h->end;
}

int heap_init(struct heap *h, void *base, size_t size, char *_Atomic *cursor,
	      bool shared, bool huge)
{
	struct je_arena_config cfg = { .extent_hooks = &h->hooks, .metadata_use_hooks = false };
	size_t len = sizeof(h->arena);
	int err;

	hooks_init(h, base, size, cursor);
	h->shared = shared;
	h->huge = huge;
	err = mallctl("experimental.arenas_create_ext", &h->arena, &len, &cfg, sizeof(cfg));
	if (err)
		return reason_set(ISO_ENOTSUP, "jemalloc cannot create an arena (error %d)", err);
	/* Had jemalloc put its own bookkeeping into the region, a domain could corrupt it. */
	if (atomic_load(h->next) != h->base) {
		h->ready = true;
		heap_fini(h);
		return reason_set(ISO_ENOTSUP, "jemalloc placed its metadata in domain memory");
	}
	/* A cache of the domain's own: without one, every malloc inside takes the
	 * arena's lock (5x the cost); the thread's cache would mix in trusted memory. */
	err = new_tcache(h);
	h->ready = true;
	if (err)
		heap_fini(h);
	return err;
}

void heap_fini(struct heap *h)
{
	char cmd[64];

	if (!h->ready)
		return;
	drop_tcache(h);
	snprintf(cmd, sizeof(cmd), "arena.%u.destroy", h->arena);
	mallctl(cmd, NULL, NULL, NULL, 0);
	h->ready = false;
}

/* Everything freed at once: the cache first (its objects go back to the arena). */
int heap_reset(struct heap *h)
{
	char cmd[64];

	drop_tcache(h);
	snprintf(cmd, sizeof(cmd), "arena.%u.reset", h->arena);
	mallctl(cmd, NULL, NULL, NULL, 0);
	return new_tcache(h);
}

/* Trusted code makes room for the harness: give unused pages back (iso_trim). */
void heap_purge(struct heap *h)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "arena.%u.purge", h->arena);
	mallctl(cmd, NULL, NULL, NULL, 0);
}

/* This thread's allocated and freed byte counts (jemalloc's, in its TLS), and what they
 * were at the last heap_thread_mark. */
static _Thread_local uint64_t *counted[2];
static _Thread_local uint64_t marked = UINT64_MAX;

static uint64_t activity(void)
{
	if (!counted[0]) {
		size_t len = sizeof(counted[0]);

		if (mallctl("thread.allocatedp", &counted[0], &len, NULL, 0) ||
		    mallctl("thread.deallocatedp", &counted[1], &len, NULL, 0)) {
			counted[0] = NULL;
			return UINT64_MAX - 1; /* never equal to a mark: always flush */
		}
	}
	return *counted[0] + *counted[1];
}

void heap_thread_flush(void)
{
	if (activity() != marked)
		mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
}

void heap_thread_mark(void)
{
	marked = activity();
}

void *heap_alloc(struct heap *h, size_t n)
{
	return mallocx(n ? n : 1, MALLOCX_ARENA(h->arena) | MALLOCX_TCACHE_NONE);
}

void heap_free(struct heap *h, void *p)
{
	(void)h;
	dallocx(p, MALLOCX_TCACHE_NONE);
}
