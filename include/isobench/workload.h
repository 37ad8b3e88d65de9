/* isobench/workload.h: what a workload is, for the harness and for its plugins (./harness --plugin=PATH.so). */
#ifndef ISOBENCH_WORKLOAD_H
#define ISOBENCH_WORKLOAD_H

/*
 * A workload is an ops table the harness loops: it prepares inputs for a size, makes
 * `iters` calls into a domain checking each result, and cleans up.  The harness times
 * the run calls in batches, on every backend asked for, with every one of its options
 * (--size, --iterations, --rounds, --events, --format, --outdir ...).
 *
 * A plugin is a shared object that defines
 *
 *     const unsigned workload_plugin_abi = WORKLOAD_ABI;
 *     const struct workload *const workload_plugin[] = { &my_workload, ..., NULL };
 *
 * built against this header alone (`pkg-config --cflags isobench`, `-shared -fPIC`) and
 * NOT linked with libiso: the harness exports its own iso_* functions (and malloc & co.),
 * and a plugin carrying a second copy of libiso is refused.  Names must not clash with
 * the harness's workloads (`./harness --list`).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso.h"

/* The layout of struct workload.  2 added settle at the end; a plugin built for 1 still
 * loads (its workloads have no settle), one built for any other is refused. */
#define WORKLOAD_ABI 2u

/* A workload's result was wrong: an error, never a data point. */
#define WORKLOAD_EWRONG (-100)

struct workload {
	const char *name;
	const char *summary;
	bool sized;            /* takes the harness's --size (bytes of payload) */
	size_t default_size;   /* the payload when not sized, or sized without a sweep */
	const size_t *sizes;   /* sized: the sweep run without --size, ending in 0 */
	uint64_t default_iters; /* calls per timed batch unless --iterations says otherwise */
	/* Prepare inputs and expected results for `size`; *state is handed to run.
	 * ISO_ENOTSUP: the workload does not apply to this backend (no row, no error). */
	int (*setup)(struct iso_domain *d, size_t size, void **state);
	/* Make `iters` calls, checking each result; ISO_OK, an ISO_E* code or
	 * WORKLOAD_EWRONG. */
	int (*run)(void *state, struct iso_domain *d, uint64_t iters);
	void (*teardown)(void *state);
	/* Optional (NULL: nothing to do), untimed: brings the domain to the state a batch
	 * starts from, before every batch the harness times and every warm-up batch, outside
	 * the timed span and the CPU time counted.  ISO_OK, or an error that ends the row as
	 * run's would.  Added in ABI 2: fields after it would need ABI 3. */
	int (*settle)(void *state, struct iso_domain *d);
};

#endif
