/* harness.h: the harness's configuration, its result rows, and the steps that share them (cli -> plan -> measure -> stats -> format -> output). */
#ifndef HARNESS_HARNESS_H
#define HARNESS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "counters.h"
#include "iso.h"
#include "stats.h"
#include "sysload.h"
#include "tsc.h"
#include "workload.h"

/* FMT_SYSTEM: the run's metadata alone (system.json), not a --format. */
enum format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_SYSTEM };

struct config {
	const char *backends[16];
	size_t nbackends;
	const struct workload *workloads[48]; /* the built-in ones and plugins' */
	size_t nworkloads;
	size_t sizes[64]; /* empty: each workload's default size */
	size_t nsizes;
	uint64_t iterations; /* 0: each workload's default */
	unsigned repetitions, warmup;
	unsigned rounds;     /* fresh domains this often per row; batches of all rounds pooled */
	unsigned executions; /* the plan measured whole in this many processes, pooled */
	unsigned execution;  /* which of them this process is (within one) */
	enum format format;
	const char *output; /* NULL: stdout */
	const char *outdir; /* also write results.csv and results.json there */
	bool baseline;      /* measure the baseline too, so every row has a ratio */
	const char *baseline_name; /* --baseline (NULL: "none"); plan_baseline() reads it */
	char instances[16][32]; /* names of the form BACKEND#N (another instance), backends[] points here */
	uint64_t seed;      /* --seed: the batches' shuffled order and the bootstrap's resamples */
	bool progress;
	bool refs;          /* also time the bare references (refs.c) as backend "ref" */
	bool violations;    /* --violations: the violation matrix instead of timings */
	unsigned case_limit_ms; /* --violations: a case running longer hung */
	char events[COUNTERS_MAX][COUNTERS_NAME]; /* --events, as given */
	size_t nevents;
	bool kernel;        /* PMU events count kernel time too */
	int pin_cpu;        /* -1: the measuring thread is not pinned */
	struct iso_options opt;
	int argc;
	char **argv;
};

struct row {
	const char *backend;
	const struct workload *wl;
	size_t size;
	uint64_t iterations; /* calls per timed batch */
	unsigned repetitions;
	struct summary ns;  /* per-call time over the repetitions' batches */
	struct stats_interval median; /* ns.median with its bootstrap interval */
	double overhead_pct; /* NAN without a `none` row for the same workload and size */
	const char *counter; /* "pmu" when the PMU counted the row's hardware events, else "tsc" */
	double events[COUNTERS_MAX];       /* per call, in --events order; NAN: not counted */
	double child_events[COUNTERS_MAX]; /* the same in the domain's child process */
	bool child;          /* the domain ran in another process: child_events apply */
	bool noisy;          /* p90/p10 above NOISY_RATIO */
	struct stats_interval ratio; /* to the baseline, paired batches; est NAN without one */
	double cpu_ns;       /* CPU time per call: the caller's thread and a domain's child */
	bool contended;      /* other processes used SYSLOAD_CONTENDED CPUs or more meanwhile */
};

/* A row whose p90/p10 is above this is flagged (never dropped or trimmed). */
#define NOISY_RATIO 1.5

struct skip {
	const char *backend;
	char reason[200];
};

struct failure {
	char what[300];
};

struct results {
	struct row *rows;
	size_t nrows;
	struct skip skipped[16];
	size_t nskipped;
	struct failure failed[64];
	size_t nfailed;
	struct tsc_info tsc;
	struct counters_plan counters; /* the events and the PMU, probed by measure_all */
	uint64_t seed;                 /* the batches' order and the intervals' resamples */
	double loadavg;                /* 1-minute load average before the run; -1 unknown */
	struct sysload_span before;    /* the machine alone for a moment before measuring */
	struct sysload_span during;    /* over the whole measuring, our own time taken out */
	size_t ncontended;             /* rows measured while others competed */
};

/* ---- the steps of a timings run, in order ---- */

/* cli.c: parse argv into *c; returns 0, or prints one line and returns 2 (1 for --help/--list). */
int cli_parse(int argc, char **argv, struct config *c);
void cli_usage(FILE *f);
void cli_list(FILE *f);
/* The name of a --wait value ("hybrid", "spin", "futex", "handoff"). */
const char *cli_wait_name(enum iso_wait w);

/* plan.h: the rows to measure, the references among them. */
/* refs.c: bare costs to compare backends with, planned as rows of backend "ref"; NULL
 * past the end. */
const struct workload *ref_at(size_t i);

/* measure.c: plan the run and measure every row of it, the backends of each workload
 * and size interleaved batch by batch; fills *r. */
void measure_all(const struct config *c, struct results *r);
/* A shuffled order of 0..n-1 into order[], from *seed (advanced). */
void measure_shuffle(size_t *order, size_t n, uint64_t *seed);

/* stats.h: a row's order statistics over its batches. */

/* format.c: write the rows in one format (FMT_SYSTEM: the metadata); returns 0 or -1 with
 * errno.  output.h writes each file whole or not at all. */
int format_write(FILE *f, enum format fmt, const struct config *c, const struct results *r);

/* ---- the violation matrix, the --violations mode (violations.c) ---- */

#define VIOLATION_WATCHDOG_MS 200 /* the domain's watchdog in each case */
#define VIOLATION_LIMIT_MS 3000   /* a case whose program runs longer hung */

struct violation_cell {
	const char *verdict; /* caught, caught-unusable, contained, undetected, missed, crash,
				hang, n/a */
	char detail[16];     /* the error iso_call returned (EFAULT, OK, ...), or the signal */
	bool intact;         /* trusted memory as it was, the secret not read */
	bool usable;         /* a good call worked after it */
	int64_t ns;          /* from the call to its return; -1 when it never returned */
};

/* What each verdict means ("caught: ...; contained: ..."), without a full stop. */
extern const char violation_glossary[];
/* A 16-byte stack array overrun by n bytes, under the stack protector whatever the build
 * flags: a stack smash (the tests use it too). */
long violation_overrun(size_t n);
/* The catalogue, in order; NULL past the end. */
const char *violation_name(size_t i);
/* Case i on backend (hardened or not), in a subprocess given limit_ms; ISO_OK with
 * *cell filled, or ISO_ESYS (errno) when the subprocess could not be started. */
int violation_run(const char *backend, enum iso_harden harden, size_t i, unsigned limit_ms,
		  struct violation_cell *cell);
/* --violations: the matrix over c's backends, to stdout, --output or --outdir. */
int violations_main(const struct config *c);

#endif
