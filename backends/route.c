/* route.c: the thread state that routes malloc (route.h), and what a domain's misuse of the allocator does. */
#include "route.h"

_Thread_local struct route route_thread;
bool route_in_child;

/* Set once, before any domain runs; a domain reads it but cannot write it. */
static void (*violation)(int err) __attribute__((noreturn));

void route_on_violation(void (*fn)(int err) __attribute__((noreturn)))
{
	violation = fn;
}

_Noreturn void route_violation(int err)
{
	violation(err);
}

_Noreturn void route_deferred(void)
{
	int err = route_thread.pending;

	route_thread.pending = 0;
	violation(err);
}
