/* process_wait.c: the hybrid wait policy's learning (process_wait.h): spin only while it can pay. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>

#include "process_wait.h"

static bool learned(int64_t max_ns)
{
	return max_ns > 0 && max_ns != INT64_MAX; /* only the hybrid policy adapts */
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int64_t process_wait_budget(struct process_wait *w, int64_t max_ns, uint32_t peer)
{
	if (!learned(max_ns))
		return max_ns;
	if (!w->started) {
		w->started = true;
		w->budget_ns = max_ns;
	}
	w->probing = false;
	/* With the peer queued behind us, spinning only delays it. */
	if (w->budget_ns >= PROCESS_WAIT_MIN_NS && !process_wait_peer_here(peer))
		return clamp(w->budget_ns, 0, max_ns);
	/* Probes run even then: the two sides of a futex handoff are woken onto one CPU
	 * (wake-affine) and would stay there, asleep by turns, for good; a spin is what
	 * lets the scheduler move the peer to a CPU that has become free. */
	w->probing = ++w->waits % PROCESS_WAIT_PROBE == 0;
	return w->probing ? clamp(PROCESS_WAIT_PROBE_NS, 0, max_ns) : 0;
}

bool process_wait_stop(const struct process_wait *w, uint32_t peer)
{
	return !w->probing && process_wait_peer_here(peer);
}

void process_wait_learn(struct process_wait *w, int64_t max_ns, bool spun)
{
	if (!learned(max_ns))
		return;
	if (spun) {
		/* At least a probe's length: a spin also has to cover the peer's wake-up
		 * when it slept, or the two sides would miss each other by turns. */
		w->budget_ns = clamp(w->budget_ns * 2, PROCESS_WAIT_PROBE_NS, max_ns);
		w->waits = 0;
	} else if (w->budget_ns) {
		w->budget_ns /= 2;
		if (w->budget_ns < PROCESS_WAIT_MIN_NS)
			w->budget_ns = 0;
	}
}

void process_wait_publish(struct process_wait *w, _Atomic uint32_t *word)
{
	uint32_t here = process_wait_here();

	if (here != w->published) {
		w->published = here;
		atomic_store_explicit(word, here, memory_order_relaxed);
	}
}

bool process_wait_peer_here(uint32_t peer)
{
	return peer && peer == process_wait_here();
}

uint32_t process_wait_here(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (uint32_t)cpu + 1;
}
