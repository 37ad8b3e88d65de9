/* rewind.c: rewind: one violation (a NULL write) per call, timed until the trusted side holds the error and the domain is usable. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"
#include "wl_util.h"

/* Sanitizers would report the write themselves instead of letting it fault. */
__attribute__((no_sanitize("address", "undefined"))) static long
fault_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile int *volatile p = NULL;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	if (wl_tamper)
		return 0; /* a domain that does not fault: the check must notice */
	*p = 1;
	return 0;
}

/*
 * `none` has no domain to rewind (the write would kill the harness).  In-process
 * backends report the fault (ISO_EFAULT) and rewind the domain's stack and heap;
 * `process` sees its child die (ISO_ECRASH) and names a standby child (or, with none
 * ready, forks one) before iso_call returns, so the takeover is inside the timed
 * call; the clone of the next standby runs beside the calls that follow.
 */
static int rewind_setup(struct iso_domain *d, size_t size, void **state)
{
	const char *b = iso_domain_backend(d);
	int *expect;

	(void)size;
	if (strcmp(b, "none") == 0)
		return ISO_ENOTSUP;
	if (!(expect = malloc(sizeof(*expect))))
		return ISO_ENOMEM;
	/* A child process crashes; an in-process domain faults and is rewound. */
	*expect = iso_domain_pid(d) != getpid() ? ISO_ECRASH : ISO_EFAULT;
	*state = expect;
	return ISO_OK;
}

/*
 * Nothing but the faulting calls: each one that fails as expected has run the
 * function, which proves the previous rewind left a usable domain.
 */
static int rewind_run(void *state, struct iso_domain *d, uint64_t iters)
{
	const int *expect = state;

	for (uint64_t i = 0; i < iters; i++) {
		int err = iso_call(d, fault_fn, NULL, 0, NULL, 0, NULL, NULL);

		if (err == *expect)
			continue;
		/* The wrong verdict is a wrong result; any other failure speaks for itself. */
		return err == ISO_OK || err == ISO_EFAULT || err == ISO_ECRASH ? WL_EWRONG : err;
	}
	return ISO_OK;
}

static void rewind_teardown(void *state)
{
	free(state);
}

const struct workload wl_rewind = {
	.name = "rewind",
	.summary = "a NULL write in the domain until the error is back and the domain usable "
		   "(not on none)",
	.default_iters = 1000,
	.setup = rewind_setup,
	.run = rewind_run,
	.teardown = rewind_teardown,
};
