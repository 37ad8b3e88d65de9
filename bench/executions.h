/* executions.h: Kalibera and Jones's executions: the whole plan measured in fresh processes one after another, each sending its trials' batches back over a pipe. */
#ifndef HARNESS_EXECUTIONS_H
#define HARNESS_EXECUTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* Values a batch carries: ns and CPU ns per call, then the caller's and the child's
 * events per call (COUNTERS_MAX each), laid out as measure.c's trials hold them: all
 * batches' ns, then all their CPU ns, then the events. */
#define EXECUTION_VALUES (2 + 2 * COUNTERS_MAX)

/* One backend of one row, as an execution measured it. */
struct execution_trial {
	uint32_t row;      /* the plan's index */
	uint32_t n;        /* batches */
	uint64_t iters;    /* calls per batch */
	double child_s;    /* the domain's processes' CPU time */
	bool dropped;      /* failed there (the failure sent too) or not applicable */
	bool in_child;     /* the domain ran in another process, counted there */
	bool contended;    /* other processes competed meanwhile */
	double *samples;   /* n * EXECUTION_VALUES; the receiver's own copy */
};

/* What one execution sent: its trials by plan row (NULL: none sent for the row). */
struct execution_log {
	struct execution_trial **by_row;
	size_t nrows;
};

/*
 * One execution: measure(arg, fd) in a child forked now, which sends its trials and
 * failures on fd and returns; meanwhile every record is read into *log (rows < nrows).
 * Failures it sent are added to r (once each), and so is an execution that ended
 * other than normally.  Returns the CPU seconds the child and everything it collected
 * used, or -1 when it could not be started or read (recorded in r).
 */
double execution_run(size_t nrows, void (*measure)(void *arg, int fd), void *arg,
		     struct execution_log *log, struct results *r);
void execution_log_free(struct execution_log *log);

/* In the child: one trial (samples: t->n * EXECUTION_VALUES), and one failure. */
int execution_send_trial(int fd, const struct execution_trial *t, const double *samples);
int execution_send_failure(int fd, const char *what);

#endif
