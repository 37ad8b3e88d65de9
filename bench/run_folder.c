/* run_folder.c: a run folder's files read back for report.md (results.json by results_json.c). */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results_json.h"
#include "run_folder.h"

static void path_of(char *path, const struct run_folder *r, const char *name)
{
	snprintf(path, PATH_MAX, "%s/%s", r->dir, name);
}

/* dir/name read whole, NUL-terminated, into *text: 0, 1 when there is no such file, or
 * -1 after one line on stderr. */
static int read_text(const struct run_folder *r, const char *name, char **text)
{
	char path[PATH_MAX];
	size_t cap = 0;
	FILE *f;

	path_of(path, r, name);
	*text = NULL;
	if (!(f = fopen(path, "r"))) {
		if (errno == ENOENT)
			return 1;
		fprintf(stderr, "harness: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* No NUL in a text file: one getdelim reads it all. */
	if (getdelim(text, &cap, '\0', f) < 0 && !ferror(f) && *text)
		**text = '\0'; /* an empty file */
	if (ferror(f) || !*text) {
		fprintf(stderr, "harness: cannot read %s: %s\n", path, strerror(errno));
		fclose(f);
		free(*text);
		*text = NULL;
		return -1;
	}
	fclose(f);
	return 0;
}

static size_t count_lines(const char *text)
{
	size_t n = 1;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

/* The next non-empty line of *text, cut there in place (a CR before the newline too). */
static char *next_line(char **text)
{
	char *line;

	while ((line = strsep(text, "\n")) && !*line)
		;
	if (line && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	return line;
}

/* line split in place at each sep; its first fields (max at most) in field, their number
 * returned. */
static size_t split(char *line, const char *sep, char **field, size_t max)
{
	size_t n = 0;
	char *f;

	while (n < max && (f = strsep(&line, sep)))
		field[n++] = f;
	return n;
}

static int column(char **head, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(head[i], name))
			return (int)i;
	return -1;
}

static bool listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* s appended to list unless it is there: a list of names in the order first seen. */
static void list_once(const char **list, size_t *n, const char *s)
{
	if (!listed(list, *n, s))
		list[(*n)++] = s;
}

static void *alloc_array(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		fprintf(stderr, "harness: out of memory\n");
	return p;
}

#define CSV_MAX 16 /* the columns of violations.csv read are among its first 16 */

/* violations.csv: its lines, its columns found by name in the header. */
static int read_verdicts(struct run_folder *r, char *text)
{
	static const char *const want[] = { "backend", "violation", "verdict", "detail" };
	char *line, *head[CSV_MAX], *f[CSV_MAX];
	size_t nhead, need = 0, lineno = 1, n;
	int col[4];

	nhead = (line = next_line(&text)) ? split(line, ",", head, CSV_MAX) : 0;
	for (size_t k = 0; k < 4; k++) {
		if ((col[k] = column(head, nhead, want[k])) < 0) {
			fprintf(stderr, "harness: %s/violations.csv: no %s column\n", r->dir, want[k]);
			return -1;
		}
		need = (size_t)col[k] + 1 > need ? (size_t)col[k] + 1 : need;
	}
	n = count_lines(text);
	r->verdicts = alloc_array(n, sizeof(*r->verdicts));
	r->matrix_backends = alloc_array(n, sizeof(*r->matrix_backends));
	r->violations = alloc_array(n, sizeof(*r->violations));
	if (!r->verdicts || !r->matrix_backends || !r->violations)
		return -1;
	while ((line = next_line(&text))) {
		lineno++;
		if (split(line, ",", f, CSV_MAX) < need) {
			fprintf(stderr, "harness: %s/violations.csv: line %zu: too few fields\n",
				r->dir, lineno);
			return -1;
		}
		r->verdicts[r->nverdicts++] = (struct verdict){ f[col[0]], f[col[1]], f[col[2]],
								f[col[3]] };
		list_once(r->matrix_backends, &r->nmatrix_backends, f[col[0]]);
		list_once(r->violations, &r->nviolations, f[col[1]]);
	}
	return 0;
}

/* plots.tsv: a header line, then "name<TAB>title" a plot. */
static int read_plots(struct run_folder *r, char *text)
{
	char *line, *f[2];
	size_t lineno = 1;

	next_line(&text);
	if (!(r->plots = alloc_array(count_lines(text), sizeof(*r->plots))))
		return -1;
	while ((line = next_line(&text))) {
		lineno++;
		if (split(line, "\t", f, 2) != 2) {
			fprintf(stderr, "harness: %s/plots.tsv: line %zu: not NAME<TAB>TITLE\n",
				r->dir, lineno);
			return -1;
		}
		r->plots[r->nplots++] = (struct plot){ f[0], f[1] };
	}
	return 0;
}

/* The table's columns and lines: backends and (workload, size) cases as first seen. */
static int index_rows(struct run_folder *r)
{
	size_t n = json_array_size(r->rows), i;
	json_t *row;

	r->backends = alloc_array(n, sizeof(*r->backends));
	r->cases = alloc_array(n, sizeof(*r->cases));
	if (!r->backends || !r->cases)
		return -1;
	json_array_foreach(r->rows, i, row) {
		const char *w = results_json_str(row, "workload");
		json_int_t size = results_json_size(row);
		bool seen = false;

		if (!strcmp(results_json_str(row, "backend"), "ref"))
			continue;
		list_once(r->backends, &r->nbackends, results_json_str(row, "backend"));
		for (size_t c = 0; c < r->ncases && !seen; c++)
			seen = !strcmp(results_json_str(r->cases[c], "workload"), w) &&
			       results_json_size(r->cases[c]) == size;
		if (!seen)
			r->cases[r->ncases++] = row;
	}
	return 0;
}

/* The folder's own name (results/latest names the run it points at), without the .tmp
 * that make bench writes a run under until it is complete. */
static void find_name(struct run_folder *r)
{
	char real[PATH_MAX], *dot;

	snprintf(r->name, sizeof(r->name), "%s", realpath(r->dir, real) ? basename(real) : r->dir);
	if ((dot = strrchr(r->name, '.')) && dot != r->name && !strcmp(dot, ".tmp"))
		*dot = '\0';
}

/* The file name, when the folder has it, read into *text and parsed by parse. */
static int read_optional(struct run_folder *r, const char *name, char **text,
			 int (*parse)(struct run_folder *, char *))
{
	int err = read_text(r, name, text);

	if (err)
		return err > 0 ? 0 : -1;
	return parse(r, *text);
}

int run_folder_read(struct run_folder *r, const char *dir)
{
	char path[PATH_MAX];

	*r = (struct run_folder){ .dir = dir };
	path_of(path, r, "results.json");
	if (!(r->rows = results_json_load(path, &r->results)))
		return -1;
	find_name(r);
	path_of(path, r, "system.json");
	r->system = access(path, R_OK) == 0;
	path_of(path, r, "hyperfine.json");
	if (access(path, F_OK) == 0 && !(r->hyperfine = results_json_read(path)))
		return -1;
	if (read_optional(r, "violations.csv", &r->verdicts_text, read_verdicts) ||
	    read_optional(r, "plots.tsv", &r->plots_text, read_plots))
		return -1;
	return index_rows(r);
}

void run_folder_free(struct run_folder *r)
{
	json_decref(r->results);
	json_decref(r->hyperfine);
	free(r->backends);
	free(r->cases);
	free(r->verdicts);
	free(r->matrix_backends);
	free(r->violations);
	free(r->plots);
	free(r->verdicts_text);
	free(r->plots_text);
}

bool run_folder_has_backend(const struct run_folder *r, const char *backend)
{
	return listed(r->backends, r->nbackends, backend);
}

double run_folder_median(const struct run_folder *r, const char *backend, const char *workload,
			 json_int_t size)
{
	json_t *row = results_json_find(r->rows, backend, workload, size);

	return row ? results_json_median(row) : NAN;
}

const struct verdict *run_folder_verdict(const struct run_folder *r, const char *violation,
					 const char *backend)
{
	for (size_t i = 0; i < r->nverdicts; i++)
		if (!strcmp(r->verdicts[i].violation, violation) &&
		    !strcmp(r->verdicts[i].backend, backend))
			return &r->verdicts[i];
	return NULL;
}
