/* process_wait.h: the hybrid wait policy's learning, for either side of a process domain's channel: how long to spin before sleeping. */
#ifndef BACKENDS_PROCESS_WAIT_H
#define BACKENDS_PROCESS_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One side's spin budget.  A spin pays only while the other side runs on another
 * CPU and answers within it: when both share one CPU (the other is busy with some
 * other process's work), each spin keeps the CPU from the very process it waits
 * for, and a round trip cost the whole spin (200 us instead of a few with a futex).
 * So a waiter
 *   - does not spin at all when the peer last ran on the waiter's own CPU;
 *   - after a wait the spin answered, spins PROCESS_WAIT_SCALE times as long as such
 *     waits took of late (at least PROCESS_WAIT_MIN_NS, at most the policy's spin):
 *     a miss then costs a few round trips, not the whole 200 us;
 *   - after a wait that ended asleep, halves its budget down to the minimum; after
 *     PROCESS_WAIT_MISSES such waits in a row at the minimum it sleeps at once (one
 *     preemption on a quiet machine is not enough), and spins
 *     PROCESS_WAIT_PROBE_NS every PROCESS_WAIT_PROBE-th wait to
 *     notice that spinning pays again (long enough to cover the peer's own wake-up,
 *     so that two sleeping sides find their way back to spinning).
 */
struct process_wait {
	int64_t budget_ns; /* the next wait's spin */
	int64_t typ_ns;    /* moving average of the waits a spin answered */
	uint32_t waits;    /* waits since the budget fell to zero */
	uint32_t misses;   /* waits in a row that ended asleep at the minimum */
	bool started;
};

#define PROCESS_WAIT_MIN_NS 2000LL
#define PROCESS_WAIT_SCALE 8
#define PROCESS_WAIT_PROBE_NS 50000LL
#define PROCESS_WAIT_PROBE 32u
#define PROCESS_WAIT_MISSES 3u

/* The spin for the next wait, given the policy's spin (`max_ns`: INT64_MAX for
 * ISO_WAIT_SPIN, 0 for futex and handoff: those are not learned) and what the peer
 * last published of its CPU (process_wait_here(); 0, a zeroed channel, for none). */
int64_t process_wait_budget(struct process_wait *w, int64_t max_ns, uint32_t peer);

/* After a wait: `spun` when the spin saw the answer, after `waited_ns`. */
void process_wait_learn(struct process_wait *w, int64_t max_ns, bool spun, int64_t waited_ns);

/* Has the peer (its published process_wait_here()) been put on this thread's CPU?
 * Checked at each tick of a spin too: a peer woken onto the spinner's CPU waits
 * behind the spin. */
bool process_wait_peer_here(uint32_t peer);

/* Where this thread runs, for the peer to read: its CPU + 1 (a vDSO/rseq read), or
 * 0 where that is unknown or the thread is about to sleep. */
uint32_t process_wait_here(void);

#endif
