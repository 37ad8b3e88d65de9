/* workloads/verify.c: each data-carrying workload's check catches a domain that returns a corrupted result. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"
#include "workload.h"
#include "wl_util.h"

/*
 * The domain corrupts its own result through the wl_tamper hook: the low bit of one
 * byte, the smallest lie.  Positions 1..flips cover every byte of the small results
 * below (a position past the end wraps round), so no byte goes unchecked.
 */
struct tamper_case {
	char workload[32];
	char backend[16];
	size_t size;
	long flips; /* results are at most this many bytes; 1: a result that is a value */
};

static struct tamper_case cases[] = {
	{ "records-raw", "none", 1024, 1024 },
	{ "records-msgpack", "none", 1024, 1024 },
	{ "records-inplace", "none", 1024, 1024 },
	{ "snappy-compress", "none", 300, 400 },
	{ "snappy-uncompress", "none", 300, 300 },
	{ "snappy-compress-random", "none", 300, 400 },
	{ "snappy-uncompress-random", "none", 300, 300 },
	{ "png-decode", "none", 5632, 64 * 48 * 3 },
	{ "alloc", "none", 0, 1 },
	{ "call-args", "none", 0, 1 },
	{ "call-args-typed", "none", 0, 1 },
	{ "call-4buf", "none", 64, 64 },
	{ "call-4buf-typed", "none", 64, 64 },
	{ "call-4buf-typed", "process", 64, 1 },
	{ "call-small", "none", 64, 8 },
	{ "copy", "none", 1024, 1024 },
	{ "copy", "process", 1024, 1 },
	{ "copy-in", "none", 1024, 1 },
	{ "copy-in", "process", 1024, 1 },
	{ "copy-out", "none", 1024, 1024 },
	{ "copy-out", "process", 1024, 1 },
	{ "rewind", "process", 0, 1 },
	{ "rewind", "mprotect", 0, 1 },
	{ "rewind-once", "process", 0, 1 },
	{ "rewind-once", "mprotect", 0, 1 },
};

ParameterizedTestParameters(wl_verify, corrupted_result_is_caught)
{
	return cr_make_param_array(struct tamper_case, cases, sizeof(cases) / sizeof(cases[0]));
}

static void run_once(const struct workload *w, const struct tamper_case *c, int expect)
{
	struct iso_domain *d = NULL;
	void *state = NULL;
	int err;

	/* A process domain's child sees wl_tamper as of its fork: a domain per value. */
	err = iso_domain_create(c->backend, NULL, &d);
	cr_assert_eq(err, ISO_OK, "%s: %s (%s)", c->backend, iso_strerror(err), iso_reason());
	err = w->setup(d, c->size, &state);
	cr_assert_eq(err, ISO_OK, "%s: setup: %s", w->name, workload_strerror(err));
	err = w->run(state, d, 2);
	cr_assert_eq(err, expect, "%s on %s, tamper %ld: %s, expected %s", w->name, c->backend,
		     wl_tamper, workload_strerror(err), workload_strerror(expect));
	w->teardown(state);
	iso_domain_destroy(d);
}

ParameterizedTest(struct tamper_case *c, wl_verify, corrupted_result_is_caught, .timeout = 30)
{
	const struct workload *w = workload_find(c->workload);

	cr_assert_not_null(w, "%s is not registered", c->workload);
	SKIP_UNSUPPORTED(c->backend);
	wl_tamper = 0;
	run_once(w, c, ISO_OK);
	if (strcmp(c->backend, "none") != 0) {
		wl_tamper = 1;
		run_once(w, c, WL_EWRONG);
		return;
	}

	/* none: the domain reads wl_tamper live, so one domain serves every position. */
	struct iso_domain *d = NULL;
	void *state = NULL;

	cr_assert_eq(iso_domain_create("none", NULL, &d), ISO_OK);
	cr_assert_eq(w->setup(d, c->size, &state), ISO_OK);
	for (long k = 1; k <= c->flips; k++) {
		int err;

		wl_tamper = k;
		err = w->run(state, d, 1);
		wl_tamper = 0;
		cr_assert_eq(err, WL_EWRONG, "%s at %zu B: byte %ld of the result flipped, and the "
			     "check said %s", w->name, c->size, k - 1, workload_strerror(err));
		/* The lie was for one call: the next honest one must pass again. */
		cr_assert_eq(w->run(state, d, 1), ISO_OK, "%s: an honest call after a lie failed",
			     w->name);
	}
	w->teardown(state);
	iso_domain_destroy(d);
}

/* The edges of each sweep run clean: an empty dataset, a 1-byte buffer, a 1 B image request. */
struct edge_case {
	char workload[32];
	size_t size;
};

static struct edge_case edges[] = {
	{ "records-raw", 1 },        { "records-msgpack", 1 },   { "records-inplace", 1 },
	{ "records-raw", 64 },       { "records-msgpack", 64 },  { "records-inplace", 64 },
	{ "snappy-compress", 1 },    { "snappy-uncompress", 1 }, { "snappy-compress-random", 1 },
	{ "snappy-uncompress-random", 1 }, { "png-decode", 1 },
};

ParameterizedTestParameters(wl_verify, smallest_sizes_run_clean)
{
	return cr_make_param_array(struct edge_case, edges, sizeof(edges) / sizeof(edges[0]));
}

ParameterizedTest(struct edge_case *e, wl_verify, smallest_sizes_run_clean, .timeout = 30)
{
	static const char *const backends[] = { "none", "process", "mprotect" };
	const struct workload *w = workload_find(e->workload);

	cr_assert_not_null(w);
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		struct iso_domain *d = NULL;
		void *state = NULL;
		int err;

		if (!backend_wanted(backends[b]) || iso_backend_probe(backends[b]) != ISO_OK)
			continue;
		cr_assert_eq(iso_domain_create(backends[b], NULL, &d), ISO_OK, "%s", iso_reason());
		err = w->setup(d, e->size, &state);
		cr_assert_eq(err, ISO_OK, "%s %zu B on %s: setup: %s", w->name, e->size, backends[b],
			     workload_strerror(err));
		err = w->run(state, d, 3);
		cr_assert_eq(err, ISO_OK, "%s %zu B on %s: %s (%s)", w->name, e->size, backends[b],
			     workload_strerror(err), iso_reason());
		w->teardown(state);
		iso_domain_destroy(d);
	}
}

/* rewind has nothing to rewind on none: no row, no error. */
Test(wl_verify, rewind_declines_none)
{
	const struct workload *w = workload_find("rewind");
	struct iso_domain *d = NULL;
	void *state = NULL;

	cr_assert_not_null(w);
	cr_assert_eq(iso_domain_create("none", NULL, &d), ISO_OK);
	cr_assert_eq(w->setup(d, 0, &state), ISO_ENOTSUP);
	iso_domain_destroy(d);
}

/* rewind-once's settle checks its good call's answer: a lie is WL_EWRONG; an honest
 * settle leaves a domain whose next call faults as expected. */
Test(wl_verify, rewind_once_settle_checks_its_call, .timeout = 30)
{
	static const char *const backends[] = { "process", "mprotect" };
	const struct workload *w = workload_find("rewind-once");

	cr_assert_not_null(w);
	cr_assert_not_null(w->settle);
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		if (!backend_wanted(backends[b]) || iso_backend_probe(backends[b]) != ISO_OK)
			continue;
		for (long tamper = 1; tamper >= 0; tamper--) {
			struct iso_domain *d = NULL;
			void *state = NULL;

			wl_tamper = tamper; /* before create: a child sees it as of its fork */
			cr_assert_eq(iso_domain_create(backends[b], NULL, &d), ISO_OK, "%s",
				     iso_reason());
			cr_assert_eq(w->setup(d, 0, &state), ISO_OK);
			cr_assert_eq(w->settle(state, d), tamper ? WL_EWRONG : ISO_OK,
				     "%s, tamper %ld", backends[b], tamper);
			if (!tamper)
				cr_assert_eq(w->run(state, d, 1), ISO_OK, "%s", backends[b]);
			w->teardown(state);
			iso_domain_destroy(d);
		}
	}
	wl_tamper = 0;
}
