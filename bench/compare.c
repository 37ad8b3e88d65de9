/* compare.c: ./harness --compare OLD.json NEW.json: old and new median of every shared row. */
#include <jansson.h>
#include <string.h>

#include "compare.h"

/* The rows array of a results.json, each checked for the fields compare reads. */
static json_t *load_rows(const char *path, json_t **root)
{
	json_error_t e;
	json_t *rows, *row;
	size_t i;

	*root = json_load_file(path, 0, &e);
	if (!*root) {
		if (e.line > 0) /* a parse error; else the file could not be opened */
			fprintf(stderr, "harness: %s: line %d: %s\n", path, e.line, e.text);
		else
			fprintf(stderr, "harness: %s\n", e.text);
		return NULL;
	}
	rows = json_object_get(*root, "rows");
	if (!json_is_array(rows)) {
		fprintf(stderr, "harness: %s: no \"rows\" array: not a results.json\n", path);
		goto bad;
	}
	json_array_foreach(rows, i, row) {
		if (!json_is_string(json_object_get(row, "backend")) ||
		    !json_is_string(json_object_get(row, "workload")) ||
		    !json_is_integer(json_object_get(row, "size")) ||
		    !json_is_number(json_object_get(row, "median_ns"))) {
			fprintf(stderr, "harness: %s: row %zu lacks backend, workload, size or "
				"median_ns\n", path, i);
			goto bad;
		}
	}
	return rows;
bad:
	json_decref(*root);
	*root = NULL;
	return NULL;
}

static const char *str(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static double median(json_t *row)
{
	return json_number_value(json_object_get(row, "median_ns"));
}

/* The row of `rows` with the same backend, workload and size as `row`, or NULL. */
static json_t *find(json_t *rows, json_t *row)
{
	json_int_t size = json_integer_value(json_object_get(row, "size"));
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		if (!strcmp(str(r, "backend"), str(row, "backend")) &&
		    !strcmp(str(r, "workload"), str(row, "workload")) &&
		    json_integer_value(json_object_get(r, "size")) == size)
			return r;
	}
	return NULL;
}

static void print_key(FILE *out, json_t *row)
{
	fprintf(out, "%-15s %-24s %9lld", str(row, "backend"), str(row, "workload"),
		(long long)json_integer_value(json_object_get(row, "size")));
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
			fprintf(out, " %12s %12.1f %9s\n", "-", median(row), what);
		else
			fprintf(out, " %12.1f %12s %9s\n", median(row), "-", what);
	}
}

int compare_files(const char *old_path, const char *new_path, FILE *out)
{
	json_t *old_root, *new_root, *old_rows, *new_rows, *row, *match;
	size_t i;

	if (!(old_rows = load_rows(old_path, &old_root)))
		return 2;
	if (!(new_rows = load_rows(new_path, &new_root))) {
		json_decref(old_root);
		return 2;
	}
	fprintf(out, "%-15s %-24s %9s %12s %12s %9s\n", "backend", "workload", "size",
		"old_ns", "new_ns", "change");
	json_array_foreach(old_rows, i, row) {
		double o = median(row), n;

		if (!(match = find(new_rows, row)))
			continue;
		n = median(match);
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
