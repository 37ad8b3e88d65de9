/* stats.c: percentiles by linear interpolation between closest ranks (no outlier removal). */
#include <stdlib.h>

#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double sorted_percentile(const double *v, size_t n, double p)
{
	double rank = p / 100.0 * (double)(n - 1);
	size_t lo = (size_t)rank;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (rank - (double)lo) * (v[lo + 1] - v[lo]);
}

double stats_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return sorted_percentile(v, n, p);
}

double stats_median(double *v, size_t n)
{
	return stats_percentile(v, n, 50);
}

void stats_summarise(double *v, size_t n, struct summary *s)
{
	qsort(v, n, sizeof(*v), cmp_double);
	s->min = v[0];
	s->max = v[n - 1];
	s->p10 = sorted_percentile(v, n, 10);
	s->median = sorted_percentile(v, n, 50);
	s->p90 = sorted_percentile(v, n, 90);
	s->p99 = sorted_percentile(v, n, 99);
}
