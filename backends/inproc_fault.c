/* inproc_fault.c: what a faulting address is to an in-process domain (its guard pages, the trusted heap, another domain...), for iso_reason. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "addrspace.h"
#include "inproc.h"
#include "secret.h"
#include "trusted_heap.h"

#define PAGE 4096u
#define MAX_REGIONS 64

static bool in(uintptr_t a, const void *lo, size_t len)
{
	return a >= (uintptr_t)lo && a - (uintptr_t)lo < len;
}

static bool in_any(uintptr_t a, const struct region *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in(a, r[i].lo, r[i].len))
			return true;
	return false;
}

/* The domain's own memory: guard | stack | guard | in | out | call page | heap | guard. */
static const char *own(const struct inproc *d, uintptr_t a)
{
	if (in(a, d->stack_lo - PAGE, PAGE))
		return "the domain's stack guard page (stack overflow)";
	if (in(a, d->stack_top, PAGE))
		return "the guard page above the domain's stack";
	if (in(a, d->stack_lo, (size_t)(d->stack_top - d->stack_lo)))
		return "the domain's stack";
	if (in(a, d->in_buf, d->xfer_cap))
		return "the domain's input buffer";
	if (in(a, d->out_buf, d->xfer_cap))
		return "the domain's output buffer";
	if (in(a, d->call, PAGE))
		return "the domain's call page";
	if (in(a, d->heap_lo, d->heap_size))
		return "the domain's heap";
	if (in(a, d->heap_lo + d->heap_size, PAGE))
		return "the guard page past the domain's heap (heap overflow)";
	return NULL;
}

/* Everything isobench knows of that is not the domain's. */
static const char *trusted(const struct inproc_thread *t, const struct region *others,
			   size_t nothers, uintptr_t a)
{
	struct region r[MAX_REGIONS], heap = trusted_heap_range(), prog = addrspace_program();
	size_t n;

	if (in(a, heap.lo, heap.len))
		return "trusted heap";
	if (in(a, prog.lo, prog.len))
		return "program data";
	if (in(a, t->stack.lo, t->stack.len))
		return "the trusted stack";
	n = secret_ranges(r, MAX_REGIONS);
	if (in_any(a, r, n))
		return "a secret (iso_secret)";
	for (size_t i = 0; i < nothers; i++)
		if (in(a, others[i].lo, others[i].len))
			return i % 2 ? "another domain's heap or buffers" : "another domain's stack";
	return NULL;
}

const char *inproc_fault_where(const struct inproc *d, const struct inproc_thread *t,
			       const struct region *others, size_t nothers, uintptr_t addr,
			       char *buf, size_t len)
{
	const char *w = own(d, addr);
	Dl_info info;

	if (!w)
		w = trusted(t, others, nothers, addr);
	if (w)
		return w;
	if (addr < PAGE)
		return "unmapped (a null pointer)";
	/* msync fails with ENOMEM on a page that no mapping holds. */
	if (msync((void *)(addr & ~(uintptr_t)(PAGE - 1)), PAGE, MS_ASYNC) && errno == ENOMEM)
		return "unmapped";
	if (dladdr((void *)addr, &info) && info.dli_fname) {
		const char *obj = strrchr(info.dli_fname, '/');

		snprintf(buf, len, "memory of %s", obj ? obj + 1 : info.dli_fname);
		return buf;
	}
	return "mapped memory outside every domain";
}
