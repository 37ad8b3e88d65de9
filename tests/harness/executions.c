/* harness/executions.c: --executions measures the whole plan in fresh processes, pools their batches, and its intervals resample the processes. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"
#include "../support/harness_run.h"

/* What the executions' processes did, in memory they share with the test. */
struct seen {
	pid_t pids[16];   /* each process that set up a domain, in order */
	int npids;
	int setups;       /* domains set up, over every process */
	int batches;      /* timed and untimed batches run */
	int abort_in;     /* the process (1-based) whose first batch aborts; 0: none */
};

static struct seen *seen;

static void share(void)
{
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	cr_assert_neq(seen, MAP_FAILED);
	memset(seen, 0, sizeof(*seen));
}

/* The state: 1 for the second backend of a round (setups alternate: baseline, then it)
 * in every second process, which then works 1.4 times as long a call; else 0. */
static int proc_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	(void)size;
	if (seen->npids == 0 || seen->pids[seen->npids - 1] != getpid())
		if (seen->npids < 16)
			seen->pids[seen->npids++] = getpid();
	*state = (void *)(intptr_t)(seen->setups++ % 2 == 1 && seen->npids % 2 == 0);
	return ISO_OK;
}

static int proc_run(void *state, struct iso_domain *d, uint64_t iters)
{
	uint64_t spins = iters * (state ? 700 : 500);

	(void)d;
	if (seen->abort_in && seen->npids == seen->abort_in)
		abort();
	for (volatile uint64_t i = 0; i < spins; i++)
		;
	seen->batches++;
	return ISO_OK;
}

static void proc_teardown(void *state)
{
	(void)state;
}

static const struct workload by_process = { .name = "by-process", .summary = "test",
					    .default_iters = 20, .setup = proc_setup,
					    .run = proc_run, .teardown = proc_teardown };

static void run(unsigned executions, unsigned rounds, unsigned reps, struct results *r)
{
	static char e[32], rd[32], rp[32];
	char *argv[] = { "harness", "--backend=none,none#2", "--workload=call-null",
			 "--iterations=20", "--warmup=1", e, rd, rp, "--seed=11", "--quiet", NULL };

	snprintf(e, sizeof(e), "--executions=%u", executions);
	snprintf(rd, sizeof(rd), "--rounds=%u", rounds);
	snprintf(rp, sizeof(rp), "--repetitions=%u", reps);
	harness_measure(10, argv, &by_process, r);
}

/* Three executions of two rounds of four: each in a process of its own, not the
 * harness's, one after another; each row pools all 24 batches. */
Test(bench_executions, the_plan_is_measured_whole_in_each_fresh_process, .timeout = 60)
{
	struct results r;

	share();
	run(3, 2, 4, &r);
	cr_assert_eq(r.nfailed, 0, "%s", r.nfailed ? r.failed[0].what : "");
	cr_assert_eq(seen->npids, 3, "%d processes set up domains", seen->npids);
	for (int i = 0; i < 3; i++) {
		cr_assert_neq(seen->pids[i], getpid(), "execution %d ran in the harness", i + 1);
		for (int j = 0; j < i; j++)
			cr_assert_neq(seen->pids[i], seen->pids[j]);
	}
	cr_assert_eq(seen->setups, 3 * 2 * 2, "fresh domains each round of each execution");
	cr_assert_eq(seen->batches, 3 * 2 * 2 * (4 + 1), "%d batches", seen->batches);
	cr_assert_eq(r.nrows, 2);
	for (size_t i = 0; i < r.nrows; i++) {
		cr_assert_eq(r.rows[i].repetitions, 3 * 2 * 4, "%s: %u batches", r.rows[i].backend,
			     r.rows[i].repetitions);
		cr_assert_eq(r.rows[i].iterations, 20);
	}
	free(r.rows);
}

/* The second backend is 1.4 times slower in every second process and the same in the
 * others: the interval, resampling processes, holds both (one process's rounds cannot
 * see it; that was the run-to-run disagreement). */
Test(bench_executions, the_interval_holds_what_differs_between_processes, .timeout = 60)
{
	struct results r;
	const struct row *x;

	share();
	run(4, 1, 7, &r);
	cr_assert_eq(r.nfailed, 0, "%s", r.nfailed ? r.failed[0].what : "");
	cr_assert_eq(r.nrows, 2);
	x = &r.rows[1];
	cr_assert_str_eq(x->backend, "none#2");
	cr_assert(x->ratio.lo < 1.15 && x->ratio.hi > 1.25,
		  "ratio %.3f (%.3f-%.3f) does not hold both processes' 1.0 and 1.4",
		  x->ratio.est, x->ratio.lo, x->ratio.hi);
	free(r.rows);
}

/* An execution that dies is a failure of the run, and the rows it did not finish are
 * left out rather than drawn from the other executions alone; the others still run
 * (rows it did finish keep their rows). */
Test(bench_executions, an_execution_that_dies_is_a_failure, .timeout = 60)
{
	struct results r;
	bool said = false;

	share();
	seen->abort_in = 2;
	run(3, 1, 3, &r);
	cr_assert_eq(r.nrows, 0, "%zu rows from a run missing an execution", r.nrows);
	for (size_t i = 0; i < r.nfailed; i++)
		said |= strstr(r.failed[i].what, "an execution ended early (signal 6)") != NULL;
	cr_assert(said, "%zu failures, none says the execution died", r.nfailed);
	cr_assert_eq(seen->npids, 3, "%d executions ran", seen->npids);
}

Test(bench_executions, a_count_from_1_to_99)
{
	static struct config c;
	char *zero[] = { "harness", "--executions=0", NULL };
	char *many[] = { "harness", "--executions=100", NULL };
	char *word[] = { "harness", "--executions=three", NULL };
	char *ok[] = { "harness", "--executions=5", NULL };

	optind = 0;
	cr_assert_eq(cli_parse(2, zero, &c), 2);
	optind = 0;
	cr_assert_eq(cli_parse(2, many, &c), 2);
	optind = 0;
	cr_assert_eq(cli_parse(2, word, &c), 2);
	optind = 0;
	cr_assert_eq(cli_parse(2, ok, &c), 0);
	cr_assert_eq(c.executions, 5);
	optind = 0;
	cr_assert_eq(cli_parse(1, ok, &c), 0);
	cr_assert_eq(c.executions, 1, "one execution unless asked");
}
