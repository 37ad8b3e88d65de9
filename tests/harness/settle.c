/* harness/settle.c: a workload's settle runs before every timed and warm-up batch, outside the time and CPU time measured; its error ends the row; rewind-once gives rows. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"
#include "../support/harness_run.h"
#include "../support/util.h"

/* What the test workload saw: settles, runs, runs that found the domain unsettled. */
static unsigned settles, runs, unsettled, fail_at;
static bool settled, spin;

/* 20 ms of this thread's CPU time: a settle the row must not see in time or CPU. */
static void spin_20ms(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9 < 0.02);
}

static int t_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d, (void)size;
	*state = NULL;
	return ISO_OK;
}

static int t_settle(void *state, struct iso_domain *d)
{
	(void)state, (void)d;
	if (++settles == fail_at)
		return ISO_EINVAL;
	if (spin)
		spin_20ms();
	settled = true;
	return ISO_OK;
}

/* Each batch must start settled, and uses the settle up. */
static int t_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state, (void)d, (void)iters;
	runs++;
	unsettled += !settled;
	settled = false;
	return ISO_OK;
}

static void t_teardown(void *state)
{
	(void)state;
}

static const struct workload settling = { .name = "settling", .summary = "test",
					  .default_iters = 1, .setup = t_setup, .run = t_run,
					  .teardown = t_teardown, .settle = t_settle };

/* The test workload on none: --warmup=2, --repetitions=5, --rounds=2, one call a batch. */
static void run(struct results *r)
{
	char *argv[] = { "harness", "--backend=none", "--workload=call-null", "--iterations=1",
			 "--warmup=2", "--repetitions=5", "--rounds=2", "--quiet", NULL };

	settles = runs = unsettled = 0;
	settled = false;
	harness_measure(8, argv, &settling, r);
}

Test(bench_settle, before_every_timed_and_warmup_batch)
{
	struct results r;

	run(&r);
	cr_assert_eq(r.nfailed, 0, "%s", r.nfailed ? r.failed[0].what : "");
	cr_assert_eq(r.nrows, 1);
	cr_assert_eq(runs, 2 * (2 + 5), "%u batches", runs);
	cr_assert_eq(settles, runs, "%u settles for %u batches", settles, runs);
	cr_assert_eq(unsettled, 0, "%u batches started unsettled", unsettled);
	free(r.rows);
}

/* A settle of 20 ms of CPU before each empty batch: the row's time and CPU time per
 * call stay far below it. */
Test(bench_settle, is_neither_timed_nor_counted_as_cpu_time, .timeout = 60)
{
	struct results r;

	spin = true;
	run(&r);
	spin = false;
	cr_assert_eq(r.nfailed, 0, "%s", r.nfailed ? r.failed[0].what : "");
	cr_assert_eq(r.nrows, 1);
	cr_assert_eq(settles, 14);
	cr_assert_lt(r.rows[0].ns.median, 1e6, "median %.0f ns a call", r.rows[0].ns.median);
	cr_assert_lt(r.rows[0].cpu_ns, 1e6, "%.0f CPU ns a call", r.rows[0].cpu_ns);
	free(r.rows);
}

/* A settle's error ends the row with that error, in the warm-up (the first) or in the
 * timed batches (the fifth: after two warm-ups and two timed batches); no batch runs
 * after it. */
Test(bench_settle, error_ends_the_row)
{
	static const unsigned at[] = { 1, 5 };

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct results r;

		fail_at = at[i];
		run(&r);
		fail_at = 0;
		cr_assert_eq(r.nrows, 0, "settle failed at %u: a row", at[i]);
		cr_assert_eq(r.nfailed, 1, "settle failed at %u: %zu failures", at[i], r.nfailed);
		cr_assert(strstr(r.failed[0].what, iso_strerror(ISO_EINVAL)), "%s",
			  r.failed[0].what);
		cr_assert_eq(settles, at[i], "settle failed at %u, called %u times", at[i],
			     settles);
		cr_assert_eq(runs, at[i] - 1, "settle failed at %u, %u batches ran", at[i], runs);
		free(r.rows);
	}
}

/* rewind-once on process and mprotect: one faulting call a batch, a row each. */
Test(bench_settle, rewind_once_gives_rows, .timeout = 60)
{
	char *argv[] = { "harness", "--backend=none,process,mprotect", "--workload=rewind-once",
			 "--warmup=1", "--repetitions=3", "--rounds=2", "--quiet", NULL };
	static const char *const want[] = { "process", "mprotect" };
	struct results r;
	size_t asked = 0;

	harness_measure(7, argv, NULL, &r);
	cr_assert_eq(r.nfailed, 0, "%s", r.nfailed ? r.failed[0].what : "");
	for (size_t k = 0; k < 2; k++) {
		bool found = false;

		if (iso_backend_probe(want[k]) != ISO_OK)
			continue;
		asked++;
		for (size_t i = 0; i < r.nrows; i++) {
			const struct row *w = &r.rows[i];

			if (strcmp(w->backend, want[k]) != 0)
				continue;
			found = true;
			cr_assert_str_eq(w->wl->name, "rewind-once");
			cr_assert_eq(w->iterations, 1, "%s: %lu calls a batch", want[k],
				     (unsigned long)w->iterations);
			cr_assert_eq(w->repetitions, 6);
			cr_assert(w->ns.median > 0 && isfinite(w->ns.median), "%s: %f ns", want[k],
				  w->ns.median);
		}
		cr_assert(found, "no rewind-once row for %s", want[k]);
	}
	cr_assert_eq(r.nrows, asked, "%zu rows for %zu backends (none declines)", r.nrows, asked);
	free(r.rows);
}
