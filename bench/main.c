/* main.c: ./harness: parse, check the outputs can be written, measure, report, all or nothing. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "harness.h"
#include "report_md.h"

/* An output is written to FILE.XXXXXX beside FILE and renamed when complete. */
struct sink {
	char final[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	enum format fmt;
};

static int sink_open(struct sink *s, const char *path, enum format fmt)
{
	int fd;

	if (snprintf(s->final, sizeof(s->final), "%s", path) >= (int)sizeof(s->final)) {
		fprintf(stderr, "harness: output path too long: %s\n", path);
		return 2;
	}
	snprintf(s->tmp, sizeof(s->tmp), "%s.XXXXXX", path);
	fd = mkstemp(s->tmp);
	if (fd < 0 || !(s->f = fdopen(fd, "w"))) {
		fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		return 2;
	}
	fchmod(fd, 0644);
	s->fmt = fmt;
	return 0;
}

static void sink_discard(struct sink *s)
{
	if (s->f) {
		fclose(s->f);
		unlink(s->tmp);
		s->f = NULL;
	}
}

static int sink_commit(struct sink *s, const struct config *c, const struct results *r)
{
	int err = report_write(s->f, s->fmt, c, r);

	if (fflush(s->f) || fsync(fileno(s->f)))
		err = -1;
	if (fclose(s->f))
		err = -1;
	s->f = NULL;
	if (err || rename(s->tmp, s->final)) {
		fprintf(stderr, "harness: cannot write %s: %s\n", s->final, strerror(errno));
		unlink(s->tmp);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config c;
	struct results r = { 0 };
	struct sink sinks[5] = { 0 };
	size_t nsinks = 0;
	int status, err;

	/* --compare reads two results.json files and measures nothing: no options apply. */
	if (argc > 1 && !strcmp(argv[1], "--compare"))
		return compare_main(argc, argv);
	/* --report writes a run folder's report.md from its files: no options apply either. */
	if (argc > 1 && !strcmp(argv[1], "--report"))
		return report_md_main(argc, argv);
	if ((err = cli_parse(argc, argv, &c)))
		return err < 0 ? 0 : err;
	if (c.violations) {
		if (c.outdir && mkdir(c.outdir, 0755) && errno != EEXIST) {
			fprintf(stderr, "harness: cannot create %s: %s\n", c.outdir, strerror(errno));
			return 2;
		}
		return violations_main(&c);
	}
	if (c.output && (err = sink_open(&sinks[nsinks++], c.output, c.format)))
		return err;
	if (c.outdir) {
		char path[PATH_MAX];

		if (mkdir(c.outdir, 0755) && errno != EEXIST) {
			fprintf(stderr, "harness: cannot create %s: %s\n", c.outdir, strerror(errno));
			err = 2;
		}
		snprintf(path, sizeof(path), "%s/results.csv", c.outdir);
		if (!err)
			err = sink_open(&sinks[nsinks++], path, FMT_CSV);
		snprintf(path, sizeof(path), "%s/results.json", c.outdir);
		if (!err)
			err = sink_open(&sinks[nsinks++], path, FMT_JSON);
		snprintf(path, sizeof(path), "%s/table.txt", c.outdir);
		if (!err)
			err = sink_open(&sinks[nsinks++], path, FMT_TABLE);
		snprintf(path, sizeof(path), "%s/system.json", c.outdir);
		if (!err)
			err = sink_open(&sinks[nsinks++], path, FMT_SYSTEM);
	}
	if (err) {
		for (size_t i = 0; i < nsinks; i++)
			sink_discard(&sinks[i]);
		return err;
	}

	tsc_init(&r.tsc);
	run_all(&c, &r);

	for (size_t i = 0; i < r.nskipped; i++)
		fprintf(stderr, "harness: skipped %s: %s\n", r.skipped[i].backend, r.skipped[i].reason);
	for (size_t i = 0; i < r.nfailed; i++)
		fprintf(stderr, "harness: failed %s\n", r.failed[i].what);
	/* Every backend asked for was skipped (the baseline does not count): a failure. */
	status = r.nfailed || r.nrows == 0 || r.nskipped == c.nbackends ? 1 : 0;
	if (r.nrows == 0 || r.nskipped == c.nbackends) {
		for (size_t i = 0; i < nsinks; i++)
			sink_discard(&sinks[i]);
		free(r.rows);
		return status;
	}
	for (size_t i = 0; i < nsinks; i++)
		status |= sink_commit(&sinks[i], &c, &r);
	if (!c.output)
		report_write(stdout, c.format, &c, &r);
	free(r.rows);
	return status;
}
