/* region.h: a range of memory and its protections, normally and while a domain runs. */
#ifndef BACKENDS_REGION_H
#define BACKENDS_REGION_H

#include <stddef.h>
#include <sys/mman.h>

struct region {
	char *lo;
	size_t len;
	int prot;   /* normally */
	int inside; /* mprotect: while a domain runs */
};

/* A region that is read-write when no domain runs. */
static inline struct region region_rw(void *lo, size_t len)
{
	return (struct region){ .lo = lo, .len = len, .prot = PROT_READ | PROT_WRITE };
}

#endif
