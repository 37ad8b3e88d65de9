/* support/early.c: set mpk up before Criterion starts its own threads, as any mpk program should. */
#include "iso.h"

/*
 * mpk tags the heap with a key that threads started before the first mpk domain do
 * not hold, and it cannot hand them the key if they block signals (Criterion's IPC
 * threads do).  So, as the README asks of programs, make a domain first thing.
 */
__attribute__((constructor)) static void mpk_early(void)
{
	struct iso_domain *d;

	if (iso_backend_probe("mpk") == ISO_OK && iso_domain_create("mpk", NULL, &d) == ISO_OK)
		iso_domain_destroy(d);
}
