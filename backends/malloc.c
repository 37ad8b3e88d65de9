/* malloc.c: the C allocator, routed: code running inside an in-process domain allocates from that domain's heap. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "inproc.h"

/*
 * These definitions take the place of jemalloc's own malloc & co. for the whole
 * program (and the libraries it loads), so unmodified library code run inside a
 * domain gets domain memory.  Outside a domain they are jemalloc's defaults.
 * Under AddressSanitizer, whose allocator must see every call, they are left out
 * (and in-process domains cannot allocate: see the README).
 */
#if !defined(__SANITIZE_ADDRESS__)

#define INSIDE(h) MALLOCX_ARENA((h)->arena) | MALLOCX_TCACHE_NONE

/* Outside a domain: the trusted heap's arena (0 until it is set up, or if it failed). */
static int outside(void)
{
	static int flags = -1;

	if (__builtin_expect(flags < 0, 0)) {
		int arena = inproc_trusted_arena();

		flags = arena >= 0 ? MALLOCX_ARENA((unsigned)arena) : 0;
	}
	return flags;
}

/* A domain handing the allocator memory that is not its own is a violation. */
static void check_owned(struct iso_heap *h, void *p)
{
	if (!iso_heap_owns(h, p, 1))
		inproc_violation(ISO_EFAULT);
}

static void *alloc(size_t n, int flags)
{
	struct iso_heap *h = iso_thread.heap;
	void *p;

	if (!h)
		return mallocx(n ? n : 1, flags | outside());
	iso_thread.malloc_depth++;
	p = mallocx(n ? n : 1, flags | INSIDE(h));
	iso_thread.malloc_depth--;
	return p;
}

void *malloc(size_t n)
{
	void *p = alloc(n, 0);

	if (!p)
		errno = ENOMEM;
	return p;
}

void *calloc(size_t a, size_t b)
{
	size_t n;
	void *p;

	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	p = alloc(n, MALLOCX_ZERO);
	if (!p)
		errno = ENOMEM;
	return p;
}

void free(void *p)
{
	struct iso_heap *h = iso_thread.heap;

	if (!p)
		return;
	if (!h) {
		dallocx(p, 0);
		return;
	}
	check_owned(h, p);
	iso_thread.malloc_depth++;
	dallocx(p, MALLOCX_TCACHE_NONE);
	iso_thread.malloc_depth--;
}

void *realloc(void *p, size_t n)
{
	struct iso_heap *h = iso_thread.heap;
	void *q;

	if (!p)
		return malloc(n);
	if (!n) {
		free(p);
		return NULL;
	}
	if (!h) {
		q = rallocx(p, n, outside());
	} else {
		check_owned(h, p);
		iso_thread.malloc_depth++;
		q = rallocx(p, n, INSIDE(h));
		iso_thread.malloc_depth--;
	}
	if (!q)
		errno = ENOMEM;
	return q;
}

static bool bad_alignment(size_t align)
{
	return align == 0 || (align & (align - 1));
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (bad_alignment(align) || align < sizeof(void *))
		return EINVAL;
	p = alloc(n, MALLOCX_ALIGN(align));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (bad_alignment(align)) {
		errno = EINVAL;
		return NULL;
	}
	p = alloc(n, MALLOCX_ALIGN(align));
	if (!p)
		errno = ENOMEM;
	return p;
}

void *memalign(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

void *valloc(size_t n)
{
	return aligned_alloc(4096, n);
}

#endif
