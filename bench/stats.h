/* stats.h: order statistics over a sample of per-call times, and bootstrap intervals of ratios. */
#ifndef HARNESS_STATS_H
#define HARNESS_STATS_H

#include <stddef.h>
#include <stdint.h>

struct summary {
	double median, p10, p90, p99, min, max;
};

/* Percentile p (0..100) of n values, linear between closest ranks; sorts v. */
double stats_percentile(double *v, size_t n, double p);
double stats_median(double *v, size_t n);
/* Every field of *s from n values (n >= 1); sorts v. */
void stats_summarise(double *v, size_t n, struct summary *s);

/* A statistic and its 95 % confidence interval. */
struct stats_interval {
	double est, lo, hi;
};

/* Resamples each interval is drawn from. */
#define STATS_RESAMPLES 2000

/* splitmix64: the next number of the sequence *state (the seed) names. */
uint64_t stats_rand(uint64_t *state);

/*
 * The ratio of x to base from paired batches: pair i is x[i] and base[i], measured in the
 * same round of batches (interleaved: close in time, so drift hits both).  n pairs, in
 * `rounds` consecutive groups of n / rounds (fresh domains each).  est is the median of the
 * pair ratios x[i] / base[i]; lo..hi the 2.5 and 97.5 percentiles of that median over
 * STATS_RESAMPLES resamples drawn as the data was: rounds with replacement, then pairs
 * with replacement within each round drawn.  A pair with a time that is not positive
 * and finite is left out (the rounds then are not told apart).  Returns 0, or -1
 * (ENOMEM, or no pair left).
 */
int stats_paired_ratio(const double *base, const double *x, size_t n, size_t rounds,
		       uint64_t seed, struct stats_interval *out);

/* The median of v (n values, in `rounds` groups as above) and its bootstrap interval. */
int stats_median_interval(const double *v, size_t n, size_t rounds, uint64_t seed,
			  struct stats_interval *out);

/*
 * The change from a to b, two independent estimates with intervals (as from the functions
 * above): est = b.est / a.est, its interval from the two on a log scale, each half-width
 * taken as 1.96 standard errors (the larger side): exp(log est -+ 1.96 sqrt(sa^2 + sb^2)).
 */
void stats_change(const struct stats_interval *a, const struct stats_interval *b,
		  struct stats_interval *out);

/* A factor as a reader takes it in: "1.04x", "12.3x", "3120x". */
void stats_factor(char *buf, size_t n, double x);
/* A ratio with its interval: "1.04x (1.02-1.06)", or "~1x (no difference; 0.97-1.03)"
 * when the interval holds 1; "-" when there is none (NAN). */
void stats_ratio_text(char *buf, size_t n, const struct stats_interval *r);

#endif
