/* arch-x86.h: the x86-64 instructions isobench needs, behind one header. */
#ifndef ISO_ARCH_X86_H
#define ISO_ARCH_X86_H

#include <cpuid.h>
#include <stdbool.h>

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

#endif
