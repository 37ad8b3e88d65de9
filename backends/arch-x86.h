/* arch-x86.h: the x86-64 instructions isobench needs, behind one header. */
#ifndef BACKENDS_ARCH_X86_H
#define BACKENDS_ARCH_X86_H

#include <cpuid.h>
#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

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

/* In a spin-wait loop: PAUSE, which lets the other hyperthread run and saves power. */
static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* PKRU holds two bits per protection key: AD shuts all access, WD shuts writes. */
#define PKRU_AD(key) (1u << (2 * (key)))
#define PKRU_WD(key) (2u << (2 * (key)))

/*
 * The XSAVE area (SDM vol. 1, ch. 13), as a signal frame holds it: the header's
 * XSTATE_BV, at byte 512, says which state components the area carries; PKRU is
 * component 9 (the kernel's XFEATURE_PKRU), at the offset CPUID leaf 0xD names.
 */
#define XSAVE_XSTATE_BV 512
#define XSTATE_PKRU_BIT 9

/* The offset of PKRU in an XSAVE area: CPUID.(EAX=0xD,ECX=9):EBX; 0 if it gives none. */
static inline unsigned cpu_xsave_pkru_offset(void)
{
	unsigned a, b, c, d;

	return __get_cpuid_count(0xd, XSTATE_PKRU_BIT, &a, &b, &c, &d) ? b : 0;
}

/*
 * Does the signal frame of uc carry PKRU, i.e. has the kernel enabled protection keys
 * (so RDPKRU and WRPKRU work)?  The frame's FXSAVE area ends with the kernel's
 * software bytes (from byte 464: magic, size, the XSAVE features the frame holds).
 * Read off the frame, not from memory a domain could write.
 */
#define FXSAVE_SW_BYTES 464
#define FP_XSTATE_MAGIC 0x46505853u

static inline bool xsave_frame_has_pkru(const void *ucv)
{
	const ucontext_t *uc = ucv;
	const char *fp = (const char *)uc->uc_mcontext.fpregs;

	return fp && *(const uint32_t *)(fp + FXSAVE_SW_BYTES) == FP_XSTATE_MAGIC &&
	       (*(const uint64_t *)(fp + FXSAVE_SW_BYTES + 8) >> XSTATE_PKRU_BIT & 1);
}

/* Store pkru in the XSAVE area at xsave (PKRU at offset), marked as present. */
static inline void xsave_set_pkru(char *xsave, unsigned offset, uint32_t pkru)
{
	*(uint64_t *)(xsave + XSAVE_XSTATE_BV) |= 1u << XSTATE_PKRU_BIT;
	*(uint32_t *)(xsave + offset) = pkru;
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
