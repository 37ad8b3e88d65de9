/* mprotect.c: mpk's domain model with page permissions, for CPUs without PKU: a system call per region per switch. */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "addrspace.h"
#include "inproc.h"
#include "reason.h"
#include "secret.h"
#include "sud.h"
#include "trusted_heap.h"

static int mprotect_probe(void)
{
	return trusted_heap_probe();
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

/* Runs on the domain stack, so the trusted stack can be made read-only too. */
static long body(struct gate *g)
{
	struct inproc_thread *t = &inproc_thread;
	long r;

	if (!protect(t))
		return 0; /* never run the domain half-protected */
	r = g->fn(g->in, g->in_len, g->out, g->out_cap, g->out_len);
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

/* Trusted memory read-only; secrets and the other domains out of sight. */
static void plan(struct inproc *d)
{
	struct inproc_thread *t = &inproc_thread;
	struct region *s = t->saved;
	size_t n;

	n = with(s, addrspace_trusted(&t->stack, s, INPROC_MAX_SAVED), PROT_READ);
	n += with(s + n, secret_ranges(s + n, INPROC_MAX_SAVED - n), PROT_NONE);
	n += with(s + n, inproc_others(d, s + n, INPROC_MAX_SAVED - n), PROT_NONE);
	t->nsaved = n;
}

static long mprotect_enter(struct inproc *d, struct gate *g)
{
	long r;

	plan(d);
	g->body = body;
	/* The selector page (in the trusted heap) turns read-only as the switch protects. */
	if (d->opt.harden == ISO_HARDEN_ON)
		sud_block(d->mem, d->mem_size, 0);
	r = gate_stack_call(g);
	sud_allow();
	return r;
}

static void mprotect_bare(struct inproc *d, struct gate *g, unsigned long iters)
{
	plan(d);
	g->body = bare_body;
	g->in_len = iters;
	gate_stack_call(g);
}

/* In the signal handler: everything back as it was (mprotect is async-signal-safe),
 * the selector page among it, then the system calls. */
static void mprotect_recover(void)
{
	restore(inproc_thread.saved, inproc_thread.nsaved);
	sud_allow();
}

static const struct inproc_ops ops = {
	.map = mprotect_map,
	.enter = mprotect_enter,
	.bare = mprotect_bare,
	.recover = mprotect_recover,
};

static int mprotect_create(const struct iso_options *opt, struct iso_domain **out)
{
	return inproc_create(&ops, opt, out);
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
};
