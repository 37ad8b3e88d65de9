/* plan.h: what a timings run measures, in order: one row per backend, workload and size. */
#ifndef HARNESS_PLAN_H
#define HARNESS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* One row to measure. */
struct plan_row {
	const char *backend;    /* "ref" for a reference */
	const struct workload *wl;
	size_t size;
	bool reference;         /* a bare reference (refs.c): measured without a domain */
};

struct plan {
	struct plan_row *rows;
	size_t n;
};

/*
 * The rows of c: each workload at each of its sizes on every backend asked for that
 * works here (probed; the others recorded in r->skipped, reported with the results),
 * `none` first for the baseline unless --no-baseline or asked for, then with --refs the
 * references.  No row at all when every backend was skipped.  Returns 0, or ISO_ENOMEM.
 */
int plan_build(const struct config *c, struct plan *p, struct results *r);
void plan_free(struct plan *p);

/* The registry's name of a backend as the run names it: "process" for "process" and for
 * "process#2" (a second, independent instance of it); NULL when it names none. */
const char *plan_impl(const char *name);
/* The backend every row is compared with: --baseline, else "none". */
const char *plan_baseline(const struct config *c);

#endif
