/* addrspace.h: where the trusted side's memory lies: the program's data, the trusted heap, a thread's stack. */
#ifndef BACKENDS_ADDRSPACE_H
#define BACKENDS_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "region.h"

/*
 * The unprotected page: the one page of the program's data that domain code may use
 * with its own rights (key 0 under mpk: addrspace.c leaves it out of the program's
 * data it hands mpk; mprotect's confidential plan keeps it readable).  One page,
 * page-aligned, in a section of its own; each user has a slot at a fixed offset, so
 * that it stays one page (one present page for mprotect to switch) whatever order the
 * linker puts the files in, and a slot's address is a constant, read from nowhere.
 * A slot's type is declared may_alias: the page is a char array.
 */
enum addrspace_slot {
	ADDRSPACE_SLOT_STDIO = 0,       /* domain_stdio.c: stdout and stderr */
	ADDRSPACE_SLOT_ROUTE = 64,      /* route.c: the allocator's way out */
	ADDRSPACE_SLOT_EXCLUSIVE = 128, /* exclusive.c: mprotect's lock page */
	ADDRSPACE_SLOT_END = 192,
};

extern char addrspace_unprotected_page[4096];

#define ADDRSPACE_SLOT(type, slot) (*(type *)(addrspace_unprotected_page + (slot)))

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
