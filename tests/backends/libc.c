/* backends/libc.c: what ordinary libc use inside a domain may do to the program: stdio, exit, threads, longjmp, signal handlers, memory limits. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

static struct backend_param params[8];

/* Every backend but none, which isolates nothing (with_none: none too). */
static size_t pick(int with_none, int only_inproc, int only_process)
{
	struct backend_param all[8];
	size_t n = 0, m = backend_params(all, 8);

	for (size_t i = 0; i < m; i++) {
		int inproc = in_process_backend(all[i].name), none = !strcmp(all[i].name, "none");

		if ((none && !with_none) || (only_inproc && !inproc) ||
		    (only_process && (inproc || none)))
			continue;
		params[n++] = all[i];
	}
	return n;
}

#define LIBC_PARAMS(test, ...)                                                      \
	ParameterizedTestParameters(libc, test)                                     \
	{                                                                           \
		return cr_make_param_array(struct backend_param, params, pick(__VA_ARGS__)); \
	}

/* ---- stdio ------------------------------------------------------------------- */

/* stdout onto a fresh file (before the domain exists: a process child inherits fd 1). */
static void capture_stdout(char *path)
{
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	fflush(stdout);
	cr_assert_geq(dup2(fd, 1), 0);
	close(fd);
}

static void assert_captured(const char *path, const char *want)
{
	char buf[512] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	cr_assert_eq((size_t)n, strlen(want), "stdout has %zd bytes, want %zu: '%s'", n,
		     strlen(want), buf);
	cr_assert_str_eq(buf, want);
}

/* gcc makes some of these puts, putchar and fwrite: every path is taken. */
static long print_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	printf("2 %d ", 2);
	printf("p\n");
	fputs("f ", stdout);
	fwrite("w ", 1, 2, stdout);
	fprintf(stdout, "%s", "x ");
	putchar('c');
	putc(' ', stdout);
	fflush(stdout);
	return 0;
}

LIBC_PARAMS(stdio_reaches_the_descriptor_in_order, 1, 0, 0)
ParameterizedTest(struct backend_param *p, libc, stdio_reaches_the_descriptor_in_order)
{
	char path[] = "/tmp/iso-stdio-XXXXXX";
	struct iso_domain *d;
	int err;

	capture_stdout(path);
	d = open_domain_opt(p->name, NULL);
	printf("1 "); /* pending in the trusted buffer when the call starts */
	err = iso_call(d, print_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	printf("3\n");
	fflush(stdout);
	iso_domain_destroy(d);
	assert_captured(path, "1 2 2 p\nf w x c 3\n");
}

/* Not a constant: the compiler would see through it. */
static char *volatile bad_address = (char *)8;

static long null_write_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*(volatile int *)bad_address = 1;
	return 0;
}

/* The domain is the first to use stdout (its buffer would be the domain's); after a
 * rewind and destroy the trusted printf must work and print what it was given. */
LIBC_PARAMS(stdio_first_used_inside_survives_destroy, 0, 0, 0)
ParameterizedTest(struct backend_param *p, libc, stdio_first_used_inside_survives_destroy)
{
	char path[] = "/tmp/iso-stdio-XXXXXX";
	struct iso_domain *d;
	int err;

	capture_stdout(path);
	d = open_domain_opt(p->name, NULL);
	err = iso_call(d, print_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	err = iso_call(d, null_write_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert(err == ISO_EFAULT || err == ISO_ECRASH, "%s", iso_strerror(err));
	printf("after rewind ");
	iso_domain_destroy(d);
	printf("after destroy\n");
	fflush(stdout);
	assert_captured(path, "2 2 p\nf w x c after rewind after destroy\n");
}

/* A fault in the middle of the domain's printf (a bad %s). */
static long bad_printf_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	printf("[%s]", bad_address);
	return 0;
}

static void *print_from_thread(void *arg)
{
	(void)arg;
	printf("from a thread\n");
	fflush(stdout);
	return NULL;
}

LIBC_PARAMS(fault_inside_printf_leaves_no_lock_held, 0, 0, 0)
ParameterizedTest(struct backend_param *p, libc, fault_inside_printf_leaves_no_lock_held,
		  .timeout = 20)
{
	char path[] = "/tmp/iso-stdio-XXXXXX";
	struct iso_domain *d;
	pthread_t t;
	int err;

	capture_stdout(path);
	d = open_domain_opt(p->name, NULL);
	printf("trusted "); /* stdout's buffer is the trusted side's */
	err = iso_call(d, bad_printf_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert(err == ISO_EFAULT || err == ISO_ECRASH, "%s", iso_strerror(err));
	/* Another thread: a lock the rewind abandoned would hang it (the test times out). */
	cr_assert_eq(pthread_create(&t, NULL, print_from_thread, NULL), 0);
	pthread_join(t, NULL);
	iso_domain_destroy(d);
	assert_captured(path, "trusted from a thread\n");
}

/* ---- exit ---------------------------------------------------------------------- */

static long exit_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	exit(3);
}

static long underscore_exit_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			       size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	_exit(4);
}

static long quick_exit_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	quick_exit(5);
}

static long fine_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 42;
}

static int exit_pipe = -1;

static void exit_handler(void)
{
	if (write(exit_pipe, "H", 1) != 1)
		abort();
}

/* In a child of the test (whose own exit is looked at): each kind of exit inside the
 * domain is ISO_EEXIT, runs no handler, leaves the domain usable; then the program's
 * exit runs its handler once. */
static _Noreturn void exit_child(const char *backend)
{
	static iso_fn *const fns[] = { exit_fn, underscore_exit_fn, quick_exit_fn };
	struct iso_domain *d = NULL;
	long ret = 0;

	if (atexit(exit_handler) || at_quick_exit(exit_handler) ||
	    iso_domain_create(backend, NULL, &d))
		_exit(10);
	for (size_t i = 0; i < 3; i++) {
		int err = iso_call(d, fns[i], NULL, 0, NULL, 0, NULL, NULL);

		if (err != ISO_EEXIT) {
			dprintf(exit_pipe, "[%zu: %s]", i, iso_strerror(err));
			_exit(11);
		}
		if (iso_call(d, fine_fn, NULL, 0, NULL, 0, NULL, &ret) || ret != 42)
			_exit(12);
	}
	iso_domain_destroy(d);
	if (write(exit_pipe, "calls done;", 11) != 11)
		_exit(13);
	exit(0);
}

LIBC_PARAMS(exit_inside_ends_the_call_not_the_program, 0, 0, 0)
ParameterizedTest(struct backend_param *p, libc, exit_inside_ends_the_call_not_the_program,
		  .timeout = 30)
{
	char buf[128] = { 0 };
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	SKIP_UNSUPPORTED(p->name);
	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		exit_pipe = fds[1];
		exit_child(p->name);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; pipe: '%s'",
		  status, buf);
	cr_assert_str_eq(buf, "calls done;H", "the handler ran out of turn or twice");
}

/* ---- threads -------------------------------------------------------------------- */

static void *nothing(void *arg)
{
	return arg;
}

static long thread_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		      size_t *out_len)
{
	pthread_t t;
	int err;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	err = pthread_create(&t, NULL, nothing, NULL);
	if (!err)
		pthread_join(t, NULL);
	return err;
}

/* In-process: refused, and the program's own threads work after destroy. */
LIBC_PARAMS(pthread_create_inside_is_refused, 0, 1, 0)
ParameterizedTest(struct backend_param *p, libc, pthread_create_inside_is_refused)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	long ret = 0;
	pthread_t t;
	int err;

	for (int i = 0; i < 3; i++) {
		err = iso_call(d, thread_fn, NULL, 0, NULL, 0, NULL, &ret);
		cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
		cr_assert_eq(ret, EPERM, "pthread_create inside gave %ld", ret);
	}
	iso_domain_destroy(d);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(pthread_create(&t, NULL, nothing, NULL), 0);
		cr_assert_eq(pthread_join(t, NULL), 0);
	}
}

/* ---- signal handlers installed by domain code ----------------------------------- */

static volatile sig_atomic_t domain_handler_ran, program_handler_ran;

static void domain_handler(int sig)
{
	(void)sig;
	domain_handler_ran = 1;
}

static void program_handler(int sig)
{
	(void)sig;
	program_handler_ran = 1;
}

static long install_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		       size_t *out_len)
{
	struct sigaction sa = { .sa_handler = domain_handler };

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	errno = 0;
	if (sigaction(SIGUSR1, &sa, NULL) == 0 && signal(SIGUSR2, domain_handler) != SIG_ERR)
		return 0;
	return errno;
}

/* In-process: refused (EPERM); process: installed in the child only. */
LIBC_PARAMS(domain_signal_handlers_never_run_outside, 0, 0, 0)
ParameterizedTest(struct backend_param *p, libc, domain_signal_handlers_never_run_outside)
{
	struct iso_domain *d;
	struct sigaction old;
	long ret = -1;
	int err;

	cr_assert_neq(signal(SIGUSR1, program_handler), SIG_ERR);
	d = open_domain_opt(p->name, NULL);
	err = iso_call(d, install_fn, NULL, 0, NULL, 0, NULL, &ret);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(ret, in_process_backend(p->name) ? EPERM : 0, "sigaction inside: %ld", ret);
	cr_assert_eq(sigaction(SIGUSR1, NULL, &old), 0);
	cr_assert_eq(old.sa_handler, program_handler, "the program's handler was replaced");
	cr_assert_eq(sigaction(SIGUSR2, NULL, &old), 0);
	cr_assert_eq(old.sa_handler, SIG_DFL, "the domain's handler reached the program");
	raise(SIGUSR1);
	cr_assert(program_handler_ran && !domain_handler_ran);
	iso_domain_destroy(d);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- longjmp to a jmp_buf of the program -------------------------------------- */

static jmp_buf program_jb;        /* set on the program's stack before the child exists */
static volatile long *escapes;    /* shared with every child: trusted code run there */

static long longjmp_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		       size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	longjmp(program_jb, 1);
}

/* The program's code run on in a child: tell, and end before doing anything else. */
__attribute__((noinline, noreturn)) static void escaped(void)
{
	__atomic_add_fetch(escapes, 1, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_exit_group, 0);
}

/* process: the child's copy of the program's stack is read-only, so the jump ends
 * the child (ECRASH) at its first call instead of running the program on in a clone.  In-process
 * backends fault as on any write outside the domain (violations suite). */
LIBC_PARAMS(longjmp_to_the_program_ends_the_child, 0, 0, 1)
ParameterizedTest(struct backend_param *p, libc, longjmp_to_the_program_ends_the_child,
		  .timeout = 30)
{
	struct iso_domain *d;
	int err;

	escapes = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq((void *)escapes, MAP_FAILED);
	if (setjmp(program_jb))
		escaped(); /* only a child gets here */
	d = open_domain_opt(p->name, NULL);
	for (int i = 0; i < 3; i++) { /* the first child, then standbys or forks */
		err = iso_call(d, longjmp_fn, NULL, 0, NULL, 0, NULL, NULL);
		cr_assert_eq(err, ISO_ECRASH, "call %d: %s (%s)", i, iso_strerror(err), iso_reason());
		cr_assert_eq(*escapes, 0, "a child ran the program's code after longjmp");
	}
	err = iso_call(d, fine_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_OK, "after the jumps: %s (%s)", iso_strerror(err), iso_reason());
	iso_domain_destroy(d);
	munmap((void *)escapes, 4096);
}

/* ---- memory limit ----------------------------------------------------------------- */

#define MIB ((size_t)1 << 20)

/* How many 1 MiB blocks malloc gives before NULL (at most 256). */
static long hog_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	long n = 0;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	while (n < 256 && malloc(MIB))
		n++;
	return n;
}

LIBC_PARAMS(memory_limit_makes_malloc_return_null, 0, 0, 0)
ParameterizedTest(struct backend_param *p, libc, memory_limit_makes_malloc_return_null,
		  .timeout = 30)
{
	struct iso_options opt = { .mem_limit = 16 * MIB };
	struct iso_domain *d = open_domain_opt(p->name, &opt);
	long blocks = 0;
	int err;

	err = iso_call(d, hog_fn, NULL, 0, NULL, 0, NULL, &blocks);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	/* jemalloc keeps some extents it had before (process: the parent's, copied). */
	cr_assert(blocks >= 8 && blocks <= 24, "%ld blocks of 1 MiB under a 16 MiB limit", blocks);
	iso_domain_destroy(d);
}
