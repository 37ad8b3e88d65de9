/* adopt.h: shared libraries handed to an in-process domain (iso_options.adopt): their writable data is the domain's, put back as it was after a rewind. */
#ifndef BACKENDS_ADOPT_H
#define BACKENDS_ADOPT_H

#include <stddef.h>

#include "region.h"

#define ADOPT_MAX 8

struct adopt_seg {
	char *lo;
	size_t len;
	char *snap; /* its bytes as the domain was created (trusted heap) */
};

/* One domain's adopted libraries; zeroed: none. */
struct adopt {
	struct adopt_seg seg[ADOPT_MAX];
	size_t n;
};

/* Load each of the NULL-ended sonames (NULL: none) with dlopen, as the program's
 * own, before any domain uses it: ISO_OK, or ISO_EINVAL naming the one that fails
 * or may not be adopted (libc, the dynamic loader, jemalloc, libiso). */
int adopt_load(const char *const *names);

/*
 * Make the libraries' writable data a's (each library in at most one live domain:
 * ISO_EINVAL otherwise): note where it lies, copy it as it is now, and hand each
 * range to tag(ctx, lo, len) (mpk: the domain's key).  On failure too, adopt_release
 * undoes what was done.
 */
int adopt_take(struct adopt *a, const char *const *names,
	       int (*tag)(void *ctx, char *lo, size_t len), void *ctx);

/* Put the data back as it was at adopt_take (after a rewind: trusted rights). */
void adopt_restore(const struct adopt *a);

/* At destroy: put the data back, give it key 0 again where pkey > 0 (mpk), and let
 * another domain adopt the libraries. */
void adopt_release(struct adopt *a, int pkey);

/* The adopted ranges as regions (for mprotect to hide from other domains); how many. */
size_t adopt_regions(const struct adopt *a, struct region *out, size_t max);

#endif
