/* scan.h: WRPKRU and XRSTOR in the program's executable memory, found at every byte offset and made harmless (mpk, hardened). */
#ifndef BACKENDS_SCAN_H
#define BACKENDS_SCAN_H

#include <stddef.h>

/*
 * ERIM's method: every executable mapping of the process (each once; mappings that
 * appeared since the last scan too) is searched at every byte offset for WRPKRU
 * (0F 01 EF), XRSTOR (0F AE /5) and XRSTORS (0F C7 /3), either of which a domain
 * could jump to and set PKRU with.  Outside the gate (gate.h) each is overwritten
 * with UD2 (0F 0B): the page is copied, patched and mapped back in place, read and
 * execute.  glibc's pkey_set is such a site.  The dynamic linker's XRSTOR stays: its
 * lazy-binding trampoline needs it for every library not linked -z now (a domain
 * could still jump there: README).  *patched counts the sites overwritten.  ISO_OK, or
 * ISO_ESYS with the reason.  Called before the domain exists, outside every domain.
 */
int scan_exec(size_t *patched);

#endif
