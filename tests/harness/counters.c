/* harness/counters.c: --events through the harness: names checked, software events counted, the no-PMU fallback. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "../../bench/harness.h"
#include "../support/util.h"

/* Run the harness's measurement on argv with stderr caught in *err (malloc'd). */
static void run_caught(char **argv, int argc, struct config *c, struct results *r, char **err)
{
	char path[] = "/tmp/iso-counters-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;
	long n;

	cr_assert(fd >= 0 && saved >= 0);
	optind = 0; /* glibc: a full getopt reset */
	cr_assert_eq(cli_parse(argc, argv, c), 0);
	tsc_init(&r->tsc);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	measure_all(c, r);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*err = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(*err, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int event_index(const struct results *r, const char *name)
{
	for (size_t i = 0; i < r->counters.n; i++)
		if (strcmp(r->counters.ev[i].name, name) == 0)
			return (int)i;
	cr_assert_fail("no event %s", name);
	return -1;
}

/*
 * cycles on this machine: without a PMU, one warning, counter `tsc`, cycles from the
 * TSC; with one, counter `pmu` and no warning.  Either way context switches are
 * counted: the whole test is held to one CPU (the process backend's child inherits
 * it), so with futex waits every call switches the caller out and the child in.
 */
Test(bench_counters, cycles_fall_back_to_tsc_software_events_still_count, .timeout = 60)
{
	char *argv[] = { "harness", "--backend=none,process", "--workload=call-null",
			 "--events=cycles,context-switches,page-faults", "--wait=futex",
			 "--iterations=2000", "--repetitions=5", "--warmup=1", "--quiet",
			 "--no-baseline", NULL };
	struct config c;
	struct results r = { 0 };
	cpu_set_t one;
	char *err;
	int cyc, cs, cpu = sched_getcpu();
	bool seen_process = false;

	if (!backend_wanted("process") || iso_backend_probe("process") != ISO_OK)
		cr_skip_test("process backend not wanted or not supported here");
	CPU_ZERO(&one);
	CPU_SET(cpu >= 0 ? cpu : 0, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);

	run_caught(argv, 10, &c, &r, &err);
	cr_assert_eq(r.nfailed, 0, "failed: %s", r.nfailed ? r.failed[0].what : "");
	cr_assert_eq(r.nrows, 2, "stderr: %s", err);
	cyc = event_index(&r, "cycles");
	cs = event_index(&r, "context-switches");
	cr_assert(r.counters.ev[cs].available, "context-switches: %s", r.counters.ev[cs].why);
	if (r.counters.pmu) {
		cr_assert_eq(count(err, "hardware counters unavailable"), 0, "%s", err);
	} else {
		cr_assert_eq(count(err, "hardware counters unavailable: "), 1, "stderr: %s", err);
		cr_assert_eq(count(err, "; cycles from TSC\n"), 1, "stderr: %s", err);
		cr_assert(r.counters.ev[cyc].tsc_cycles);
	}
	for (size_t i = 0; i < r.nrows; i++) {
		const struct row *w = &r.rows[i];

		cr_assert_str_eq(w->counter, r.counters.pmu ? "pmu" : "tsc");
		cr_assert(!isnan(w->events[cyc]) && w->events[cyc] > 0, "%s: cycles %g",
			  w->backend, w->events[cyc]);
		if (!r.counters.pmu)
			cr_assert_float_eq(w->events[cyc], w->ns.median * r.tsc.ghz, 1e-6 * w->events[cyc]);
		if (strcmp(w->backend, "process") != 0) {
			cr_assert(!w->child, "%s ran in a child?", w->backend);
			continue;
		}
		seen_process = true;
		cr_assert(w->child, "process row without the child's events");
		cr_assert(isnan(w->child_events[cyc]) == !r.counters.pmu,
			  "child cycles %g: only a PMU counts them", w->child_events[cyc]);
		cr_assert_gt(w->events[cs], 0, "caller context switches per call %g",
			     w->events[cs]);
		cr_assert_gt(w->child_events[cs], 0, "child context switches per call %g",
			     w->child_events[cs]);
	}
	cr_assert(seen_process);
	free(err);
}

Test(bench_counters, unknown_event_is_bad_usage)
{
	char *argv[] = { "harness", "--events=cycles,bogus-event", NULL };
	struct config c;
	char why[160] = "";

	cr_assert_neq(counters_check("bogus-event", why, sizeof(why)), 0);
	cr_assert_neq(why[0], '\0');
	cr_assert_eq(counters_check("context-switches", why, sizeof(why)), 0);
	cr_assert_eq(counters_check("instructions", why, sizeof(why)), 0);
	cr_redirect_stderr();
	optind = 0;
	cr_assert_eq(cli_parse(2, argv, &c), 2);
}

/* A group on this thread sees the faults it makes, and its clock moves (read on its own). */
Test(bench_counters, group_counts_this_thread)
{
	const char *names[] = { "page-faults", "task-clock" };
	struct counters_plan p;
	struct counter_group g;
	double delta[COUNTERS_MAX];
	size_t len = 64 << 20;
	char *mem;

	cr_assert_eq(counters_plan(&p, names, 2, false), 0, "%s", p.pmu_why);
	cr_assert(p.ev[0].available, "page-faults: %s", p.ev[0].why);
	cr_assert(!p.ev[0].hardware);
	cr_assert_eq(counters_open(&g, &p, 0), 0);
	counters_start(&g);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mem, MAP_FAILED);
	for (size_t i = 0; i < len; i += 4096)
		((volatile char *)mem)[i] = 1;
	counters_stop(&g, &p, delta);
	munmap(mem, len);
	counters_close(&g);
	cr_assert_geq(delta[0], 1000, "page faults: %g", delta[0]);
	cr_assert_gt(delta[1], 0, "task-clock: %g ns", delta[1]);
}

/* Handoff rows run with the measuring thread pinned even without --pin: it never
 * migrates during the batches (the scheduler would otherwise move it at wake-ups). */
Test(bench_counters, handoff_rows_run_pinned, .timeout = 60)
{
	char *argv[] = { "harness", "--backend=process-handoff", "--workload=records-inplace",
			 "--size=64K", "--events=cpu-migrations", "--repetitions=5", "--warmup=1",
			 "--quiet", NULL };
	struct config c;
	struct results r = { 0 };
	char *err = NULL;
	bool seen = false;

	run_caught(argv, 8, &c, &r, &err);
	cr_assert_eq(r.nfailed, 0, "stderr: %s", err);
	for (size_t i = 0; i < r.nrows; i++) {
		const struct row *w = &r.rows[i];

		if (strcmp(w->backend, "process-handoff") != 0)
			continue;
		seen = true;
		cr_assert(!isnan(w->events[0]), "cpu-migrations not counted");
		cr_assert_eq(w->events[0], 0, "the measuring thread migrated: %g per call",
			     w->events[0]);
	}
	cr_assert(seen, "no process-handoff row");
	free(err);
}

Test(bench_counters, wait_policies_parse)
{
	char *ok[] = { "harness", "--wait=handoff", NULL };
	char *bad[] = { "harness", "--wait=sometimes", NULL };
	struct config c;

	optind = 0;
	cr_assert_eq(cli_parse(2, ok, &c), 0);
	cr_assert_eq(c.opt.wait, ISO_WAIT_HANDOFF);
	cr_redirect_stderr();
	optind = 0;
	cr_assert_eq(cli_parse(2, bad, &c), 2);
}

/* --rounds: one row per cell whatever the rounds, its batches from all of them; 0 and 100
 * are bad usage. */
Test(bench_counters, rounds_keep_one_row_per_cell, .timeout = 60)
{
	char *argv[] = { "harness", "--backend=none,process", "--workload=call-null,call-args",
			 "--rounds=3", "--repetitions=3", "--warmup=1", "--quiet", NULL };
	char *zero[] = { "harness", "--rounds=0", NULL }, *many[] = { "harness", "--rounds=100", NULL };
	struct config c;
	struct results r = { 0 };
	char *err = NULL;

	run_caught(argv, 7, &c, &r, &err);
	cr_assert_eq(c.rounds, 3);
	cr_assert_eq(r.nfailed, 0, "stderr: %s", err);
	cr_assert_eq(r.nrows, 4, "%zu rows for 2 backends x 2 workloads", r.nrows);
	for (size_t i = 0; i < r.nrows; i++)
		cr_assert(r.rows[i].ns.median > 0 && r.rows[i].repetitions == 9);
	free(err);
	cr_redirect_stderr();
	optind = 0;
	cr_assert_eq(cli_parse(2, zero, &c), 2);
	optind = 0;
	cr_assert_eq(cli_parse(2, many, &c), 2);
}
