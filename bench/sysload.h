/* sysload.h: what else the machine is doing: CPU time of other processes, steal, load average. */
#ifndef HARNESS_SYSLOAD_H
#define HARNESS_SYSLOAD_H

#include <stdbool.h>

/* Other processes using this many CPUs' worth on average make a span contended. */
#define SYSLOAD_CONTENDED 0.5

/* A moment: the machine's busy and steal time over all CPUs (/proc/stat, seconds), this
 * process's CPU time, and the monotonic clock. */
struct sysload_snap {
	double busy_s, steal_s, own_s, wall_s;
	bool ok;
};

/* The machine's state between two moments. */
struct sysload_span {
	double others;  /* CPUs' worth used by other processes on average (own time taken out) */
	double steal;   /* CPUs' worth stolen by the hypervisor */
	bool ok;        /* /proc/stat was read at both ends */
};

void sysload_read(struct sysload_snap *s);
/* Between a and b, `children_s` being the CPU time our own child processes used then (a
 * process domain's child is not in this process's clock). */
void sysload_between(const struct sysload_snap *a, const struct sysload_snap *b,
		     double children_s, struct sysload_span *out);
/* The 1-minute load average; -1 when /proc/loadavg cannot be read. */
double sysload_loadavg(void);

#endif
