/* cpucost.h: the CPU time a call costs: the calling thread's, and a process domain's processes'. */
#ifndef HARNESS_CPUCOST_H
#define HARNESS_CPUCOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iso.h"

#define CPUCOST_PROCS 64 /* a domain's processes counted at most */

/* One process's CPU time in ns, read at one moment. */
struct cpucost_proc {
	pid_t pid;
	uint64_t ns;
};

/*
 * A domain's processes.  The active child (iso_domain_pid) is counted exactly by a
 * perf task-clock event on its pid (even while it runs on another CPU), else by its
 * process clock (current only to its last scheduler tick while it runs); the event
 * follows the active child from read to read.  Where that child is in a process
 * group other than the harness's (a process domain's zygote leads one: its standbys
 * are the harness's children in its group), every other child of the harness in that
 * group is counted too (the zygote, standbys, killed children not yet collected), by
 * its process clock, and children collected between two reads by what
 * RUSAGE_CHILDREN gained then.
 */
struct cpucost {
	const struct iso_domain *d;
	int fd;          /* the task-clock event on `pid`, or -1 */
	clockid_t clock; /* without one: `pid`'s process clock */
	bool open;
	pid_t pid;       /* the active child counted */
	pid_t group;     /* its process group, or 0: the child alone */
	uint64_t at;     /* its clock at the last read */
	uint64_t reaped; /* RUSAGE_CHILDREN at the last read, ns */
	uint64_t total;  /* ns counted since open */
	size_t n;
	struct cpucost_proc procs[CPUCOST_PROCS]; /* the group at the last read */
};

/* The calling thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID). */
uint64_t cpucost_self(void);
/* The CPU time in ns of this process's children collected so far, whole lives
 * (RUSAGE_CHILDREN: with what they collected in turn). */
uint64_t cpucost_reaped(void);
/* Starts counting d's processes; returns 0, or -1 with errno (nothing counted then). */
int cpucost_open(struct cpucost *c, const struct iso_domain *d);
/* The CPU ns d's processes used since open, read now.  `ours`: only d's calls ran
 * since the last read, so the children collected meanwhile were d's; otherwise
 * (other domains ran too) those are left out.  0 when not open. */
uint64_t cpucost_domain(struct cpucost *c, bool ours);
void cpucost_close(struct cpucost *c);

/* What the processes used between two reads: each in `end` its end value less its
 * start value (all of it if new), plus `reaped` (the CPU of the children collected in
 * between, whole lives) less the start values of those gone, so that nothing counts
 * twice; with `reaped` NULL those gone count nothing.  Pure, for the tests. */
int64_t cpucost_combine(const struct cpucost_proc *start, size_t nstart,
			const struct cpucost_proc *end, size_t nend, const uint64_t *reaped);

#endif
