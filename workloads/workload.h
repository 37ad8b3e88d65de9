/* workload.h: what a workload is (an ops table the harness loops) and the registry. */
#ifndef WORKLOADS_WORKLOAD_H
#define WORKLOADS_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso.h"

/* A workload's result was wrong: an error, never a data point. */
#define WL_EWRONG (-100)

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
	/* Make `iters` calls, checking each result; ISO_OK, an ISO_E* code or WL_EWRONG. */
	int (*run)(void *state, struct iso_domain *d, uint64_t iters);
	void (*teardown)(void *state);
};

/* The registry, in a stable order; NULL past the end. */
const struct workload *workload_at(size_t i);
const struct workload *workload_find(const char *name);
/* iso_strerror, plus WL_EWRONG. */
const char *workload_strerror(int err);

#endif
