/* format.c: the results in each --format (an aligned table, CSV with fixed leading columns, JSON) and the run's metadata. */
#include <cpuid.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "plan.h"

#ifndef HARNESS_GIT_REV
#define HARNESS_GIT_REV "unknown"
#endif
#ifndef HARNESS_CFLAGS
#define HARNESS_CFLAGS "unknown"
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER __VERSION__
#endif

static uint64_t calls(const struct row *w)
{
	return w->iterations * w->repetitions;
}

/* Child columns only where some row ran in a child: a run without one keeps its width. */
static bool any_child(const struct results *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].child)
			return true;
	return false;
}

static int event_width(const char *name, const char *prefix)
{
	int n = (int)(strlen(name) + strlen(prefix));

	return n > 10 ? n : 10;
}

static bool hardware_asked(const struct counters_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ev[i].hardware)
			return true;
	return false;
}

/* "noisy,contended", or "-". */
static void flags(char *buf, size_t n, const struct row *w)
{
	snprintf(buf, n, "%s%s%s", w->noisy ? "noisy" : "", w->noisy && w->contended ? "," : "",
		 w->contended ? "contended" : "");
	if (!*buf)
		snprintf(buf, n, "-");
}

static bool any_sized(const struct results *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].wl->sized)
			return true;
	return false;
}

/* The row's ratio to the baseline, its interval, and what it means. */
static void ratio_cell(char *buf, size_t n, const struct config *c, const struct row *w)
{
	if (strcmp(w->backend, plan_baseline(c)) == 0)
		snprintf(buf, n, "baseline");
	else
		stats_ratio_text(buf, n, &w->ratio);
}

static void table(FILE *f, const struct config *c, const struct results *r)
{
	const struct counters_plan *p = &r->counters;
	bool child = any_child(r);
	int bw = (int)strlen("backend"), ww = (int)strlen("workload"), rw = 10;
	char head[64], cell[96];

	snprintf(head, sizeof(head), "x_%s_95%%CI", plan_baseline(c));
	rw = (int)strlen(head) > rw ? (int)strlen(head) : rw;
	/* Columns as wide as the longest name in them. */
	for (size_t i = 0; i < r->nrows; i++) {
		int b = (int)strlen(r->rows[i].backend), w = (int)strlen(r->rows[i].wl->name);

		ratio_cell(cell, sizeof(cell), c, &r->rows[i]);
		bw = b > bw ? b : bw;
		ww = w > ww ? w : ww;
		rw = (int)strlen(cell) > rw ? (int)strlen(cell) : rw;
	}
	if (r->before.ok && r->before.others >= SYSLOAD_CONTENDED)
		fprintf(f, "contended: other processes used %.1f CPUs before the run (load average "
			   "%.2f), %.1f during it; %zu of %zu rows measured under contention\n",
			r->before.others, r->loadavg, r->during.others, r->ncontended, r->nrows);
	fprintf(f, "%-*s %-*s %9s %9s %10s %10s %10s %10s %10s %10s %-*s %s", bw, "backend", ww,
		"workload", "size_B", "calls", "median_ns", "p10_ns", "p90_ns", "p99_ns", "min_ns",
		"cpu_ns", rw, head, "flags");
	for (size_t e = 0; e < p->n; e++)
		fprintf(f, " %*s", event_width(p->ev[e].name, ""), p->ev[e].name);
	for (size_t e = 0; child && e < p->n; e++) {
		char name[COUNTERS_NAME + 8];

		snprintf(name, sizeof(name), "child_%s", p->ev[e].name);
		fprintf(f, " %*s", event_width(name, ""), name);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];
		char fl[32];

		ratio_cell(cell, sizeof(cell), c, w);
		flags(fl, sizeof(fl), w);
		fprintf(f, "%-*s %-*s %9zu %9llu %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %-*s %-9s",
			bw, w->backend, ww, w->wl->name, w->size, (unsigned long long)calls(w),
			w->ns.median, w->ns.p10, w->ns.p90, w->ns.p99, w->ns.min, w->cpu_ns, rw, cell,
			fl);
		for (int k = 0; k < (child ? 2 : 1); k++) {
			const double *v = k ? w->child_events : w->events;

			for (size_t e = 0; e < p->n; e++) {
				int width = event_width(p->ev[e].name, k ? "child_" : "");

				if (isnan(v[e]))
					fprintf(f, " %*s", width, "-");
				else
					fprintf(f, " %*.4g", width, v[e]);
			}
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->nskipped; i++)
		fprintf(f, "skipped %s: %s\n", r->skipped[i].backend, r->skipped[i].reason);
	fprintf(f, "units: ns per call (median and percentiles over %u batches a row, "
		   "interleaved with the other backends'); cpu_ns: CPU time per call, the caller's "
		   "and a process domain's processes'; x_%s: the median of the paired batches' ratios, "
		   "95%% bootstrap interval; calls: timed calls\n",
		c->repetitions * c->rounds * (c->executions > 1 ? c->executions : 1),
		plan_baseline(c));
	if (any_sized(r))
		fputs("size_B: the payload in bytes of a sized workload (png-decode: the PNG's "
		      "nominal bytes; snappy-uncompress: uncompressed; --list says each), "
		      "0 for the unsized\n", f);
	fprintf(f, "counter: TSC at %.3f GHz (%s), timer overhead %.1f ns subtracted; "
		   "process wait policy: %s; hardening %s",
		r->tsc.ghz, r->tsc.source, r->tsc.overhead_ticks / r->tsc.ghz,
		cli_wait_name(c->opt.wait), c->opt.harden == ISO_HARDEN_ON ? "on" : "off");
	if (p->n && strcmp(counters_source(p), "pmu") == 0)
		fprintf(f, "; events per call, PMU events %s",
			c->kernel ? "user and kernel" : "user mode only");
	else if (p->n && hardware_asked(p))
		fputs("; events per call, no PMU: cycles from TSC", f);
	else if (p->n)
		fputs("; events per call", f);
	if (c->pin_cpu >= 0)
		fprintf(f, "; pinned to CPU %d", c->pin_cpu);
	if (c->rounds > 1)
		fprintf(f, "; %u rounds of fresh domains a row", c->rounds);
	if (c->executions > 1)
		fprintf(f, "; %u executions (processes), the intervals resampling them",
			c->executions);
	fprintf(f, "; seed %llu\n", (unsigned long long)r->seed);
}

static void csv_value(FILE *f, double v)
{
	fputc(',', f);
	if (!isnan(v))
		fprintf(f, "%.10g", v);
}

static void csv(FILE *f, const struct config *c, const struct results *r)
{
	const struct counters_plan *p = &r->counters;
	bool child = any_child(r);

	fputs("backend,workload,size,calls,median_ns,p10_ns,p90_ns,p99_ns,min_ns,overhead_pct,"
	      "counter,iterations,repetitions,wait,ratio,ratio_lo,ratio_hi,cpu_ns,noisy,contended", f);
	for (size_t e = 0; e < p->n; e++)
		fprintf(f, ",%s", p->ev[e].name);
	for (size_t e = 0; child && e < p->n; e++)
		fprintf(f, ",child_%s", p->ev[e].name);
	fputc('\n', f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];

		fprintf(f, "%s,%s,%zu,%llu,%.2f,%.2f,%.2f,%.2f,%.2f,", w->backend, w->wl->name,
			w->size, (unsigned long long)calls(w), w->ns.median, w->ns.p10, w->ns.p90,
			w->ns.p99, w->ns.min);
		if (!isnan(w->overhead_pct))
			fprintf(f, "%.2f", w->overhead_pct);
		fprintf(f, ",%s,%llu,%u,%s", w->counter, (unsigned long long)w->iterations,
			w->repetitions, cli_wait_name(c->opt.wait));
		csv_value(f, w->ratio.est);
		csv_value(f, w->ratio.lo);
		csv_value(f, w->ratio.hi);
		csv_value(f, w->cpu_ns);
		fprintf(f, ",%d,%d", w->noisy, w->contended);
		for (size_t e = 0; e < p->n; e++)
			csv_value(f, w->events[e]);
		for (size_t e = 0; child && e < p->n; e++)
			csv_value(f, w->child_events[e]);
		fputc('\n', f);
	}
}

static void cpu_model(char *buf, size_t n)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, n, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(buf, n, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

/* CPUID.7.0:ECX bit 3 (PKU) and bit 4 (OSPKE: the OS has turned it on). */
static json_t *pku(void)
{
	unsigned a, b, cx = 0, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &cx, &d))
		cx = 0;
	return json_pack("{s:b, s:b}", "cpu", (cx >> 3) & 1, "os", (cx >> 4) & 1);
}

static json_t *maybe_string(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *real_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *events_json(const struct counters_plan *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->n; i++) {
		const struct counter_event *e = &p->ev[i];
		const char *from = e->available ? (e->hardware ? "pmu" : "software")
						: e->tsc_cycles ? "tsc" : NULL;

		json_array_append_new(a, json_pack("{s:s, s:o, s:b, s:o, s:o}", "name", e->name,
						   "encoding", maybe_string(e->encoding),
						   "available", e->available, "source",
						   maybe_string(from), "reason",
						   maybe_string(e->available ? NULL : e->why)));
	}
	return a;
}

static json_t *span_json(const struct sysload_span *s)
{
	if (!s->ok)
		return json_null();
	return json_pack("{s:f, s:f}", "other_cpus", s->others, "steal_cpus", s->steal);
}

/* The machine's state: load average, other processes' CPU use and steal before and during
 * the run (CPUs' worth), and whether the run was contended. */
static json_t *load_json(const struct results *r)
{
	return json_pack("{s:o, s:o, s:o, s:f, s:b, s:I}", "loadavg_1min",
			 r->loadavg >= 0 ? json_real(r->loadavg) : json_null(), "before",
			 span_json(&r->before), "during", span_json(&r->during),
			 "contended_threshold_cpus", SYSLOAD_CONTENDED, "contended",
			 r->before.ok && r->before.others >= SYSLOAD_CONTENDED, "contended_rows",
			 (json_int_t)r->ncontended);
}

static json_t *metadata(const struct config *c, const struct results *r)
{
	const struct counters_plan *p = &r->counters;
	char host[256] = "unknown", cpu[256], date[32];
	struct utsname u;
	time_t now = time(NULL);
	json_t *argv = json_array(), *m;

	gethostname(host, sizeof(host) - 1);
	cpu_model(cpu, sizeof(cpu));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	for (int i = 0; i < c->argc; i++)
		json_array_append_new(argv, json_string(c->argv[i]));
	m = json_pack("{s:s, s:s, s:s, s:i, s:o, s:b, s:o, s:s, s:s, s:s, s:s, s:s, s:o}",
		      "date", date, "host", host, "cpu", cpu, "cpus",
		      (int)sysconf(_SC_NPROCESSORS_ONLN), "pku", pku(), "pmu", p->pmu,
		      "pmu_reason", maybe_string(p->pmu ? NULL : p->pmu_why), "kernel", u.release,
		      "compiler", COMPILER, "cflags", HARNESS_CFLAGS, "git_revision", HARNESS_GIT_REV,
		      "counter", counters_source(p), "command", argv);
	json_object_set_new(m, "tsc_ghz", json_real(r->tsc.ghz));
	json_object_set_new(m, "tsc_source", maybe_string(r->tsc.source));
	json_object_set_new(m, "timer_overhead_ns",
			    real_or_null(r->tsc.ghz > 0 ? r->tsc.overhead_ticks / r->tsc.ghz : NAN));
	json_object_set_new(m, "pin_cpu", c->pin_cpu >= 0 ? json_integer(c->pin_cpu) : json_null());
	json_object_set_new(m, "events", events_json(p));
	json_object_set_new(m, "events_kernel", json_boolean(c->kernel));
	json_object_set_new(m, "wait", json_string(cli_wait_name(c->opt.wait)));
	json_object_set_new(m, "harden", json_string(c->opt.harden == ISO_HARDEN_ON ? "on" : "off"));
	json_object_set_new(m, "timeout_ms", json_integer(c->opt.timeout_ms));
	json_object_set_new(m, "warmup", json_integer(c->warmup));
	json_object_set_new(m, "rounds", json_integer(c->rounds));
	json_object_set_new(m, "executions", json_integer(c->executions));
	json_object_set_new(m, "noisy_ratio", json_real(NOISY_RATIO));
	json_object_set_new(m, "baseline", json_string(plan_baseline(c)));
	json_object_set_new(m, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(m, "interleaved", json_true());
	json_object_set_new(m, "load", load_json(r));
	return m;
}

static json_t *rows_json(const struct results *r)
{
	const struct counters_plan *p = &r->counters;
	bool child = any_child(r);
	json_t *a = json_array();

	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:s, s:I, s:i}",
				      "backend", w->backend, "workload", w->wl->name, "size",
				      (json_int_t)w->size, "calls", (json_int_t)calls(w),
				      "median_ns", w->ns.median, "p10_ns", w->ns.p10, "p90_ns",
				      w->ns.p90, "p99_ns", w->ns.p99, "min_ns", w->ns.min,
				      "counter", w->counter, "iterations", (json_int_t)w->iterations,
				      "repetitions", (int)w->repetitions);

		json_object_set_new(o, "overhead_pct", real_or_null(w->overhead_pct));
		json_object_set_new(o, "noisy", json_boolean(w->noisy));
		json_object_set_new(o, "median_lo_ns", real_or_null(w->median.lo));
		json_object_set_new(o, "median_hi_ns", real_or_null(w->median.hi));
		json_object_set_new(o, "ratio", real_or_null(w->ratio.est));
		json_object_set_new(o, "ratio_lo", real_or_null(w->ratio.lo));
		json_object_set_new(o, "ratio_hi", real_or_null(w->ratio.hi));
		json_object_set_new(o, "cpu_ns", real_or_null(w->cpu_ns));
		json_object_set_new(o, "contended", json_boolean(w->contended));
		for (size_t e = 0; e < p->n; e++)
			json_object_set_new(o, p->ev[e].name, real_or_null(w->events[e]));
		for (size_t e = 0; child && e < p->n; e++) {
			char key[COUNTERS_NAME + 8];

			snprintf(key, sizeof(key), "child_%s", p->ev[e].name);
			json_object_set_new(o, key, real_or_null(w->child_events[e]));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static int dump(FILE *f, json_t *doc)
{
	int err;

	if (!doc)
		return errno = ENOMEM, -1;
	err = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(doc);
	return err;
}

static int json_out(FILE *f, const struct config *c, const struct results *r)
{
	json_t *skipped = json_array(), *failed = json_array(), *doc;

	for (size_t i = 0; i < r->nskipped; i++)
		json_array_append_new(skipped, json_pack("{s:s, s:s}", "backend",
							 r->skipped[i].backend, "reason",
							 r->skipped[i].reason));
	for (size_t i = 0; i < r->nfailed; i++)
		json_array_append_new(failed, json_string(r->failed[i].what));
	doc = json_pack("{s:o, s:o, s:o, s:o}", "run", metadata(c, r), "rows", rows_json(r),
			"skipped", skipped, "failed", failed);
	return dump(f, doc);
}

int format_write(FILE *f, enum format fmt, const struct config *c, const struct results *r)
{
	switch (fmt) {
	case FMT_TABLE: table(f, c, r); break;
	case FMT_CSV: csv(f, c, r); break;
	case FMT_JSON:
		if (json_out(f, c, r))
			return -1;
		break;
	case FMT_SYSTEM:
		if (dump(f, metadata(c, r)))
			return -1;
		break;
	}
	return ferror(f) ? -1 : 0;
}
