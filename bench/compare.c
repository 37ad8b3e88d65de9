/* compare.c: ./harness --compare OLD.json NEW.json: old and new median of every shared row, the change with its interval, faster/slower/unchanged. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "compare.h"
#include "results_json.h"
#include "stats.h"

/* A change smaller than this is "unchanged" even where the interval leaves out 1, as
 * criterion.rs's noise threshold: this VM's runs differ by more than their intervals. */
#define COMPARE_NOISE 0.05

/* key, key_lo, key_hi of a row as an interval; false where one is missing or not > 0. */
static bool interval_of(json_t *row, const char *key, const char *lo, const char *hi,
			struct stats_interval *out)
{
	json_t *e = json_object_get(row, key), *l = json_object_get(row, lo),
	       *h = json_object_get(row, hi);

	if (!json_is_number(e) || !json_is_number(l) || !json_is_number(h))
		return false;
	*out = (struct stats_interval){ json_number_value(e), json_number_value(l),
					json_number_value(h) };
	return out->lo > 0 && out->est > 0 && out->hi > 0;
}

/*
 * The change from o to n and its interval: of the ratio to the run's baseline where both
 * rows have one that is not the baseline itself (drift between the runs cancels), else of
 * the medians with their intervals.  Returns the basis ("ratio", "median"), or NULL when
 * the rows carry no intervals (results.json of an older harness).
 */
static const char *change_of(json_t *o, json_t *n, struct stats_interval *out)
{
	struct stats_interval a, b;

	if (interval_of(o, "ratio", "ratio_lo", "ratio_hi", &a) &&
	    interval_of(n, "ratio", "ratio_lo", "ratio_hi", &b) && a.hi > a.lo && b.hi > b.lo) {
		stats_change(&a, &b, out);
		return "ratio";
	}
	if (interval_of(o, "median_ns", "median_lo_ns", "median_hi_ns", &a) &&
	    interval_of(n, "median_ns", "median_lo_ns", "median_hi_ns", &b)) {
		stats_change(&a, &b, out);
		return "median";
	}
	return NULL;
}

/* faster, slower or unchanged: the interval clear of 1 and the change above the noise. */
static const char *verdict(const struct stats_interval *c)
{
	if (c->lo > 1 && c->est > 1 + COMPARE_NOISE)
		return "slower";
	if (c->hi < 1 && c->est < 1 - COMPARE_NOISE)
		return "faster";
	return "unchanged";
}

/* The row of `rows` with the same backend, workload and size as `row`, or NULL. */
static json_t *find(json_t *rows, json_t *row)
{
	return results_json_find(rows, results_json_str(row, "backend"),
				 results_json_str(row, "workload"), results_json_size(row));
}

static void print_key(FILE *out, json_t *row)
{
	fprintf(out, "%-15s %-24s %9lld", results_json_str(row, "backend"),
		results_json_str(row, "workload"), (long long)results_json_size(row));
}

/* Rows of `a` that `b` lacks: their median in the old or new column, `what` as the change. */
static void print_unmatched(FILE *out, const char *what, json_t *a, json_t *b, int in_new)
{
	json_t *row;
	size_t i;

	json_array_foreach(a, i, row) {
		if (find(b, row))
			continue;
		print_key(out, row);
		if (in_new)
			fprintf(out, " %12s %12.1f %9s\n", "-", results_json_median(row), what);
		else
			fprintf(out, " %12.1f %12s %9s\n", results_json_median(row), "-", what);
	}
}

int compare_files(const char *old_path, const char *new_path, FILE *out)
{
	json_t *old_root, *new_root, *old_rows, *new_rows, *row, *match;
	size_t i;

	if (!(old_rows = results_json_load(old_path, &old_root)))
		return 2;
	if (!(new_rows = results_json_load(new_path, &new_root))) {
		json_decref(old_root);
		return 2;
	}
	fprintf(out, "%-15s %-24s %9s %12s %12s %9s %-17s %-9s %s\n", "backend", "workload",
		"size_B", "old_ns", "new_ns", "change", "95%_interval", "verdict", "of");
	json_array_foreach(old_rows, i, row) {
		double o = results_json_median(row), n;
		struct stats_interval c;
		const char *basis;

		if (!(match = find(new_rows, row)))
			continue;
		n = results_json_median(match);
		print_key(out, row);
		fprintf(out, " %12.1f %12.1f", o, n);
		if ((basis = change_of(row, match, &c))) {
			char iv[40];

			snprintf(iv, sizeof(iv), "%+.1f..%+.1f%%", (c.lo - 1) * 100, (c.hi - 1) * 100);
			fprintf(out, " %+8.1f%% %-17s %-9s %s\n", (c.est - 1) * 100, iv, verdict(&c),
				strcmp(basis, "ratio") ? "median" : "ratio to the baseline");
		} else if (o > 0)
			fprintf(out, " %+8.1f%% %-17s %-9s %s\n", (n - o) / o * 100, "-", "-",
				"median (no interval in these files)");
		else
			fprintf(out, " %9s\n", "n/a");
	}
	/* Rows only one run has: a backend skipped on one machine, a workload added. */
	print_unmatched(out, "added", new_rows, old_rows, 1);
	print_unmatched(out, "removed", old_rows, new_rows, 0);
	json_decref(old_root);
	json_decref(new_root);
	return 0;
}

int compare_main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: harness --compare OLD.json NEW.json\n");
		return 2;
	}
	return compare_files(argv[2], argv[3], stdout);
}
