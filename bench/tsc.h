/* tsc.h: serialised time-stamp counter reads, and the counter's rate and cost. */
#ifndef HARNESS_TSC_H
#define HARNESS_TSC_H

#include <stdint.h>
#include <x86intrin.h>

/* lfence keeps earlier instructions from drifting past the first read... */
static inline uint64_t tsc_begin(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

/* ...and rdtscp waits for the measured code; lfence keeps later code after it. */
static inline uint64_t tsc_end(void)
{
	unsigned aux;
	uint64_t t = __rdtscp(&aux);

	_mm_lfence();
	return t;
}

struct tsc_info {
	double ghz;           /* ticks per nanosecond */
	const char *source;   /* "cpuid" or "calibrated" */
	double overhead_ticks; /* cost of an empty tsc_begin..tsc_end pair (median) */
};

/* Fill *t; takes about 50 ms (calibration against CLOCK_MONOTONIC). */
void tsc_init(struct tsc_info *t);

#endif
