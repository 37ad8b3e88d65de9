/* unprotected.c: the unprotected page (unprotected.h), at the bottom of the layers: every file that keeps a slot there, and addrspace.c, which leaves it out, use it. */
#include "unprotected.h"

char unprotected_page[4096] __attribute__((aligned(4096), section("unprotected")));
