/* stats.c: percentiles by linear interpolation between closest ranks (no outlier removal). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- bootstrap intervals ------------------------------------------------------------- */

uint64_t stats_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t below(uint64_t *state, size_t n)
{
	return (size_t)(stats_rand(state) % n);
}

/*
 * The median of v and its percentile-bootstrap interval: each resample draws `rounds`
 * rounds with replacement and, from each, as many values as it has with replacement.
 * Rounds are the groups of n / rounds consecutive values (the last takes the rest).
 */
static int bootstrap_median(const double *v, size_t n, size_t rounds, uint64_t seed,
			    struct stats_interval *out)
{
	size_t per, k = 0;
	double *draw, *meds;

	if (n == 0)
		return -1;
	if (rounds == 0 || rounds > n)
		rounds = 1;
	per = n / rounds;
	draw = malloc((n + STATS_RESAMPLES) * sizeof(*draw));
	if (!draw)
		return -1;
	meds = draw + n;
	for (size_t i = 0; i < n; i++)
		draw[i] = v[i];
	out->est = stats_median(draw, n);
	for (int b = 0; b < STATS_RESAMPLES; b++) {
		k = 0;
		for (size_t r = 0; r < rounds; r++) {
			size_t round = below(&seed, rounds), first = round * per;
			size_t len = round == rounds - 1 ? n - first : per;

			for (size_t i = 0; i < len && k < n; i++)
				draw[k++] = v[first + below(&seed, len)];
		}
		meds[b] = stats_median(draw, k);
	}
	qsort(meds, STATS_RESAMPLES, sizeof(*meds), cmp_double);
	out->lo = sorted_percentile(meds, STATS_RESAMPLES, 2.5);
	out->hi = sorted_percentile(meds, STATS_RESAMPLES, 97.5);
	free(draw);
	return 0;
}

int stats_median_interval(const double *v, size_t n, size_t rounds, uint64_t seed,
			  struct stats_interval *out)
{
	return bootstrap_median(v, n, rounds, seed, out);
}

int stats_paired_ratio(const double *base, const double *x, size_t n, size_t rounds,
		       uint64_t seed, struct stats_interval *out)
{
	double *ratios = n ? malloc(n * sizeof(*ratios)) : NULL;
	int err;

	if (!ratios)
		return -1;
	/* A batch whose time is not positive (the timer's own cost subtracted from a few
	 * nanoseconds) says nothing about the ratio: its pair is left out. */
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (base[i] > 0 && x[i] > 0 && isfinite(base[i]) && isfinite(x[i]))
			ratios[k++] = x[i] / base[i];
	err = bootstrap_median(ratios, k, k < n ? 1 : rounds, seed, out);
	free(ratios);
	return err;
}

void stats_change(const struct stats_interval *a, const struct stats_interval *b,
		  struct stats_interval *out)
{
	/* Standard errors on the log scale from each interval's wider side. */
	double sa = fmax(log(a->est / a->lo), log(a->hi / a->est)) / 1.96;
	double sb = fmax(log(b->est / b->lo), log(b->hi / b->est)) / 1.96;
	double half = 1.96 * sqrt(sa * sa + sb * sb);

	out->est = b->est / a->est;
	out->lo = out->est * exp(-half);
	out->hi = out->est * exp(half);
}

/* ---- how a ratio is written ---------------------------------------------------------- */

static void digits(char *buf, size_t n, double x)
{
	snprintf(buf, n, x < 9.995 ? "%.2f" : x < 99.95 ? "%.1f" : "%.0f", x);
}

void stats_factor(char *buf, size_t n, double x)
{
	size_t len;

	digits(buf, n, x);
	len = strlen(buf);
	if (len + 1 < n)
		snprintf(buf + len, n - len, "x");
}

void stats_ratio_text(char *buf, size_t n, const struct stats_interval *r)
{
	char est[32], lo[32], hi[32];

	if (isnan(r->est) || isnan(r->lo) || isnan(r->hi)) {
		snprintf(buf, n, "-");
		return;
	}
	stats_factor(est, sizeof(est), r->est);
	digits(lo, sizeof(lo), r->lo);
	digits(hi, sizeof(hi), r->hi);
	if (r->lo <= 1 && 1 <= r->hi)
		snprintf(buf, n, "~1x (no difference; %s-%s)", lo, hi);
	else
		snprintf(buf, n, "%s (%s-%s)", est, lo, hi);
}
