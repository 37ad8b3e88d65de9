/* output.h: every file the harness writes, whole or not at all: a temporary file beside it, fsync, rename. */
#ifndef HARNESS_OUTPUT_H
#define HARNESS_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

/* A file being written: FILE.XXXXXX beside FILE until it is committed. */
struct output {
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f; /* NULL unless open */
};

/* Creates dir unless it is there; 0, or -1 after one line on stderr. */
int output_mkdir(const char *dir);
/* Opens the temporary file (mode 0644) of dir/name, or of name when dir is NULL, for
 * writing o->f; 0, or -1 after one line on stderr. */
int output_open(struct output *o, const char *dir, const char *name);
/* Flushes o->f to disk and renames it into place, or, when `failed` (a write went
 * wrong) or that fails, removes it.  0, or -1 after one line on stderr. */
int output_commit(struct output *o, bool failed);
/* Closes and removes the temporary file; nothing when none is open. */
void output_discard(struct output *o);

#endif
