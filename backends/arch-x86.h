/* arch-x86.h: the x86-64 instructions isobench needs, behind one header. */
#ifndef ISO_ARCH_X86_H
#define ISO_ARCH_X86_H

#include <cpuid.h>
#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* CPUID.(EAX=7,ECX=0):ECX bit 3 is PKU (the CPU has it), bit 4 OSPKE (the OS enabled it). */
static inline bool cpu_has_pku(void)
{
	unsigned a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 3));
}

static inline bool cpu_has_ospke(void)
{
	unsigned a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 4));
}

/*
 * memcpy with non-temporal stores: the bytes go to memory, not into this core's
 * cache.  For a buffer another core reads next and this one rewrites after that,
 * each ordinary store would first have to take the line back from the other core's
 * cache; these do not.  Ends with SFENCE, so a later release store publishes them.
 */
static inline void copy_streaming(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;
	size_t head = (size_t)(-(uintptr_t)d & 15);

	if (head > n)
		head = n;
	memcpy(d, s, head);
	d += head, s += head, n -= head;
	for (; n >= 64; d += 64, s += 64, n -= 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(s + 48));

		_mm_stream_si128((__m128i *)d, a);
		_mm_stream_si128((__m128i *)(d + 16), b);
		_mm_stream_si128((__m128i *)(d + 32), c);
		_mm_stream_si128((__m128i *)(d + 48), e);
	}
	memcpy(d, s, n);
	_mm_sfence();
}

#endif
