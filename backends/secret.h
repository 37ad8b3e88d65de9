/* secret.h: the ranges iso_secret marks, for the backends that keep them from domains. */
#ifndef BACKENDS_SECRET_H
#define BACKENDS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "region.h"

/* The secret ranges now; returns how many it wrote (at most max). */
size_t secret_ranges(struct region *out, size_t max);
/* Changes whenever a secret is added: a process child forked before must go. */
unsigned secret_gen(void);
/*
 * mpk: from now on tag(r, true) runs for each range added and tag(r, false) for each
 * one dropped, the caller's failure iso_secret's.  It runs at once for the ranges
 * there are; on its first failure it is not kept, and that error is returned.
 */
int secret_set_tagger(int (*tag)(const struct region *r, bool add));

#endif
