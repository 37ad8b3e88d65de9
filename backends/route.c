/* route.c: the thread state that routes malloc (route.h), and what a domain's misuse of the allocator does. */
#include "addrspace.h"
#include "route.h"

_Thread_local struct route route_thread;
bool route_in_child;

/* Set once, before any domain runs, and called only from domain code, with the
 * domain's rights: in the unprotected section, which a confidential domain can read
 * (one that writes it only calls what it could call anyway). */
static struct {
	void (*fn)(int err) __attribute__((noreturn));
} __attribute__((aligned(4096))) on_violation ADDRSPACE_UNPROTECTED;

void route_on_violation(void (*fn)(int err) __attribute__((noreturn)))
{
	on_violation.fn = fn;
}

_Noreturn void route_violation(int err)
{
	on_violation.fn(err);
}

_Noreturn void route_deferred(void)
{
	int err = route_thread.pending;

	route_thread.pending = 0;
	on_violation.fn(err);
}
