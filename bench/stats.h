/* stats.h: order statistics over a sample of per-call times. */
#ifndef HARNESS_STATS_H
#define HARNESS_STATS_H

#include <stddef.h>

struct summary {
	double median, p10, p90, p99, min, max;
};

/* Percentile p (0..100) of n values, linear between closest ranks; sorts v. */
double stats_percentile(double *v, size_t n, double p);
double stats_median(double *v, size_t n);
/* Every field of *s from n values (n >= 1); sorts v. */
void stats_summarise(double *v, size_t n, struct summary *s);

#endif
