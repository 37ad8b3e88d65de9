/* main.c: ./harness: parse the command line, pick the mode (timings, --violations, --compare), run it. */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "harness.h"
#include "output.h"
#include "report_md.h"

/* ---- timings, the default mode: measure, then write every output or none ----------- */

/* What --outdir holds after a timings run. */
static const struct {
	const char *name;
	enum format fmt;
} outdir_files[] = {
	{ "results.csv", FMT_CSV },
	{ "results.json", FMT_JSON },
	{ "table.txt", FMT_TABLE },
	{ "system.json", FMT_SYSTEM },
};

#define NOUTDIR (sizeof(outdir_files) / sizeof(outdir_files[0]))

/* A file the run writes, in its format. */
struct destination {
	struct output out;
	enum format fmt;
};

/* --output and --outdir's files, in that order, closed and removed again. */
struct destinations {
	struct destination d[1 + NOUTDIR];
	size_t n;
};

static void discard_all(struct destinations *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		output_discard(&ds->d[i].out);
}

static int open_one(struct destinations *ds, const char *dir, const char *name, enum format fmt)
{
	struct destination *d = &ds->d[ds->n];
	int err = output_open(&d->out, dir, name);

	if (err)
		return err;
	d->fmt = fmt;
	ds->n++;
	return 0;
}

/* Every file is opened before anything is measured: a path that cannot be written ends
 * the run at once, as bad usage (2), with nothing left behind. */
static int open_all(const struct config *c, struct destinations *ds)
{
	int err = 0;

	ds->n = 0;
	if (c->output)
		err = open_one(ds, NULL, c->output, c->format);
	if (!err && c->outdir)
		err = output_mkdir(c->outdir);
	for (size_t i = 0; !err && c->outdir && i < NOUTDIR; i++)
		err = open_one(ds, c->outdir, outdir_files[i].name, outdir_files[i].fmt);
	if (err) {
		discard_all(ds);
		return 2;
	}
	return 0;
}

static int commit_all(struct destinations *ds, const struct config *c, const struct results *r)
{
	int status = 0;

	for (size_t i = 0; i < ds->n; i++) {
		struct destination *d = &ds->d[i];

		if (output_commit(&d->out, format_write(d->out.f, d->fmt, c, r) != 0))
			status = 1;
	}
	return status;
}

static void tell_skipped_and_failed(const struct results *r)
{
	for (size_t i = 0; i < r->nskipped; i++)
		fprintf(stderr, "harness: skipped %s: %s\n", r->skipped[i].backend,
			r->skipped[i].reason);
	for (size_t i = 0; i < r->nfailed; i++)
		fprintf(stderr, "harness: failed %s\n", r->failed[i].what);
}

/* Exit status 1 when a row failed, nothing was measured or every backend asked for was
 * skipped (the baseline does not count); the outputs are written only with something
 * to show. */
static int timings_main(const struct config *c)
{
	struct destinations ds;
	struct results r = { 0 };
	bool nothing;
	int status;

	if ((status = open_all(c, &ds)))
		return status;
	tsc_init(&r.tsc);
	measure_all(c, &r);
	tell_skipped_and_failed(&r);
	nothing = r.nrows == 0 || r.nskipped == c->nbackends;
	status = r.nfailed || nothing ? 1 : 0;
	if (nothing) {
		discard_all(&ds);
	} else {
		status |= commit_all(&ds, c, &r);
		if (!c->output)
			format_write(stdout, c->format, c, &r);
	}
	free(r.rows);
	return status;
}

/* ---- picking the mode -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct config c;
	int err;

	/* --compare reads two results.json files and measures nothing: no options apply. */
	if (argc > 1 && !strcmp(argv[1], "--compare"))
		return compare_main(argc, argv);
	/* --report writes a run folder's report.md from its files: no options apply either. */
	if (argc > 1 && !strcmp(argv[1], "--report"))
		return report_md_main(argc, argv);
	if ((err = cli_parse(argc, argv, &c)))
		return err < 0 ? 0 : err;
	return c.violations ? violations_main(&c) : timings_main(&c);
}
