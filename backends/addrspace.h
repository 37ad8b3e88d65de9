/* addrspace.h: where the trusted side's memory lies: the program's data, the trusted heap, a thread's stack. */
#ifndef BACKENDS_ADDRSPACE_H
#define BACKENDS_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "region.h"

struct dl_phdr_info;

/* A loaded object's writable data: its writable segment less RELRO, whole pages
 * (len 0: none). */
struct region addrspace_data(const struct dl_phdr_info *info);
/* Find the program's writable data (once, before the first domain). */
void addrspace_find_program(void);
/* The trusted regions while a domain runs (mprotect): the program's data, the trusted
 * heap's used part, the calling thread's stack (len 0: none).  Returns how many it
 * wrote (at most max). */
size_t addrspace_trusted(const struct region *stack, struct region *out, size_t max);
/* The unprotected page (len 0: none): what domain code uses with its own rights. */
struct region addrspace_unprotected(void);
/* Is the program bound lazily (linked without -z now, LD_BIND_NOW unset)? */
bool addrspace_lazy(void);
/* The program's writable data (len 0: not found yet). */
struct region addrspace_program(void);
/* The regions to tag once (mpk): the program's data less the unprotected page,
 * the whole trusted heap range. */
size_t addrspace_static(struct region *out, size_t max);
/* This thread's stack, less the TLS block glibc puts at the top of a thread's stack
 * (len 0 where that cannot be told). */
void addrspace_stack(struct region *r);
/* The main thread's stack mapping, whichever thread asks (len 0: not found). */
void addrspace_main_stack(struct region *r);

#endif
