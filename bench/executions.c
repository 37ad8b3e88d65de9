/* executions.c: one execution of the plan in a forked child, its trials and failures sent back over a pipe (executions.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpucost.h"
#include "executions.h"

/* What follows a record's kind on the pipe. */
enum { REC_TRIAL = 1, REC_FAILURE = 2 };

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int execution_send_trial(int fd, const struct execution_trial *t, const double *samples)
{
	uint32_t kind = REC_TRIAL;

	if (write_all(fd, &kind, sizeof(kind)) || write_all(fd, t, sizeof(*t)))
		return -1;
	return write_all(fd, samples, (size_t)t->n * EXECUTION_VALUES * sizeof(*samples));
}

int execution_send_failure(int fd, const char *what)
{
	uint32_t kind = REC_FAILURE;
	struct failure f = { { 0 } };

	snprintf(f.what, sizeof(f.what), "%s", what);
	return write_all(fd, &kind, sizeof(kind)) || write_all(fd, &f, sizeof(f)) ? -1 : 0;
}

/* A failure once in r, however many executions had it. */
static void add_failure(struct results *r, const char *what)
{
	for (size_t i = 0; i < r->nfailed; i++)
		if (strcmp(r->failed[i].what, what) == 0)
			return;
	if (r->nfailed < sizeof(r->failed) / sizeof(r->failed[0]))
		snprintf(r->failed[r->nfailed++].what, sizeof(r->failed[0].what), "%s", what);
}

/* One trial's record after its kind; false at a short read or an impossible record. */
static bool read_trial(FILE *f, struct execution_log *log)
{
	struct execution_trial *t = malloc(sizeof(*t));
	size_t values;

	if (!t || fread(t, sizeof(*t), 1, f) != 1 || t->row >= log->nrows || log->by_row[t->row] ||
	    t->n > 1u << 20) {
		free(t);
		return false;
	}
	values = (size_t)t->n * EXECUTION_VALUES;
	t->samples = malloc((values ? values : 1) * sizeof(*t->samples));
	if (!t->samples || fread(t->samples, sizeof(*t->samples), values, f) != values) {
		free(t->samples);
		free(t);
		return false;
	}
	log->by_row[t->row] = t;
	return true;
}

/* Every record until the child closes the pipe; false when the stream broke off. */
static bool read_all(FILE *f, struct execution_log *log, struct results *r)
{
	uint32_t kind;
	struct failure fl;

	while (fread(&kind, sizeof(kind), 1, f) == 1) {
		if (kind == REC_TRIAL && read_trial(f, log))
			continue;
		if (kind == REC_FAILURE && fread(&fl, sizeof(fl), 1, f) == 1) {
			fl.what[sizeof(fl.what) - 1] = '\0';
			add_failure(r, fl.what);
			continue;
		}
		return false;
	}
	return !ferror(f);
}

double execution_run(size_t nrows, void (*measure)(void *arg, int fd), void *arg,
		     struct execution_log *log, struct results *r)
{
	char what[300];
	uint64_t before = cpucost_reaped();
	bool whole;
	int fds[2], status;
	pid_t pid;
	FILE *f;

	*log = (struct execution_log){ .by_row = calloc(nrows ? nrows : 1, sizeof(*log->by_row)),
				       .nrows = nrows };
	if (!log->by_row || pipe2(fds, O_CLOEXEC)) {
		add_failure(r, "an execution: out of memory or pipes");
		return -1;
	}
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		measure(arg, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || !(f = fdopen(fds[0], "r"))) {
		snprintf(what, sizeof(what), "an execution: %s: %s", pid < 0 ? "fork" : "fdopen",
			 strerror(errno));
		add_failure(r, what);
		close(fds[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	whole = read_all(f, log, r);
	fclose(f);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status)) || !whole) {
		snprintf(what, sizeof(what), "an execution ended early (%s %d): the rows it did "
			 "not finish are left out", WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		add_failure(r, what);
	}
	return (double)(cpucost_reaped() - before) * 1e-9;
}

void execution_log_free(struct execution_log *log)
{
	for (size_t i = 0; log->by_row && i < log->nrows; i++)
		if (log->by_row[i]) {
			free(log->by_row[i]->samples);
			free(log->by_row[i]);
		}
	free(log->by_row);
	log->by_row = NULL;
}
