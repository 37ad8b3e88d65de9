/* counters.c: libpfm4 encodes the events; one perf_event_open group per task, read around each batch. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"

/*
 * How the process backend's child is counted: the harness opens a second group with
 * the same events on the child's pid (cpu -1, inherit off: the child does not fork)
 * and reads it around each batch, next to the caller's own group.  Both reads sit
 * outside the timed region.  The group follows the task, not the domain: a child
 * that dies and is respawned mid-row takes its counts with it, and the new child is
 * not counted (its columns stop growing) until the next row opens a new group.
 *
 * Software events (context switches, page faults, migrations) happen in the kernel,
 * so they are counted with exclude_kernel off unless the name says otherwise
 * (`context-switches:u` counts nothing); "user mode only" applies to the PMU's events.
 * task-clock and cpu-clock are opened beside the group, not in it (see is_clock).
 */

static int pfm_ready(char *why, size_t n)
{
	static int ret = 1; /* not tried yet: pfm_initialize's codes are 0 or negative */

	if (ret == 1)
		ret = pfm_initialize();
	if (ret != PFM_SUCCESS) {
		snprintf(why, n, "libpfm4: %s", pfm_strerror(ret));
		return -1;
	}
	return 0;
}

static int encode(const char *name, int plm, struct perf_event_attr *attr, char *fq, size_t n)
{
	char *fstr = NULL;
	pfm_perf_encode_arg_t arg = { .attr = attr, .fstr = &fstr, .size = sizeof(arg) };
	int ret;

	memset(attr, 0, sizeof(*attr));
	ret = pfm_get_os_event_encoding(name, plm, PFM_OS_PERF_EVENT_EXT, &arg);
	if (ret == PFM_SUCCESS && fq)
		snprintf(fq, n, "%s", fstr ? fstr : name);
	free(fstr);
	return ret;
}

int counters_check(const char *name, char *why, size_t n)
{
	struct perf_event_attr attr;
	int ret;

	if (pfm_ready(why, n))
		return -1;
	ret = encode(name, PFM_PLM3, &attr, NULL, 0);
	if (ret != PFM_SUCCESS) {
		snprintf(why, n, "%s", pfm_strerror(ret));
		return -1;
	}
	return 0;
}

/* What the group needs of every member; the hypervisor is never ours to count. */
static void finish(struct perf_event_attr *a)
{
	a->size = sizeof(*a);
	a->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			 PERF_FORMAT_TOTAL_TIME_RUNNING;
	a->exclude_hv = 1;
	a->inherit = 0;
	a->disabled = 0;
}

static const char *hint(int err)
{
	switch (err) {
	case ENOENT:
	case EOPNOTSUPP: return " (no PMU exposed to this machine)";
	case EACCES:
	case EPERM: return " (see /proc/sys/kernel/perf_event_paranoid)";
	}
	return "";
}

/* The plain cycles event, user mode only: does a PMU count anything here? */
static void probe_pmu(struct counters_plan *p)
{
	struct perf_event_attr a = { .type = PERF_TYPE_HARDWARE,
				     .config = PERF_COUNT_HW_CPU_CYCLES,
				     .exclude_kernel = 1 };
	int fd;

	finish(&a);
	fd = perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	p->pmu = fd >= 0;
	if (fd >= 0)
		close(fd);
	else
		snprintf(p->pmu_why, sizeof(p->pmu_why), "perf_event_open(cycles): %s%s",
			 strerror(errno), hint(errno));
}

static bool is_cycles(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_HARDWARE && (a->config == PERF_COUNT_HW_CPU_CYCLES ||
						 a->config == PERF_COUNT_HW_REF_CPU_CYCLES);
}

int counters_plan(struct counters_plan *p, const char *const *names, size_t n, bool kernel)
{
	int plm = PFM_PLM3 | (kernel ? PFM_PLM0 : 0);

	memset(p, 0, sizeof(*p));
	p->kernel = kernel;
	if (n > COUNTERS_MAX)
		n = COUNTERS_MAX;
	for (size_t i = 0; i < n; i++)
		p->ev[i].name = names[i];
	p->n = n;
	if (pfm_ready(p->pmu_why, sizeof(p->pmu_why))) {
		for (size_t i = 0; i < n; i++)
			snprintf(p->ev[i].why, sizeof(p->ev[i].why), "%s", p->pmu_why);
		return -1;
	}
	probe_pmu(p);
	for (size_t i = 0; i < n; i++) {
		struct counter_event *e = &p->ev[i];
		int ret = encode(e->name, plm, &e->attr, e->encoding, sizeof(e->encoding)), fd;

		if (ret != PFM_SUCCESS) {
			snprintf(e->why, sizeof(e->why), "libpfm4: %s", pfm_strerror(ret));
			continue;
		}
		e->hardware = e->attr.type != PERF_TYPE_SOFTWARE &&
			      e->attr.type != PERF_TYPE_TRACEPOINT;
		/* The default privilege level only applies where the name sets none. */
		if (!e->hardware && !kernel)
			encode(e->name, PFM_PLM0 | PFM_PLM3, &e->attr, e->encoding,
			       sizeof(e->encoding));
		finish(&e->attr);
		fd = perf_event_open(&e->attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		e->available = fd >= 0;
		if (fd >= 0) {
			close(fd);
			continue;
		}
		snprintf(e->why, sizeof(e->why), "perf_event_open: %s%s", strerror(errno),
			 hint(errno));
		e->tsc_cycles = e->hardware && !p->pmu && is_cycles(&e->attr);
	}
	return 0;
}

const char *counters_source(const struct counters_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ev[i].hardware && p->ev[i].available)
			return "pmu";
	return "tsc";
}

/* task-clock and cpu-clock are timers of their own PMU: as members of a group they are
 * only brought up to date at a context switch, so a group read would see them stand still. */
static bool is_clock(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_SOFTWARE && (a->config == PERF_COUNT_SW_TASK_CLOCK ||
						 a->config == PERF_COUNT_SW_CPU_CLOCK);
}

static int open_one(struct counter_group *g, const struct counters_plan *p, size_t i, pid_t pid,
		    int group_fd)
{
	struct perf_event_attr a = p->ev[i].attr;
	int fd = perf_event_open(&a, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -1;
	g->slot[i] = (int)g->nfd;
	g->fd[g->nfd++] = fd;
	return 0;
}

int counters_open(struct counter_group *g, const struct counters_plan *p, pid_t pid)
{
	g->nfd = g->ngroup = 0;
	g->ok = false;
	for (size_t i = 0; i < COUNTERS_MAX; i++)
		g->slot[i] = -1;
	/* PMU events first: a software leader would have to move its group to the PMU. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < p->n; i++) {
			const struct counter_event *e = &p->ev[i];
			int want = is_clock(&e->attr) ? 2 : e->hardware ? 0 : 1;

			if (!e->available || want != pass)
				continue;
			if (open_one(g, p, i, pid, pass < 2 && g->nfd ? g->fd[0] : -1)) {
				int err = errno;

				counters_close(g);
				errno = err;
				return -1;
			}
		}
		if (pass == 1)
			g->ngroup = g->nfd;
	}
	return 0;
}

/* The group in one read ({ nr, time_enabled, time_running, value[nr] }), then each clock. */
static bool read_all(const struct counter_group *g, uint64_t (*v)[3])
{
	uint64_t buf[3 + COUNTERS_MAX];

	for (size_t f = 0; f < g->nfd; f = f < g->ngroup ? g->ngroup : f + 1) {
		size_t n = f < g->ngroup ? g->ngroup : 1, want = (3 + n) * sizeof(*buf);

		if (read(g->fd[f], buf, want) != (ssize_t)want || buf[0] != n)
			return false;
		for (size_t k = 0; k < n; k++) {
			v[f + k][0] = buf[3 + k];
			v[f + k][1] = buf[1];
			v[f + k][2] = buf[2];
		}
	}
	return g->nfd > 0;
}

void counters_start(struct counter_group *g)
{
	g->ok = read_all(g, g->before);
}

void counters_stop(struct counter_group *g, const struct counters_plan *p, double *delta)
{
	uint64_t after[COUNTERS_MAX][3];
	bool ok = g->ok && read_all(g, after);

	for (size_t i = 0; i < p->n; i++) {
		int s = g->slot[i];
		/* Multiplexed: counted for `running` of the `enabled` time; scale up. */
		double enabled = ok && s >= 0 ? (double)(after[s][1] - g->before[s][1]) : 0;
		double running = ok && s >= 0 ? (double)(after[s][2] - g->before[s][2]) : 0;

		delta[i] = NAN;
		if (running > 0)
			delta[i] = (double)(after[s][0] - g->before[s][0]) * enabled / running;
	}
}

void counters_close(struct counter_group *g)
{
	for (size_t i = 0; i < g->nfd; i++)
		close(g->fd[i]);
	g->nfd = g->ngroup = 0;
	g->ok = false;
}
