/* backend.h: the ops table every backend fills, and the helpers backends share. */
#ifndef BACKENDS_BACKEND_H
#define BACKENDS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "iso.h"

#define BACKEND_V1 1

/*
 * A backend.  Registry wrappers check arguments before any op runs, so ops may assume
 * d != NULL, fn != NULL, (in || !in_len), (out || !out_cap).  Optional ops are NULL.
 */
struct backend {
	unsigned version; /* BACKEND_V1 */
	const char *name;
	const char *summary;
	int (*probe)(void); /* ISO_OK or ISO_ENOTSUP + reason_set */
	int (*create)(const struct iso_options *opt, struct iso_domain **out);
	void (*destroy)(struct iso_domain *d);
	/* Must check the domain's out_len <= out_cap before copying anything back. */
	int (*call)(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len,
		    void *out, size_t out_cap, size_t *out_len, long *ret);
	int (*bare)(struct iso_domain *d, unsigned long iters); /* optional */
	int (*pid)(const struct iso_domain *d); /* optional: where the code runs, if not here */
	void *(*alloc)(struct iso_domain *d, size_t n); /* optional */
	void (*free)(struct iso_domain *d, void *p);    /* optional, with alloc */
	/* optional: does [p, p+n) lie in the domain's memory: its iso_alloc heap alone
	 * (any false: a typed call passes it as is), or any of it (its stack too: what a
	 * callback may read)?  Absent: the domain shares the caller's memory (none), or
	 * reaches it only across processes (process: iso_domain_pid). */
	bool (*holds)(const struct iso_domain *d, const void *p, size_t n, bool any);
	bool confidential; /* can keep the program's memory from being read (iso_options) */
};

/* Every backend's domain struct starts with this. */
struct iso_domain {
	const struct backend *be;
	/* The init hook (iso_options.init; init_hook.h): reinit is set by a backend
	 * that rewound or respawned the domain, so that the hook runs before the next
	 * call. */
	int (*init)(void *arg);
	void *init_arg;
	bool reinit;
};

extern const struct backend none_backend;
extern const struct backend process_backend;
extern const struct backend process_handoff_backend;
extern const struct backend mpk_backend;
extern const struct backend mprotect_backend;

/*
 * The end of a call, the same for every backend that runs the domain elsewhere
 * (backend.c): judge n, the length the domain reported (which the caller read once,
 * as the domain may still write it), then copy n bytes from src to out (src NULL:
 * the domain wrote out in place) and hand back n and the function's value r.
 */
int backend_deliver(size_t n, long r, const void *src, void *out, size_t out_cap,
		    size_t *out_len, long *ret);

/*
 * A callback the domain made (iso_typed.h), to run on the trusted side: set by
 * callback.c when one is registered; slot is which, d the domain it came from.
 */
extern long (*backend_callback)(unsigned slot, const long *args, struct iso_domain *d);

#endif
