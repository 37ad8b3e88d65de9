/* compare.h: ./harness --compare OLD.json NEW.json, the change of every row two runs share. */
#ifndef HARNESS_COMPARE_H
#define HARNESS_COMPARE_H

#include <stdio.h>

/* Prints matched rows (old, new median, change %), then rows added and removed, to out.
 * Returns 0, or 2 after one line on stderr when a file cannot be read as results.json. */
int compare_files(const char *old_path, const char *new_path, FILE *out);

/* argv is "harness --compare OLD NEW"; returns the exit status. */
int compare_main(int argc, char **argv);

#endif
