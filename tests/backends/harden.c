/* backends/harden.c: hardened domains (iso_options.harden): the system call filter stops the PKU pitfalls, lets libraries work, and is off when asked. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "../../backends/route.h"
#include "../../backends/sud.h"
#include "iso.h"
#include "../support/util.h"

static struct backend_param params[8];

/* Every backend that isolates: the filter is theirs to apply. */
static size_t isolating(void)
{
	size_t n = backend_params(params, 8), k = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, "none") != 0)
			params[k++] = params[i];
	return k;
}

static size_t inproc(void)
{
	size_t n = isolating(), k = 0;

	for (size_t i = 0; i < n; i++)
		if (in_process_backend(params[i].name))
			params[k++] = params[i];
	return k;
}

static struct iso_domain *open_h(const char *name, enum iso_harden h)
{
	struct iso_options opt = { .timeout_ms = 2000, .harden = h };

	return open_domain_opt(name, &opt);
}

static pid_t pid_in(const void *in, size_t in_len)
{
	pid_t p = 0;

	if (in_len == sizeof(p))
		memcpy(&p, in, sizeof(p));
	return p;
}

/* kill(trusted, 0): no signal is sent, but a filter must not let it ask. */
static long kill_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	return kill(pid_in(in, in_len), 0) ? -errno : 0;
}

ParameterizedTestParameters(harden, signalling_the_trusted_side_is_stopped)
{
	return cr_make_param_array(struct backend_param, params, isolating());
}

/* Hardened: the call fails (in-process: a violation; process: the child killed);
 * unhardened: it goes through. */
ParameterizedTest(struct backend_param *p, harden, signalling_the_trusted_side_is_stopped)
{
	pid_t self = getpid();
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON), *off = open_h(p->name, ISO_HARDEN_OFF);
	int want = in_process_backend(p->name) ? ISO_EFAULT : ISO_ECRASH;
	long ret = -1;
	int err = iso_call(d, kill_fn, &self, sizeof(self), NULL, 0, NULL, &ret);

	cr_assert_eq(err, want, "hardened %s: %s", p->name, iso_strerror(err));
	err = iso_call(d, kill_fn, NULL, 0, NULL, 0, NULL, &ret); /* kill(0, 0): the group */
	cr_assert_eq(err, want, "hardened %s, kill(0): %s", p->name, iso_strerror(err));
	err = iso_call(off, kill_fn, &self, sizeof(self), NULL, 0, NULL, &ret);
	cr_assert(err == ISO_OK && ret == 0, "unhardened %s: %s, %ld", p->name, iso_strerror(err),
		  ret);
	iso_domain_destroy(d);
	iso_domain_destroy(off);
}

/* The trusted process's memory through /proc/<pid>/mem, which the kernel writes past
 * every protection. */
static long proc_mem_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	char path[64];
	int fd;

	(void)out, (void)out_cap, (void)out_len;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid_in(in, in_len));
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

ParameterizedTestParameters(harden, trusted_proc_mem_is_shut)
{
	return cr_make_param_array(struct backend_param, params, isolating());
}

ParameterizedTest(struct backend_param *p, harden, trusted_proc_mem_is_shut)
{
	pid_t self = getpid();
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON), *off = open_h(p->name, ISO_HARDEN_OFF);
	long ret = 1;
	int err = iso_call(d, proc_mem_fn, &self, sizeof(self), NULL, 0, NULL, &ret);

	if (in_process_backend(p->name))
		cr_assert_eq(err, ISO_EFAULT, "hardened %s: %s", p->name, iso_strerror(err));
	else /* Landlock: the parent lies outside the child's domain, even for root */
		cr_assert(err == ISO_OK && ret == -EACCES, "hardened %s: %s, %ld", p->name,
			  iso_strerror(err), ret);
	err = iso_call(off, proc_mem_fn, &self, sizeof(self), NULL, 0, NULL, &ret);
	cr_assert(err == ISO_OK && (ret == 0 || (getuid() != 0 && ret == -EACCES)),
		  "unhardened %s: %s, %ld", p->name, iso_strerror(err), ret);
	iso_domain_destroy(d);
	iso_domain_destroy(off);
}

/* ---- a process child and its zygote ------------------------------------------------ */

static long pgrp_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return getpgrp();
}

/* Landlock's ABI version here, 0 without it. */
static long landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* _VERSION */);

	return abi < 0 ? 0 : abi;
}

ParameterizedTestParameters(harden, a_child_cannot_reach_its_zygote)
{
	return cr_make_param_array(struct backend_param, params,
				   backend_params_kind(params, 8, BACKEND_PROCESS));
}

/*
 * A child is a clone of its domain's zygote, which leads the process group the child
 * is in.  Where Landlock has a signal scope the zygote confines itself for all its
 * clones, and each clone enters a Landlock domain of its own below the zygote's: it
 * can neither open the zygote's /proc/<pid>/mem (root or not) nor signal it (EPERM).
 * Elsewhere each child's filter kills it at a signal to any process but itself.
 */
ParameterizedTest(struct backend_param *p, harden, a_child_cannot_reach_its_zygote)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	long zygote = 0, ret = 1;
	pid_t z;
	int err;

	cr_assert_eq(iso_call(d, pgrp_fn, NULL, 0, NULL, 0, NULL, &zygote), ISO_OK);
	z = (pid_t)zygote;
	cr_assert(z > 0 && z != getpgrp() && z != iso_domain_pid(d),
		  "%s: the child's group (%d) is not its zygote's", p->name, (int)z);
	err = iso_call(d, proc_mem_fn, &z, sizeof(z), NULL, 0, NULL, &ret);
	cr_assert(err == ISO_OK && ret == -EACCES, "%s: /proc/<zygote>/mem: %s, %ld", p->name,
		  iso_strerror(err), ret);
	err = iso_call(d, kill_fn, &z, sizeof(z), NULL, 0, NULL, &ret);
	if (landlock_abi() >= 6)
		cr_assert(err == ISO_OK && ret == -EPERM, "%s: kill(zygote, 0): %s, %ld", p->name,
			  iso_strerror(err), ret);
	else
		cr_assert_eq(err, ISO_ECRASH, "%s: kill(zygote, 0): %s", p->name,
			     iso_strerror(err));
	cr_assert_eq(iso_call(d, pgrp_fn, NULL, 0, NULL, 0, NULL, &ret), ISO_OK);
	iso_domain_destroy(d);
}

static long kill_group_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return kill(0, SIGKILL) ? -errno : 0;
}

ParameterizedTestParameters(harden, a_child_ends_only_its_own_group)
{
	return cr_make_param_array(struct backend_param, params,
				   backend_params_kind(params, 8, BACKEND_PROCESS));
}

/* kill(0, SIGKILL), which a zygote's filter lets through for the zygote's own end of
 * its group, ends the domain's processes (the child, its zygote, the standbys) and
 * nothing of the program's: the call fails, the next one runs in a child forked anew. */
ParameterizedTest(struct backend_param *p, harden, a_child_ends_only_its_own_group)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	long ret = 0;

	for (int i = 0; i < 3; i++) {
		int err = iso_call(d, kill_group_fn, NULL, 0, NULL, 0, NULL, &ret);

		cr_assert_eq(err, ISO_ECRASH, "%s, round %d: %s, %ld", p->name, i,
			     iso_strerror(err), ret);
		cr_assert_eq(iso_call(d, pgrp_fn, NULL, 0, NULL, 0, NULL, &ret), ISO_OK,
			     "%s, round %d: the domain did not come back", p->name, i);
		cr_assert_neq(ret, getpgrp());
	}
	iso_domain_destroy(d);
}

static long ptrace_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	return ptrace(PTRACE_ATTACH, pid_in(in, in_len), NULL, NULL) ? -errno : 0;
}

ParameterizedTestParameters(harden, ptrace_is_stopped)
{
	return cr_make_param_array(struct backend_param, params, isolating());
}

ParameterizedTest(struct backend_param *p, harden, ptrace_is_stopped)
{
	pid_t self = getpid();
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	int err = iso_call(d, ptrace_fn, &self, sizeof(self), NULL, 0, NULL, NULL);

	cr_assert_eq(err, in_process_backend(p->name) ? ISO_EFAULT : ISO_ECRASH, "%s: %s", p->name,
		     iso_strerror(err));
	iso_domain_destroy(d);
}

/* ---- in-process: what libraries need still works ------------------------------ */

static int handler_fd; /* read-only in the handler: mprotect keeps trusted data so */

/* A handler of the program: it runs while the domain is inside, and returns into it. */
static void on_usr1(int sig)
{
	(void)sig;
	if (write(handler_fd, "h", 1) != 1)
		abort();
}

/* Ordinary calls: a write to a descriptor, a file opened and closed, a mapping of its
 * own made, protected and unmapped, the clock, randomness. */
static long library_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	int fd = (int)pid_in(in, in_len);
	struct timespec ts;
	unsigned char r[8];
	char *m;
	int null;

	(void)out, (void)out_cap, (void)out_len;
	if (write(fd, "x", 1) != 1)
		return -1;
	if ((null = open("/dev/null", O_WRONLY)) < 0 || write(null, "y", 1) != 1 || close(null))
		return -2;
	m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -3;
	m[0] = 1;
	if (mprotect(m, 4096, PROT_READ) || munmap(m + 2 * 4096, 4096) || munmap(m, 2 * 4096))
		return -4;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) || getrandom(r, sizeof(r), 0) != sizeof(r))
		return -5;
	return 7;
}

/* A signal to itself, whose (trusted) handler returns into the domain. */
static long raise_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return raise(SIGUSR1) ? -6 : 7;
}

ParameterizedTestParameters(harden, library_calls_work_inside)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, harden, library_calls_work_inside)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	int fds[2];
	long ret = 0;
	char c = 0;
	int err;

	cr_assert_eq(pipe(fds), 0);
	err = iso_call(d, library_fn, &fds[1], sizeof(fds[1]), NULL, 0, NULL, &ret);
	cr_assert(err == ISO_OK && ret == 7, "%s: %s (%s), %ld", p->name, iso_strerror(err),
		  iso_reason(), ret);
	cr_assert(read(fds[0], &c, 1) == 1 && c == 'x', "%s: the write", p->name);
	iso_domain_destroy(d);
}

ParameterizedTestParameters(harden, program_handler_returns_into_the_domain)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

/*
 * The handler runs, and returns into the domain, whose call goes on.  The domain's
 * raise is a call the filter makes for it, on the alternate stack, where the signal
 * is delivered too: under mpk its frame used to overwrite the gate's frame there, and
 * the return jumped to pc 0, rewound as ISO_EFAULT (seen under QEMU on Linux 6.1 and
 * 6.12, taken then for the kernels' doing).
 */
ParameterizedTest(struct backend_param *p, harden, program_handler_returns_into_the_domain)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	int fds[2];
	long ret = 0;
	char c = 0;
	int err;

	cr_assert_eq(pipe(fds), 0);
	handler_fd = fds[1];
	signal(SIGUSR1, on_usr1);
	err = iso_call(d, raise_fn, NULL, 0, NULL, 0, NULL, &ret);
	cr_assert(read(fds[0], &c, 1) == 1 && c == 'h', "%s: the handler did not run", p->name);
	cr_assert(err == ISO_OK && ret == 7, "%s: %s (%s), %ld", p->name, iso_strerror(err),
		  iso_reason(), ret);
	signal(SIGUSR1, SIG_DFL);
	err = iso_call(d, library_fn, &fds[1], sizeof(fds[1]), NULL, 0, NULL, &ret);
	cr_assert(err == ISO_OK && ret == 7, "%s: after the handler: %s (%s)", p->name,
		  iso_strerror(err), iso_reason());
	iso_domain_destroy(d);
}

/* A sleep the filter makes on the domain's behalf, longer than the watchdog's half. */
static long sleep_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct timespec ts = { 0, 45 * 1000000L };

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	nanosleep(&ts, NULL); /* cut short by the watchdog's first tick: EINTR */
	return 42;
}

ParameterizedTestParameters(harden, a_tick_inside_a_filtered_call_returns_into_it)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

/*
 * The watchdog ticks every half timeout and rewinds a call seen at two ticks; its
 * first tick here comes while the filter's handler makes the domain's nanosleep, on
 * the alternate stack, and returns into it.  The signal's frame is written below the
 * stack pointer: it used to overwrite the gate's frame there, and the handler's return
 * jumped to pc 0 (ISO_EFAULT).  Ten calls, each cut short at the tick: all return 42.
 */
ParameterizedTest(struct backend_param *p, harden, a_tick_inside_a_filtered_call_returns_into_it)
{
	struct iso_options opt = { .timeout_ms = 60, .harden = ISO_HARDEN_ON };
	struct iso_domain *d = open_domain_opt(p->name, &opt);

	for (int i = 0; i < 10; i++) {
		long ret = 0;
		int err = iso_call(d, sleep_fn, NULL, 0, NULL, 0, NULL, &ret);

		cr_assert(err == ISO_OK && ret == 42, "%s, call %d: %s (%s), %ld", p->name, i,
			  iso_strerror(err), iso_reason(), ret);
	}
	iso_domain_destroy(d);
}

/* A call outside the policy that is no attack: EPERM inside, the call goes on. */
static long socket_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	if (s >= 0) {
		close(s);
		return 0;
	}
	return errno;
}

ParameterizedTestParameters(harden, other_calls_fail_with_eperm)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, harden, other_calls_fail_with_eperm)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON), *off = open_h(p->name, ISO_HARDEN_OFF);
	long ret = -1;
	int err = iso_call(d, socket_fn, NULL, 0, NULL, 0, NULL, &ret);

	cr_assert(err == ISO_OK && ret == EPERM, "hardened %s: %s, %ld", p->name, iso_strerror(err),
		  ret);
	err = iso_call(off, socket_fn, NULL, 0, NULL, 0, NULL, &ret);
	cr_assert(err == ISO_OK && ret == 0, "unhardened %s: %s, %ld", p->name, iso_strerror(err),
		  ret);
	iso_domain_destroy(d);
	iso_domain_destroy(off);
}

/*
 * A refused call made inside the allocator (jemalloc purging pages that are not the
 * domain's, say): the call fails with EPERM and the domain is rewound as the
 * allocator returns, not inside it, where the rewind would abandon the domain's arena
 * (and inside an allocator hook, leave jemalloc's state for the thread half-changed).
 * The function plays jemalloc: route_enter, the call, route_leave (or, as a domain that
 * means harm might, no route_leave before it returns).
 */
struct in_malloc_arg {
	char *trusted;
	bool leave;
};

static long madvise_in_malloc_fn(const void *in, size_t in_len, void *out, size_t out_cap,
				 size_t *out_len)
{
	struct in_malloc_arg a;
	long r;

	(void)in_len, (void)out, (void)out_cap, (void)out_len;
	memcpy(&a, in, sizeof(a));
	route_enter();
	r = madvise(a.trusted, 4096, MADV_DONTNEED) ? errno : 0;
	if (a.leave)
		route_leave();
	return r;
}

static long ok_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 42;
}

static unsigned narenas(void)
{
	unsigned n = 0;
	size_t len = sizeof(n);

	cr_assert_eq(mallctl("arenas.narenas", &n, &len, NULL, 0), 0);
	return n;
}

ParameterizedTestParameters(harden, a_refused_call_inside_the_allocator_rewinds_as_it_returns)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, harden,
		  a_refused_call_inside_the_allocator_rewinds_as_it_returns)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	char *page = aligned_alloc(4096, 4096);
	unsigned arenas;

	cr_assert_not_null(page);
	memset(page, 7, 4096);
	cr_assert_eq(iso_call(d, ok_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK, "%s", iso_reason());
	arenas = narenas();
	for (int i = 0; i < 20; i++) {
		struct in_malloc_arg a = { .trusted = page, .leave = i % 2 == 0 };
		long ret = -1;
		int err = iso_call(d, madvise_in_malloc_fn, &a, sizeof(a), NULL, 0, NULL, &ret);

		cr_assert_eq(err, ISO_EFAULT, "call %d (%s route_leave): %s (%s), ret %ld", i,
			     a.leave ? "with" : "without", iso_strerror(err), iso_reason(), ret);
		cr_expect(strstr(iso_reason(), "SIGSYS") && strstr(iso_reason(), "madvise"),
			  "call %d: %s", i, iso_reason());
		ret = -1;
		err = iso_call(d, ok_fn, NULL, 0, NULL, 0, NULL, &ret);
		cr_assert(err == ISO_OK && ret == 42, "the call after %d: %s (%s)", i,
			  iso_strerror(err), iso_reason());
	}
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(page[i], 7, "the trusted page was given back (byte %d)", i);
	/* Rewound with jemalloc left as it was: the domain's arena reset, none abandoned. */
	cr_expect_eq(narenas(), arenas, "%u arenas after the rewinds, %u before", narenas(),
		     arenas);
	free(page);
	iso_domain_destroy(d);
}

/* A domain that says it is inside the allocator (route.h's malloc_depth is in its
 * thread's TLS, which it can write) and then never returns. */
static long forged_malloc_hang_fn(const void *in, size_t in_len, void *out, size_t out_cap,
				  size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	route_thread.malloc_depth = 1;
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

ParameterizedTestParameters(harden, a_domain_cannot_put_off_its_watchdog_for_ever)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

/* The watchdog puts off a rewind inside the allocator until it returns, but a few
 * ticks at most: this domain hung the program for good before (the test's timeout). */
ParameterizedTest(struct backend_param *p, harden, a_domain_cannot_put_off_its_watchdog_for_ever,
		  .timeout = 20)
{
	struct iso_options opt = { .timeout_ms = 40, .harden = ISO_HARDEN_ON };
	struct iso_domain *d = open_domain_opt(p->name, &opt);

	for (int i = 0; i < 3; i++) {
		long ret = -1;
		int err = iso_call(d, forged_malloc_hang_fn, NULL, 0, NULL, 0, NULL, NULL);

		cr_assert_eq(err, ISO_ETIMEDOUT, "call %d: %s (%s)", i, iso_strerror(err),
			     iso_reason());
		err = iso_call(d, ok_fn, NULL, 0, NULL, 0, NULL, &ret);
		cr_assert(err == ISO_OK && ret == 42, "the call after %d: %s (%s)", i,
			  iso_strerror(err), iso_reason());
	}
	iso_domain_destroy(d);
}

/* Every signal blocked, then a fault: the filter keeps the faults open, so the fault
 * still rewinds the call instead of killing the program. */
__attribute__((no_sanitize("address", "undefined"))) static long
block_then_fault_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile int *volatile null = NULL;
	sigset_t all;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL))
		return -1;
	*null = 1;
	return 0;
}

ParameterizedTestParameters(harden, blocked_faults_still_rewind)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, harden, blocked_faults_still_rewind)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	sigset_t now;
	int err = iso_call(d, block_then_fault_fn, NULL, 0, NULL, 0, NULL, NULL);

	cr_assert_eq(err, ISO_EFAULT, "%s: %s", p->name, iso_strerror(err));
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	cr_assert(!sigismember(&now, SIGSEGV) && !sigismember(&now, SIGSYS),
		  "%s: the trusted side's mask changed", p->name);
	iso_domain_destroy(d);
}

/* Executable memory made inside is refused, and a mapping over trusted memory. */
static long exec_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return m == MAP_FAILED ? -1 : 0;
}

ParameterizedTestParameters(harden, no_executable_memory_inside)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, harden, no_executable_memory_inside)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON), *off = open_h(p->name, ISO_HARDEN_OFF);
	long ret = -1;

	cr_assert_eq(iso_call(d, exec_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_EFAULT, "%s", p->name);
	cr_assert(iso_call(off, exec_fn, NULL, 0, NULL, 0, NULL, &ret) == ISO_OK && ret == 0,
		  "unhardened %s", p->name);
	iso_domain_destroy(d);
	iso_domain_destroy(off);
}

/* The selector byte: a domain that could write it would switch the filter off. */
static long selector_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	volatile unsigned char *sel = NULL;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len == sizeof(sel))
		memcpy(&sel, in, sizeof(sel));
	*sel = 0; /* SYSCALL_DISPATCH_FILTER_ALLOW */
	return kill(getpid(), 0);
}

ParameterizedTestParameters(harden, selector_is_not_the_domains)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, harden, selector_is_not_the_domains)
{
	struct iso_domain *d = open_h(p->name, ISO_HARDEN_ON);
	volatile unsigned char *sel;
	long ret = -1;

	cr_assert_eq(iso_call(d, kill_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_EFAULT); /* armed */
	sel = sud_selector();
	cr_assert_not_null(sel, "%s: no selector after a hardened call", p->name);
	cr_assert_eq(iso_call(d, selector_fn, &sel, sizeof(sel), NULL, 0, NULL, &ret), ISO_EFAULT,
		     "%s: the domain wrote its selector (ret %ld)", p->name, ret);
	cr_assert_eq(*sel, 0, "%s: the selector is not ALLOW after the call", p->name);
	iso_domain_destroy(d);
}

/* ---- mpk: no WRPKRU a domain could reach but the gate's (scan.c) ---------------- */

static long trusted_word = 0x5a5a; /* the program's data: the trusted key */

/* The rights opened with glibc's pkey_set (every key but 0), then a trusted write. */
static long pkey_set_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (int k = 1; k < 16; k++)
		pkey_set(k, 0);
	*(volatile long *)&trusted_word = 0x0bad;
	return 0;
}

/* A WRPKRU the program made executable before the domain (xor ecx,ecx; xor edx,edx;
 * xor eax,eax; WRPKRU; ret), run from inside, then a trusted write. */
static void (*planted)(void);

static long planted_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		       size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	planted();
	*(volatile long *)&trusted_word = 0x0bad;
	return 0;
}

Test(harden, mpk_leaves_no_wrpkru_but_the_gates)
{
	static const char code[] = "\x31\xc9\x31\xd2\x31\xc0\x0f\x01\xef\xc3";
	struct iso_domain *d;
	unsigned char *page;

	if (!backend_wanted("mpk"))
		cr_skip_test("mpk not asked for");
	SKIP_UNSUPPORTED("mpk");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(page != MAP_FAILED);
	memcpy(page, code, sizeof(code) - 1);
	cr_assert_eq(mprotect(page, 4096, PROT_READ | PROT_EXEC), 0);
	planted = (void (*)(void))(uintptr_t)page;
	d = open_h("mpk", ISO_HARDEN_ON); /* the scan runs here */
	cr_assert(page[6] == 0x0f && page[7] == 0x0b, "the planted WRPKRU is still there");
	cr_assert_eq(iso_call(d, planted_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_ECRASH);
	cr_assert_eq(iso_call(d, pkey_set_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_ECRASH,
		     "glibc's pkey_set still sets PKRU");
	cr_assert_eq(trusted_word, 0x5a5a, "the trusted word was written");
	iso_domain_destroy(d);
}
