/* report_md.h: ./harness --report RUN, which writes RUN/report.md from the run folder's files. */
#ifndef HARNESS_REPORT_MD_H
#define HARNESS_REPORT_MD_H

/* argv is "harness --report RUN"; writes RUN/report.md whole or not at all.  Returns the
 * exit status: 0, 1 when report.md cannot be written, 2 after one line on stderr when a
 * file of the run is missing or not what it should be. */
int report_md_main(int argc, char **argv);

#endif
