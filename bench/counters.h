/* counters.h: events named for libpfm4, counted with perf_event_open as one group read around each batch. */
#ifndef HARNESS_COUNTERS_H
#define HARNESS_COUNTERS_H

#include <perfmon/pfmlib_perf_event.h> /* libpfm4's perf_event_attr, not <linux/perf_event.h>'s */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define COUNTERS_MAX 16
#define COUNTERS_NAME 128

struct counter_event {
	const char *name;          /* as asked for: the column's name */
	char encoding[COUNTERS_NAME]; /* libpfm4's fully qualified name */
	struct perf_event_attr attr;
	bool hardware;             /* needs a PMU (hardware, cache, raw or a PMU's own type) */
	bool available;            /* opened on this machine */
	bool tsc_cycles;           /* cycles with no PMU: taken from the TSC instead */
	char why[160];             /* !available: why not */
};

/* What a run counts: the events asked for, and what this machine can count of them. */
struct counters_plan {
	struct counter_event ev[COUNTERS_MAX];
	size_t n;
	bool kernel;               /* hardware events count kernel time too (--kernel) */
	bool pmu;                  /* a hardware PMU counts here */
	char pmu_why[160];         /* !pmu: why not */
};

/* The plan's available events opened on one task: fd[0] leads a group of ngroup; the
 * clocks, which a group read leaves stale, follow and are read one by one. */
struct counter_group {
	int fd[COUNTERS_MAX];
	int slot[COUNTERS_MAX];    /* plan event i is fd[slot[i]], or -1 */
	size_t nfd, ngroup;
	uint64_t before[COUNTERS_MAX][3]; /* per fd: value, time enabled, time running */
	bool ok;                   /* before holds a good read */
};

/* 0 if libpfm4 can encode `name`; else -1 with the reason in why. */
int counters_check(const char *name, char *why, size_t n);
/* Encode the events and try each on this process: fills *p (names are not copied).
 * Returns 0, or -1 with the reason in p->pmu_why when libpfm4 cannot start. */
int counters_plan(struct counters_plan *p, const char *const *names, size_t n, bool kernel);
/* "pmu" if the PMU counts any of the plan's events, else "tsc" (cycles, if any, from the TSC). */
const char *counters_source(const struct counters_plan *p);
/* Open the plan's available events on pid (0: this thread), inherit off.  Returns 0
 * or -1 with errno; a group that cannot be opened reads as nothing counted. */
int counters_open(struct counter_group *g, const struct counters_plan *p, pid_t pid);
/* Read the group before a batch... */
void counters_start(struct counter_group *g);
/* ...and after it: delta[i] per plan event, scaled for multiplexing; NAN where not counted. */
void counters_stop(struct counter_group *g, const struct counters_plan *p, double *delta);
void counters_close(struct counter_group *g);

#endif
