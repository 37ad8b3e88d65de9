/* compare.c: ./harness --compare OLD.json NEW.json: old and new median of every shared row. */
#include "compare.h"
#include "results_json.h"

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
	fprintf(out, "%-15s %-24s %9s %12s %12s %9s\n", "backend", "workload", "size",
		"old_ns", "new_ns", "change");
	json_array_foreach(old_rows, i, row) {
		double o = results_json_median(row), n;

		if (!(match = find(new_rows, row)))
			continue;
		n = results_json_median(match);
		print_key(out, row);
		fprintf(out, " %12.1f %12.1f", o, n);
		if (o > 0)
			fprintf(out, " %+8.1f%%\n", (n - o) / o * 100);
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
