/* tsc.c: find the TSC's rate (CPUID leaf 0x15, else against CLOCK_MONOTONIC) and its read cost. */
#include <cpuid.h>
#include <stdlib.h>
#include <time.h>

#include "stats.h"
#include "tsc.h"

static double cpuid_ghz(void)
{
	unsigned denom, numer, crystal_hz, d;

	/* Leaf 0x15: TSC = crystal * EBX / EAX; VMs often leave it zero. */
	if (__get_cpuid_max(0, NULL) < 0x15)
		return 0;
	__cpuid(0x15, denom, numer, crystal_hz, d);
	if (!denom || !numer || !crystal_hz)
		return 0;
	return (double)crystal_hz * numer / denom / 1e9;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double calibrate_ghz(void)
{
	double best[3];

	/* Three 15 ms windows; the median shrugs off one preempted window. */
	for (int i = 0; i < 3; i++) {
		int64_t n0 = mono_ns(), n1;
		uint64_t t0 = tsc_begin(), t1;

		do
			n1 = mono_ns();
		while (n1 - n0 < 15000000);
		t1 = tsc_end();
		best[i] = (double)(t1 - t0) / (double)(n1 - n0);
	}
	return stats_median(best, 3);
}

void tsc_init(struct tsc_info *t)
{
	enum { N = 1001 };
	double *s = malloc(N * sizeof(*s));

	t->ghz = cpuid_ghz();
	t->source = "cpuid";
	if (t->ghz <= 0) {
		t->ghz = calibrate_ghz();
		t->source = "calibrated";
	}
	t->overhead_ticks = 0;
	if (!s)
		return;
	for (int i = 0; i < N; i++) {
		uint64_t a = tsc_begin();

		s[i] = (double)(tsc_end() - a);
	}
	t->overhead_ticks = stats_median(s, N);
	free(s);
}
