/* process_wait.h: the hybrid wait policy's learning, for either side of a process domain's channel: how long to spin before sleeping. */
#ifndef BACKENDS_PROCESS_WAIT_H
#define BACKENDS_PROCESS_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "iso.h"

/*
 * One side's spin budget.  A spin pays only while the other side runs on another
 * CPU: when both share one CPU (the other is busy with someone else's work), each
 * spin keeps the CPU from the very process it waits for, and a round trip costs the
 * whole spin (200 us instead of a few with a futex).  So a waiter
 *   - does not spin at all when the peer last ran on the waiter's own CPU;
 *   - halves its budget after each wait that ended asleep, and doubles it after
 *     each wait the spin answered, between PROCESS_WAIT_MIN_NS and the policy's
 *     spin (below the minimum it sleeps at once);
 *   - while at zero, spins briefly every PROCESS_WAIT_PROBE-th wait, to notice
 *     that spinning pays again.
 */
struct process_wait {
	int64_t budget_ns; /* the next wait's spin; starts at the policy's */
	uint32_t waits;    /* waits since the budget fell to zero */
};

#define PROCESS_WAIT_MIN_NS 2000LL
#define PROCESS_WAIT_PROBE 16u

/* The spin for the next wait, given the policy's spin (`max_ns`: INT64_MAX for
 * ISO_WAIT_SPIN, 0 for futex and handoff: those are not learned) and what the peer
 * last published of its CPU (process_wait_here(); 0, a zeroed channel, for none). */
int64_t process_wait_budget(struct process_wait *w, int64_t max_ns, uint32_t peer);

/* After a wait: `spun` when the spin saw the answer, else it slept. */
void process_wait_learn(struct process_wait *w, int64_t max_ns, bool spun);

/* Where this thread runs, for the peer to read: its CPU + 1 (a vDSO/rseq read), or
 * 0 where that is unknown or the thread is about to sleep. */
uint32_t process_wait_here(void);

#endif
