/* exit.c: exit, _exit, _Exit and quick_exit from domain code end the call (ISO_EEXIT), never the program. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exit.h"
#include "iso.h"
#include "route.h"

/*
 * A library's error path may call exit (libjpeg's default handler does).  Inside a
 * domain that would run the program's exit handlers with the domain's rights (they
 * fault, and never run again), or in a process child run them and flush the parent's
 * copied stdout a second time.  A domain's exit is a failure of its call instead.
 */
typedef void exit_fn(int status); /* none returns; end_now follows each call regardless */

static exit_fn *child_exit, *real_exit, *real_quick_exit;

__attribute__((constructor)) static void exit_resolve(void)
{
	real_exit = (exit_fn *)dlsym(RTLD_NEXT, "exit");
	real_quick_exit = (exit_fn *)dlsym(RTLD_NEXT, "quick_exit");
}

void exit_in_child(exit_fn *fn)
{
	child_exit = fn;
}

/* Domain code asked to end the program: end its call instead. */
static void from_domain(int status)
{
	if (route_thread.heap)
		route_violation(ISO_EEXIT);
	if (route_in_child && child_exit)
		child_exit(status);
}

/* Without any handler or flush, as _exit(2) is. */
static _Noreturn void end_now(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

void exit(int status)
{
	from_domain(status);
	if (real_exit)
		real_exit(status);
	end_now(status);
}

void quick_exit(int status)
{
	from_domain(status);
	if (real_quick_exit)
		real_quick_exit(status);
	end_now(status);
}

void _exit(int status)
{
	from_domain(status);
	end_now(status);
}

void _Exit(int status)
{
	_exit(status);
}
