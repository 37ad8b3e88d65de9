/* scan.c: WRPKRU and XRSTOR in the program's executable memory, at every byte offset (ERIM's scan), made UD2 outside the gate. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gate.h"
#include "iso.h"
#include "reason.h"
#include "scan.h"

#define PAGE 4096ul
#define SCAN_MAX 512 /* mappings remembered as scanned */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* In the trusted heap (scan_exec runs outside domains): 8 KiB in the program's data
 * would be pages more for every mprotect switch to flush. */
static struct scan_span { uintptr_t lo, hi; } *scanned;
static size_t nscanned;

/* Does an instruction that can set PKRU start at p (with n bytes readable)?  xrstor:
 * XRSTOR and XRSTORS count too. */
static bool sets_pkru(const unsigned char *p, size_t n, bool xrstor)
{
	if (n < 3 || p[0] != 0x0f)
		return false;
	if (p[1] == 0x01 && p[2] == 0xef)
		return true;                                       /* WRPKRU */
	if (!xrstor || (p[2] & 0xc0) == 0xc0)
		return false;                                      /* register forms: others */
	return (p[1] == 0xae && (p[2] & 0x38) == 0x28) ||         /* XRSTOR */
	       (p[1] == 0xc7 && (p[2] & 0x38) == 0x18);          /* XRSTORS */
}

static bool in_gate(const unsigned char *p)
{
	return (const char *)p >= gate_text_start && (const char *)p < gate_text_end;
}

/* The page at pg with a UD2 at off (it may run into the next page: then both). */
static int patch(unsigned char *pg, size_t off)
{
	size_t len = off + 2 > PAGE ? 2 * PAGE : PAGE;
	unsigned char *copy = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);

	if (copy == MAP_FAILED)
		return reason_sys("mmap");
	memcpy(copy, pg, len);
	copy[off] = 0x0f;
	copy[off + 1] = 0x0b;
	if (mprotect(copy, len, PROT_READ | PROT_EXEC) ||
	    mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, pg) == MAP_FAILED) {
		int e = errno;

		munmap(copy, len);
		errno = e;
		return reason_sys("remapping a page with WRPKRU or XRSTOR");
	}
	return ISO_OK;
}

static int scan_range(unsigned char *lo, unsigned char *hi, bool xrstor, size_t *patched)
{
	for (unsigned char *p = lo; p + 3 <= hi; p++) {
		int err;

		if (!sets_pkru(p, (size_t)(hi - p), xrstor) || in_gate(p))
			continue;
		err = patch((unsigned char *)((uintptr_t)p & ~(PAGE - 1)), (uintptr_t)p & (PAGE - 1));
		if (err)
			return err;
		++*patched;
	}
	return ISO_OK;
}

static bool seen(uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < nscanned; i++)
		if (scanned[i].lo == lo && scanned[i].hi == hi)
			return true;
	return false;
}

int scan_exec(size_t *patched)
{
	char line[512];
	FILE *maps;
	int err = ISO_OK;

	*patched = 0;
	pthread_mutex_lock(&lock);
	if (!scanned && !(scanned = calloc(SCAN_MAX, sizeof(*scanned)))) {
		pthread_mutex_unlock(&lock);
		return reason_set(ISO_ENOMEM, "no memory for the scanned mappings");
	}
	maps = fopen("/proc/self/maps", "re");
	if (!maps) {
		pthread_mutex_unlock(&lock);
		return reason_sys("/proc/self/maps");
	}
	while (!err && fgets(line, sizeof(line), maps)) {
		uintptr_t lo, hi;
		char perm[5];

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &lo, &hi, perm) != 3)
			continue;
		/* Readable and executable; [vsyscall] (execute-only) holds neither. */
		if (perm[0] != 'r' || perm[2] != 'x' || seen(lo, hi))
			continue;
		/* The dynamic linker's XRSTOR restores what its lazy-binding trampoline
		 * saved, for every library not linked -z now: it stays (README). */
		err = scan_range((unsigned char *)lo, (unsigned char *)hi,
				 !strstr(line, "/ld-linux"), patched);
		if (!err && nscanned < SCAN_MAX) {
			scanned[nscanned].lo = lo;
			scanned[nscanned++].hi = hi;
		}
	}
	fclose(maps);
	pthread_mutex_unlock(&lock);
	return err;
}
