/* malloc.c: the C allocator, routed: code running inside an in-process domain allocates from that domain's heap. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "iso.h"
#include "malloc.h"
#include "reason.h"
#include "route.h"
#include "trusted_heap.h"

/*
 * These definitions take the place of jemalloc's own malloc & co. for the whole
 * program (and the libraries it loads), so unmodified library code run inside a
 * domain gets domain memory.  Outside a domain they are jemalloc's defaults.
 * Under AddressSanitizer, whose allocator must see every call, they are left out
 * (and in-process domains cannot allocate: see the README).
 */
#if !defined(__SANITIZE_ADDRESS__)

#define INSIDE(h) HEAP_FLAGS(h)

/* Outside a domain: the trusted heap's arena (0 until it is set up, or if it failed). */
static int outside(void)
{
	static int flags = -1;

	if (__builtin_expect(flags < 0, 0)) {
		int arena = trusted_heap_arena();

		flags = arena >= 0 ? MALLOCX_ARENA((unsigned)arena) : 0;
	}
	return flags;
}

/* A domain handing the allocator memory that is not its own is a violation. */
static void check_owned(struct heap *h, void *p)
{
	if (!heap_owns(h, p, 1))
		route_violation(ISO_EFAULT);
}

static void *alloc(size_t n, int flags)
{
	struct heap *h = route_thread.heap;
	void *p;

	if (!h)
		return mallocx(n ? n : 1, flags | outside());
	route_enter();
	p = mallocx(n ? n : 1, flags | INSIDE(h));
	route_leave();
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
	struct heap *h = route_thread.heap;

	if (!p)
		return;
	if (!h) {
		dallocx(p, 0);
		return;
	}
	check_owned(h, p);
	route_enter();
	dallocx(p, MALLOCX_TCACHE(h->tcache));
	route_leave();
}

void *realloc(void *p, size_t n)
{
	struct heap *h = route_thread.heap;
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
		route_enter();
		q = rallocx(p, n, INSIDE(h));
		route_leave();
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

/*
 * C++'s operator new and delete, which jemalloc also defines: without these, C++
 * libraries (snappy) would allocate from jemalloc's own arena inside a domain.
 * The names are the Itanium ABI's; a throwing new that fails rewinds the domain with
 * ISO_ENOMEM inside one and throws std::bad_alloc (if libstdc++ is there) outside.
 */
extern _Noreturn void throw_bad_alloc(void) __asm__("_ZSt17__throw_bad_allocv")
	__attribute__((weak));

static void *new_or_fail(size_t n, size_t align)
{
	void *p = alloc(n, align ? MALLOCX_ALIGN(align) : 0);

	if (p)
		return p;
	if (route_thread.heap)
		route_violation(ISO_ENOMEM);
	if (throw_bad_alloc)
		throw_bad_alloc();
	abort();
}

#define NEW(name, ...) void *name(__VA_ARGS__) __asm__(#name);
#define DELETE(name, ...) void name(void *p, ##__VA_ARGS__) __asm__(#name);
NEW(_Znwm, size_t)
NEW(_Znam, size_t)
NEW(_ZnwmRKSt9nothrow_t, size_t, const void *)
NEW(_ZnamRKSt9nothrow_t, size_t, const void *)
NEW(_ZnwmSt11align_val_t, size_t, size_t)
NEW(_ZnamSt11align_val_t, size_t, size_t)
NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, size_t, size_t, const void *)
NEW(_ZnamSt11align_val_tRKSt9nothrow_t, size_t, size_t, const void *)
DELETE(_ZdlPv)
DELETE(_ZdaPv)
DELETE(_ZdlPvm, size_t)
DELETE(_ZdaPvm, size_t)
DELETE(_ZdlPvRKSt9nothrow_t, const void *)
DELETE(_ZdaPvRKSt9nothrow_t, const void *)
DELETE(_ZdlPvSt11align_val_t, size_t)
DELETE(_ZdaPvSt11align_val_t, size_t)
DELETE(_ZdlPvmSt11align_val_t, size_t, size_t)
DELETE(_ZdaPvmSt11align_val_t, size_t, size_t)
DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, size_t, const void *)
DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, size_t, const void *)

void *_Znwm(size_t n) { return new_or_fail(n, 0); }
void *_Znam(size_t n) { return new_or_fail(n, 0); }
void *_ZnwmSt11align_val_t(size_t n, size_t a) { return new_or_fail(n, a); }
void *_ZnamSt11align_val_t(size_t n, size_t a) { return new_or_fail(n, a); }
void *_ZnwmRKSt9nothrow_t(size_t n, const void *t) { (void)t; return alloc(n, 0); }
void *_ZnamRKSt9nothrow_t(size_t n, const void *t) { (void)t; return alloc(n, 0); }

void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *t)
{
	(void)t;
	return alloc(n, MALLOCX_ALIGN(a));
}

void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *t)
{
	(void)t;
	return alloc(n, MALLOCX_ALIGN(a));
}

/* Every delete is free: sizes and alignments are jemalloc's to know. */
void _ZdlPv(void *p) { free(p); }
void _ZdaPv(void *p) { free(p); }
void _ZdlPvm(void *p, size_t n) { (void)n; free(p); }
void _ZdaPvm(void *p, size_t n) { (void)n; free(p); }
void _ZdlPvRKSt9nothrow_t(void *p, const void *t) { (void)t; free(p); }
void _ZdaPvRKSt9nothrow_t(void *p, const void *t) { (void)t; free(p); }
void _ZdlPvSt11align_val_t(void *p, size_t a) { (void)a; free(p); }
void _ZdaPvSt11align_val_t(void *p, size_t a) { (void)a; free(p); }
void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t a) { (void)n, (void)a; free(p); }
void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t a) { (void)n, (void)a; free(p); }
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *t) { (void)a, (void)t; free(p); }
void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *t) { (void)a, (void)t; free(p); }

/* libiso's own malloc, whatever the program's symbol lookup finds under the name. */
extern __typeof__(malloc) malloc_self
	__attribute__((alias("malloc"), visibility("hidden"), copy(malloc)));

int malloc_probe(void)
{
	if (dlsym(RTLD_DEFAULT, "malloc") != (void *)malloc_self)
		return reason_set(ISO_ENOTSUP, "the program's malloc is not libiso's: link libiso "
				  "before any allocator (-ljemalloc after it, or not at all)");
	return ISO_OK;
}

#else

int malloc_probe(void)
{
	return ISO_OK; /* the sanitizer's allocator: trusted_heap_probe says so */
}

#endif
