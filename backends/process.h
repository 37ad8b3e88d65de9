/* process.h: the process backend's own header: the channel and the domain, shared by the parent (process.c) and the child (process_child.c). */
#ifndef BACKENDS_PROCESS_H
#define BACKENDS_PROCESS_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "fault.h"
#include "heap.h"
#include "process_standby.h"
#include "process_wait.h"

/*
 * The channel: the parent posts a request by bumping `req`; the child answers by
 * setting `state` to DONE.  While a request is outstanding `state` holds the child's
 * pid and sits on the child's robust-futex list, so when the child dies the kernel
 * itself sets FUTEX_OWNER_DIED in it and wakes the parent: crash detection costs
 * nothing on the fast path.
 */
#define DONE 0u
/* The child's answer when the domain called exit (ret: its status); the child is gone.
 * No child has pid 1, so it cannot be mistaken for a busy `state`. */
#define EXITED 1u

struct chan {
	_Alignas(64) _Atomic uint32_t req;  /* parent -> child; child's futex */
	_Atomic uint32_t child_sleeping;
	_Atomic uint32_t parent_on;          /* where the parent last posted (process_wait_publish) */
	_Atomic int64_t slept_at;            /* when the child last went to sleep (process_now_ns) */
	iso_fn *fn;
	const void *in;
	size_t in_len;
	void *out;
	size_t out_cap;
	_Alignas(64) _Atomic uint32_t state; /* child -> parent; parent's futex */
	_Atomic uint32_t child_on;           /* where the child last ran (process_wait_publish) */
	struct robust_list entry;            /* the child's only robust-list entry */
	size_t out_len;
	long ret;
	/* A callback (callback.c): the child sets cb_pending and answers DONE; the
	 * parent serves it, then posts the next request, which the child takes as the
	 * callback's return. */
	_Atomic uint32_t cb_pending;
	uint32_t cb_slot;
	long cb_args[6];
	long cb_ret;
	struct fault fault; /* what killed the child, written by it as it died (sig 0: none) */
};

#define MAX_DYING 8

struct process_domain {
	struct iso_domain base;
	struct iso_options opt;
	char *arena; /* chan page | in buffer | out buffer | iso_alloc heap */
	size_t arena_size, xfer_cap;
	char *in_buf, *out_buf;
	struct heap heap;
	pid_t pid; /* -1 while there is no child (a respawn failed) */
	pid_t dying[MAX_DYING]; /* killed children not yet collected */
	unsigned ndying;
	pid_t parent;
	int child_cpu; /* handoff: the CPU the child is bound to, -1 for none yet */
	/* hybrid (process.c, wake_here_asleep): the child this call woke on the caller's CPU
	 * (`here`), the child sent off that CPU after such a call, and the child's own
	 * CPUs, given back at the next call; the child this call found long asleep, when
	 * such a call last ended, and whether the next call followed it at once. */
	pid_t woke_here, sent_off, idle_pid;
	int here;
	cpu_set_t child_cpus;
	int64_t idle_end;
	bool idle_burst;
	unsigned secrets_gen; /* secret_gen() when the child was forked */
	uint32_t seq;
	struct process_wait wait; /* the hybrid policy's learned spin */
	struct process_standby sb; /* the zygote and its standbys (process_standby.c) */
	struct process_domain *next; /* every live process domain (process.c) */
};

#define PROCESS_CHAN(d) ((struct chan *)(d)->arena)

static inline long process_futex(_Atomic uint32_t *addr, int op, uint32_t val,
				 const struct timespec *ts)
{
	/* Not FUTEX_PRIVATE: the word is shared between two processes. */
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static inline int64_t process_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* How long a waiter spins before it sleeps, by the wait policy. */
static inline int64_t process_spin_ns(const struct iso_options *opt)
{
	switch (opt->wait) {
	case ISO_WAIT_SPIN: return INT64_MAX;
	case ISO_WAIT_FUTEX:
	case ISO_WAIT_HANDOFF: return 0;
	case ISO_WAIT_HYBRID: break;
	}
	return (opt->spin_us ? opt->spin_us : ISO_SPIN_US_DEFAULT) * 1000LL;
}

/* The child, right after fork: answer d's requests until killed.  It drops the
 * arenas of the other process domains (the list from `all`) and every secret. */
/* The parent, after the child died or was killed: iso_reason says what killed it,
 * as the child wrote it into the channel (err ISO_ECRASH), and the record is cleared.
 * Returns err. */
int process_child_died(struct chan *c, int err, const char *what);

_Noreturn void process_child_main(struct process_domain *d, const struct process_domain *all);

/* In the child: the domain it serves (NULL in the parent), and a callback from code
 * running there to the parent, which serves it while it waits (process.c). */
extern struct process_domain *process_child_self;
long process_child_callback(unsigned slot, const long *args);

#endif
