/* route.c: the thread state that routes malloc (route.h), and what a domain's misuse of the allocator does. */
#include "unprotected.h"
#include "route.h"

_Thread_local struct route route_thread;
bool route_in_child;

/* Set once, before any domain runs, and called only from domain code, with the
 * domain's rights: in the unprotected page, which a confidential domain can read
 * (one that writes it only calls what it could call anyway). */
struct __attribute__((may_alias)) route_way_out {
	void (*fn)(int err) __attribute__((noreturn));
};
_Static_assert(sizeof(struct route_way_out) <=
	       UNPROTECTED_SLOT_EXCLUSIVE - UNPROTECTED_SLOT_ROUTE, "route's slot of the unprotected page");
#define on_violation UNPROTECTED_SLOT(struct route_way_out, UNPROTECTED_SLOT_ROUTE)

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
