/* process_wait.h: the hybrid wait policy's learning, for either side of a process domain's channel: how long to spin before sleeping. */
#ifndef BACKENDS_PROCESS_WAIT_H
#define BACKENDS_PROCESS_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One side's spin budget.  A spin pays only while the other side runs on another
 * CPU: when both share one CPU (the other CPU busy with some other process's work),
 * each spin keeps the CPU from the very process it waits for, and a round trip cost
 * the whole spin (200 us instead of a few with a futex).  So a waiter
 *   - does not spin when the peer last ran on the waiter's own CPU, and stops a spin
 *     at the tick it sees the peer put there (but for probes);
 *   - halves its budget after each wait that ended asleep (below
 *     PROCESS_WAIT_MIN_NS: it sleeps at once) and doubles it after each wait the
 *     spin answered, up to the policy's spin: when the peer runs for long stretches
 *     and is preempted for long stretches (a CPU shared with a busy process), the
 *     misses that end a stretch cost some 400 us in all, not 200 us each;
 *   - while asleep at once, spins PROCESS_WAIT_PROBE_NS every PROCESS_WAIT_PROBE-th
 *     wait, even beside the peer, to notice that spinning pays again: a probe is
 *     long enough to cover the peer's wake-up, and lets the scheduler move a peer
 *     woken onto this CPU (wake-affine) to one that has become free; the budget
 *     never falls below a probe's length after an answered spin, for the same
 *     reason (else two sides that slept would miss each other by turns).
 */
struct process_wait {
	int64_t budget_ns; /* the next wait's spin */
	uint32_t waits;    /* waits since the budget fell to zero */
	uint32_t published; /* what this side last stored of its CPU (process_wait_publish) */
	bool started;
	bool probing;      /* the current wait is a probe */
};

#define PROCESS_WAIT_MIN_NS 2000LL
#define PROCESS_WAIT_PROBE_NS 50000LL
#define PROCESS_WAIT_PROBE 32u

/* The spin for the next wait, given the policy's spin (`max_ns`: INT64_MAX for
 * ISO_WAIT_SPIN, 0 for futex and handoff: those are not learned) and what the peer
 * last published of its CPU (process_wait_here(); 0, a zeroed channel, for none). */
int64_t process_wait_budget(struct process_wait *w, int64_t max_ns, uint32_t peer);

/* After a wait: `spun` when the spin saw the answer. */
void process_wait_learn(struct process_wait *w, int64_t max_ns, bool spun);

/* Has the peer (its published process_wait_here()) been put on this thread's CPU? */
bool process_wait_peer_here(uint32_t peer);

/* At each tick of a spin: stop now?  Yes if the peer has been put on this CPU
 * (it waits behind the spin), unless the spin is a probe. */
bool process_wait_stop(const struct process_wait *w, uint32_t peer);

/* Store process_wait_here() in `word` (this side's CPU in the channel) only when it
 * differs from what this side last stored there: the word shares a cache line the
 * peer polls, and a store on every call took that line from the peer once more per
 * round trip (call-null on process +12 %).  Only this side writes `word`; where the
 * channel is zeroed, w->published must be zeroed with it. */
void process_wait_publish(struct process_wait *w, _Atomic uint32_t *word);

/* Where this thread runs, for the peer to read: its CPU + 1 (a vDSO/rseq read), or
 * 0 where that is unknown or the thread is about to sleep. */
uint32_t process_wait_here(void);

#endif
