/* harness/interleave.c: a row's backends are measured batch by batch in a shuffled order, every round, and paired to the baseline. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"
#include "../support/harness_run.h"

/* A workload that logs which domain each timed batch ran on (its state is its domain's
 * index, in order of setup). */
#define LOG_MAX 4096
static int batch_log[LOG_MAX];
static size_t nlog;
static int nstates;
static bool logging;

static int log_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	(void)size;
	*state = (void *)(intptr_t)nstates++;
	return ISO_OK;
}

static int log_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)d;
	/* A microsecond or so of work a call: well above the timer's own cost, which is
	 * subtracted, so that every batch has a time and every row a ratio. */
	for (volatile uint64_t i = 0; i < iters * 500; i++)
		;
	if (logging && nlog < LOG_MAX)
		batch_log[nlog++] = (int)(intptr_t)state;
	return ISO_OK;
}

static void log_teardown(void *state)
{
	(void)state;
}

static const struct workload logged = { .name = "logged", .summary = "test", .default_size = 0,
					.default_iters = 1, .setup = log_setup, .run = log_run,
					.teardown = log_teardown };

static void run(const char *backends, unsigned reps, unsigned rounds, struct results *r)
{
	static char b[64], rp[32], rd[32]; /* --baseline's name points into argv */
	char *argv[] = { "harness", b, "--workload=call-null", "--iterations=1", "--warmup=0", rp,
			 rd, "--seed=7", "--quiet", NULL };

	snprintf(b, sizeof(b), "--backend=%s", backends);
	snprintf(rp, sizeof(rp), "--repetitions=%u", reps);
	snprintf(rd, sizeof(rd), "--rounds=%u", rounds);
	nlog = 0;
	nstates = 0;
	logging = true;
	harness_measure(9, argv, &logged, r);
	logging = false;
	cr_assert_eq(r->nfailed, 0, "%s", r->nfailed ? r->failed[0].what : "");
}

/* Each repetition runs one batch of every backend (the domains of a round open together),
 * and the order changes from one repetition to the next. */
Test(bench_interleave, one_batch_of_each_backend_per_repetition_in_shuffled_order)
{
	struct results r;
	unsigned reps = 20, rounds = 2, orders = 0;

	run("none,none#2,none#3", reps, rounds, &r);
	cr_assert_eq(r.nrows, 3);
	cr_assert_eq(nlog, (size_t)3 * reps * rounds, "%zu batches", nlog);
	cr_assert_eq(nstates, 3 * (int)rounds, "fresh domains each round");
	for (size_t i = 0; i < nlog; i += 3) {
		int seen[3] = { 0 }, base = (int)(i / (3 * reps)) * 3;

		for (size_t k = 0; k < 3; k++) {
			int s = batch_log[i + k] - base;

			cr_assert(s >= 0 && s < 3, "batch %zu from another round's domain", i + k);
			seen[s]++;
		}
		cr_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1,
			  "repetition %zu: not one batch of each backend", i / 3);
		orders |= 1u << ((batch_log[i] - base) * 3 + (batch_log[i + 1] - base));
	}
	cr_assert_geq(__builtin_popcount(orders), 4, "the order hardly varies");
	free(r.rows);
}

/* Every row has a ratio to the baseline with its interval; the baseline's own is none. */
Test(bench_interleave, every_row_has_a_ratio_and_interval_to_the_baseline)
{
	struct results r;

	run("none#2,none", 9, 1, &r);
	cr_assert_eq(r.nrows, 2);
	for (size_t i = 0; i < r.nrows; i++) {
		const struct row *w = &r.rows[i];

		cr_assert(!isnan(w->ratio.est), "%s has no ratio", w->backend);
		cr_assert(w->ratio.lo <= w->ratio.est && w->ratio.est <= w->ratio.hi);
		cr_assert(!isnan(w->cpu_ns) && w->cpu_ns >= 0);
		if (strcmp(w->backend, "none") == 0)
			cr_assert_float_eq(w->ratio.est, 1.0, 1e-12);
	}
	free(r.rows);
}

/* References (no domain, backend "ref") are measured alone, beside the interleaved rows,
 * and have no ratio. */
Test(bench_interleave, references_are_rows_of_their_own)
{
	char *argv[] = { "harness", "--backend=none", "--workload=call-null", "--refs",
			 "--iterations=1", "--repetitions=2", "--warmup=0", "--quiet", NULL };
	static struct config c;
	struct results r = { .rows = NULL };
	size_t refs = 0;

	optind = 0;
	cr_assert_eq(cli_parse(8, argv, &c), 0);
	tsc_init(&r.tsc);
	measure_all(&c, &r);
	cr_assert_eq(r.nfailed, 0, "%s", r.nfailed ? r.failed[0].what : "");
	for (size_t i = 0; i < r.nrows; i++)
		if (strcmp(r.rows[i].backend, "ref") == 0) {
			refs++;
			cr_assert(isnan(r.rows[i].ratio.est));
		}
	cr_assert_geq(refs, 5, "%zu reference rows", refs);
	free(r.rows);
}
