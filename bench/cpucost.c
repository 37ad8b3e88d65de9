/* cpucost.c: CPU time of the caller (its thread clock) and of a domain's processes (perf task-clock on the active child, process clocks and RUSAGE_CHILDREN for the rest of its process group). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpucost.h"

static uint64_t clock_ns(clockid_t id, bool *ok)
{
	struct timespec ts;

	*ok = clock_gettime(id, &ts) == 0;
	return *ok ? (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec : 0;
}

uint64_t cpucost_self(void)
{
	bool ok;

	return clock_ns(CLOCK_THREAD_CPUTIME_ID, &ok);
}

/* A process's CPU time, all its threads (a zombie's is final). */
static bool proc_ns(pid_t pid, uint64_t *ns)
{
	clockid_t id;
	bool ok = false;

	if (clock_getcpuclockid(pid, &id) == 0)
		*ns = clock_ns(id, &ok);
	return ok;
}

uint64_t cpucost_reaped(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru))
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

/* This process's children in process group `group`, live or zombie (each thread's
 * children are listed under it); returns how many went into out. */
static size_t snapshot(pid_t group, struct cpucost_proc *out)
{
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;

	while (tasks && (e = readdir(tasks))) {
		char path[64];
		FILE *f;
		int pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/children", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (n < CPUCOST_PROCS && fscanf(f, "%d", &pid) == 1)
			if (getpgid(pid) == group && proc_ns(pid, &out[n].ns))
				out[n++].pid = pid;
		fclose(f);
	}
	if (tasks)
		closedir(tasks);
	return n;
}

static const struct cpucost_proc *find(const struct cpucost_proc *p, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].pid == pid)
			return &p[i];
	return NULL;
}

int64_t cpucost_combine(const struct cpucost_proc *start, size_t nstart,
			const struct cpucost_proc *end, size_t nend, const uint64_t *reaped)
{
	int64_t sum = reaped ? (int64_t)*reaped : 0;

	for (size_t i = 0; i < nend; i++) {
		const struct cpucost_proc *s = find(start, nstart, end[i].pid);

		sum += (int64_t)end[i].ns - (s ? (int64_t)s->ns : 0);
	}
	for (size_t i = 0; reaped && i < nstart; i++)
		if (!find(end, nend, start[i].pid))
			sum -= (int64_t)start[i].ns;
	return sum;
}

/* The active child's clock now. */
static bool child_ns(const struct cpucost *c, uint64_t *ns)
{
	bool ok;

	if (c->fd < 0) {
		*ns = clock_ns(c->clock, &ok);
		return ok;
	}
	return read(c->fd, ns, sizeof(*ns)) == (ssize_t)sizeof(*ns);
}

/* Count `pid` as the active child from now on; -1 with errno when it has no clock
 * (the one counted so far stays). */
static int follow(struct cpucost *c, pid_t pid)
{
	struct perf_event_attr a;
	clockid_t clock = c->clock;
	pid_t group = getpgid(pid);
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	fd = (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && clock_getcpuclockid(pid, &clock))
		return -1;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = fd;
	c->clock = clock;
	c->pid = pid;
	if (!child_ns(c, &c->at))
		c->at = 0;
	group = group > 0 && group != getpgid(0) ? group : 0;
	if (group != c->group) { /* a new zygote: its group from here on */
		c->group = group;
		c->n = group ? snapshot(group, c->procs) : 0;
	}
	return 0;
}

int cpucost_open(struct cpucost *c, const struct iso_domain *d)
{
	pid_t pid = iso_domain_pid(d);

	*c = (struct cpucost){ .d = d, .fd = -1 };
	if (pid <= 0 || pid == getpid()) {
		errno = ESRCH;
		return -1;
	}
	if (follow(c, pid))
		return -1;
	c->reaped = cpucost_reaped();
	c->open = true;
	return 0;
}

uint64_t cpucost_domain(struct cpucost *c, bool ours)
{
	struct cpucost_proc end[CPUCOST_PROCS];
	uint64_t now, reaped, delta;
	bool ok;
	int64_t add;
	pid_t pid;

	if (!c->open)
		return 0;
	ok = child_ns(c, &now);
	if (!c->group) {
		add = ok ? (int64_t)(now - c->at) : 0;
	} else {
		const struct cpucost_proc *s, *e;
		size_t n = snapshot(c->group, end);

		reaped = cpucost_reaped();
		delta = reaped - c->reaped;
		add = cpucost_combine(c->procs, c->n, end, n, ours ? &delta : NULL);
		/* The active child, there at both reads: its exact clock, not its process
		 * clock (which lags while it runs on another CPU). */
		s = find(c->procs, c->n, c->pid);
		e = find(end, n, c->pid);
		if (ok && c->fd >= 0 && s && e)
			add += (int64_t)(now - c->at) - ((int64_t)e->ns - (int64_t)s->ns);
		memcpy(c->procs, end, n * sizeof(*end));
		c->n = n;
		c->reaped = reaped;
	}
	if (ok)
		c->at = now;
	c->total += add > 0 ? (uint64_t)add : 0;
	pid = iso_domain_pid(c->d);
	if (pid > 0 && pid != c->pid && pid != getpid())
		follow(c, pid);
	return c->total;
}

void cpucost_close(struct cpucost *c)
{
	if (c->open && c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->open = false;
}
