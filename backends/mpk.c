/* mpk.c: in-process domains tagged with Memory Protection Keys: one key per domain, a few-instruction gate. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addrspace.h"
#include "arch-x86.h"
#include "inproc.h"
#include "malloc.h"
#include "reason.h"
#include "scan.h"
#include "secret.h"
#include "signals.h"
#include "sud.h"
#include "trusted_heap.h"

/*
 * Keys: the trusted key T tags the program's data, the trusted heap and each
 * calling thread's stack; a domain may read T but not write it.  The secret key S
 * tags iso_secret memory; a domain may not touch it.  Key 0 (everything else:
 * shared libraries' data, TLS, allocator metadata) stays open to domains.
 */
static int key_trusted = -1, key_secret = -1;
/* The read-only key R: what a domain may read but not write whatever it is (the system
 * call selector pages, a confidential domain's heap struct): not under T, which a
 * confidential domain may not even read. */
static int key_ro = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_err;

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
	return malloc_probe() ? ISO_ENOTSUP : trusted_heap_probe();
}

/* ---- every thread's PKRU ------------------------------------------------------ */

#define FIXUP_SIG (SIGRTMAX - 4)

/* The fix-up runs before anything carries a key, so its handler, which runs with the
 * kernel's default PKRU (only key 0 open), may still use ordinary data. */
static unsigned pkru_offset; /* of PKRU in an XSAVE area */
static _Atomic int opened;   /* threads that took the fix-up */

/*
 * The kernel restores PKRU from the signal frame at sigreturn: a handler that edits
 * the frame's copy sets the PKRU its thread goes on with (as the kernel's own
 * protection_keys selftest does).
 */
static void on_fixup(int sig, siginfo_t *si, void *uc)
{
	char *xsave = (char *)((ucontext_t *)uc)->uc_mcontext.fpregs;

	(void)sig, (void)si;
	if (xsave)
		xsave_set_pkru(xsave, pkru_offset, 0);
	atomic_fetch_add(&opened, 1);
}

/* Send sig to every other thread of the process; returns how many it reached. */
static int signal_other_threads(int sig)
{
	pid_t self = (pid_t)syscall(SYS_gettid), pid = getpid();
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	int sent = 0;

	while (dir && (e = readdir(dir))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid > 0 && tid != self && syscall(SYS_tgkill, pid, tid, sig) == 0)
			sent++;
	}
	if (dir)
		closedir(dir);
	return sent;
}

/* Wait, a second at most, until `sent` threads have taken the fix-up. */
static int wait_opened(int sent)
{
	for (int waited = 0; atomic_load(&opened) < sent; waited++) {
		if (waited == 1000)
			return reason_set(ISO_ENOTSUP, "%d of %d other threads block the PKRU "
					  "fix-up signal; create the first mpk domain "
					  "before starting threads",
					  sent - atomic_load(&opened), sent);
		usleep(1000);
	}
	return ISO_OK;
}

/* Full rights (PKRU 0) for this thread and every other one, and from now on
 * isobench's handler restores them first thing. */
static int open_every_thread(void)
{
	struct sigaction sa = { .sa_sigaction = on_fixup, .sa_flags = SA_SIGINFO | SA_RESTART }, old;
	int err;

	pkru_offset = cpu_xsave_pkru_offset();
	if (!pkru_offset)
		return reason_set(ISO_ENOTSUP, "CPUID does not locate PKRU in the XSAVE area");
	gate_pkru_trusted();
	/* Threads started earlier still have the kernel's default PKRU, which shuts the
	 * trusted key they are about to need for every heap access: open it for them. */
	sigemptyset(&sa.sa_mask);
	if (__sigaction(FIXUP_SIG, &sa, &old))
		return reason_sys("sigaction");
	err = wait_opened(signal_other_threads(FIXUP_SIG));
	__sigaction(FIXUP_SIG, &old, NULL);
	return err;
}

/* ---- keys --------------------------------------------------------------------- */

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
	once_err = open_every_thread();
	if (once_err)
		return;
	key_trusted = pkey_alloc(0, 0);
	key_secret = pkey_alloc(0, 0);
	key_ro = pkey_alloc(0, 0);
	if (key_trusted < 0 || key_secret < 0 || key_ro < 0) {
		once_err = reason_sys("pkey_alloc");
		return;
	}
	n = addrspace_static(r, 8);
	for (size_t i = 0; i < n && !once_err; i++)
		once_err = tag(&r[i], key_trusted);
	if (!once_err)
		once_err = secret_set_tagger(tag_secret);
	sud_use_pkru(key_ro);
}

/* ---- domains ------------------------------------------------------------------ */

static int mpk_setup(struct inproc *d)
{
	size_t patched;
	int err;

	pthread_once(&once, global_init);
	if (once_err)
		return once_err;
	/* Hardened: no WRPKRU or XRSTOR the domain could jump to but the gate's (scan.h). */
	if (d->opt.harden == ISO_HARDEN_ON && (err = scan_exec(&patched)))
		return err;
	d->pkey = pkey_alloc(0, 0);
	if (d->pkey < 0)
		return errno == ENOSPC
			       ? reason_set(ISO_ENOMEM, "no protection key left for a domain "
							"(the CPU has 16; key 0 and three of "
							"isobench's are taken)")
			       : reason_sys("pkey_alloc");
	/* Shut every key but key 0 and the domain's own; R stays readable, and T too
	 * unless the domain is confidential (its heap struct then goes under R). */
	d->pkru = ~(PKRU_AD(0) | PKRU_WD(0)) & ~(PKRU_AD(d->pkey) | PKRU_WD(d->pkey)) &
		  ~PKRU_AD(key_ro);
	if (!d->opt.confidential)
		d->pkru &= ~PKRU_AD(key_trusted);
	else if ((err = tag(&(struct region){ (char *)d->heap, 4096, PROT_READ | PROT_WRITE, 0 },
			       key_ro)))
		return err;
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
	long r;

	if (d->opt.harden == ISO_HARDEN_ON)
		sud_block(d->mem, d->mem_size, d->pkru);
	r = gate_mpk_enter(g);
	sud_allow();
	return r;
}

/* Trusted rights back, then the system calls (the signal handler has given the
 * rights already, but a violation found in malloc is found with the domain's). */
static void mpk_recover(void)
{
	gate_pkru_trusted();
	sud_allow();
}

static void mpk_bare(struct inproc *d, struct gate *g, unsigned long iters)
{
	(void)d;
	gate_mpk_bare(g, iters);
}

static long mpk_leave(struct inproc *d, void *arg)
{
	(void)d;
	return gate_mpk_out(arg);
}

static const struct inproc_ops ops = {
	.setup = mpk_setup,
	.teardown = mpk_teardown,
	.map = mpk_map,
	.thread = mpk_thread,
	.enter = mpk_enter,
	.bare = mpk_bare,
	.leave = mpk_leave,
	.recover = mpk_recover,
};

static int mpk_create(const struct iso_options *opt, struct iso_domain **out)
{
	return inproc_create(&ops, opt, out);
}

const struct backend mpk_backend = {
	.version = BACKEND_V1,
	.name = "mpk",
	.summary = "in-process domains tagged with Memory Protection Keys (pkeys)",
	.probe = mpk_probe,
	.create = mpk_create,
	.destroy = inproc_destroy,
	.call = inproc_call,
	.bare = inproc_bare,
	.alloc = inproc_alloc,
	.free = inproc_free,
	.holds = inproc_holds,
	.confidential = true,
};
