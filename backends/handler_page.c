/* handler_page.c: the page of the program's data that the signal handlers read before anything is restored. */
#include <assert.h>

#include "handler_page.h"

#define PAGE 4096u

static_assert(sizeof(struct handler_page) == PAGE, "the handlers' state fills one page");

/* A section of its own, not .bss: there its page alignment made .bss page-aligned
 * and split libiso's small variables over two pages around it, a present page more
 * for every mprotect switch to flush. */
struct handler_page handler_page_data __attribute__((section("handler_page_section")));

struct region handler_page_region(void)
{
	return region_rw((char *)&handler_page_data, PAGE);
}
