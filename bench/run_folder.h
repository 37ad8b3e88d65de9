/* run_folder.h: a run folder's files read back for report.md: rows, hyperfine, verdicts, plots. */
#ifndef HARNESS_RUN_FOLDER_H
#define HARNESS_RUN_FOLDER_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* One line of violations.csv: what one violation did under one backend. */
struct verdict {
	const char *backend, *violation, *verdict, *detail;
};

/* One line of plots.tsv (plots/plots.sh writes it): name.svg and name.png, and their title. */
struct plot {
	const char *name, *title;
};

/* What make bench leaves in a run folder, each file optional but results.json.  The lists
 * keep the order of the files they come from. */
struct run_folder {
	const char *dir;
	char name[NAME_MAX + 1]; /* the folder's own name, without make bench's .tmp */
	json_t *results, *rows;  /* results.json and its rows, checked by results_json_load */
	bool system;             /* system.json is there */
	json_t *hyperfine;       /* hyperfine.json; NULL without one */
	const char **backends;   /* the backends of the rows, "ref" apart */
	size_t nbackends;
	json_t **cases;          /* the first row of each (workload, size), "ref" apart */
	size_t ncases;
	char *verdicts_text;     /* violations.csv, which verdicts point into; NULL without one */
	struct verdict *verdicts;
	size_t nverdicts;
	const char **matrix_backends, **violations; /* violations.csv's, each once */
	size_t nmatrix_backends, nviolations;
	char *plots_text;        /* plots.tsv, which plots point into; NULL without one */
	struct plot *plots;
	size_t nplots;
};

/* Reads the folder dir into *r; 0, or -1 after one line on stderr saying which file is
 * not what it should be and why (results.json missing, not JSON, a row lacking a field).
 * run_folder_free(r) either way. */
int run_folder_read(struct run_folder *r, const char *dir);
void run_folder_free(struct run_folder *r);

bool run_folder_has_backend(const struct run_folder *r, const char *backend);
/* backend's median on workload at size (backend "ref": a bare reference); NAN where the
 * run did not measure it. */
double run_folder_median(const struct run_folder *r, const char *backend, const char *workload,
			 json_int_t size);
/* violation's line under backend in violations.csv, or NULL. */
const struct verdict *run_folder_verdict(const struct run_folder *r, const char *violation,
					 const char *backend);

#endif
