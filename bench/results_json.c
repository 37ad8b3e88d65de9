/* results_json.c: a run's results.json read back (jansson), for --compare and --report. */
#include <string.h>

#include "results_json.h"

json_t *results_json_read(const char *path)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e);

	if (!root && e.line > 0) /* a parse error; else the file could not be opened */
		fprintf(stderr, "harness: %s: line %d: %s\n", path, e.line, e.text);
	else if (!root)
		fprintf(stderr, "harness: %s\n", e.text);
	return root;
}

json_t *results_json_load(const char *path, json_t **root)
{
	json_t *rows, *row;
	size_t i;

	if (!(*root = results_json_read(path)))
		return NULL;
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

const char *results_json_str(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

json_int_t results_json_size(json_t *row)
{
	return json_integer_value(json_object_get(row, "size"));
}

double results_json_median(json_t *row)
{
	return json_number_value(json_object_get(row, "median_ns"));
}

json_t *results_json_find(json_t *rows, const char *backend, const char *workload,
			  json_int_t size)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		if (!strcmp(results_json_str(r, "backend"), backend) &&
		    !strcmp(results_json_str(r, "workload"), workload) &&
		    results_json_size(r) == size)
			return r;
	}
	return NULL;
}
