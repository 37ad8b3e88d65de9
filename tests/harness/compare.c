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
