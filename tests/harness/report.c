/* harness/report.c: the harness's CSV and JSON writers: a written file parses back to the same rows. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"

static const char *fixed[] = { "backend", "workload", "size", "calls", "median_ns", "p10_ns",
			       "p90_ns", "p99_ns", "min_ns", "overhead_pct", "counter" };
#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))
/* After iterations, repetitions and wait: the ratio to the baseline and its interval, CPU
 * time per call, the flags. */
static const char *added[] = { "ratio", "ratio_lo", "ratio_hi", "cpu_ns", "noisy", "contended" };
#define NADDED (sizeof(added) / sizeof(added[0]))

static char *argv_[] = { "harness", "--events=cycles,context-switches", "--pin=0", NULL };
static struct config cfg;
static struct results res;
static struct row rows[3];
static char path[64];

/* Three rows: none and process on call-null (the process row ran in a child and was
 * noisy), process on call-small at 64 B; cycles from the TSC, context switches counted. */
static void fill(void)
{
	const struct workload *null = workload_find("call-null"), *small = workload_find("call-small");
	struct counters_plan *p = &res.counters;

	cr_assert(null && small);
	cfg = (struct config){ .repetitions = 3, .warmup = 1, .pin_cpu = 0, .argc = 3,
			       .argv = argv_ };
	res = (struct results){ .rows = rows, .nrows = 3,
				.tsc = { .ghz = 2.5, .source = "calibrated", .overhead_ticks = 50 } };
	p->n = 2;
	p->ev[0] = (struct counter_event){ .name = "cycles", .hardware = true, .tsc_cycles = true };
	p->ev[1] = (struct counter_event){ .name = "context-switches", .available = true };
	snprintf(p->pmu_why, sizeof(p->pmu_why), "no PMU in this test");
	rows[0] = (struct row){ .backend = "none", .wl = null, .size = 0, .iterations = 1000,
				.repetitions = 3, .overhead_pct = NAN, .counter = "tsc",
				.ns = { 3.25, 3.0, 3.5, 4.0, 2.75, 5.0 },
				.events = { 8.125, 0 } };
	rows[1] = (struct row){ .backend = "process", .wl = null, .size = 0, .iterations = 100,
				.repetitions = 3, .overhead_pct = 3269.23, .counter = "tsc",
				.ns = { 109.5, 100.0, 250.0, 300.0, 99.0, 301.0 },
				.events = { 273.75, NAN }, .child = true,
				.child_events = { NAN, 0.5 }, .noisy = true };
	rows[2] = (struct row){ .backend = "process", .wl = small, .size = 64, .iterations = 7,
				.repetitions = 3, .overhead_pct = 12.5, .counter = "tsc",
				.ns = { 1042.87, 1020.0, 1070.0, 1100.0, 1010.0, 1200.0 },
				.events = { 2607.175, 0.25 }, .child = true,
				.child_events = { NAN, 0.125 } };
}

static void write_as(enum format fmt)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/iso-report-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(format_write(f, fmt, &cfg, &res), 0);
	cr_assert_eq(fclose(f), 0);
}

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

/* One CSV line into at most max fields; empty fields kept. */
static size_t fields(char *line, char **out, size_t max)
{
	size_t n = 0;
	char *s = line;

	line[strcspn(line, "\n")] = '\0';
	while (s && n < max)
		out[n++] = strsep(&s, ",");
	return n;
}

static void check_number(const char *field, double want, double tolerance, const char *what)
{
	if (isnan(want)) {
		cr_assert_str_empty(field, "%s: '%s' where nothing was counted", what, field);
		return;
	}
	cr_assert_float_eq(strtod(field, NULL), want, tolerance, "%s: '%s', expected %g", what,
			   field, want);
}

Test(bench_report, csv_parses_back, .init = fill, .fini = cleanup)
{
	static const char *events[] = { "cycles", "context-switches", "child_cycles",
					"child_context-switches" };
	char *line = NULL, *f[64];
	size_t cap = 0, n, nrows = 0;
	FILE *in;

	write_as(FMT_CSV);
	in = fopen(path, "r");
	cr_assert_not_null(in);
	cr_assert_gt(getline(&line, &cap, in), 0);
	n = fields(line, f, 64);
	cr_assert_eq(n, NFIXED + 3 + NADDED + 4, "header has %zu columns", n);
	for (size_t i = 0; i < NADDED; i++)
		cr_assert_str_eq(f[NFIXED + 3 + i], added[i], "column %zu", NFIXED + 3 + i);
	for (size_t i = 0; i < NFIXED; i++)
		cr_assert_str_eq(f[i], fixed[i], "column %zu", i);
	for (size_t i = 0; i < 4; i++)
		cr_assert_str_eq(f[n - 4 + i], events[i], "event column %zu", i);
	while (getline(&line, &cap, in) > 0) {
		const struct row *w = &rows[nrows++];

		cr_assert_leq(nrows, 3, "more rows than were written");
		cr_assert_eq(fields(line, f, 64), n, "row %zu: wrong column count", nrows);
		cr_assert_str_eq(f[0], w->backend);
		cr_assert_str_eq(f[1], w->wl->name);
		cr_assert_eq(strtoull(f[2], NULL, 10), w->size);
		cr_assert_eq(strtoull(f[3], NULL, 10), w->iterations * w->repetitions);
		check_number(f[4], w->ns.median, 0.005, "median_ns");
		check_number(f[5], w->ns.p10, 0.005, "p10_ns");
		check_number(f[6], w->ns.p90, 0.005, "p90_ns");
		check_number(f[7], w->ns.p99, 0.005, "p99_ns");
		check_number(f[8], w->ns.min, 0.005, "min_ns");
		check_number(f[9], w->overhead_pct, 0.005, "overhead_pct");
		cr_assert_str_eq(f[10], "tsc");
		for (size_t e = 0; e < 2; e++) {
			check_number(f[n - 4 + e], w->events[e], 1e-9, events[e]);
			check_number(f[n - 2 + e], w->child_events[e], 1e-9, events[2 + e]);
		}
	}
	cr_assert_eq(nrows, 3);
	free(line);
	fclose(in);
}

static void check_real(json_t *o, const char *key, double want)
{
	json_t *v = json_object_get(o, key);

	cr_assert_not_null(v, "no '%s'", key);
	if (isnan(want))
		cr_assert(json_is_null(v), "'%s' should be null", key);
	else
		cr_assert_float_eq(json_number_value(v), want, 1e-9, "'%s'", key);
}

Test(bench_report, json_parses_back, .init = fill, .fini = cleanup)
{
	json_error_t jerr;
	json_t *doc, *a, *run, *command;

	write_as(FMT_JSON);
	doc = json_load_file(path, 0, &jerr);
	cr_assert_not_null(doc, "%s: %s", path, jerr.text);
	a = json_object_get(doc, "rows");
	cr_assert(json_is_array(a));
	cr_assert_eq(json_array_size(a), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct row *w = &rows[i];
		json_t *o = json_array_get(a, i);

		for (size_t k = 0; k < NFIXED; k++)
			cr_assert_not_null(json_object_get(o, fixed[k]), "row %zu lacks %s", i,
					   fixed[k]);
		cr_assert_str_eq(json_string_value(json_object_get(o, "backend")), w->backend);
		cr_assert_str_eq(json_string_value(json_object_get(o, "workload")), w->wl->name);
		cr_assert_str_eq(json_string_value(json_object_get(o, "counter")), w->counter);
		cr_assert_eq(json_integer_value(json_object_get(o, "size")), (json_int_t)w->size);
		cr_assert_eq(json_integer_value(json_object_get(o, "calls")),
			     (json_int_t)(w->iterations * w->repetitions));
		check_real(o, "median_ns", w->ns.median);
		check_real(o, "p10_ns", w->ns.p10);
		check_real(o, "p90_ns", w->ns.p90);
		check_real(o, "p99_ns", w->ns.p99);
		check_real(o, "min_ns", w->ns.min);
		check_real(o, "overhead_pct", w->overhead_pct);
		check_real(o, "cycles", w->events[0]);
		check_real(o, "context-switches", w->events[1]);
		check_real(o, "child_cycles", w->child_events[0]);
		check_real(o, "child_context-switches", w->child_events[1]);
		cr_assert_eq(json_is_true(json_object_get(o, "noisy")), w->noisy, "row %zu noisy", i);
	}
	run = json_object_get(doc, "run");
	cr_assert(json_is_object(run));
	command = json_object_get(run, "command");
	cr_assert_eq(json_array_size(command), 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(json_string_value(json_array_get(command, i)), argv_[i]);
	cr_assert(json_is_false(json_object_get(run, "pmu")));
	cr_assert_str_eq(json_string_value(json_object_get(run, "pmu_reason")), "no PMU in this test");
	cr_assert_str_eq(json_string_value(json_object_get(run, "counter")), "tsc");
	cr_assert_eq(json_integer_value(json_object_get(run, "pin_cpu")), 0);
	cr_assert_float_eq(json_number_value(json_object_get(run, "tsc_ghz")), 2.5, 1e-12);
	cr_assert_float_eq(json_number_value(json_object_get(run, "timer_overhead_ns")), 20.0, 1e-9);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(run, "events"), 0), "source")),
			 "tsc");
	for (const char *const *k = (const char *const[]){ "date", "cpu", "cpus", "pku", "kernel",
							  "compiler", "cflags", "git_revision",
							  "tsc_source", NULL };
	     *k; k++)
		cr_assert_not_null(json_object_get(run, *k), "run lacks %s", *k);
	json_decref(doc);
}

/* system.json is the results' "run" object on its own. */
Test(bench_report, system_json_is_the_run_metadata, .init = fill, .fini = cleanup)
{
	json_error_t jerr;
	json_t *sys, *doc, *run;
	const char *key;
	json_t *v;

	write_as(FMT_SYSTEM);
	sys = json_load_file(path, 0, &jerr);
	cr_assert_not_null(sys, "%s", jerr.text);
	unlink(path);
	write_as(FMT_JSON);
	doc = json_load_file(path, 0, &jerr);
	cr_assert_not_null(doc, "%s", jerr.text);
	run = json_object_get(doc, "run");
	cr_assert_eq(json_object_size(sys), json_object_size(run));
	json_object_foreach(run, key, v)
		if (strcmp(key, "date") != 0) /* may tick between the two writes */
			cr_assert(json_equal(v, json_object_get(sys, key)), "'%s' differs", key);
	json_decref(sys);
	json_decref(doc);
}

/* Without --events: the columns and keys of before, counter tsc. */
Test(bench_report, no_events_no_event_columns, .init = fill, .fini = cleanup)
{
	char *line = NULL, *f[64];
	size_t cap = 0;
	FILE *in;

	res.counters.n = 0;
	for (size_t i = 0; i < 3; i++)
		rows[i].child = false;
	write_as(FMT_CSV);
	in = fopen(path, "r");
	cr_assert_not_null(in);
	cr_assert_gt(getline(&line, &cap, in), 0);
	cr_assert_eq(fields(line, f, 64), NFIXED + 3 + NADDED);
	cr_assert_str_eq(f[NFIXED - 1], "counter");
	free(line);
	fclose(in);
}

Test(bench_report, table_shows_the_events, .init = fill, .fini = cleanup)
{
	char buf[4096];
	size_t n;
	FILE *in;

	write_as(FMT_TABLE);
	in = fopen(path, "r");
	cr_assert_not_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	buf[n] = '\0';
	fclose(in);
	cr_assert(strstr(buf, " cycles "), "%s", buf);
	cr_assert(strstr(buf, "child_context-switches"), "%s", buf);
	cr_assert(strstr(buf, "273.8"), "%s", buf);
	cr_assert(strstr(buf, "cycles from TSC"), "%s", buf);
}
