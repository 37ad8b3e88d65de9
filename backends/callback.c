/*
 * callback.c: callbacks from a domain into the trusted side (iso_typed.h): a fixed set of
 * slot functions the domain may call, each leaving the domain by its backend's way
 * (inproc: the gate back to trusted rights; process: a request over the channel;
 * none: a plain call), and the checked reads and writes of domain memory the
 * trusted function makes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "backend.h"
#include "gate.h"
#include "inproc.h"
#include "iso_typed.h"
#include "process.h"
#include "reason.h"
#include "route.h"
#include "sud.h"

struct entry {
	iso_cb_fn *fn;
	void *user;
};

/* Written only by the trusted side (the program's data: read-only to a domain).  A
 * process domain's child has a copy, but never reads it: the parent serves. */
static struct entry table[ISO_MAX_CALLBACKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Run slot's function on the trusted side, for a call from domain d (NULL: none). */
static long dispatch(unsigned slot, const long *args, struct iso_domain *d)
{
	struct iso_cb cb = { .domain = d };
	struct entry e;

	if (slot >= ISO_MAX_CALLBACKS)
		return ISO_EINVAL;
	e = table[slot];
	if (!e.fn)
		return ISO_EINVAL;
	memcpy(cb.arg, args, sizeof(cb.arg));
	cb.user = e.user;
	return e.fn(&cb);
}

/* What a slot function inside an in-process domain hands the gate (domain memory). */
struct leaving {
	unsigned slot;
	long args[6];
};

/*
 * gate_out_fn: the trusted side of an in-process callback, with trusted rights.  What
 * the domain handed over is read once; the domain is the one whose rights were pkru
 * (mpk: looked up in the trusted list), never a pointer the domain gave.  Meanwhile
 * malloc goes to the trusted heap and system calls straight to the kernel.
 */
static long leave_domain(void *arg, uint32_t pkru)
{
	struct leaving l;
	struct iso_domain *d = inproc_left(pkru);
	struct heap *h = route_thread.heap;
	bool blocked;
	long r;

	if (!d)
		return ISO_EINVAL;
	memcpy(&l, arg, sizeof(l));
	route_thread.heap = NULL;
	blocked = sud_pause();
	r = dispatch(l.slot, l.args, d);
	sud_resume(blocked);
	route_thread.heap = h;
	return r;
}

/* Called inside a domain (or anywhere): leave it by its backend's way. */
static long enter_trusted(unsigned slot, long a, long b, long c, long d, long e, long f)
{
	const long args[6] = { a, b, c, d, e, f };
	struct iso_domain *dom;

	/* In-process first: a confidential domain cannot read process_child_self. */
	if ((dom = inproc_current())) {
		struct leaving l = { .slot = slot };

		memcpy(l.args, args, sizeof(l.args));
		return inproc_callback(&l);
	}
	if (process_child_self)
		return process_child_callback(slot, args);
	return dispatch(slot, args, NULL);
}

#define SLOT(k)                                                                        \
	static long slot##k(long a, long b, long c, long d, long e, long f)             \
	{                                                                               \
		return enter_trusted(k, a, b, c, d, e, f);                              \
	}
SLOT(0) SLOT(1) SLOT(2) SLOT(3) SLOT(4) SLOT(5) SLOT(6) SLOT(7)

typedef long slot_fn(long, long, long, long, long, long);
static slot_fn *const slots[ISO_MAX_CALLBACKS] = { slot0, slot1, slot2, slot3,
						   slot4, slot5, slot6, slot7 };

iso_any_fn iso_callback_register(iso_cb_fn *fn, void *user)
{
	iso_any_fn p = NULL;

	if (!fn)
		return NULL;
	pthread_mutex_lock(&lock);
	backend_callback = dispatch;
	gate_out_fn = leave_domain;
	for (unsigned k = 0; k < ISO_MAX_CALLBACKS && !p; k++)
		if (!table[k].fn) {
			table[k] = (struct entry){ fn, user };
			p = (iso_any_fn)slots[k];
		}
	pthread_mutex_unlock(&lock);
	return p;
}

void iso_callback_unregister(iso_any_fn p)
{
	pthread_mutex_lock(&lock);
	for (unsigned k = 0; k < ISO_MAX_CALLBACKS; k++)
		if ((iso_any_fn)slots[k] == p)
			table[k] = (struct entry){ 0 };
	pthread_mutex_unlock(&lock);
}

/* ---- the domain's memory, as data --------------------------------------------- */

/* Copy n bytes between here and the domain address `there`: process_vm_* for a
 * domain in another process, else a plain copy of a range the domain holds. */
static int cross(const struct iso_cb *cb, void *here, long there, size_t n, bool to_domain)
{
	struct iso_domain *d = cb->domain;
	void *p = (void *)(uintptr_t)there;

	if (!n)
		return ISO_OK;
	if (d && d->be->pid) {
		struct iovec local = { here, n }, remote = { p, n };
		ssize_t got = to_domain ? process_vm_writev(d->be->pid(d), &local, 1, &remote, 1, 0)
					: process_vm_readv(d->be->pid(d), &local, 1, &remote, 1, 0);

		return got == (ssize_t)n ? ISO_OK
					 : reason_set(ISO_EFAULT, "%zu bytes at %#lx are not the "
						      "domain's", n, (unsigned long)there);
	}
	if (d && d->be->holds && !d->be->holds(d, p, n, true))
		return reason_set(ISO_EFAULT, "%zu bytes at %#lx are not the domain's", n,
				  (unsigned long)there);
	if (to_domain)
		memcpy(p, here, n);
	else
		memcpy(here, p, n);
	return ISO_OK;
}

int iso_cb_read(const struct iso_cb *cb, void *dst, long src, size_t n)
{
	return cb ? cross(cb, dst, src, n, false) : ISO_EINVAL;
}

int iso_cb_write(const struct iso_cb *cb, long dst, const void *src, size_t n)
{
	return cb ? cross(cb, (void *)src, dst, n, true) : ISO_EINVAL;
}

/* Read in small pieces: a string may end just before memory the domain lacks. */
long iso_cb_read_str(const struct iso_cb *cb, char *dst, size_t cap, long src)
{
	size_t got = 0;

	if (!cb || !dst || !cap)
		return ISO_EINVAL;
	while (got < cap) {
		/* Up to the end of src's page, so no read crosses into one it lacks. */
		size_t page_left = 4096 - (((uintptr_t)src + got) & 4095);
		size_t n = cap - got < page_left ? cap - got : page_left;
		char *nul;
		int err = cross(cb, dst + got, src + (long)got, n, false);

		if (err)
			return err;
		if ((nul = memchr(dst + got, 0, n)))
			return (long)(nul - dst);
		got += n;
	}
	return reason_set(ISO_E2BIG, "no NUL within %zu bytes", cap);
}
