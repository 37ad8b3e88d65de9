/* inproc.h: what the in-process backends (mpk, mprotect) share: domain memory, the call path, rewind. */
#ifndef BACKENDS_INPROC_H
#define BACKENDS_INPROC_H

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "adopt.h"
#include "backend.h"
#include "fault.h"
#include "gate.h"
#include "heap.h"
#include "region.h"

struct inproc;

/* What differs between the in-process backends. */
struct inproc_ops {
	int (*setup)(struct inproc *d);     /* optional: once per domain (mpk: its key) */
	void (*teardown)(struct inproc *d); /* optional */
	/* Give [lo, lo+len) of the domain's memory the protection prot (mpk: and its key). */
	int (*map)(struct inproc *d, char *lo, size_t len, int prot);
	/* optional: a thread's first call; its trusted stack is *stack (mpk: tag it). */
	int (*thread)(const struct region *stack);
	/* Run g->fn with domain rights on the domain stack; returns its value. */
	long (*enter)(struct inproc *d, struct gate *g);
	/* The switching alone, iters times (iso_domain_bare); g has the stack and pkru. */
	void (*bare)(struct inproc *d, struct gate *g, unsigned long iters);
	/* From inside the domain: gate_out_fn(arg, pkru) with trusted rights, then back
	 * (a callback; gate.h). */
	long (*leave)(struct inproc *d, void *arg);
	/* Before a rewind (in the signal handler, or in malloc with the domain's rights
	 * in force): give the trusted side its rights back. */
	void (*recover)(void);
};

struct inproc {
	struct iso_domain base;
	const struct inproc_ops *ops;
	struct iso_options opt;
	char *mem; /* guard | stack | guard | in | out | call page | heap | guard */
	size_t mem_size;
	char *stack_lo, *stack_top;
	char *call;    /* one page: out_len, the heap cursor */
	char *in_buf, *out_buf;
	size_t xfer_cap;
	char *heap_lo;
	size_t heap_size;
	/* The domain's heap: heap_own, or (confidential) a page of its own that the
	 * domain may read but not write (its malloc reads it; the trusted side keeps it). */
	struct heap *heap;
	struct heap heap_own;
	int pkey;      /* mpk */
	uint32_t pkru; /* mpk: PKRU while this domain runs */
	timer_t timer;
	bool has_timer;
	struct adopt adopt;  /* libraries handed to the domain (adopt.h) */
	struct inproc *next; /* every live in-process domain */
};

/* The call page's layout. */
struct call_page {
	size_t out_len;
	char *_Atomic heap_next;
};

/*
 * Per-thread state.  It lives in TLS, which no backend protects, so the signal
 * handler can read it whatever rights are in force.
 */
struct inproc_thread {
	struct inproc *cur;  /* the domain this thread is inside, or NULL */
	sigjmp_buf *rewind;
	void (*recover)(void);
	/* the domain's way out for a callback (its ops, which a confidential domain
	 * cannot read) */
	long (*leave)(struct inproc *d, void *arg);
	int enter_err;        /* mprotect: protecting failed, fn did not run */
	int pending;          /* a violation found outside a signal, for take() */
	unsigned long gen;    /* calls made; the watchdog compares ticks */
	unsigned long wd_gen; /* gen at the watchdog's last tick */
	unsigned deferred;    /* its rewinds put off this call (inside the allocator) */
	sigset_t mask;        /* the signal mask to restore after a rewind */
	struct fault fault;   /* the signal that rewound the call (sig 0: none) */
	bool keep_fault;      /* fault is a refused call, its rewind deferred (route.h) */
	bool ready;
	struct region stack;  /* this thread's trusted stack */
	/* mprotect: what the current call protected, to restore it exactly (one page). */
	struct region *saved;
	size_t nsaved;
};

extern _Thread_local struct inproc_thread inproc_thread;

/* How many regions fit the per-thread page `saved` points to. */
#define INPROC_MAX_SAVED (4096 / sizeof(struct region))

/* What the faulting address of the last rewind was to d: "trusted heap", "the
 * domain's stack guard page", "unmapped"... (inproc_fault.c); others: what
 * inproc_others gives. */
const char *inproc_fault_where(const struct inproc *d, const struct inproc_thread *t,
			       const struct region *others, size_t nothers, uintptr_t addr,
			       char *buf, size_t len);

/* The other live in-process domains' memory, for mprotect to hide. */
size_t inproc_others(const struct inproc *self, struct region *out, size_t max);

int inproc_create(const struct inproc_ops *ops, const struct iso_options *opt,
		  struct iso_domain **out);
void inproc_destroy(struct iso_domain *d);
int inproc_call(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len, void *out,
		size_t out_cap, size_t *out_len, long *ret);
int inproc_bare(struct iso_domain *d, unsigned long iters);
bool inproc_holds(const struct iso_domain *d, const void *p, size_t n, bool any);
/* From inside this thread's domain: gate_out_fn(arg, pkru) on the trusted side, with
 * its rights; ISO_EINVAL's value when not inside one. */
long inproc_callback(void *arg);
/* On the trusted side of a callback: the domain whose rights were pkru (mpk; found in
 * the trusted list, not taken from the domain), or this thread's (mprotect: pkru 0). */
struct iso_domain *inproc_left(uint32_t pkru);
/* The domain this thread is inside, or NULL. */
struct iso_domain *inproc_current(void);
void *inproc_alloc(struct iso_domain *d, size_t n);
void inproc_free(struct iso_domain *d, void *p);

#endif
