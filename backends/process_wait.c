/* process_wait.c: the hybrid wait policy's learning (process_wait.h): spin only while it can pay. */
#define _GNU_SOURCE
#include <sched.h>

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
	if (process_wait_peer_here(peer))
		return 0; /* the peer is queued behind us: spinning only delays it */
	if (!w->started) {
		w->started = true;
		w->budget_ns = max_ns;
		w->typ_ns = max_ns / PROCESS_WAIT_SCALE;
	}
	if (w->budget_ns >= PROCESS_WAIT_MIN_NS)
		return clamp(w->budget_ns, 0, max_ns);
	return ++w->waits % PROCESS_WAIT_PROBE == 0 ? clamp(PROCESS_WAIT_PROBE_NS, 0, max_ns) : 0;
}

void process_wait_learn(struct process_wait *w, int64_t max_ns, bool spun, int64_t waited_ns)
{
	if (!learned(max_ns))
		return;
	if (spun) {
		w->typ_ns += (waited_ns - w->typ_ns) / 8;
		w->budget_ns = clamp(PROCESS_WAIT_SCALE * w->typ_ns, PROCESS_WAIT_MIN_NS, max_ns);
		w->waits = 0;
		w->misses = 0;
	} else if (w->budget_ns > PROCESS_WAIT_MIN_NS) {
		w->budget_ns = w->budget_ns / 2 > PROCESS_WAIT_MIN_NS ? w->budget_ns / 2
								     : PROCESS_WAIT_MIN_NS;
	} else if (w->budget_ns && ++w->misses >= PROCESS_WAIT_MISSES) {
		w->budget_ns = 0; /* not one hiccup: the peer keeps missing the spin */
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
