/* trusted_heap.c: the trusted heap, which a backend can protect as a whole, and iso_trim. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "heap.h"
#include "iso.h"
#include "reason.h"
#include "route.h"
#include "trusted_heap.h"

#define PAGE 4096u
#define THEAP_SIZE ((size_t)16 << 30)

static struct heap theap;
static int theap_err = ISO_ENOTSUP;
static char theap_why[160] = "the trusted heap was not set up";
static pthread_once_t theap_once = PTHREAD_ONCE_INIT;

/*
 * The trusted heap is an arena of its own over one reserved range, so a backend can
 * protect it as a whole.  malloc.c sends every allocation made outside a domain
 * there, from the program's very first one on (that call sets it up).
 *
 * The range is aligned to 2 MiB and asks for transparent huge pages: mprotect then
 * changes one entry per 2 MiB instead of 512, and a TLB flushed by a switch refills
 * 512 times faster.  Where THP is off (`never`), the advice changes nothing.
 */
static void theap_init(void)
{
	char *raw = mmap(NULL, THEAP_SIZE + HEAP_HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (raw == MAP_FAILED) {
		snprintf(theap_why, sizeof(theap_why), "reserving the trusted heap: %s",
			 strerror(errno));
		return;
	}
	p = heap_huge_up(raw);
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + THEAP_SIZE, (size_t)(raw + HEAP_HUGE - p));
	madvise(p, THEAP_SIZE, MADV_HUGEPAGE);
	theap_err = heap_init(&theap, p, THEAP_SIZE, NULL, false, true);
	if (theap_err) {
		snprintf(theap_why, sizeof(theap_why), "%s", iso_reason());
		munmap(p, THEAP_SIZE);
	}
}

int trusted_heap_arena(void)
{
	pthread_once(&theap_once, theap_init);
	return theap_err ? -1 : (int)theap.arena;
}

/* Without malloc.c (AddressSanitizer builds) nothing sets the trusted heap up. */
__attribute__((constructor)) static void theap_check(void)
{
#if defined(__SANITIZE_ADDRESS__)
	snprintf(theap_why, sizeof(theap_why),
		 "built with AddressSanitizer, which owns malloc: no trusted heap");
#else
	trusted_heap_arena();
#endif
}

int trusted_heap_probe(void)
{
	return theap_err ? reason_set(theap_err, "%s", theap_why) : ISO_OK;
}

struct region trusted_heap_used(void)
{
	/* Whole huge pages: protecting part of one would split it.  (base is aligned.) */
	size_t used = (size_t)(heap_huge_up(heap_top(&theap)) - theap.base);

	return region_rw(theap.base, used < THEAP_SIZE ? used : THEAP_SIZE);
}

void trusted_heap_limit(size_t bytes)
{
	if (!theap_err)
		heap_limit(&theap, bytes);
}

struct region trusted_heap_range(void)
{
	return region_rw(theap.base, theap.base ? (size_t)(theap.end - theap.base) : 0);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

/*
 * Unused pages go back, and what is left is made whole huge pages again: a fork (a
 * process domain) leaves the heap copy-on-write, and each write after it splits a
 * huge page.  Best effort: an older kernel or a failed collapse changes nothing.
 */
void iso_trim(void)
{
	static unsigned char resident[HEAP_HUGE / PAGE];
	static pthread_mutex_t trim_lock = PTHREAD_MUTEX_INITIALIZER;
	char *end;

	if (theap_err || route_thread.heap)
		return; /* from inside a domain the trusted heap is not to be touched */
	heap_purge(&theap);
	end = heap_huge_down(heap_top(&theap));
	pthread_mutex_lock(&trim_lock);
	for (char *p = theap.base; p < end; p += HEAP_HUGE) {
		/* The kernel collapses only a range with a writable entry, and after a
		 * fork none is until written: add 0 to a resident word (atomically, so
		 * that nothing another thread writes is lost). */
		if (mincore(p, HEAP_HUGE, resident))
			continue;
		for (size_t i = 0; i < HEAP_HUGE / PAGE; i++)
			if (resident[i] & 1) {
				atomic_fetch_add((_Atomic long *)(p + i * PAGE), 0);
				madvise(p, HEAP_HUGE, MADV_COLLAPSE);
				break;
			}
	}
	pthread_mutex_unlock(&trim_lock);
}
