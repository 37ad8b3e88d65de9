/* wl_util.h: what the data-carrying workloads share: deterministic inputs and the test hook that fakes a wrong result. */
#ifndef WORKLOADS_WL_UTIL_H
#define WORKLOADS_WL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Test hook (tests/workloads/verify.c): 0 in every real run.  When k > 0 the domain function
 * flips the low bit of byte (k - 1) mod n of the n-byte result it produced (or of its
 * return value), so a test can check that the trusted side's verification catches a
 * lying domain.  The domain only reads it; a process domain's child sees the value as
 * of its fork, so a test sets it before creating the domain.
 */
extern long wl_tamper;

static inline void wl_tamper_bytes(void *p, size_t n)
{
	if (wl_tamper > 0 && n)
		((unsigned char *)p)[(size_t)(wl_tamper - 1) % n] ^= 1;
}

static inline long wl_tamper_long(long v)
{
	return wl_tamper > 0 ? v ^ 1 : v;
}

/* xorshift64: the same bytes every run, on every machine, without libc's rand(). */
static inline uint64_t wl_rand(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

/* Incompressible, deterministic bytes. */
static inline void wl_fill_random(void *p, size_t n, uint64_t seed)
{
	unsigned char *c = p;
	uint64_t x = seed | 1;

	while (n) {
		uint64_t v = wl_rand(&x);
		size_t k = n < 8 ? n : 8;

		for (size_t i = 0; i < k; i++, v >>= 8)
			*c++ = (unsigned char)v;
		n -= k;
	}
}

/* Text-like, compressible (about 3.4:1 under snappy at 1 MiB): words of a small vocabulary. */
static inline void wl_fill_text(void *p, size_t n, uint64_t seed)
{
	static const char *const words[] = { "isolation ", "domain ", "snappy ", "key ",
					     "protection ", "memory ", "call ", "gate ",
					     "heap ", "stack ", "trusted ", "the ", "a ", "\n" };
	unsigned char *c = p;
	uint64_t x = seed | 1;
	size_t i = 0;

	while (i < n) {
		const char *w = words[wl_rand(&x) % (sizeof(words) / sizeof(words[0]))];

		for (; *w && i < n; w++)
			c[i++] = (unsigned char)*w;
	}
}

/* ---- png.c's generator, for its test ---------------------------------------------- */

#define WL_PNG_IMAGES 4
/* The nominal PNG file sizes (5.5, 64, 380 and 895 KiB): png-decode's default sweep. */
extern const size_t wl_png_sizes[WL_PNG_IMAGES + 1];
/* Encode image i (0..3) afresh into a malloc'd PNG; ISO_OK or ISO_ENOMEM/ISO_EINVAL. */
int wl_png_generate(unsigned i, unsigned char **png, size_t *len);

#endif
