/* cpucost.c: CPU time of the caller (its thread clock) and of a domain's child (perf task-clock, else its process clock). */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpucost.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t cpucost_self(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

int cpucost_open(struct cpucost *c, pid_t pid)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	*c = (struct cpucost){ .fd = (int)syscall(SYS_perf_event_open, &a, pid, -1, -1,
						  PERF_FLAG_FD_CLOEXEC) };
	if (c->fd < 0 && clock_getcpuclockid(pid, &c->clock))
		return -1;
	c->open = true;
	return 0;
}

uint64_t cpucost_child(const struct cpucost *c)
{
	uint64_t v;

	if (!c->open)
		return 0;
	if (c->fd < 0)
		return clock_ns(c->clock);
	return read(c->fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? v : 0;
}

void cpucost_close(struct cpucost *c)
{
	if (c->open && c->fd >= 0)
		close(c->fd);
	*c = (struct cpucost){ .fd = -1 };
}
