/* route.h: where this thread's malloc goes: the heap of the domain it runs inside, else the trusted heap. */
#ifndef BACKENDS_ROUTE_H
#define BACKENDS_ROUTE_H

#include <stdbool.h>

struct heap;

/*
 * Per thread, in TLS, which no backend protects: malloc reads it with a domain's
 * rights in force.  inproc.c sets it around each call and clears it on a rewind.
 */
struct route {
	struct heap *heap; /* the heap of the domain this thread runs inside, or NULL */
	int malloc_depth;  /* inside jemalloc: its locks may be held */
	/* A rewind (its error) the watchdog deferred while malloc_depth was > 0: taken
	 * as the allocator returns, as a signal-safe critical section does. */
	volatile int pending;
};

extern _Thread_local struct route route_thread;

/* Set in a process domain's child: every call there runs domain code, and what libc
 * does on its behalf (stdio, exit) stays in the child. */
extern bool route_in_child;

/* Is this thread running domain code (in-process, or in a process child)? */
static inline bool route_inside(void)
{
	return route_thread.heap || route_in_child;
}

/* The deferred rewind, now that the allocator has returned (route_leave). */
_Noreturn void route_deferred(void);

/* The domain's allocator call begins, and ends: a deferred rewind happens there. */
static inline void route_enter(void)
{
	route_thread.malloc_depth++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void route_leave(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	route_thread.malloc_depth--;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(route_thread.pending != 0, 0) && route_thread.malloc_depth == 0)
		route_deferred();
}

/* What a domain's misuse of the allocator does (inproc.c: abandon the call with err). */
void route_on_violation(void (*fn)(int err) __attribute__((noreturn)));
/* The domain this thread runs inside misused the allocator: ISO_EFAULT (it handed
 * free memory that is not its own), ISO_ENOMEM (a throwing new failed). */
_Noreturn void route_violation(int err);

#endif
