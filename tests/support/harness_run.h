/* support/harness_run.h: the harness's measuring loop run in the test's own process, on a command line and with a workload of the test's. */
#ifndef TESTS_SUPPORT_HARNESS_RUN_H
#define TESTS_SUPPORT_HARNESS_RUN_H

#include <getopt.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"

/* argv's rows (w, if not NULL, in place of the first workload) measured into r; the
 * configuration, which the rows name, lives on until the next call. */
static inline const struct config *harness_measure(int argc, char **argv,
						   const struct workload *w, struct results *r)
{
	static struct config c;

	optind = 0; /* glibc: a full getopt reset */
	cr_assert_eq(cli_parse(argc, argv, &c), 0);
	if (w)
		c.workloads[0] = w;
	*r = (struct results){ .rows = NULL };
	tsc_init(&r->tsc);
	measure_all(&c, r);
	return &c;
}

#endif
