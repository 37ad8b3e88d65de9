/* handler_page.c: the page of the program's data that the signal handlers read before anything is restored. */
#include <assert.h>

#include "handler_page.h"

#define PAGE 4096u

static_assert(sizeof(struct handler_page) == PAGE, "the handlers' state fills one page");

struct handler_page handler_page;

struct region handler_page_region(void)
{
	return region_rw((char *)&handler_page, PAGE);
}
