/* backends/confidential.c: confidential domains (iso_options.confidential): the program's data and trusted heap cannot be read from inside, and the domain works otherwise. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "iso_typed.h"
#include "../support/util.h"

static struct backend_param params[8];

static size_t inproc(void)
{
	size_t n = backend_params(params, 8), k = 0;

	for (size_t i = 0; i < n; i++)
		if (in_process_backend(params[i].name))
			params[k++] = params[i];
	return k;
}

/* Program data: .data (initialised) and .bss. */
static volatile uint64_t conf_data = 0x5ec2e7da7aULL;
static volatile uint64_t conf_bss;

static struct iso_domain *open_c(const char *name, int confidential)
{
	struct iso_options opt = { .timeout_ms = 500, .confidential = confidential };

	return open_domain_opt(name, &opt);
}

/* Reads the uint64_t at the address it is given, and reports it in out. */
static long peek_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	const volatile uint64_t *p;

	if (in_len != sizeof(p) || out_cap < sizeof(uint64_t))
		return -1;
	memcpy(&p, in, sizeof(p));
	*(uint64_t *)out = *p;
	*out_len = sizeof(uint64_t);
	return 0;
}

static int peek(struct iso_domain *d, const volatile uint64_t *p, uint64_t *v)
{
	size_t n = 0;
	long r = -1;

	return iso_call(d, peek_fn, &p, sizeof(p), v, sizeof(*v), &n, &r);
}

/* Each kind of trusted memory a domain must not read: .data, .bss, the trusted heap,
 * the caller's stack. */
static void check_reads(const char *name, int confidential)
{
	struct iso_domain *d = open_c(name, confidential);
	uint64_t *heap = malloc(sizeof(*heap)), stack = 0x57ac4ULL, v;
	const volatile uint64_t *at[] = { &conf_data, &conf_bss, heap, &stack };
	const char *what[] = { "program data", "bss", "trusted heap", "caller's stack" };

	cr_assert_not_null(heap);
	*heap = 0x4ea9ULL;
	conf_bss = 0xb55ULL;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		int err;

		v = 0;
		err = peek(d, at[i], &v);
		if (confidential) {
			cr_expect_eq(err, ISO_EFAULT, "%s: reading %s: %s, not ISO_EFAULT", name,
				     what[i], iso_strerror(err));
			cr_expect_eq(v, 0, "%s: %s leaked", name, what[i]);
		} else {
			cr_expect_eq(err, ISO_OK, "%s: reading %s: %s (%s)", name, what[i],
				     iso_strerror(err), iso_reason());
			cr_expect_eq(v, *at[i], "%s: %s read wrong", name, what[i]);
		}
	}
	free(heap);
	iso_domain_destroy(d);
}

ParameterizedTestParameters(confidential, trusted_memory_cannot_be_read)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, confidential, trusted_memory_cannot_be_read)
{
	check_reads(p->name, 1);
}

ParameterizedTestParameters(confidential, without_it_reads_still_work)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, confidential, without_it_reads_still_work)
{
	check_reads(p->name, 0);
}

/* Ordinary work inside: malloc and free (many, so that the arena asks for extents), a
 * system call through the filter, the input read and an output written. */
static long work_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	uint64_t sum = 0;
	char *keep[64];

	for (size_t i = 0; i < 64; i++) {
		keep[i] = malloc(4096 + i * 1000);
		if (!keep[i])
			return -1;
		memset(keep[i], (int)i, 4096);
	}
	for (size_t i = 0; i < 64; i++)
		free(keep[i]);
	for (size_t i = 0; i < in_len; i++)
		sum += ((const unsigned char *)in)[i];
	if (out_cap < 2 * sizeof(uint64_t))
		return -1;
	((uint64_t *)out)[0] = sum;
	((uint64_t *)out)[1] = (uint64_t)getpid(); /* a system call, filtered when hardened */
	*out_len = 2 * sizeof(uint64_t);
	return 42;
}

/* printf (isobench's, which writes with write(2)) and exit, as libraries use them. */
static long printf_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		      size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return printf("%s", "");
}

static long exit_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	exit(3);
}

static long spin_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (volatile int x = 0;; x++)
		;
	return 0;
}

static void check_works(const char *name, enum iso_harden harden)
{
	struct iso_options opt = { .timeout_ms = 500, .confidential = 1, .harden = harden };
	struct iso_domain *d = open_domain_opt(name, &opt);
	unsigned char in[1000];
	uint64_t out[2], v = 0;
	uint64_t *shared = iso_alloc(d, 2 * sizeof(uint64_t));
	size_t n = 0;
	long r = 0;
	int err;

	uint64_t expect = 0;

	for (size_t i = 0; i < sizeof(in); i++)
		expect += in[i] = (unsigned char)i;
	for (int round = 0; round < 3; round++) {
		err = iso_call(d, work_fn, in, sizeof(in), out, sizeof(out), &n, &r);
		cr_assert_eq(err, ISO_OK, "%s: %s (%s)", name, iso_strerror(err), iso_reason());
		cr_assert_eq(r, 42);
		cr_assert_eq(n, sizeof(out));
		cr_assert_eq(out[0], expect);
		cr_assert_eq(out[1], (uint64_t)getpid());
	}
	/* iso_alloc: the output straight into a shared buffer */
	cr_assert_not_null(shared, "%s: iso_alloc", name);
	err = iso_call(d, work_fn, in, 10, shared, 2 * sizeof(uint64_t), &n, &r);
	cr_assert_eq(err, ISO_OK, "%s: into iso_alloc: %s (%s)", name, iso_strerror(err),
		     iso_reason());
	cr_assert_eq(shared[0], 45);
	iso_free(d, shared);
	err = iso_call(d, printf_fn, NULL, 0, NULL, 0, NULL, &r);
	cr_assert_eq(err, ISO_OK, "%s: printf: %s (%s)", name, iso_strerror(err), iso_reason());
	err = iso_call(d, exit_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_EEXIT, "%s: exit: %s (%s)", name, iso_strerror(err), iso_reason());
	/* the watchdog, and the domain usable after it and after a violation */
	err = iso_call(d, spin_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_ETIMEDOUT, "%s: %s", name, iso_strerror(err));
	cr_assert_eq(peek(d, &conf_data, &v), ISO_EFAULT);
	err = iso_call(d, work_fn, in, sizeof(in), out, sizeof(out), &n, &r);
	cr_assert_eq(err, ISO_OK, "%s after rewinds: %s (%s)", name, iso_strerror(err),
		     iso_reason());
	iso_domain_destroy(d);
}

ParameterizedTestParameters(confidential, the_domain_works_hardened)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, confidential, the_domain_works_hardened)
{
	check_works(p->name, ISO_HARDEN_ON);
}

ParameterizedTestParameters(confidential, the_domain_works_unhardened)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, confidential, the_domain_works_unhardened)
{
	check_works(p->name, ISO_HARDEN_OFF);
}

/* Where the program's memory is the child's copy, or the caller's own: refused. */
Test(confidential, refused_where_it_cannot_hold)
{
	const char *names[] = { "none", "process" };
	struct iso_options opt = { .confidential = 1 };

	for (size_t i = 0; i < 2; i++) {
		struct iso_domain *d = NULL;

		if (!backend_wanted(names[i]))
			continue;
		cr_expect_eq(iso_domain_create(names[i], &opt, &d), ISO_ENOTSUP, "%s", names[i]);
		cr_expect_null(d);
	}
}

/* ---- callbacks ------------------------------------------------------------------ */

static long cb_seen;

/* The trusted side's callback: it runs with the program's rights, here. */
static long on_cb(struct iso_cb *cb)
{
	cb_seen = cb->arg[0];
	return cb->arg[0] * 2;
}

typedef long cb_fn(long x);

static long call_cb(cb_fn *cb, long x)
{
	return cb(x) + 1;
}

ParameterizedTestParameters(confidential, callbacks_reach_the_trusted_side)
{
	return cr_make_param_array(struct backend_param, params, inproc());
}

ParameterizedTest(struct backend_param *p, confidential, callbacks_reach_the_trusted_side)
{
	struct iso_domain *d = open_c(p->name, 1);
	iso_any_fn h = iso_callback_register(on_cb, NULL);
	struct iso_arg a[] = { { .kind = ISO_ARG_VAL, .val = (long)(uintptr_t)h },
			       { .kind = ISO_ARG_VAL, .val = 21 } };
	long r = 0;
	int err;

	cr_assert_not_null(h);
	for (int i = 0; i < 3; i++) {
		cb_seen = 0;
		err = iso_typed_call(d, (iso_any_fn)call_cb, a, 2, &r);
		cr_assert_eq(err, ISO_OK, "%s: %s (%s)", p->name, iso_strerror(err), iso_reason());
		cr_assert_eq(r, 43);
		cr_assert_eq(cb_seen, 21);
	}
	iso_callback_unregister(h);
	iso_domain_destroy(d);
}
