/* mpk.c: in-process domains tagged with Memory Protection Keys: one key per domain, a few-instruction gate. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "arch-x86.h"
#include "inproc.h"
#include "reason.h"
#include "trusted_heap.h"

/*
 * Keys: the trusted key T tags the program's data, the trusted heap and each
 * calling thread's stack; a domain may read T but not write it.  The secret key S
 * tags iso_secret memory; a domain may not touch it.  Key 0 (everything else:
 * shared libraries' data, TLS, allocator metadata) stays open to domains.
 */
static int key_trusted = -1, key_secret = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_err;

#define AD(k) (1u << (2 * (k)))
#define WD(k) (2u << (2 * (k)))

/* The three steps the kernel's own selftests take: CPU, OS, then a real key. */
static int mpk_probe(void)
{
	int key;

	if (!cpu_has_pku())
		return reason_set(ISO_ENOTSUP, "CPU lacks PKU (CPUID.7.0:ECX[3] clear)");
	if (!cpu_has_ospke())
		return reason_set(ISO_ENOTSUP, "OS has not enabled PKU (CPUID.7.0:ECX[4] OSPKE clear)");
	key = pkey_alloc(0, 0);
	/* ENOSPC: PKU works, every key is taken (by domains): creating says so. */
	if (key < 0 && errno != ENOSPC)
		return reason_set(ISO_ENOTSUP, "pkey_alloc: %s", strerror(errno));
	if (key >= 0)
		pkey_free(key);
	return trusted_heap_probe();
}

static int tag(const struct region *r, int key)
{
	if (pkey_mprotect(r->lo, r->len, r->prot, key))
		return reason_sys("pkey_mprotect");
	return ISO_OK;
}

static int tag_secret(const struct region *r, bool add)
{
	return tag(r, add ? key_secret : 0);
}

static void global_init(void)
{
	struct region r[8];
	size_t n;

	/* Every key open for every thread before anything carries the trusted key. */
	once_err = inproc_use_pkru();
	if (once_err)
		return;
	key_trusted = pkey_alloc(0, 0);
	key_secret = pkey_alloc(0, 0);
	if (key_trusted < 0 || key_secret < 0) {
		once_err = reason_sys("pkey_alloc");
		return;
	}
	n = inproc_static(r, 8);
	for (size_t i = 0; i < n && !once_err; i++)
		once_err = tag(&r[i], key_trusted);
	n = iso_secrets(r, 8);
	for (size_t i = 0; i < n && !once_err; i++)
		once_err = tag(&r[i], key_secret);
	iso_secret_tag = tag_secret;
}

static int mpk_setup(struct inproc *d)
{
	pthread_once(&once, global_init);
	if (once_err)
		return once_err;
	d->pkey = pkey_alloc(0, 0);
	if (d->pkey < 0)
		return errno == ENOSPC
			       ? reason_set(ISO_ENOMEM, "no protection key left for a domain "
							"(the CPU has 16; key 0 and two of "
							"isobench's are taken)")
			       : reason_sys("pkey_alloc");
	/* Shut every key but key 0 and the domain's own; T stays readable. */
	d->pkru = ~(AD(0) | WD(0)) & ~(AD(d->pkey) | WD(d->pkey)) & ~AD(key_trusted);
	return ISO_OK;
}

static void mpk_teardown(struct inproc *d)
{
	if (d->pkey > 0)
		pkey_free(d->pkey);
}

static int mpk_map(struct inproc *d, char *lo, size_t len, int prot)
{
	return tag(&(struct region){ lo, len, prot, prot }, d->pkey);
}

/* A thread's first call: full rights for it (threads started before mpk was set up
 * have the kernel's default PKRU), and its stack under the trusted key. */
static int mpk_thread(const struct region *stack)
{
	gate_pkru_trusted();
	return stack->len ? tag(stack, key_trusted) : ISO_OK;
}

static long mpk_enter(struct inproc *d, struct gate *g)
{
	(void)d;
	return gate_mpk_enter(g);
}

static void mpk_bare(struct inproc *d, struct gate *g, unsigned long iters)
{
	(void)d;
	gate_mpk_bare(g, iters);
}

/* The handler has already restored PKRU; nothing else changed on entry. */
static void mpk_recover(void)
{
}

static const struct inproc_ops ops = {
	.setup = mpk_setup,
	.teardown = mpk_teardown,
	.map = mpk_map,
	.thread = mpk_thread,
	.enter = mpk_enter,
	.bare = mpk_bare,
	.recover = mpk_recover,
};

static int mpk_create(const struct iso_options *opt, struct iso_domain **out)
{
	return inproc_create(&ops, opt, out);
}

const struct iso_backend iso_backend_mpk = {
	.version = ISO_BACKEND_V1,
	.name = "mpk",
	.summary = "in-process domains tagged with Memory Protection Keys (pkeys)",
	.probe = mpk_probe,
	.create = mpk_create,
	.destroy = inproc_destroy,
	.call = inproc_call,
	.bare = inproc_bare,
	.alloc = inproc_alloc,
	.free = inproc_free,
};
