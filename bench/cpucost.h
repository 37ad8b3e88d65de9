/* cpucost.h: the CPU time a call costs: the calling thread's, and a process domain's child's. */
#ifndef HARNESS_CPUCOST_H
#define HARNESS_CPUCOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The child's CPU clock: a perf task-clock event on its pid (exact, even while it runs on
 * another CPU), else its process CPU clock (current only to the last scheduler tick). */
struct cpucost {
	int fd;          /* the task-clock event, or -1 */
	clockid_t clock; /* the fallback */
	bool open;
};

/* The calling thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID). */
uint64_t cpucost_self(void);
/* Opens the child's clock; returns 0, or -1 with errno (no child counted then). */
int cpucost_open(struct cpucost *c, pid_t pid);
/* The child's CPU time in ns so far; 0 when not open. */
uint64_t cpucost_child(const struct cpucost *c);
void cpucost_close(struct cpucost *c);

#endif
