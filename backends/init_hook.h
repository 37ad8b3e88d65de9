/* init_hook.h: a domain's init hook (iso_options.init), run inside it through the backend's own call. */
#ifndef BACKENDS_INIT_HOOK_H
#define BACKENDS_INIT_HOOK_H

#include "backend.h"

/*
 * Run d->init(d->init_arg) inside d now (d->reinit cleared first: a backend that
 * rewinds or respawns d while it runs sets it again).  ISO_OK; the domain's failure
 * (ISO_EFAULT, ...) or, where the hook returned non-zero, ISO_ECRASH, with a reason
 * that names the hook.
 */
int init_hook_run(struct iso_domain *d);

/* Before a call: the hook, if a rewind or respawn is waiting for it. */
static inline int init_hook_due(struct iso_domain *d)
{
	return __builtin_expect(d->reinit, 0) ? init_hook_run(d) : ISO_OK;
}

#endif
