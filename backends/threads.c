/* threads.c: pthread_create from inside an in-process domain fails with EPERM. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "route.h"

/*
 * A thread started inside an in-process domain would outlive the call with whatever
 * rights it was given, and glibc would keep its stack and TLS bookkeeping in the
 * domain's heap, which a rewind or destroy discards (the program's next
 * pthread_create then crashes).  So it is refused.  In a process domain's child a
 * thread is confined to the child like everything else, and dies with it.
 */
typedef int create_fn(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

static create_fn *real_create;

__attribute__((constructor)) static void threads_resolve(void)
{
	real_create = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	if (route_thread.heap)
		return EPERM;
	if (!real_create)
		threads_resolve();
	return real_create(t, a, fn, arg);
}
