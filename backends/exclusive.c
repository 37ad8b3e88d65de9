/* exclusive.c: one mprotect call at a time process-wide (a futex lock), and fault waiters woken as each call ends. */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unprotected.h"
#include "exclusive.h"
#include "iso.h"
#include "reason.h"

/* A page of its own: never among the regions a call protects, so any thread may
 * read and write it while a call runs. */
struct excl {
	_Atomic uint32_t lock;    /* 0 free, 1 held, 2 held with threads waiting for it */
	_Atomic uint32_t gen;     /* calls ended; fault waiters sleep on it */
	_Atomic uint32_t waiters; /* threads waiting in a fault handler */
};

/* Read by another thread's fault handler while a call runs, which may have made the
 * program's data inaccessible (a confidential domain): in the unprotected page. */
struct __attribute__((may_alias)) exclusive_shared {
	struct excl *p;
};
_Static_assert(sizeof(struct exclusive_shared) <= UNPROTECTED_SLOT_END - UNPROTECTED_SLOT_EXCLUSIVE,
	       "exclusive's slot of the unprotected page");
#define shared UNPROTECTED_SLOT(struct exclusive_shared, UNPROTECTED_SLOT_EXCLUSIVE)
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_err;
static _Thread_local bool held;
static _Thread_local uint32_t retried_at = UINT32_MAX;

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void init(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		init_err = reason_sys("mmap");
	else
		shared.p = p;
}

int exclusive_init(void)
{
	pthread_once(&once, init);
	return init_err;
}

/* Drepper's mutex ("Futexes are tricky", mutex3). */
void exclusive_begin(void)
{
	uint32_t c = 0;

	if (!atomic_compare_exchange_strong(&shared.p->lock, &c, 1)) {
		if (c != 2)
			c = atomic_exchange(&shared.p->lock, 2);
		while (c != 0) {
			futex(&shared.p->lock, FUTEX_WAIT_PRIVATE, 2);
			c = atomic_exchange(&shared.p->lock, 2);
		}
	}
	held = true;
}

bool exclusive_held(void)
{
	return held;
}

void exclusive_end(void)
{
	held = false;
	atomic_fetch_add(&shared.p->gen, 1);
	if (atomic_exchange(&shared.p->lock, 0) == 2)
		futex(&shared.p->lock, FUTEX_WAKE_PRIVATE, 1);
	if (atomic_load(&shared.p->waiters))
		futex(&shared.p->gen, FUTEX_WAKE_PRIVATE, INT_MAX);
}

void exclusive_restored(void)
{
	atomic_fetch_add(&shared.p->gen, 1);
	if (atomic_load(&shared.p->waiters))
		futex(&shared.p->gen, FUTEX_WAKE_PRIVATE, INT_MAX);
}

bool exclusive_wait(void)
{
	uint32_t g;

	if (!shared.p || held)
		return false;
	atomic_fetch_add(&shared.p->waiters, 1);
	g = atomic_load(&shared.p->gen);
	while (atomic_load(&shared.p->lock) && atomic_load(&shared.p->gen) == g)
		futex(&shared.p->gen, FUTEX_WAIT_PRIVATE, g);
	atomic_fetch_sub(&shared.p->waiters, 1);
	g = atomic_load(&shared.p->gen);
	if (g == retried_at && !atomic_load(&shared.p->lock))
		return false; /* again, and no call ran in between: not ours */
	retried_at = g;
	return true;
}
