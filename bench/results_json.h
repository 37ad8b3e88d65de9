/* results_json.h: a run's results.json read back (jansson): its rows, checked, and found by key. */
#ifndef HARNESS_RESULTS_JSON_H
#define HARNESS_RESULTS_JSON_H

#include <jansson.h>

/* A JSON file of a run folder (results.json, hyperfine.json) parsed whole; NULL after one
 * line on stderr saying why (cannot open it, or where it is not JSON). */
json_t *results_json_read(const char *path);

/* The "rows" array of the results.json at path, every row checked for a string backend
 * and workload, an integer size and a numeric median_ns; *root holds the document (the
 * caller's to json_decref).  NULL, *root NULL, after one line on stderr saying why. */
json_t *results_json_load(const char *path, json_t **root);

/* The row of rows with this backend, workload and size, or NULL. */
json_t *results_json_find(json_t *rows, const char *backend, const char *workload,
			  json_int_t size);

/* A checked row's fields. */
const char *results_json_str(json_t *row, const char *key);
json_int_t results_json_size(json_t *row);
double results_json_median(json_t *row);

#endif
