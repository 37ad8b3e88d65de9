/* backends/libc_state.c: libc calls that would keep libc's state in a domain's heap: refused in-process (EPERM), working in a process child; the time zone made safe. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

static struct backend_param params[8];

/* In-process backends (inproc), or the process ones. */
static size_t pick(int inproc)
{
	return backend_params_kind(params, 8, inproc ? BACKEND_INPROC : BACKEND_PROCESS);
}

/* The calls, each tried inside; one result a call: 1 refused with EPERM, 0 worked. */
enum { F_FOPEN, F_FDOPEN, F_FMEMOPEN, F_MEMSTREAM, F_TMPFILE, F_POPEN, F_SETLOCALE,
       F_NEWLOCALE, F_DUPLOCALE, F_USELOCALE, F_DLOPEN, F_SETENV, F_PUTENV, F_UNSETENV,
       F_CLEARENV, F_QUERY_LOCALE, F_COUNT };

static const char *const names[F_COUNT] = {
	"fopen", "fdopen", "fmemopen", "open_memstream", "tmpfile", "popen", "setlocale",
	"newlocale", "duplocale", "uselocale", "dlopen", "setenv", "putenv", "unsetenv",
	"clearenv", "setlocale(cat, NULL)",
};

static int refused_ptr(void *p)
{
	return !p && errno == EPERM;
}

static int refused_int(int r)
{
	return r == -1 && errno == EPERM;
}

static long try_libc_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	static char putenv_arg[] = "ISO_LIBC_STATE=2";
	char *r = out, buf[16], *ms = NULL;
	size_t ms_len = 0;
	FILE *f;

	(void)in, (void)in_len;
	if (out_cap < F_COUNT)
		return -1;
	errno = 0;
	r[F_FOPEN] = refused_ptr(f = fopen("/dev/null", "r"));
	if (f)
		fclose(f);
	errno = 0;
	r[F_FDOPEN] = refused_ptr(f = fdopen(0, "r"));
	errno = 0;
	r[F_FMEMOPEN] = refused_ptr(f = fmemopen(buf, sizeof(buf), "w"));
	if (f)
		fclose(f);
	errno = 0;
	r[F_MEMSTREAM] = refused_ptr(f = open_memstream(&ms, &ms_len));
	if (f)
		fclose(f), free(ms);
	errno = 0;
	r[F_TMPFILE] = refused_ptr(f = tmpfile());
	if (f)
		fclose(f);
	errno = 0;
	r[F_POPEN] = refused_ptr(f = popen("true", "r"));
	if (f)
		pclose(f);
	errno = 0;
	r[F_SETLOCALE] = refused_ptr(setlocale(LC_ALL, "C"));
	errno = 0;
	locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	r[F_NEWLOCALE] = refused_ptr(loc);
	if (loc)
		freelocale(loc);
	errno = 0;
	loc = duplocale(LC_GLOBAL_LOCALE);
	r[F_DUPLOCALE] = refused_ptr(loc);
	if (loc)
		freelocale(loc);
	errno = 0;
	r[F_USELOCALE] = refused_ptr(uselocale(LC_GLOBAL_LOCALE));
	errno = 0;
	r[F_DLOPEN] = refused_ptr(dlopen("libm.so.6", RTLD_NOW));
	errno = 0;
	r[F_SETENV] = refused_int(setenv("ISO_LIBC_STATE", "1", 1));
	errno = 0;
	r[F_PUTENV] = refused_int(putenv(putenv_arg));
	errno = 0;
	r[F_UNSETENV] = refused_int(unsetenv("HOME"));
	errno = 0;
	r[F_CLEARENV] = refused_int(clearenv() ? -1 : 0);
	r[F_QUERY_LOCALE] = setlocale(LC_ALL, NULL) == NULL;
	*out_len = F_COUNT;
	return 0;
}

static void try_libc(const char *backend, char *r)
{
	struct iso_domain *d = open_domain_opt(backend, NULL);
	size_t n = 0;
	int err = iso_call(d, try_libc_fn, NULL, 0, r, F_COUNT, &n, NULL);

	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(n, F_COUNT);
	iso_domain_destroy(d);
}

ParameterizedTestParameters(libc_state, refused_in_process)
{
	return cr_make_param_array(struct backend_param, params, pick(1));
}
ParameterizedTest(struct backend_param *p, libc_state, refused_in_process)
{
	char r[F_COUNT];

	try_libc(p->name, r);
	for (int i = 0; i < F_QUERY_LOCALE; i++)
		cr_expect_eq(r[i], 1, "%s inside a %s domain was not refused with EPERM",
			     names[i], p->name);
	cr_expect_eq(r[F_QUERY_LOCALE], 0, "asking for the locale was refused");
	/* The program's own state is as it was, and its own calls work. */
	cr_assert_not_null(getenv("PATH"));
	cr_assert_null(getenv("ISO_LIBC_STATE"));
	FILE *f = fopen("/dev/null", "r");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(setenv("ISO_LIBC_STATE", "t", 1), 0);
	cr_assert_str_eq(getenv("ISO_LIBC_STATE"), "t");
	unsetenv("ISO_LIBC_STATE");
}

ParameterizedTestParameters(libc_state, works_in_a_process_child)
{
	return cr_make_param_array(struct backend_param, params, pick(0));
}
ParameterizedTest(struct backend_param *p, libc_state, works_in_a_process_child)
{
	char r[F_COUNT];

	try_libc(p->name, r);
	for (int i = 0; i <= F_QUERY_LOCALE; i++)
		cr_expect_eq(r[i], 0, "%s failed in the %s child", names[i], p->name);
	/* The child's environment was its own. */
	cr_assert_not_null(getenv("PATH"));
	cr_assert_null(getenv("ISO_LIBC_STATE"));
}

/* The first tzset and localtime of the process, inside a domain. */
static long localtime_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			 size_t *out_len)
{
	time_t t = 86400 * 365;
	struct tm *tm;

	(void)in, (void)in_len;
	tzset();
	tm = localtime(&t);
	if (!tm || out_cap < sizeof(*tm))
		return -1;
	memcpy(out, tm, sizeof(*tm));
	*out_len = sizeof(*tm);
	return 0;
}

ParameterizedTestParameters(libc_state, time_zone_first_set_inside_survives_destroy)
{
	return cr_make_param_array(struct backend_param, params, pick(1));
}
ParameterizedTest(struct backend_param *p, libc_state, time_zone_first_set_inside_survives_destroy)
{
	struct iso_domain *d;
	struct tm inside, *outside;
	time_t t = 86400 * 365;
	long ret = -1;

	cr_assert_eq(setenv("TZ", "EET-2", 1), 0); /* POSIX form: no zone file needed */
	d = open_domain_opt(p->name, NULL);
	cr_assert_eq(iso_call(d, localtime_fn, NULL, 0, &inside, sizeof(inside), NULL, &ret),
		     ISO_OK, "%s", iso_reason());
	cr_assert_eq(ret, 0);
	iso_domain_destroy(d);
	tzset();
	outside = localtime(&t);
	cr_assert_not_null(outside);
	cr_assert_eq(outside->tm_hour, 2, "EET-2 at 1971-01-01 00:00 UTC: %d h", outside->tm_hour);
	cr_assert_eq(inside.tm_hour, outside->tm_hour);
}

/* Keys the domain could not make, counted where every domain may write. */
static volatile int *key_failures;

/* A library's first use inside (libxml2's): a key, then the call fails. */
static long key_then_crash_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			      size_t *out_len)
{
	pthread_key_t key;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	if (pthread_key_create(&key, free) == 0)
		pthread_setspecific(key, malloc(16));
	else
		++*key_failures;
	abort();
}

ParameterizedTestParameters(libc_state, keys_made_inside_go_with_the_rewind)
{
	return cr_make_param_array(struct backend_param, params, pick(1));
}
ParameterizedTest(struct backend_param *p, libc_state, keys_made_inside_go_with_the_rewind)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	pthread_key_t key;

	key_failures = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq((void *)key_failures, MAP_FAILED);
	/* More rewinds than the process has keys (PTHREAD_KEYS_MAX, 1024). */
	for (int i = 0; i < 1100; i++)
		cr_assert_eq(iso_call(d, key_then_crash_fn, NULL, 0, NULL, 0, NULL, NULL),
			     ISO_ECRASH, "call %d", i);
	cr_assert_eq(*key_failures, 0, "the domain could not make a key %d times", *key_failures);
	cr_assert_eq(pthread_key_create(&key, NULL), 0, "the program has no key left");
	pthread_key_delete(key);
	iso_domain_destroy(d);
}
