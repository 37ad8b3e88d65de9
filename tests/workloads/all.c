/* workloads/all.c: every registered workload runs and verifies itself on every supported backend. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"
#include "workload.h"

static struct backend_param wl_backends[8];

ParameterizedTestParameters(workloads, run_100_iterations)
{
	size_t n = backend_params(wl_backends, sizeof(wl_backends) / sizeof(wl_backends[0]));

	return cr_make_param_array(struct backend_param, wl_backends, n);
}

/* none and process must run them all; a workload's setup may decline a backend (ENOTSUP). */
ParameterizedTest(struct backend_param *p, workloads, run_100_iterations, .timeout = 30)
{
	const struct workload *w;
	struct iso_domain *d = NULL;
	size_t i, ran = 0;
	bool ran_null = false;
	int err;

	SKIP_UNSUPPORTED(p->name);
	err = iso_domain_create(p->name, NULL, &d);
	cr_assert_eq(err, ISO_OK, "%s: %s (%s)", p->name, iso_strerror(err), iso_reason());
	for (i = 0; (w = workload_at(i)); i++) {
		void *state = NULL;

		cr_assert_eq(workload_find(w->name), w, "%s is not found by its name", w->name);
		err = w->setup(d, w->default_size, &state);
		if (err == ISO_ENOTSUP)
			continue; /* documented: the workload does not apply to this backend */
		cr_assert_eq(err, ISO_OK, "%s on %s: setup: %s (%s)", w->name, p->name,
			     workload_strerror(err), iso_reason());
		if (w->settle && (err = w->settle(state, d)))
			cr_assert_fail("%s on %s: settle: %s (%s)", w->name, p->name,
				       workload_strerror(err), iso_reason());
		err = w->run(state, d, 100);
		cr_assert_eq(err, ISO_OK, "%s on %s: %s (%s)", w->name, p->name,
			     workload_strerror(err), iso_reason());
		w->teardown(state);
		ran++;
		ran_null |= strcmp(w->name, "call-null") == 0;
	}
	cr_assert_gt(i, 0, "no workloads registered");
	cr_assert(ran_null, "call-null, the round trip every backend has, did not run on %s",
		  p->name);
	cr_assert_geq(ran, 3, "only %zu workloads ran on %s", ran, p->name);
	iso_domain_destroy(d);
}
