/* addrspace.c: address-space discovery: the program's writable data, the trusted heap's regions, each thread's stack. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>

#include "addrspace.h"
#include "trusted_heap.h"

#define PAGE 4096u

extern char __start_unprotected[], __stop_unprotected[];

/* The program's data, and libiso.so's when libiso is a shared library (its state is as
 * much the trusted side's as the program's): each object's writable segment less RELRO. */
static struct region prog[3];   /* less the unprotected page (mpk) */
static size_t nprog;
static struct region prog_all[2]; /* the unprotected page too (mprotect) */
static size_t nprog_all;
static bool lazy;               /* the program's GOT is bound lazily */

/* PLT relocations without DF_BIND_NOW / DF_1_NOW: the dynamic linker writes the
 * program's GOT at each function's first call, which a domain cannot (read-only). */
static bool lazily_bound(const struct dl_phdr_info *info)
{
	const char *env = getenv("LD_BIND_NOW");
	bool plt = false, now = env && *env;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_DYNAMIC)
			continue;
		for (const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		     dyn->d_tag != DT_NULL; dyn++) {
			plt |= dyn->d_tag == DT_JMPREL;
			now |= dyn->d_tag == DT_BIND_NOW ||
			       (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_BIND_NOW)) ||
			       (dyn->d_tag == DT_FLAGS_1 && (dyn->d_un.d_val & DF_1_NOW));
		}
	}
	return plt && !now;
}

static char *page_down(const void *p)
{
	return (char *)((uintptr_t)p & ~(uintptr_t)(PAGE - 1));
}

static char *page_up(const void *p)
{
	return page_down((const char *)p + PAGE - 1);
}

/* Whether one of the object's segments holds p. */
static bool holds(const struct dl_phdr_info *info, const void *p)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *start = (const char *)info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (const char *)p >= start &&
		    (const char *)p < start + ph->p_memsz)
			return true;
	}
	return false;
}

struct region addrspace_data(const struct dl_phdr_info *info)
{
	char *relro_end = NULL, *lo = NULL, *hi = NULL;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		char *start = (char *)info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_GNU_RELRO)
			relro_end = page_down(start + ph->p_memsz);
		else if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && !lo) {
			lo = page_down(start);
			hi = page_up(start + ph->p_memsz);
		}
	}
	if (relro_end > lo && relro_end <= hi)
		lo = relro_end;
	return lo && hi > lo ? region_rw(lo, (size_t)(hi - lo)) : (struct region){ 0 };
}

/* One object's writable segment, less RELRO (read-only already) and the unprotected
 * section. */
static void add_object(const struct dl_phdr_info *info)
{
	struct region data = addrspace_data(info);
	char *lo = data.lo, *hi = data.lo + data.len;

	if (data.len)
		prog_all[nprog_all++] = data;
	if (lo && __start_unprotected >= lo && __stop_unprotected <= hi) {
		if (__start_unprotected > lo)
			prog[nprog++] = region_rw(lo, (size_t)(__start_unprotected - lo));
		lo = page_up(__stop_unprotected);
	}
	if (lo && hi > lo)
		prog[nprog++] = region_rw(lo, (size_t)(hi - lo));
}

/* The first object is the program; the one holding this file's data is libiso (the
 * program again when libiso.a is linked in, where the walk stops at once). */
static int find_program(struct dl_phdr_info *info, size_t size, void *arg)
{
	bool *first = arg, own = holds(info, &nprog);

	(void)size;
	if (*first)
		lazy = lazily_bound(info);
	if (*first || own)
		add_object(info);
	*first = false;
	return own;
}

void addrspace_find_program(void)
{
	bool first = true;

	nprog = nprog_all = 0;
	dl_iterate_phdr(find_program, &first);
}

size_t addrspace_trusted(const struct region *stack, struct region *out, size_t max)
{
	struct region heap = trusted_heap_used();
	size_t n = 0;

	/* The objects' data whole: the unprotected page is only read inside a domain. */
	for (size_t i = 0; i < nprog_all && n < max; i++)
		out[n++] = prog_all[i];
	if (n < max && heap.len)
		out[n++] = heap;
	if (n < max && stack->len)
		out[n++] = *stack;
	return n;
}

struct region addrspace_unprotected(void)
{
	if ((uintptr_t)__stop_unprotected <= (uintptr_t)__start_unprotected)
		return (struct region){ 0 };
	return region_rw(__start_unprotected, (size_t)(__stop_unprotected - __start_unprotected));
}

bool addrspace_lazy(void)
{
	return lazy;
}

struct region addrspace_program(void)
{
	return nprog_all ? prog_all[0] : (struct region){ 0 };
}

size_t addrspace_static(struct region *out, size_t max)
{
	struct region heap = trusted_heap_range();
	size_t n = 0;

	for (size_t i = 0; i < nprog && n < max; i++)
		out[n++] = prog[i];
	if (n < max && heap.len)
		out[n++] = heap;
	return n;
}

/* The mapping that holds `addr`. */
static void mapping_at(const void *addr, struct region *r)
{
	char line[256];
	uintptr_t at = (uintptr_t)addr, lo, hi;
	FILE *f = fopen("/proc/self/maps", "re");

	*r = (struct region){ 0 };
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= at && at < hi) {
			*r = region_rw((char *)lo, hi - lo);
			break;
		}
	if (f)
		fclose(f);
}

/*
 * A thread made by pthread_create has its TLS block and thread descriptor at the top
 * of its stack's mapping; the main thread's are elsewhere.  Told by where the thread
 * pointer lies, not by the thread's id: the thread that forks a child is the child's
 * main thread, on the stack it had.
 */
void addrspace_stack(struct region *r)
{
	void (*info)(size_t *, size_t *);
	size_t size = 0, align = 0;
	char probe, *tp = __builtin_thread_pointer(), *tls;

	mapping_at(&probe, r);
	if (!r->len || tp < r->lo || tp >= r->lo + r->len)
		return;
	info = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
	if (!info) {
		r->len = 0; /* cannot tell where the stack ends: leave it alone */
		return;
	}
	info(&size, &align);
	tls = page_down(tp - size);
	r->len = tls > r->lo ? (size_t)(tls - r->lo) : 0;
}

/* ld.so's mark of the top of the main thread's stack (arguments, environment, auxv
 * above it). */
extern void *__libc_stack_end;

void addrspace_main_stack(struct region *r)
{
	mapping_at(__libc_stack_end, r);
}
