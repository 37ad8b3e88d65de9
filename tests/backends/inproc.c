/* backends/inproc.c: what only in-process domains (mpk, mprotect) promise: keys, libc state, nesting, one gate. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

static struct backend_param params[2];

static size_t inproc_params(void)
{
	return backend_params_named(params, 2, (const char *const[]){ "mpk", "mprotect", NULL });
}

/* errno lives in libc's TLS: a failing call inside the domain must be able to set it. */
static long errno_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	errno = 0;
	if (close(-1) == 0)
		return -1;
	return errno;
}

/* iso_trim writes the trusted heap's pages; from inside a domain it must not try. */
static long trim_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	iso_trim();
	return 7;
}

static void ignore_sig(int sig)
{
	(void)sig;
}

/* A handler installed from inside would run later with the program's rights: EPERM.
 * Reading the current one is harmless and allowed. */
static long sigaction_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			 size_t *out_len)
{
	struct sigaction sa = { .sa_handler = ignore_sig }, old;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	if (sigaction(SIGURG, NULL, &old))
		return -1;
	errno = 0;
	if (sigaction(SIGURG, &sa, NULL) == 0 || signal(SIGWINCH, ignore_sig) != SIG_ERR)
		return -2;
	return errno;
}

/* Calls that must work inside an in-process domain, and what each returns. */
static const struct {
	const char *what;
	iso_fn *fn;
	long want;
} inside[] = {
	{ "errno set inside the domain", errno_fn, EBADF },
	{ "iso_trim from inside, which does nothing", trim_fn, 7 },
	{ "sigaction from inside, refused", sigaction_fn, EPERM },
};

ParameterizedTestParameters(inproc, calls_that_work_inside)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

ParameterizedTest(struct backend_param *p, inproc, calls_that_work_inside)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);

	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		long ret = 0;
		int err = iso_call(d, inside[i].fn, NULL, 0, NULL, 0, NULL, &ret);

		cr_assert_eq(err, ISO_OK, "%s: %s (%s)", inside[i].what, iso_strerror(err),
			     iso_reason());
		cr_assert_eq(ret, inside[i].want, "%s: returned %ld", inside[i].what, ret);
	}
	iso_domain_destroy(d);
}

static struct iso_domain *outer;

static long nested_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return iso_call(outer, errno_fn, NULL, 0, NULL, 0, NULL, NULL);
}

ParameterizedTestParameters(inproc, nested_call_is_refused)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

ParameterizedTest(struct backend_param *p, inproc, nested_call_is_refused)
{
	long ret = 0;
	int err;

	outer = open_domain_opt(p->name, NULL);
	err = iso_call(outer, nested_fn, NULL, 0, NULL, 0, NULL, &ret);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(ret, ISO_EINVAL, "a call from inside a domain gave %ld", ret);
	iso_domain_destroy(outer);
}

/* One key per domain: past the last, a clear ISO_ENOMEM; the domains made still work;
 * destroying one frees its key for the next. */
Test(inproc, mpk_runs_out_of_keys_clearly, .timeout = 60)
{
	struct iso_domain *d[16];
	size_t n = 0;
	long ret = 0;
	int err = ISO_OK;

	if (!backend_wanted("mpk"))
		cr_skip_test("mpk not asked for (ISO_TEST_BACKENDS)");
	SKIP_UNSUPPORTED("mpk");
	while (n < 16 && (err = iso_domain_create("mpk", NULL, &d[n])) == ISO_OK)
		n++;
	cr_assert_eq(err, ISO_ENOMEM, "after %zu domains: %s (%s)", n, iso_strerror(err),
		     iso_reason());
	cr_assert(strstr(iso_reason(), "protection key"), "reason: %s", iso_reason());
	cr_assert_geq(n, 10, "only %zu mpk domains", n);
	for (size_t i = 0; i < n; i++) {
		err = iso_call(d[i], errno_fn, NULL, 0, NULL, 0, NULL, &ret);
		cr_assert(err == ISO_OK && ret == EBADF, "domain %zu: %s", i, iso_strerror(err));
	}
	iso_domain_destroy(d[--n]);
	err = iso_domain_create("mpk", NULL, &d[n]);
	cr_assert_eq(err, ISO_OK, "a freed key was not reused: %s", iso_reason());
	for (size_t i = 0; i <= n; i++)
		iso_domain_destroy(d[i]);
}

/* The trusted heap gives back only whole huge pages when trimmed, and says so to
 * jemalloc: memory it kept must not be taken for zeroed.  calloc after a trim, at
 * sizes that leave part of a huge page behind, must still read as zero. */
Test(inproc, calloc_after_trim_reads_zero)
{
	static const size_t sizes[] = { (64 << 10) + 4096, (3 << 20) + 12288, 5 << 20, 4096 };

	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			unsigned char *p = malloc(sizes[i]), *c;

			cr_assert_not_null(p);
			memset(p, 0xa5, sizes[i]);
			__asm__ volatile("" : : "r"(p) : "memory");
			free(p);
			iso_trim();
			c = calloc(1, sizes[i]);
			cr_assert_not_null(c);
			cr_assert_eq(first_not(c, sizes[i], 0), sizes[i],
				     "calloc(%zu) after a trim: byte %zu is not zero", sizes[i],
				     first_not(c, sizes[i], 0));
			free(c);
		}
}

/* ---- the program's own signal handlers ------------------------------------------- */

/*
 * A handler the program installs for a signal isobench does not take runs with the
 * program's full rights, whether installed before the first domain or after (mpk: the
 * kernel runs handlers with its default PKRU, which shuts every key but 0).  SIGWINCH and
 * SIGURG: ignored by default, so a handler that was lost shows as a count, not a kill.
 */
static volatile sig_atomic_t handler_hits;
static int handler_wrote[16];

static void count_sig(int sig)
{
	handler_wrote[handler_hits % 16] = sig; /* the program's data */
	handler_hits++;
}

static void count_sig_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	cr_assert_eq(si->si_signo, sig);
	count_sig(sig);
}

ParameterizedTestParameters(inproc, program_handlers_run_with_trusted_rights)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

ParameterizedTest(struct backend_param *p, inproc, program_handlers_run_with_trusted_rights)
{
	struct sigaction sa = { .sa_sigaction = count_sig_info, .sa_flags = SA_SIGINFO }, old;
	struct iso_domain *d;

	cr_assert_neq(signal(SIGWINCH, count_sig), SIG_ERR); /* before any domain */
	d = open_domain_opt(p->name, NULL);
	cr_assert_eq(iso_call(d, errno_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK, "%s", iso_reason());
	cr_assert_eq(sigaction(SIGURG, &sa, NULL), 0); /* after */
	raise(SIGWINCH);
	raise(SIGURG);
	cr_assert_eq(handler_hits, 2, "%d of 2 handlers ran", (int)handler_hits);
	cr_assert_eq(handler_wrote[0], SIGWINCH);
	cr_assert_eq(handler_wrote[1], SIGURG);
	/* The program sees its own handlers, not isobench's. */
	cr_assert_eq(sigaction(SIGURG, NULL, &old), 0);
	cr_assert(old.sa_flags & SA_SIGINFO);
	cr_assert_eq(old.sa_sigaction, count_sig_info);
	cr_assert_eq(signal(SIGWINCH, SIG_DFL), count_sig);
	iso_domain_destroy(d);
	raise(SIGURG); /* after destroy too */
	cr_assert_eq(handler_hits, 3);
	signal(SIGURG, SIG_DFL);
}

/*
 * The unprotected section (key 0 under mpk, left writable under mprotect) is the one
 * part of the program's data a domain can write.  A domain that fills it with a
 * function of its choosing must not get that function run with trusted rights by a
 * later signal: the program's handler table is not there.
 */
extern char __start_unprotected[], __stop_unprotected[];
static volatile sig_atomic_t planted_ran;

static void planted(int sig)
{
	(void)sig;
	planted_ran = 1;
}

/* Fill one page of the section with one word: a function, or zero (which clears any
 * flag there). */
struct scribble {
	size_t page;
	void (*word)(int);
};

static long scribble_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	const struct scribble *s = in;
	char *p = __start_unprotected + s->page * 4096;

	(void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (char *end = p + 4096; p + sizeof(s->word) <= end; p += sizeof(s->word))
		memcpy(p, &s->word, sizeof(s->word));
	return 0;
}

static long null_write_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*(volatile int *)(uintptr_t)in_len = 1;
	return 0;
}

ParameterizedTestParameters(inproc, unprotected_section_holds_no_handler)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

/* Each page alone (a read-only one fails its call and stops nothing else), with a
 * function and with zeros; then a signal to the program and a fault in the domain. */
ParameterizedTest(struct backend_param *p, inproc, unprotected_section_holds_no_handler)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	size_t pages = (size_t)(__stop_unprotected - __start_unprotected) / 4096;
	int err;

	handler_hits = 0;
	cr_assert_neq(signal(SIGURG, count_sig), SIG_ERR);
	cr_assert_lt(__start_unprotected, __stop_unprotected, "no unprotected section");
	for (size_t i = 0; i < pages; i++)
		for (int zero = 0; zero < 2; zero++) {
			struct scribble s = { i, zero ? NULL : planted };

			iso_call(d, scribble_fn, &s, sizeof(s), NULL, 0, NULL, NULL);
		}
	raise(SIGURG);
	cr_assert_eq(planted_ran, 0, "%s: the domain's function ran as a handler", p->name);
	cr_assert_eq(handler_hits, 1, "%s: the program's handler did not run", p->name);
	err = iso_call(d, null_write_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_EFAULT, "%s: a fault after the scribbles: %s (%s)", p->name,
		     iso_strerror(err), iso_reason());
}
