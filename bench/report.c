/* report.c: result rows as an aligned table, CSV (fixed leading columns) or JSON with run metadata. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef ISO_GIT_REV
#define ISO_GIT_REV "unknown"
#endif

static uint64_t calls(const struct row *w)
{
	return w->iterations * w->repetitions;
}

static void table(FILE *f, const struct config *c, const struct results *r)
{
	fprintf(f, "%-9s %-12s %9s %9s %10s %10s %10s %10s %10s %11s\n", "backend", "workload",
		"size", "calls", "median_ns", "p10_ns", "p90_ns", "p99_ns", "min_ns", "overhead");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];
		char over[32] = "";

		if (!isnan(w->overhead_pct) && strcmp(w->backend, "none") != 0)
			snprintf(over, sizeof(over), "%+.1f%%", w->overhead_pct);
		fprintf(f, "%-9s %-12s %9zu %9llu %10.1f %10.1f %10.1f %10.1f %10.1f %11s\n",
			w->backend, w->wl->name, w->size, (unsigned long long)calls(w), w->ns.median,
			w->ns.p10, w->ns.p90, w->ns.p99, w->ns.min, over);
	}
	for (size_t i = 0; i < r->nskipped; i++)
		fprintf(f, "skipped %s: %s\n", r->skipped[i].backend, r->skipped[i].reason);
	fprintf(f, "counter: TSC at %.3f GHz (%s), timer overhead %.1f ns subtracted; "
		   "process wait policy: %s\n",
		r->tsc.ghz, r->tsc.source, r->tsc.overhead_ticks / r->tsc.ghz,
		wait_name(c->opt.wait));
}

static void csv(FILE *f, const struct config *c, const struct results *r)
{
	fputs("backend,workload,size,calls,median_ns,p10_ns,p90_ns,p99_ns,min_ns,overhead_pct,"
	      "counter,iterations,repetitions,wait\n", f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];

		fprintf(f, "%s,%s,%zu,%llu,%.2f,%.2f,%.2f,%.2f,%.2f,", w->backend, w->wl->name,
			w->size, (unsigned long long)calls(w), w->ns.median, w->ns.p10, w->ns.p90,
			w->ns.p99, w->ns.min);
		if (!isnan(w->overhead_pct))
			fprintf(f, "%.2f", w->overhead_pct);
		fprintf(f, ",%s,%llu,%u,%s\n", w->counter, (unsigned long long)w->iterations,
			w->repetitions, wait_name(c->opt.wait));
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

static json_t *metadata(const struct config *c, const struct results *r)
{
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
	m = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}", "date", date, "host", host,
		      "cpu", cpu, "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release,
		      "compiler", __VERSION__, "git_revision", ISO_GIT_REV, "counter", "tsc",
		      "command", argv);
	json_object_set_new(m, "tsc_ghz", json_real(r->tsc.ghz));
	json_object_set_new(m, "tsc_source", json_string(r->tsc.source));
	json_object_set_new(m, "timer_overhead_ns", json_real(r->tsc.overhead_ticks / r->tsc.ghz));
	json_object_set_new(m, "wait", json_string(wait_name(c->opt.wait)));
	json_object_set_new(m, "timeout_ms", json_integer(c->opt.timeout_ms));
	json_object_set_new(m, "warmup", json_integer(c->warmup));
	return m;
}

static json_t *rows_json(const struct results *r)
{
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

		json_object_set_new(o, "overhead_pct",
				    isnan(w->overhead_pct) ? json_null() : json_real(w->overhead_pct));
		json_array_append_new(a, o);
	}
	return a;
}

static int json_out(FILE *f, const struct config *c, const struct results *r)
{
	json_t *skipped = json_array(), *failed = json_array(), *doc;
	int err;

	for (size_t i = 0; i < r->nskipped; i++)
		json_array_append_new(skipped, json_pack("{s:s, s:s}", "backend",
							 r->skipped[i].backend, "reason",
							 r->skipped[i].reason));
	for (size_t i = 0; i < r->nfailed; i++)
		json_array_append_new(failed, json_string(r->failed[i].what));
	doc = json_pack("{s:o, s:o, s:o, s:o}", "run", metadata(c, r), "rows", rows_json(r),
			"skipped", skipped, "failed", failed);
	if (!doc)
		return errno = ENOMEM, -1;
	err = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(doc);
	return err;
}

int report_write(FILE *f, enum format fmt, const struct config *c, const struct results *r)
{
	switch (fmt) {
	case FMT_TABLE: table(f, c, r); break;
	case FMT_CSV: csv(f, c, r); break;
	case FMT_JSON:
		if (json_out(f, c, r))
			return -1;
		break;
	}
	return ferror(f) ? -1 : 0;
}
