/* report_md.c: ./harness --report RUN: RUN/report.md, a run's tables and plots in Markdown. */

/*
 * OVERVIEW
 *
 * report.md is made from the files a run folder holds (run_folder.c reads them), never
 * from a run in memory, so that `make report` can write it again later:
 *
 *   results.json    the rows (read with results_json.c, as --compare reads them), the
 *                   run's metadata, the skipped backends and the failures
 *   system.json     linked when it is there
 *   hyperfine.json  whole harness runs, when there is one
 *   violations.csv  the violation matrix (harness --violations), when there is one
 *   plots.tsv       the plots, "name<TAB>title" a line, written by plots/plots.sh
 *
 * Divisions, in file order: table cells; the sections, one function each, in the order
 * report.md has them; writing report.md.
 * Ratios compare medians of this run only.  Every file is read before report.md is
 * opened: a file that is not what it should be leaves the old report.md as it was.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "output.h"
#include "report_md.h"
#include "results_json.h"
#include "run_folder.h"

static const char *workload_of(json_t *row)
{
	return results_json_str(row, "workload");
}

/* ---- table cells ------------------------------------------------------------------------- */

/* backend's median on case c's workload and size; NAN where it was not measured. */
static double median(const struct run_folder *r, const char *backend, json_t *c)
{
	return run_folder_median(r, backend, workload_of(c), results_json_size(c));
}

static void cell_ns(FILE *f, double ns)
{
	if (isnan(ns))
		fputs(" - |", f);
	else
		fprintf(f, " %.1f |", ns);
}

/* a / b, or "-" where either is missing or b is not positive. */
static void cell_ratio(FILE *f, double a, double b)
{
	if (isnan(a) || isnan(b) || b <= 0)
		fputs(" - |", f);
	else
		fprintf(f, " %.2f |", a / b);
}

/* backend's row for case c, or NULL. */
static json_t *row_of(const struct run_folder *r, const char *backend, json_t *c)
{
	return results_json_find(r->rows, backend, workload_of(c), results_json_size(c));
}

static double number(json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static bool flag(json_t *row, const char *key)
{
	return json_is_true(json_object_get(row, key));
}

/* After a cell's value: " *" noisy, " †" measured under contention. */
static void marks(FILE *f, json_t *row)
{
	if (flag(row, "noisy"))
		fputs(" \\*", f);
	if (flag(row, "contended"))
		fputs(" †", f);
}

/* The row's ratio to the baseline with its interval, marked; a results.json without
 * intervals (an older harness): the ratio of the medians to base_ns. */
static void cell_interval(FILE *f, json_t *row, double base_ns)
{
	struct stats_interval ci = { number(row, "ratio"), number(row, "ratio_lo"),
				     number(row, "ratio_hi") };
	char text[96];

	if (row && isnan(ci.est)) {
		cell_ratio(f, results_json_median(row), base_ns);
		return;
	}
	stats_ratio_text(text, sizeof(text), &ci);
	fprintf(f, " %s", text);
	if (row)
		marks(f, row);
	fputs(" |", f);
}

static void case_start(FILE *f, json_t *c)
{
	fprintf(f, "| %s | %lld |", workload_of(c), (long long)results_json_size(c));
}

/* The header of a table with a line per case and a column per backend (none only if
 * with_none). */
static void cases_header(FILE *f, const struct run_folder *r, bool with_none)
{
	fputs("| workload | size |", f);
	for (size_t j = 0; j < r->nbackends; j++)
		if (with_none || strcmp(r->backends[j], "none"))
			fprintf(f, " %s |", r->backends[j]);
	fputs("\n|---|---:|", f);
	for (size_t j = 0; j < r->nbackends; j++)
		if (with_none || strcmp(r->backends[j], "none"))
			fputs("---:|", f);
	fputc('\n', f);
}

/* ---- the sections ------------------------------------------------------------------- */

/* Their prose (the printf formats take what the comment before each names). */

/* The run's name; ", [system.json](system.json)" or nothing. */
static const char run_intro[] =
	"# isobench run %s\n\n"
	"Per-call times in nanoseconds (median over the batches); each workload and size had\n"
	"every backend's domain open at once and their batches interleaved, one of each per\n"
	"repetition in a shuffled order. Ratios are to the baseline, the median of the paired\n"
	"batches' ratios with its 95 %% bootstrap interval; \"~1x (no difference)\" where the\n"
	"interval holds 1. Marks: \\* noisy (p90/p10 above 1.5), † measured while other\n"
	"processes used half a CPU or more. Data: [results.csv](results.csv),\n"
	"[results.json](results.json)%s.\n";

static const char copying_intro[] =
	"\n## Copying against memcpy\n\n"
	"The share of memcpy bandwidth (same size, same run) at which a backend moves the\n"
	"data: memcpy time for the bytes moved over the time the backend adds to `none`.\n"
	"`copy-in` and `copy-out` move size bytes once, `copy` moves them in and out (2x)\n"
	"and has the domain copy every byte in between. 1.00 is memcpy speed; a share\n"
	"above 1 cannot be and is shown as not a result (its yardstick was noisy).\n\n";

/* One signal's time in ns. */
static const char rewind_intro[] =
	"\n## Rewind against one signal delivery\n\n"
	"One signal delivered and returned from: %.1f ns. `rewind`: crashes back to back\n"
	"(a process domain's standbys used up: each pays a fork and an exit);\n"
	"`rewind-once`: one crash into a settled domain (a standby ready).\n\n"
	"| backend | rewind (ns) | / signal | rewind-once (ns) | / signal |\n"
	"|---|---:|---:|---:|---:|\n";

static const char hyperfine_intro[] =
	"\n## Whole harness runs (hyperfine)\n\n"
	"Wall time of one harness run (`call-null`, one backend, no baseline): start-up,\n"
	"domain creation, warm-up and measurement. Data: [hyperfine.json](hyperfine.json).\n\n"
	"| backend | mean (ms) | σ (ms) | min (ms) | max (ms) | runs |\n"
	"|---|---:|---:|---:|---:|---:|\n";

/* The verdicts' glossary (violation_glossary). */
static const char violations_intro[] =
	"\n## Violation matrix\n\n"
	"Each kind of failure run once inside a domain of each backend, each in a\n"
	"subprocess of the harness ([violations.csv](violations.csv)). %s.\n\n";

/* A scalar as results.json has it, strings without their quotes. */
static void put_scalar(FILE *f, json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		fputs(json_string_value(v), f);
	} else if ((text = json_dumps(v, JSON_ENCODE_ANY))) {
		fputs(text, f);
		free(text);
	}
}

/* The lines of the Run table for key: an object's keys joined to it with dots (pku.cpu),
 * an array's scalars on one line separated by spaces (command), its containers by index. */
static void run_lines(FILE *f, const char *key, json_t *v)
{
	const char *quote = strcmp(key, "command") ? "" : "`";
	char sub[256];
	const char *k;
	bool started = false;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			snprintf(sub, sizeof(sub), "%s.%s", key, k);
			run_lines(f, sub, x);
		}
		return;
	}
	if (!json_is_array(v)) {
		fprintf(f, "| %s | %s", key, quote);
		put_scalar(f, v);
		fprintf(f, "%s |\n", quote);
		return;
	}
	json_array_foreach(v, i, x) {
		if (json_is_object(x) || json_is_array(x))
			continue;
		if (started)
			fputc(' ', f);
		else
			fprintf(f, "| %s | %s", key, quote);
		put_scalar(f, x);
		started = true;
	}
	if (started)
		fprintf(f, "%s |\n", quote);
	json_array_foreach(v, i, x) {
		if (json_is_object(x) || json_is_array(x)) {
			snprintf(sub, sizeof(sub), "%s.%zu", key, i);
			run_lines(f, sub, x);
		}
	}
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void section_run(FILE *f, const struct run_folder *r)
{
	json_t *skipped = json_object_get(r->results, "skipped");
	json_t *failed = json_object_get(r->results, "failed"), *x;
	const char *k;
	size_t i;

	json_t *load = json_object_get(json_object_get(r->results, "run"), "load");

	fprintf(f, run_intro, r->name, r->system ? ", [system.json](system.json)" : "");
	if (flag(load, "contended") || number(load, "contended_rows") > 0)
		fprintf(f, "\n**Contended:** other processes used %.1f CPUs before the run and %.1f "
			   "during it (load average %.2f); %.0f rows were measured under "
			   "contention (†): their ratios are less sure than quiet ones.\n",
			number(json_object_get(load, "before"), "other_cpus"),
			number(json_object_get(load, "during"), "other_cpus"),
			number(load, "loadavg_1min"), number(load, "contended_rows"));
	fputs("\n## Run\n\n| key | value |\n|---|---|\n", f);
	json_object_foreach(json_object_get(r->results, "run"), k, x)
		run_lines(f, k, x);
	if (json_array_size(skipped) || json_array_size(failed))
		fputc('\n', f);
	json_array_foreach(skipped, i, x)
		fprintf(f, "- skipped **%s**: %s\n", or_empty(results_json_str(x, "backend")),
			or_empty(results_json_str(x, "reason")));
	json_array_foreach(failed, i, x)
		fprintf(f, "- failed: %s\n", or_empty(json_string_value(x)));
}

static void section_medians(FILE *f, const struct run_folder *r)
{
	fputs("\n## Median per call (ns)\n\n", f);
	cases_header(f, r, true);
	for (size_t i = 0; i < r->ncases; i++) {
		case_start(f, r->cases[i]);
		for (size_t j = 0; j < r->nbackends; j++)
			cell_ns(f, median(r, r->backends[j], r->cases[i]));
		fputc('\n', f);
	}
}

static void section_ratios(FILE *f, const struct run_folder *r)
{
	const char *base = results_json_str(json_object_get(r->results, "run"), "baseline");

	base = base ? base : "none";
	fprintf(f, "\n## Ratio to %s (95 %% interval)\n\n", base);
	if (!run_folder_has_backend(r, base)) {
		fprintf(f, "No `%s` rows in this run (--no-baseline): no ratios.\n", base);
		return;
	}
	cases_header(f, r, false);
	for (size_t i = 0; i < r->ncases; i++) {
		case_start(f, r->cases[i]);
		for (size_t j = 0; j < r->nbackends; j++)
			if (strcmp(r->backends[j], "none"))
				cell_interval(f, row_of(r, r->backends[j], r->cases[i]),
					      median(r, base, r->cases[i]));
		fputc('\n', f);
	}
}

/* Latency and the CPU time behind it: a backend that spins keeps a second core busy. */
static void section_cpu(FILE *f, const struct run_folder *r)
{
	fputs("\n## Latency and CPU time per call (ns)\n\n"
	      "Each cell: median latency / CPU time (the caller's thread and, for process\n"
	      "domains, the child's task-clock). CPU above latency means more than one core.\n\n", f);
	cases_header(f, r, true);
	for (size_t i = 0; i < r->ncases; i++) {
		case_start(f, r->cases[i]);
		for (size_t j = 0; j < r->nbackends; j++) {
			json_t *row = row_of(r, r->backends[j], r->cases[i]);

			if (!row || isnan(number(row, "cpu_ns")))
				fputs(" - |", f);
			else
				fprintf(f, " %.1f / %.1f |", results_json_median(row),
					number(row, "cpu_ns"));
		}
		fputc('\n', f);
	}
}

static void section_process_mpk(FILE *f, const struct run_folder *r)
{
	json_t *x;
	size_t i;
	bool why = false;

	fputs("\n## process / mpk\n\n", f);
	if (run_folder_has_backend(r, "process") && run_folder_has_backend(r, "mpk")) {
		fputs("| workload | size | process / mpk |\n|---|---:|---:|\n", f);
		for (i = 0; i < r->ncases; i++) {
			case_start(f, r->cases[i]);
			cell_ratio(f, median(r, "process", r->cases[i]), median(r, "mpk", r->cases[i]));
			fputc('\n', f);
		}
		return;
	}
	fputs("Not computed: process and mpk did not both run.", f);
	json_array_foreach(json_object_get(r->results, "skipped"), i, x) {
		const char *b = or_empty(results_json_str(x, "backend"));

		if (!strcmp(b, "process") || !strcmp(b, "mpk")) {
			fprintf(f, " %s was skipped: %s.", b, or_empty(results_json_str(x, "reason")));
			why = true;
		}
	}
	fputs(why ? "\n" : " It was not asked for.\n", f);
}

static void section_references(FILE *f, const struct run_folder *r)
{
	json_t *row;
	bool any = false;
	size_t i;

	json_array_foreach(r->rows, i, row) {
		if (strcmp(results_json_str(row, "backend"), "ref"))
			continue;
		if (!any)
			fputs("\n## Bare references (ns)\n\n| reference | median |\n|---|---:|\n", f);
		any = true;
		fprintf(f, "| %s", workload_of(row));
		if (results_json_size(row) > 0)
			fprintf(f, " %lld", (long long)results_json_size(row));
		fputs(" |", f);
		cell_ns(f, results_json_median(row));
		fputc('\n', f);
	}
}

/* For a copy workload's case with a none row and a memcpy reference of its size: true,
 * *moved the memcpy time for the bytes it moves (copy: in and out, twice) and *none none's
 * median. */
static bool copy_case(const struct run_folder *r, json_t *c, double *moved, double *none)
{
	const char *w = workload_of(c);
	int times = !strcmp(w, "copy") ? 2 : (!strcmp(w, "copy-in") || !strcmp(w, "copy-out"));

	*moved = times * run_folder_median(r, "ref", "memcpy", results_json_size(c));
	*none = median(r, "none", c);
	return times && !isnan(*moved) && !isnan(*none);
}

/* The share of memcpy bandwidth at which each backend moves the data. */
static void section_copying(FILE *f, const struct run_folder *r)
{
	double moved, none;
	size_t i = 0;

	while (i < r->ncases && !copy_case(r, r->cases[i], &moved, &none))
		i++;
	if (i == r->ncases)
		return;
	fputs(copying_intro, f);
	cases_header(f, r, false);
	for (; i < r->ncases; i++) {
		if (!copy_case(r, r->cases[i], &moved, &none))
			continue;
		case_start(f, r->cases[i]);
		for (size_t j = 0; j < r->nbackends; j++) {
			double extra = median(r, r->backends[j], r->cases[i]) - none;

			if (!strcmp(r->backends[j], "none"))
				continue;
			if (isnan(extra) || extra <= 0)
				fputs(" - |", f);
			else if (moved / extra > 1) /* faster than memcpy: a noisy yardstick */
				fprintf(f, " not a result (%.2f > 1: memcpy or none noisy) |",
					moved / extra);
			else
				fprintf(f, " %.2f |", moved / extra);
		}
		fputc('\n', f);
	}
}

static void section_rewind(FILE *f, const struct run_folder *r)
{
	double signal = run_folder_median(r, "ref", "signal", 0);
	bool any = false;

	if (isnan(signal))
		return;
	for (size_t j = 0; j < r->nbackends; j++) {
		double ns = run_folder_median(r, r->backends[j], "rewind", 0),
		       once = run_folder_median(r, r->backends[j], "rewind-once", 0);

		if (isnan(ns) && isnan(once))
			continue;
		if (!any)
			fprintf(f, rewind_intro, signal);
		any = true;
		fprintf(f, "| %s |", r->backends[j]);
		cell_ns(f, ns);
		cell_ratio(f, ns, signal);
		cell_ns(f, once);
		cell_ratio(f, once, signal);
		fputc('\n', f);
	}
}

/* A hyperfine result's label: its parameter's value (the backend), else its command. */
static const char *hyperfine_label(json_t *result)
{
	const char *k, *label = NULL;
	json_t *v;

	json_object_foreach(json_object_get(result, "parameters"), k, v)
		label = json_string_value(v);
	return label && *label ? label : or_empty(results_json_str(result, "command"));
}

static double ms(json_t *result, const char *key)
{
	return json_number_value(json_object_get(result, key)) * 1e3;
}

static void section_hyperfine(FILE *f, const struct run_folder *r)
{
	json_t *results = json_object_get(r->hyperfine, "results"), *x;
	size_t i;

	if (!json_array_size(results))
		return;
	fputs(hyperfine_intro, f);
	json_array_foreach(results, i, x)
		fprintf(f, "| %s | %.1f | %.1f | %.1f | %.1f | %zu |\n", hyperfine_label(x),
			ms(x, "mean"), ms(x, "stddev"), ms(x, "min"), ms(x, "max"),
			json_array_size(json_object_get(x, "times")));
}

/* The cell of violation v under backend b: "verdict (detail)", empty where there is none. */
static void cell_verdict(FILE *f, const struct run_folder *r, const char *v, const char *b)
{
	const struct verdict *x = run_folder_verdict(r, v, b);

	fprintf(f, " %s", x ? x->verdict : "");
	if (x && *x->detail)
		fprintf(f, " (%s)", x->detail);
	fputs(" |", f);
}

/* A line per violation, a column per backend, both in violations.csv's order. */
static void section_violations(FILE *f, const struct run_folder *r)
{
	if (!r->verdicts_text)
		return;
	fprintf(f, violations_intro, violation_glossary);
	fputs("| violation |", f);
	for (size_t b = 0; b < r->nmatrix_backends; b++)
		fprintf(f, " %s |", r->matrix_backends[b]);
	fputs("\n|---|", f);
	for (size_t b = 0; b < r->nmatrix_backends; b++)
		fputs("---|", f);
	fputc('\n', f);
	for (size_t v = 0; v < r->nviolations; v++) {
		fprintf(f, "| %s |", r->violations[v]);
		for (size_t b = 0; b < r->nmatrix_backends; b++)
			cell_verdict(f, r, r->violations[v], r->matrix_backends[b]);
		fputc('\n', f);
	}
}

static void section_plots(FILE *f, const struct run_folder *r)
{
	if (r->nplots)
		fputs("\n## Plots\n\n", f);
	for (size_t i = 0; i < r->nplots; i++) {
		const struct plot *p = &r->plots[i];

		fprintf(f, "### %s\n\n![%s](%s.svg)\n\n[SVG](%s.svg) · [PNG](%s.png)\n\n", p->title,
			p->title, p->name, p->name, p->name);
	}
}

/* ---- writing report.md ------------------------------------------------------------------ */

static void write_sections(FILE *f, const struct run_folder *r)
{
	section_run(f, r);
	section_medians(f, r);
	section_ratios(f, r);
	section_cpu(f, r);
	section_process_mpk(f, r);
	section_references(f, r);
	section_copying(f, r);
	section_rewind(f, r);
	section_hyperfine(f, r);
	section_violations(f, r);
	section_plots(f, r);
}

/* Through report.md.XXXXXX beside it, fsynced and renamed: report.md whole or not at all. */
static int write_report(const struct run_folder *r)
{
	struct output o;

	if (output_open(&o, r->dir, "report.md"))
		return 1;
	write_sections(o.f, r);
	return output_commit(&o, ferror(o.f)) ? 1 : 0;
}

int report_md_main(int argc, char **argv)
{
	struct run_folder r;
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: harness --report RUN\n");
		return 2;
	}
	status = run_folder_read(&r, argv[2]) ? 2 : write_report(&r);
	run_folder_free(&r);
	return status;
}
