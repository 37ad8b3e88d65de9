/* mprotect.c: mpk's domain model with page permissions, for CPUs without PKU: a system call per region per switch. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "addrspace.h"
#include "exclusive.h"
#include "handler_page.h"
#include "inproc.h"
#include "malloc.h"
#include "reason.h"
#include "secret.h"
#include "signals.h"
#include "sud.h"
#include "trusted_heap.h"

static int mprotect_probe(void)
{
	return malloc_probe() ? ISO_ENOTSUP : trusted_heap_probe();
}

static int mprotect_map(struct inproc *d, char *lo, size_t len, int prot)
{
	(void)d;
	return mprotect(lo, len, prot) ? reason_sys("mprotect") : ISO_OK;
}

static void restore(struct region *s, size_t n)
{
	while (n--)
		sud_mprotect(s[n].lo, s[n].len, s[n].prot);
}

static bool protect(struct inproc_thread *t)
{
	struct region *s = t->saved;

	for (size_t i = 0; i < t->nsaved; i++)
		if (sud_mprotect(s[i].lo, s[i].len, s[i].inside)) {
			t->enter_err = errno;
			restore(s, i);
			return false;
		}
	return true;
}

/* Runs on the domain stack, so the trusted stack can be made read-only too (or
 * inaccessible: g, on it, is copied first). */
static long body(struct gate *gp)
{
	struct inproc_thread *t = &inproc_thread;
	struct gate g = *gp;
	long r;

	atomic_signal_fence(memory_order_seq_cst);
	if (!protect(t))
		return 0; /* never run the domain half-protected */
	r = g.fn(g.in, g.in_len, g.out, g.out_cap, g.out_len);
	restore(t->saved, t->nsaved);
	return r;
}

/* iso_domain_bare: the same protect and restore, iters (in in_len) times, no call. */
static long bare_body(struct gate *g)
{
	struct inproc_thread *t = &inproc_thread;

	for (size_t i = 0; i < g->in_len && protect(t); i++)
		restore(t->saved, t->nsaved);
	return 0;
}

static size_t with(struct region *s, size_t n, int inside)
{
	for (size_t i = 0; i < n; i++)
		s[i].inside = inside;
	return n;
}

/* The selector page, read-only, where it lies outside the trusted heap: where mpk
 * is in use too it is a page of its own (sud.h), which the switch must protect (and
 * the restore make writable again, after the filter protected it). */
static size_t selector_apart(struct region *s)
{
	const char *sel = (const char *)sud_selector();
	struct region heap = trusted_heap_range();

	if (!sel || (sel >= heap.lo && sel < heap.lo + heap.len))
		return 0;
	*s = region_rw((void *)sel, 4096);
	s->inside = PROT_READ;
	return 1;
}

/* Take [k.lo, k.lo+k.len) out of every one of s[0..n) it overlaps (splitting it) and
 * add it with PROT_READ inside: the regions never overlap, so no order of protecting
 * them leaves a moment where k is inaccessible.  Returns the new count. */
static size_t keep(struct region *s, size_t n, size_t max, struct region k)
{
	char *klo = k.lo, *khi = k.lo + k.len;

	if (!k.len)
		return n;
	for (size_t i = 0; i < n && n + 2 <= max; i++) {
		char *lo = s[i].lo, *hi = s[i].lo + s[i].len;

		if (khi <= lo || klo >= hi)
			continue;
		s[i].len = klo > lo ? (size_t)(klo - lo) : 0;
		if (khi < hi) {
			s[n] = s[i];
			s[n].lo = khi;
			s[n++].len = (size_t)(hi - khi);
		}
	}
	if (n >= max)
		return n;
	k.inside = PROT_READ;
	s[n++] = k;
	return n;
}

/* Confidential: the trusted regions inaccessible, but what the domain or the kernel
 * reads for it (the domain's heap struct, the selector page) and what the signal
 * handlers read before they restore anything: PROT_READ.  Empty regions are dropped. */
static size_t plan_confidential(struct inproc *d, struct inproc_thread *t, struct region *s,
				size_t max)
{
	const void *sel = (const void *)sud_selector();
	size_t n = with(s, addrspace_trusted(&t->stack, s, max - 8), PROT_NONE), k = 0;

	n = keep(s, n, max, addrspace_unprotected());
	n = keep(s, n, max, handler_page_region());
	n = keep(s, n, max, region_rw(d->heap, 4096));
	if (sel && !selector_apart(s + n))
		n = keep(s, n, max, region_rw((void *)sel, 4096));
	for (size_t i = 0; i < n; i++)
		if (s[i].len)
			s[k++] = s[i];
	return k;
}

/* Trusted memory read-only (confidential: inaccessible, but for what plan_confidential
 * keeps); secrets and the other domains out of sight. */
static void plan(struct inproc *d)
{
	struct inproc_thread *t = &inproc_thread;
	struct region *s = t->saved;
	size_t n;

	if (d->opt.confidential)
		n = plan_confidential(d, t, s, INPROC_MAX_SAVED);
	else
		n = with(s, addrspace_trusted(&t->stack, s, INPROC_MAX_SAVED), PROT_READ);
	n += selector_apart(s + n);
	n += with(s + n, secret_ranges(s + n, INPROC_MAX_SAVED - n), PROT_NONE);
	n += with(s + n, inproc_others(d, s + n, INPROC_MAX_SAVED - n), PROT_NONE);
	t->nsaved = n;
}

/* One call at a time process-wide (exclusive.h): another thread's call would find
 * trusted memory read-only, or protect what this one is about to restore. */
static long mprotect_enter(struct inproc *d, struct gate *g)
{
	long r;

	exclusive_begin();
	plan(d);
	g->body = body;
	/* The selector page (in the trusted heap) turns read-only as the switch protects. */
	if (d->opt.harden == ISO_HARDEN_ON)
		sud_block(d->mem, d->mem_size, 0);
	r = gate_stack_call(g);
	sud_allow();
	exclusive_end();
	return r;
}

static void mprotect_bare(struct inproc *d, struct gate *g, unsigned long iters)
{
	exclusive_begin();
	plan(d);
	g->body = bare_body;
	g->in_len = iters;
	gate_stack_call(g);
	exclusive_end();
}

/* In the signal handler: everything back as it was (mprotect is async-signal-safe),
 * the selector page among it, then the system calls.  A rewind while still waiting
 * for the lock has nothing to restore; else the lock stays held until the domain's
 * memory is made anew (inproc.c, rewound), so that no other call protects it
 * meanwhile. */
static void mprotect_recover(void)
{
	if (exclusive_held()) {
		restore(inproc_thread.saved, inproc_thread.nsaved);
		exclusive_restored();
	}
	sud_allow();
}

/* A callback: trusted memory writable again while fn runs, protected again after
 * (the domain does not run half-protected: if that fails, the rewind follows). */
static long mprotect_leave(struct inproc *d, void *arg)
{
	struct inproc_thread *t = &inproc_thread;
	long r;

	(void)d;
	restore(t->saved, t->nsaved);
	r = gate_out_fn(arg, 0);
	if (!protect(t))
		abort();
	return r;
}

static const struct inproc_ops ops = {
	.map = mprotect_map,
	.enter = mprotect_enter,
	.bare = mprotect_bare,
	.leave = mprotect_leave,
	.recover = mprotect_recover,
};

static int mprotect_create(const struct iso_options *opt, struct iso_domain **out)
{
	int err = exclusive_init();

	return err ? err : inproc_create(&ops, opt, out);
}

const struct backend mprotect_backend = {
	.version = BACKEND_V1,
	.name = "mprotect",
	.summary = "in-process domains guarded by page permissions (mprotect)",
	.probe = mprotect_probe,
	.create = mprotect_create,
	.destroy = inproc_destroy,
	.call = inproc_call,
	.bare = inproc_bare,
	.alloc = inproc_alloc,
	.free = inproc_free,
	.holds = inproc_holds,
	.confidential = true,
};
