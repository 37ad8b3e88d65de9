/* sysload.c: /proc/stat's aggregate CPU line and /proc/loadavg, less this process's own CPU time. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "sysload.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void sysload_read(struct sysload_snap *s)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	double hz = (double)sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");

	*s = (struct sysload_snap){ .ok = false };
	/* Own time first: what we used up to the read is in the machine's busy time. */
	s->own_s = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	s->wall_s = clock_s(CLOCK_MONOTONIC);
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
		   &iowait, &irq, &softirq, &steal) == 8 && hz > 0) {
		s->busy_s = (double)(user + nice + sys + irq + softirq) / hz;
		s->steal_s = (double)steal / hz;
		s->ok = true;
	}
	fclose(f);
}

void sysload_between(const struct sysload_snap *a, const struct sysload_snap *b,
		     double children_s, struct sysload_span *out)
{
	double wall = b->wall_s - a->wall_s;

	*out = (struct sysload_span){ .ok = a->ok && b->ok && wall > 0 };
	if (!out->ok)
		return;
	out->others = (b->busy_s - a->busy_s - (b->own_s - a->own_s) - children_s) / wall;
	out->others = out->others < 0 ? 0 : out->others;
	out->steal = (b->steal_s - a->steal_s) / wall;
}

double sysload_loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double one = -1;

	if (f) {
		if (fscanf(f, "%lf", &one) != 1)
			one = -1;
		fclose(f);
	}
	return one;
}
