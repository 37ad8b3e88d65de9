/* output.c: every file the harness writes goes to a temporary file beside it, fsync'd and renamed into place when whole. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

static void cannot_write(const char *path)
{
	fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
}

int output_mkdir(const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "harness: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int output_open(struct output *o, const char *dir, const char *name)
{
	int n = dir ? snprintf(o->path, sizeof(o->path), "%s/%s", dir, name)
		    : snprintf(o->path, sizeof(o->path), "%s", name);
	int fd;

	o->f = NULL;
	if (n >= (int)sizeof(o->path)) {
		fprintf(stderr, "harness: output path too long: %s%s%s\n", dir ? dir : "",
			dir ? "/" : "", name);
		return -1;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", o->path);
	fd = mkstemp(o->tmp);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		cannot_write(o->path);
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		return -1;
	}
	/* mkstemp's 0600 would hide the results from everyone else. */
	fchmod(fd, 0644);
	return 0;
}

int output_commit(struct output *o, bool failed)
{
	/* fsync before rename: after a crash the name holds the whole file or the old one. */
	if (fflush(o->f) || fsync(fileno(o->f)))
		failed = true;
	if (fclose(o->f))
		failed = true;
	o->f = NULL;
	if (failed || rename(o->tmp, o->path)) {
		cannot_write(o->path);
		unlink(o->tmp);
		return -1;
	}
	return 0;
}

void output_discard(struct output *o)
{
	if (o->f) {
		fclose(o->f);
		unlink(o->tmp);
		o->f = NULL;
	}
}
