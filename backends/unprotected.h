/* unprotected.h: the one page of the program's data a domain may write, in slots. */
#ifndef BACKENDS_UNPROTECTED_H
#define BACKENDS_UNPROTECTED_H

/*
 * The unprotected page: the one page of the program's data that domain code may use
 * with its own rights (key 0 under mpk: addrspace.c leaves it out of the program's
 * data it hands mpk; mprotect's confidential plan keeps it readable).  One page,
 * page-aligned, in a section of its own; each user has a slot at a fixed offset, so
 * that it stays one page (one present page for mprotect to switch) whatever order the
 * linker puts the files in, and a slot's address is a constant, read from nowhere.
 * A slot's type is declared may_alias: the page is a char array.
 */
enum unprotected_slot {
	UNPROTECTED_SLOT_STDIO = 0,       /* domain_stdio.c: stdout and stderr */
	UNPROTECTED_SLOT_ROUTE = 64,      /* route.c: the allocator's way out */
	UNPROTECTED_SLOT_EXCLUSIVE = 128, /* exclusive.c: mprotect's lock page */
	UNPROTECTED_SLOT_END = 192,
};

extern char unprotected_page[4096];

#define UNPROTECTED_SLOT(type, slot) (*(type *)(unprotected_page + (slot)))

#endif
