/* backends/reaping.c: the process backend never signals a pid it has already reaped (it may be reused). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "iso.h"
#include "../support/util.h"

/*
 * This binary's own waitpid and kill (libiso.a is linked in, so its calls land here):
 * plain system calls, which also record, while a test has armed them, which pids
 * waitpid collected and whether kill then aimed at one of them.  Once collected, a pid
 * is free: the kernel may give it to any new process, which a late SIGKILL would hit.
 */
static bool armed;
static pid_t collected[16];
static unsigned ncollected;
static pid_t late_kill;

pid_t waitpid(pid_t pid, int *status, int options)
{
	pid_t r = (pid_t)syscall(SYS_wait4, pid, status, options, NULL);

	if (armed && r > 0)
		collected[ncollected++ % 16] = r;
	return r;
}

int kill(pid_t pid, int sig)
{
	if (armed && pid > 0 && sig)
		for (unsigned i = 0; i < 16 && i < ncollected; i++)
			if (collected[i] == pid)
				late_kill = pid;
	return (int)syscall(SYS_kill, pid, sig);
}

static long getpid_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return (long)getpid();
}

__attribute__((no_sanitize("address", "undefined"))) static long
segv_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile int *volatile p = NULL;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*p = 1;
	return 0;
}

static void arm(void)
{
	ncollected = 0;
	late_kill = 0;
	armed = true;
}

/* A child that dies during a call (robust futex path): killed while still a zombie. */
Test(reaping, crash_in_call)
{
	struct iso_options opt = { .timeout_ms = 2000 };
	struct iso_domain *d = NULL;
	int err;

	cr_assert_eq(iso_domain_create("process", &opt, &d), ISO_OK, "%s", iso_reason());
	cr_assert_eq(iso_call(d, getpid_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK);
	arm();
	err = iso_call(d, segv_fn, NULL, 0, NULL, 0, NULL, NULL);
	armed = false;
	iso_domain_destroy(d);
	cr_assert_eq(err, ISO_ECRASH, "%s", iso_strerror(err));
	cr_assert_eq(late_kill, 0, "SIGKILL sent to pid %d after waitpid collected it",
		     (int)late_kill);
}

/* A child killed between calls: the next call finds it dead by waitpid. */
Test(reaping, killed_between_calls)
{
	struct iso_options opt = { .timeout_ms = 2000 };
	struct iso_domain *d = NULL;
	long pid = 0;
	pid_t ppid;
	int64_t t;
	int err;

	cr_assert_eq(iso_domain_create("process", &opt, &d), ISO_OK, "%s", iso_reason());
	cr_assert_eq(iso_call(d, getpid_fn, NULL, 0, NULL, 0, NULL, &pid), ISO_OK);
	cr_assert_eq(kill((pid_t)pid, SIGKILL), 0);
	for (t = now_ms(); proc_state((pid_t)pid, &ppid) != 'Z'; usleep(1000))
		cr_assert_lt(now_ms() - t, 2000, "the killed child does not die");
	arm();
	err = iso_call(d, getpid_fn, NULL, 0, NULL, 0, NULL, NULL);
	armed = false;
	iso_domain_destroy(d);
	cr_assert_eq(err, ISO_ECRASH, "%s", iso_strerror(err));
	cr_assert_eq(late_kill, 0,
		     "SIGKILL sent to pid %d after waitpid collected it (process.c: "
		     "child_exited() reaps, then reap() kills the same pid)", (int)late_kill);
}
