/* harness/cpucost.c: a process domain's CPU time is all of its processes' (crashes cost a fork and an exit), counted once. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../bench/cpucost.h"
#include "../../bench/harness.h"
#include "../support/util.h"

#define US 1000.0

/*
 * A process domain whose every call crashes (the rewind workload's NULL write): each
 * crash costs the zygote's clone of a successor and the dead child's exit, some
 * 500 us of CPU on this machine (`perf record -a`), 300-550 us as counted here; the
 * caller and the one child first opened came to 25-37 us.
 */
Test(bench_cpucost, crashes_count_every_process_of_the_domain, .timeout = 120)
{
	char *argv[] = { "harness", "--backend=process", "--workload=rewind", "--iterations=20",
			 "--repetitions=3", "--rounds=2", "--warmup=1", "--quiet",
			 "--no-baseline", NULL };
	static struct config c;
	static struct results r;

	if (!backend_wanted("process"))
		cr_skip_test("process not wanted");
	SKIP_UNSUPPORTED("process");
	optind = 0;
	cr_assert_eq(cli_parse(9, argv, &c), 0);
	tsc_init(&r.tsc);
	measure_all(&c, &r);
	cr_assert_eq(r.nfailed, 0, "failed: %s", r.nfailed ? r.failed[0].what : "");
	cr_assert_eq(r.nrows, 1);
	cr_assert_gt(r.rows[0].cpu_ns, 100 * US, "cpu_ns per crash %.1f us", r.rows[0].cpu_ns / US);
}

static long null_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 0;
}

__attribute__((no_sanitize("address", "undefined"))) static long
crash_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile int *volatile p = NULL;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*p = 1;
	return 0;
}

static int task_clock(pid_t pid)
{
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_SOFTWARE,
				     .config = PERF_COUNT_SW_TASK_CLOCK };

	return (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static uint64_t read_clock(int fd)
{
	uint64_t v = 0;

	cr_assert_eq(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	return v;
}

/*
 * Good calls count what the caller and the active child used, no more: the zygote and
 * the standbys sleep, and nothing is counted twice.  The calls follow a crash, so the
 * active child is a standby that took over, counted exactly only if a task-clock event
 * follows it there: its process clock lags while it runs on another CPU (to its last
 * tick), and a spinning child (ISO_WAIT_SPIN) runs from call to call, so that clock is
 * off by up to milliseconds in these batches of a few.
 */
Test(bench_cpucost, good_calls_count_the_active_child_exactly_and_once, .timeout = 60)
{
	const struct iso_options spin = { .wait = ISO_WAIT_SPIN }; /* the child never sleeps */
	struct iso_domain *d;
	struct cpucost c;
	int fd, off = 0;
	char why[200] = "";

	if (!backend_wanted("process"))
		cr_skip_test("process not wanted");
	d = open_domain_opt("process", &spin);
	cr_assert_eq(cpucost_open(&c, d), 0);
	cr_assert_eq(iso_call(d, crash_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_ECRASH);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(iso_call(d, null_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK);
	usleep(200 * 1000); /* the successor's clone (the zygote runs SCHED_BATCH) is done */
	fd = task_clock(iso_domain_pid(d));
	cr_assert_geq(fd, 0, "perf_event_open on the child");

	for (int batch = 0; batch < 30; batch++) {
		/* The two clocks read next to each other: the child may still be spinning. */
		uint64_t child = read_clock(fd), counted = cpucost_domain(&c, false);
		double us;

		for (int i = 0; i < 500; i++)
			cr_assert_eq(iso_call(d, null_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK);
		child = read_clock(fd) - child;
		counted = cpucost_domain(&c, true) - counted;
		us = ((double)counted - (double)child) / US;
		if (fabs(us) > 100 + 0.1 * (double)child / US) {
			off++;
			snprintf(why, sizeof(why), "counted %.1f us, the child's task-clock %.1f us",
				 (double)counted / US, (double)child / US);
		}
	}
	cr_assert_eq(off, 0, "%d of 30 batches off, the last: %s", off, why);
	close(fd);
	cpucost_close(&c);
	iso_domain_destroy(d);
}

/* The arithmetic over synthetic processes: start and end values, RUSAGE_CHILDREN's gain. */
Test(bench_cpucost, combine_counts_each_process_once)
{
	/* 10 ran 50, 11 slept, 12 was collected (a life of 360, 300 of it before), 13 is
	 * new (50, all in the span). */
	const struct cpucost_proc start[] = { { 10, 100 }, { 11, 200 }, { 12, 300 } };
	const struct cpucost_proc end[] = { { 10, 150 }, { 11, 200 }, { 13, 50 } };
	uint64_t reaped = 360, none = 0;

	cr_assert_eq(cpucost_combine(start, 3, end, 3, &reaped), 50 + 0 + 60 + 50);
	/* Children collected by other domains' calls are not known: 12 counts nothing. */
	cr_assert_eq(cpucost_combine(start, 3, end, 3, NULL), 50 + 0 + 50);

	/* A zombie at the end with its final CPU (12: 300 -> 360), collected in the next
	 * span: 60 in the first, 0 in the second. */
	const struct cpucost_proc zombie0[] = { { 12, 300 } }, zombie1[] = { { 12, 360 } };

	cr_assert_eq(cpucost_combine(zombie0, 1, zombie1, 1, &none), 60);
	cr_assert_eq(cpucost_combine(zombie1, 1, NULL, 0, &reaped), 0);

	/* A child born and collected within one span is in neither map: its whole life. */
	reaped = 250;
	cr_assert_eq(cpucost_combine(NULL, 0, NULL, 0, &reaped), 250);
	/* 12 collected (life 360) and its pid reused by a new child that ran 40. */
	const struct cpucost_proc reused[] = { { 12, 40 } };

	reaped = 360;
	cr_assert_eq(cpucost_combine(zombie0, 1, reused, 1, &reaped), 60 + 40);
}
