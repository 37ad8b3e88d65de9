/* harness/stats.c: the harness's percentiles on inputs whose answers are known by hand, and the paired ratio's interval. */
#include <math.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"
#include "../../bench/stats.h"

/* Linear between closest ranks: rank = p/100 * (n - 1), as numpy's default. */
#define near(a, b) cr_assert_float_eq((a), (b), 1e-9, "%s = %.12g, expected %.12g", #a, (a), (b))

Test(bench_stats, odd_count)
{
	double v[] = { 5, 3, 1, 4, 2 };
	struct summary s;

	stats_summarise(v, 5, &s);
	near(s.median, 3.0);
	near(s.min, 1.0);
	near(s.max, 5.0);
	near(s.p10, 1.4);  /* rank 0.4 */
	near(s.p90, 4.6);  /* rank 3.6 */
	near(s.p99, 4.96); /* rank 3.96 */
}

Test(bench_stats, even_count_median_between_the_middle_two)
{
	double v[] = { 4, 1, 3, 2 };
	struct summary s;

	stats_summarise(v, 4, &s);
	near(s.median, 2.5); /* rank 1.5 */
	near(s.p10, 1.3);    /* rank 0.3 */
	near(s.p90, 3.7);    /* rank 2.7 */
	near(s.p99, 3.97);   /* rank 2.97 */
	near(s.min, 1.0);
	near(s.max, 4.0);
}

Test(bench_stats, one_value_is_every_percentile)
{
	double v[] = { 7.25 };
	struct summary s;

	stats_summarise(v, 1, &s);
	near(s.median, 7.25);
	near(s.p10, 7.25);
	near(s.p90, 7.25);
	near(s.p99, 7.25);
	near(s.min, 7.25);
	near(s.max, 7.25);
}

Test(bench_stats, interpolates_between_ranks)
{
	double two[] = { 10, 0 };
	double ten[] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };

	near(stats_percentile(two, 2, 25), 2.5);
	near(stats_percentile(two, 2, 50), 5.0);
	near(stats_percentile(two, 2, 0), 0.0);
	near(stats_percentile(two, 2, 100), 10.0);
	near(stats_percentile(ten, 10, 10), 0.9); /* rank 0.9 */
	near(stats_percentile(ten, 10, 90), 8.1); /* rank 8.1 */
	near(stats_median(ten, 10), 4.5);
}

Test(bench_stats, ties_and_no_values)
{
	double same[] = { 2, 2, 2, 9 };
	double none[1] = { 0 };

	near(stats_median(same, 4), 2.0);
	near(stats_percentile(same, 4, 90), 6.9); /* rank 2.7: 2 + 0.7 * 7 */
	near(stats_percentile(none, 0, 50), 0.0);
}

/* No outlier is dropped: one huge value is the max, and leaves the median alone. */
Test(bench_stats, outliers_stay)
{
	double v[101];
	struct summary s;

	for (int i = 0; i < 100; i++)
		v[i] = 100 + i % 3;
	v[100] = 1e9;
	stats_summarise(v, 101, &s);
	near(s.median, 101.0);
	near(s.max, 1e9);
	cr_assert_geq(s.p99, 102.0);
}

/* ---- the paired ratio and its interval, on synthetic batches of known ratio ---------- */

/* A normal deviate (Box-Muller) from the harness's own generator. */
static double gauss(uint64_t *s)
{
	double u = ((double)(stats_rand(s) >> 11) + 0.5) / 9007199254740992.0;
	double v = ((double)(stats_rand(s) >> 11) + 0.5) / 9007199254740992.0;

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/*
 * Batches as the harness measures them on a drifting machine: `rounds` rounds of `per`
 * pairs; the machine's speed drifts by up to +-30 % between pairs and rounds (hitting both
 * sides of a pair alike), and each batch has 2 % noise of its own.  x is `ratio` x base.
 */
static void synth(double *base, double *x, size_t rounds, size_t per, double ratio,
		  uint64_t seed)
{
	for (size_t r = 0; r < rounds; r++) {
		double round_speed = 1 + 0.15 * gauss(&seed);

		for (size_t i = 0; i < per; i++) {
			double speed = round_speed * (1 + 0.1 * gauss(&seed));

			base[r * per + i] = 1000 * speed * (1 + 0.02 * gauss(&seed));
			x[r * per + i] = 1000 * ratio * speed * (1 + 0.02 * gauss(&seed));
		}
	}
}

/* A 5 % difference under drift of up to 30 %: found (the interval above 1), and in it. */
Test(bench_stats, paired_ratio_finds_five_percent)
{
	double base[93], x[93];
	struct stats_interval ci;
	int found = 0, covered = 0;

	for (uint64_t seed = 1; seed <= 100; seed++) {
		synth(base, x, 3, 31, 1.05, seed);
		cr_assert_eq(stats_paired_ratio(base, x, 93, 3, seed, &ci), 0);
		cr_assert(ci.lo <= ci.est && ci.est <= ci.hi);
		found += ci.lo > 1;
		covered += ci.lo <= 1.05 && 1.05 <= ci.hi;
	}
	cr_assert_geq(found, 95, "5 %% found in %d of 100 runs", found);
	cr_assert_geq(covered, 90, "1.05 inside the interval in %d of 100 runs", covered);
}

/* No difference: the interval holds 1 in at least 90 % of runs (95 % nominal). */
Test(bench_stats, paired_ratio_finds_no_difference_where_there_is_none)
{
	double base[93], x[93];
	struct stats_interval ci;
	int holds = 0;

	for (uint64_t seed = 1; seed <= 200; seed++) {
		synth(base, x, 3, 31, 1.0, seed * 7919);
		cr_assert_eq(stats_paired_ratio(base, x, 93, 3, seed, &ci), 0);
		holds += ci.lo <= 1 && 1 <= ci.hi;
	}
	cr_assert_geq(holds, 180, "the interval held 1 in %d of 200 runs", holds);
}

/* A batch timed at zero or less (the timer's cost subtracted from a tiny call) leaves its
 * pair out, not the whole row without a ratio. */
Test(bench_stats, paired_ratio_leaves_out_batches_without_a_time)
{
	double base[6] = { 10, 0, 10, 10, -1, 10 }, x[6] = { 20, 20, 20, NAN, 20, 20 };
	struct stats_interval ci;

	cr_assert_eq(stats_paired_ratio(base, x, 6, 2, 1, &ci), 0);
	near(ci.est, 2.0);
	cr_assert(ci.lo == 2.0 && ci.hi == 2.0, "%g..%g", ci.lo, ci.hi);
	base[0] = base[2] = base[3] = base[5] = 0;
	cr_assert_eq(stats_paired_ratio(base, x, 6, 2, 1, &ci), -1, "no pair left");
}

/* Two runs' estimates: the change, with an interval wider than either's. */
Test(bench_stats, change_of_two_medians_combines_their_intervals)
{
	struct stats_interval a = { 100, 90, 110 }, b = { 200, 180, 220 }, c;

	stats_change(&a, &b, &c);
	near(c.est, 2.0);
	cr_assert(c.lo < 2.0 * 180 / 200 && c.hi > 2.0 * 220 / 200, "wider than either alone");
	near(c.lo * c.hi, 4.0); /* symmetric on the log scale */
}

Test(bench_stats, median_interval_of_a_constant_is_the_constant)
{
	double v[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	struct stats_interval ci;

	cr_assert_eq(stats_median_interval(v, 10, 2, 42, &ci), 0);
	near(ci.est, 5.0);
	near(ci.lo, 5.0);
	near(ci.hi, 5.0);
	cr_assert_eq(stats_median_interval(v, 0, 1, 42, &ci), -1);
}
