/* rewind.c: rewind and rewind-once: a violation (a NULL write) per call, timed until the trusted side holds the error and the domain is usable; back to back, or one into a settled domain. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* A call that does not fault, its answer known: rewind-once's settle. */
#define REWIND_GOOD 0x5e771edL

static long good_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return wl_tamper_long(REWIND_GOOD);
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

/*
 * rewind-once: the domain as a program that crashes now and then finds it.  Outside the
 * timed span, one good call (the child that took over after the last crash has answered
 * once: only then does a process domain ask for the next standby), then 2 ms for the
 * last crash's aftermath (the dead child's teardown, the next standby's clone) to be
 * over, so that the timed crash finds a standby ready and a quiet machine.
 */
static int rewind_settle(void *state, struct iso_domain *d)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	long ret = 0;
	int err = iso_call(d, good_fn, NULL, 0, NULL, 0, NULL, &ret);

	(void)state;
	if (err)
		return err;
	if (ret != REWIND_GOOD)
		return WL_EWRONG;
	while (nanosleep(&pause, &pause))
		;
	return ISO_OK;
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

/* One crash a batch by default; --iterations=N makes it N back to back after one settle. */
const struct workload wl_rewind_once = {
	.name = "rewind-once",
	.summary = "one NULL write into a settled domain (a standby ready): the rewind an "
		   "occasional crash pays (--iterations=N: N back to back after one settle; "
		   "not on none)",
	.default_iters = 1,
	.setup = rewind_setup,
	.run = rewind_run,
	.teardown = rewind_teardown,
	.settle = rewind_settle,
};
