/* harness/compare.c: ./harness --compare matches rows by backend, workload and size, and lists the rest. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/compare.h"

static char dir[] = "/tmp/iso-compare-XXXXXX", old_json[64], new_json[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* Two runs: none/call-null in both (10 -> 12 ns), process/call-small at 64 B in both
 * (200 -> 150 ns), process at 1 KiB only in the old run, mpk only in the new one. */
static void setup(void)
{
	cr_assert(mkdtemp(dir));
	snprintf(old_json, sizeof(old_json), "%s/old.json", dir);
	snprintf(new_json, sizeof(new_json), "%s/new.json", dir);
	write_file(old_json, "{\"run\": {\"host\": \"a\"}, \"rows\": ["
		"{\"backend\": \"none\", \"workload\": \"call-null\", \"size\": 0, \"median_ns\": 10.0},"
		"{\"backend\": \"process\", \"workload\": \"call-small\", \"size\": 64, \"median_ns\": 200},"
		"{\"backend\": \"process\", \"workload\": \"call-small\", \"size\": 1024, \"median_ns\": 900}"
		"], \"skipped\": [], \"failed\": []}");
	write_file(new_json, "{\"run\": {\"host\": \"b\"}, \"rows\": ["
		"{\"backend\": \"mpk\", \"workload\": \"call-null\", \"size\": 0, \"median_ns\": 30.5},"
		"{\"backend\": \"process\", \"workload\": \"call-small\", \"size\": 64, \"median_ns\": 150},"
		"{\"backend\": \"none\", \"workload\": \"call-null\", \"size\": 0, \"median_ns\": 12.0}"
		"], \"skipped\": [], \"failed\": []}");
}

static void teardown(void)
{
	unlink(old_json);
	unlink(new_json);
	rmdir(dir);
}

TestSuite(compare, .init = setup, .fini = teardown);

/* compare_files' output, and its status in *status. */
static char *run_compare(const char *a, const char *b, int *status)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert(out);
	*status = compare_files(a, b, out);
	fclose(out);
	return text;
}

/* The output line for backend/workload/size, or fails the test. */
static const char *line_of(const char *text, const char *backend, const char *workload,
			   long size)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char b[32], w[32];
		long s;

		if (sscanf(l, "%31s %31s %ld", b, w, &s) == 3 && !strcmp(b, backend) &&
		    !strcmp(w, workload) && s == size)
			return l;
	}
	cr_assert_fail("no line for %s %s %ld in:\n%s", backend, workload, size, text);
	return NULL;
}

Test(compare, matched_rows_show_old_new_and_change)
{
	int status;
	char *text = run_compare(old_json, new_json, &status);
	double o, n, pct;

	cr_assert_eq(status, 0);
	cr_assert_eq(sscanf(line_of(text, "none", "call-null", 0), "%*s %*s %*d %lf %lf %lf%%",
			    &o, &n, &pct), 3);
	cr_assert_float_eq(o, 10.0, 1e-9);
	cr_assert_float_eq(n, 12.0, 1e-9);
	cr_assert_float_eq(pct, 20.0, 1e-9);
	cr_assert_eq(sscanf(line_of(text, "process", "call-small", 64),
			    "%*s %*s %*d %lf %lf %lf%%", &o, &n, &pct), 3);
	cr_assert_float_eq(pct, -25.0, 1e-9);
	free(text);
}

Test(compare, rows_in_one_run_only_are_added_or_removed)
{
	int status;
	char *text = run_compare(old_json, new_json, &status);
	char col[16], what[16];
	size_t lines = 0;
	double v;

	cr_assert_eq(status, 0);
	cr_assert_eq(sscanf(line_of(text, "mpk", "call-null", 0), "%*s %*s %*d %15s %lf %15s",
			    col, &v, what), 3);
	cr_assert_str_eq(col, "-");
	cr_assert_float_eq(v, 30.5, 1e-9);
	cr_assert_str_eq(what, "added");
	cr_assert_eq(sscanf(line_of(text, "process", "call-small", 1024),
			    "%*s %*s %*d %lf %15s %15s", &v, col, what), 3);
	cr_assert_float_eq(v, 900.0, 1e-9);
	cr_assert_str_eq(what, "removed");
	/* The header, two matched rows, one added, one removed: nothing twice. */
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, 5, "%s", text);
	free(text);
}

Test(compare, bad_files_give_status_2)
{
	char bad[80], norows[80];
	int status;

	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	snprintf(norows, sizeof(norows), "%s/norows.json", dir);
	write_file(bad, "{\"rows\": [");
	write_file(norows, "{\"rows\": [{\"backend\": \"none\"}]}");
	free(run_compare(bad, new_json, &status));
	cr_assert_eq(status, 2, "truncated JSON");
	free(run_compare(old_json, norows, &status));
	cr_assert_eq(status, 2, "a row without workload, size and median");
	free(run_compare(old_json, "/nonexistent/x.json", &status));
	cr_assert_eq(status, 2, "missing file");
	unlink(bad);
	unlink(norows);
}

/* With intervals (a harness run's results.json): the change of the ratio to the baseline
 * where there is one, else of the medians; faster or slower only when the interval is
 * clear of no change and the change is above the noise threshold. */
Test(compare, intervals_say_faster_slower_or_unchanged)
{
	const char *a = old_json, *b = new_json; /* rewritten: the fixture removes them */
	int status;
	char *text;
	char verdict[16];

	write_file(a, "{\"rows\": ["
		"{\"backend\": \"none\", \"workload\": \"copy\", \"size\": 64, \"median_ns\": 100,"
		" \"median_lo_ns\": 99, \"median_hi_ns\": 101, \"ratio\": 1, \"ratio_lo\": 1,"
		" \"ratio_hi\": 1},"
		"{\"backend\": \"process\", \"workload\": \"copy\", \"size\": 64, \"median_ns\": 200,"
		" \"median_lo_ns\": 150, \"median_hi_ns\": 250, \"ratio\": 2.0, \"ratio_lo\": 1.98,"
		" \"ratio_hi\": 2.02},"
		"{\"backend\": \"mpk\", \"workload\": \"copy\", \"size\": 64, \"median_ns\": 300,"
		" \"median_lo_ns\": 290, \"median_hi_ns\": 310, \"ratio\": 3.0, \"ratio_lo\": 2.9,"
		" \"ratio_hi\": 3.1}]}");
	/* none: 10 % slower, tight; process: its median moved 25 %, its ratio did not
	 * (the machine slowed); mpk: ratio 20 % lower, clear of 1. */
	write_file(b, "{\"rows\": ["
		"{\"backend\": \"none\", \"workload\": \"copy\", \"size\": 64, \"median_ns\": 110,"
		" \"median_lo_ns\": 109, \"median_hi_ns\": 111, \"ratio\": 1, \"ratio_lo\": 1,"
		" \"ratio_hi\": 1},"
		"{\"backend\": \"process\", \"workload\": \"copy\", \"size\": 64, \"median_ns\": 250,"
		" \"median_lo_ns\": 200, \"median_hi_ns\": 300, \"ratio\": 2.01, \"ratio_lo\": 1.98,"
		" \"ratio_hi\": 2.04},"
		"{\"backend\": \"mpk\", \"workload\": \"copy\", \"size\": 64, \"median_ns\": 264,"
		" \"median_lo_ns\": 260, \"median_hi_ns\": 268, \"ratio\": 2.4, \"ratio_lo\": 2.35,"
		" \"ratio_hi\": 2.45}]}");
	text = run_compare(a, b, &status);
	cr_assert_eq(status, 0);
	cr_assert_eq(sscanf(line_of(text, "none", "copy", 64), "%*s %*s %*d %*f %*f %*f%% %*s %15s",
			    verdict), 1);
	cr_assert_str_eq(verdict, "slower", "%s", text);
	cr_assert_eq(sscanf(line_of(text, "process", "copy", 64),
			    "%*s %*s %*d %*f %*f %*f%% %*s %15s", verdict), 1);
	cr_assert_str_eq(verdict, "unchanged", "%s", text);
	cr_assert(strstr(line_of(text, "process", "copy", 64), "ratio to the baseline"));
	cr_assert_eq(sscanf(line_of(text, "mpk", "copy", 64), "%*s %*s %*d %*f %*f %*f%% %*s %15s",
			    verdict), 1);
	cr_assert_str_eq(verdict, "faster", "%s", text);
	free(text);
}
