/* handler_page.h: the one page of the program's data that isobench's signal handlers read before anything is restored (signals.c's and sud.c's state). */
#ifndef BACKENDS_HANDLER_PAGE_H
#define BACKENDS_HANDLER_PAGE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "region.h"

/* A sigaction as the kernel holds it (its 64-bit mask): a quarter of glibc's struct,
 * so that every signal's fits on the page. */
struct handler_page_action {
	void *handler; /* sa_handler or sa_sigaction */
	void (*restorer)(void);
	uint64_t mask;
	int flags;
};

typedef bool handler_page_take_fn(int sig, siginfo_t *si, void *uc);

/*
 * Written only outside domains, read by the handlers with the rights of the moment:
 * the program's data, which a domain can read (mpk: the trusted key, write-disabled;
 * mprotect: read-only) but never write, on a page of its own that a confidential
 * mprotect domain leaves readable (pointers and a key number, no secret).  One page
 * for both, where each had its own: every present page of the program's data costs
 * each mprotect switch a TLB flush of it, twice.
 */
struct handler_page {
	struct {
		int key; /* mpk: the key of selector pages (sud_use_pkru) */
		handler_page_take_fn *take;
	} sud;
	struct {
		handler_page_take_fn *fn;
		struct handler_page_action old[_NSIG]; /* the program's handlers */
	} signals;
} __attribute__((aligned(4096))); /* and so a page long: nothing else shares it */

extern struct handler_page handler_page_data;

/* The page, for the confidential plan to keep readable. */
struct region handler_page_region(void);

#endif
