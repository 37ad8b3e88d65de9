/* api/contract.c: the iso.h contract, one test body per rule, run against every registered backend. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

#define MiB ((size_t)1 << 20)
#define XOR 0x5a

/* ---- functions run inside the domain --------------------------------------------- */

/* out = reverse(in) ^ XOR; returns the input's checksum so the caller knows fn saw it all. */
static long reverse_xor_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	const unsigned char *s = in;
	unsigned char *o = out;

	if (out_cap < in_len)
		return -1;
	for (size_t i = 0; i < in_len; i++)
		o[i] = s[in_len - 1 - i] ^ XOR;
	*out_len = in_len;
	return (long)(fnv1a(in, in_len) >> 1);
}

/* XORs its buffer in place; refuses unless in and out are the very same memory. */
static long inplace_xor_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	unsigned char *o = out;

	if (in != out || in_len != out_cap)
		return -1;
	for (size_t i = 0; i < out_cap; i++)
		o[i] ^= XOR;
	*out_len = out_cap;
	return (long)(uintptr_t)out;
}

/* Like reverse_xor_fn, but reports the address it wrote to. */
static long reverse_where_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			     size_t *out_len)
{
	if (reverse_xor_fn(in, in_len, out, out_cap, out_len) == -1)
		return -1;
	return (long)(uintptr_t)out;
}

/* 1 if `out` is the caller's own buffer, whose address the caller sent as the input. */
static long is_callers_out_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			      size_t *out_len)
{
	uintptr_t callers;

	(void)out_cap, (void)out_len;
	if (in_len != sizeof(callers))
		return -1;
	memcpy(&callers, in, sizeof(callers));
	return (uintptr_t)out == callers;
}

/* Fills its whole output, then claims one byte more than it was given. */
static long liar_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len;
	if (out_cap)
		memset(out, 0xEE, out_cap);
	*out_len = out_cap + 1;
	return 77;
}

/* Copies 64 bytes from the trusted address given as input into out. */
__attribute__((no_sanitize("address"))) static long
peek_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	const volatile unsigned char *src;
	unsigned char *o = out;
	uintptr_t a;

	if (in_len != sizeof(a) || out_cap < 64)
		return -1;
	memcpy(&a, in, sizeof(a));
	src = (const volatile unsigned char *)a;
	for (size_t i = 0; i < 64; i++)
		o[i] = src[i];
	*out_len = 64;
	return 0;
}

/* ---- helpers --------------------------------------------------------------------- */

/* One copy-in/copy-out round trip of n bytes through reverse_xor_fn, every byte checked. */
static void round_trip(struct iso_domain *d, size_t n, uint32_t seed)
{
	const size_t slack = 64; /* out_cap exceeds n: bytes past out_len must stay as they were */
	unsigned char *in = malloc(n + 1), *out = malloc(n + slack);
	uint64_t sum;
	size_t out_len = SIZE_MAX, i;
	long ret = -2;
	int err;

	cr_assert(in && out);
	fill_pattern(in, n, seed);
	sum = fnv1a(in, n);
	memset(out, 0xCC, n + slack);
	err = iso_call(d, reverse_xor_fn, in, n, out, n + slack, &out_len, &ret);
	cr_assert_eq(err, ISO_OK, "%zu bytes: %s (%s)", n, iso_strerror(err), iso_reason());
	cr_assert_eq(out_len, n, "%zu bytes: out_len %zu", n, out_len);
	cr_assert_eq(ret, (long)(sum >> 1), "%zu bytes: the function saw other input", n);
	for (i = 0; i < n && out[i] == (in[n - 1 - i] ^ XOR); i++)
		;
	cr_assert_eq(i, n, "%zu bytes: byte %zu of the output is wrong", n, i);
	cr_assert_eq(first_not(out + n, slack, 0xCC), slack,
		     "%zu bytes: bytes past out_len were written", n);
	cr_assert_eq(fnv1a(in, n), sum, "%zu bytes: the caller's input changed", n);
	free(in);
	free(out);
}

static struct backend_param params[8];

#define BACKEND_TEST(test)                                                             \
	ParameterizedTestParameters(contract, test)                                    \
	{                                                                              \
		size_t n = backend_params(params, sizeof(params) / sizeof(params[0])); \
		return cr_make_param_array(struct backend_param, params, n);           \
	}                                                                              \
	ParameterizedTest(struct backend_param *p, contract, test, .timeout = 30)

/* ---- the contract ----------------------------------------------------------------- */

BACKEND_TEST(round_trip_sizes)
{
	static const size_t sizes[] = { 0, 1, 4096, 16 * MiB };
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	size_t out_len = 99;
	long ret = 0;
	int err;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(d, sizes[i], (uint32_t)i + 1);
	/* Zero bytes may also travel as NULL pointers. */
	err = iso_call(d, reverse_xor_fn, NULL, 0, NULL, 0, &out_len, &ret);
	cr_assert_eq(err, ISO_OK, "NULL, 0: %s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(out_len, 0);
	cr_assert_eq(ret, (long)(fnv1a(NULL, 0) >> 1));
	/* out_len and ret are optional. */
	err = iso_call(d, reverse_xor_fn, "ab", 2, (char[2]){ 0 }, 2, NULL, NULL);
	cr_assert_eq(err, ISO_OK, "NULL out_len and ret: %s", iso_strerror(err));
	iso_domain_destroy(d);
}

BACKEND_TEST(output_over_capacity_is_rejected)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	unsigned char out[256];
	uintptr_t where = (uintptr_t)out;
	size_t out_len = 12345;
	long ret = 999, direct = -1;
	int err;

	/* Only a backend that hands fn the caller's own buffer (none) lets fn write it. */
	err = iso_call(d, is_callers_out_fn, &where, sizeof(where), out, sizeof(out), NULL, &direct);
	cr_assert_eq(err, ISO_OK, "%s", iso_strerror(err));
	cr_assert(direct == 0 || direct == 1);

	memset(out, 0x11, sizeof(out));
	err = iso_call(d, liar_fn, NULL, 0, out, sizeof(out), &out_len, &ret);
	cr_assert_eq(err, ISO_E2BIG, "got %s", iso_strerror(err));
	cr_assert_eq(out_len, 12345, "out_len written on failure");
	cr_assert_eq(ret, 999, "ret written on failure");
	if (!direct)
		cr_assert_eq(first_not(out, sizeof(out), 0x11), sizeof(out),
			     "the domain's output was copied back although it was too long");

	/* No output area at all, and the domain claims one byte. */
	err = iso_call(d, liar_fn, NULL, 0, NULL, 0, &out_len, &ret);
	cr_assert_eq(err, ISO_E2BIG, "out_cap 0: got %s", iso_strerror(err));
	cr_assert_eq(out_len, 12345);
	cr_assert_eq(ret, 999);

	round_trip(d, 4096, 7); /* still usable */
	iso_domain_destroy(d);
}

/* After a failed call, iso_reason() speaks of that call or is empty: never of an older one. */
BACKEND_TEST(reason_is_not_stale_after_failed_call)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL), *none = NULL;
	char stale[256], after_e2big[256], after_einval[256];
	unsigned char out[16];
	int e2big, einval;

	cr_assert_eq(iso_domain_create("no-such-backend", NULL, &none), ISO_ENOTSUP);
	snprintf(stale, sizeof(stale), "%s", iso_reason());
	cr_assert_neq(stale[0], '\0');
	e2big = iso_call(d, liar_fn, NULL, 0, out, sizeof(out), NULL, NULL);
	snprintf(after_e2big, sizeof(after_e2big), "%s", iso_reason());

	cr_assert_eq(iso_domain_create("no-such-backend", NULL, &none), ISO_ENOTSUP);
	einval = iso_call(d, reverse_xor_fn, NULL, 1, out, sizeof(out), NULL, NULL);
	snprintf(after_einval, sizeof(after_einval), "%s", iso_reason());
	iso_domain_destroy(d);

	cr_assert_eq(e2big, ISO_E2BIG);
	cr_assert_str_neq(after_e2big, stale, "after ISO_E2BIG iso_reason() still says '%s'", stale);
	cr_assert_eq(einval, ISO_EINVAL);
	cr_assert_str_neq(after_einval, stale, "after ISO_EINVAL iso_reason() still says '%s'",
			  stale);
}

BACKEND_TEST(zero_copy_buffers)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	const size_t n = MiB;
	unsigned char *a = iso_alloc(d, n), *b = iso_alloc(d, n), *orig = malloc(n);
	size_t out_len = 0, i;
	long ret = 0;
	int err;

	cr_assert(a && b && orig, "iso_alloc(%zu) failed", n);
	cr_assert(a + n <= b || b + n <= a, "two live iso_alloc buffers overlap");
	fill_pattern(a, n, 3);
	memcpy(orig, a, n);

	/* In place: fn gets the buffer itself (in == out) and its writes are simply there. */
	err = iso_call(d, inplace_xor_fn, a, n, a, n, &out_len, &ret);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_neq(ret, -1, "fn got distinct in and out: the buffer was copied");
	cr_assert_eq(ret, (long)(uintptr_t)a, "fn wrote elsewhere than the iso_alloc buffer");
	cr_assert_eq(out_len, n);
	for (i = 0; i < n && a[i] == (orig[i] ^ XOR); i++)
		;
	cr_assert_eq(i, n, "byte %zu not transformed in place", i);

	/* Two buffers: the domain writes b directly. */
	memset(b, 0, n);
	err = iso_call(d, reverse_where_fn, a, n, b, n, &out_len, &ret);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(ret, (long)(uintptr_t)b, "fn did not get the iso_alloc out buffer itself");
	cr_assert_eq(out_len, n);
	for (i = 0; i < n && b[i] == (a[n - 1 - i] ^ XOR); i++)
		;
	cr_assert_eq(i, n, "byte %zu of the zero-copy output is wrong", i);

	/* A zero-copy input with an ordinary (copied) output, and the reverse. */
	round_trip(d, 100, 5);
	{
		unsigned char out[64];

		err = iso_call(d, reverse_xor_fn, a, sizeof(out), out, sizeof(out), &out_len, NULL);
		cr_assert_eq(err, ISO_OK, "%s", iso_strerror(err));
		cr_assert_eq(out[0], a[sizeof(out) - 1] ^ XOR);
		err = iso_call(d, reverse_xor_fn, out, sizeof(out), b + 10, sizeof(out), &out_len, NULL);
		cr_assert_eq(err, ISO_OK, "%s", iso_strerror(err));
		cr_assert_eq(b[10], out[sizeof(out) - 1] ^ XOR);
	}
	iso_free(d, a);
	iso_free(d, b);
	free(orig);
	iso_domain_destroy(d);
}

BACKEND_TEST(alloc_free_many)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	enum { LIVE = 256 };
	unsigned char *live[LIVE];
	size_t sizes[LIVE];

	for (unsigned i = 0; i < 20000; i++) {
		size_t n = 1 + (i * 7919u) % 65536;
		unsigned char *q = iso_alloc(d, n);

		cr_assert_not_null(q, "iso_alloc(%zu) #%u failed", n, i);
		q[0] = q[n - 1] = (unsigned char)i;
		iso_free(d, q);
	}
	/* Many live at once: none may overlap another (each keeps its own fill). */
	for (unsigned i = 0; i < LIVE; i++) {
		sizes[i] = 1 + (i * 104729u) % 20000;
		live[i] = iso_alloc(d, sizes[i]);
		cr_assert_not_null(live[i], "iso_alloc(%zu) failed", sizes[i]);
		memset(live[i], (int)i, sizes[i]);
	}
	for (unsigned i = 0; i < LIVE; i++) {
		cr_assert_eq(first_not(live[i], sizes[i], (unsigned char)i), sizes[i],
			     "live buffer %u was overwritten", i);
		iso_free(d, live[i]);
	}
	iso_free(d, NULL); /* like free(NULL) */
	cr_assert_null(iso_alloc(d, (size_t)1 << 50), "a 1 PiB iso_alloc succeeded");
	round_trip(d, 4096, 9);
	iso_domain_destroy(d);
}

/* 16 MiB zero-copy buffers, allocated, used and freed again and again: freed space comes back. */
BACKEND_TEST(large_alloc)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	const size_t n = 16 * MiB;

	for (int round = 0; round < 12; round++) {
		unsigned char *a = iso_alloc(d, n);
		size_t out_len = 0;
		long ret = 0;
		int err;

		cr_assert_not_null(a, "iso_alloc(16 MiB) failed in round %d", round);
		memset(a, round, n);
		err = iso_call(d, inplace_xor_fn, a, n, a, n, &out_len, &ret);
		cr_assert_eq(err, ISO_OK, "round %d: %s (%s)", round, iso_strerror(err), iso_reason());
		cr_assert_eq(ret, (long)(uintptr_t)a);
		cr_assert_eq(first_not(a, n, (unsigned char)(round ^ XOR)), n);
		iso_free(d, a);
	}
	iso_domain_destroy(d);
}

BACKEND_TEST(bad_arguments)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL), *d2 = (void *)1;
	struct iso_options bad = { .wait = (enum iso_wait)42 };
	unsigned char in[8] = { 0 }, out[8];
	size_t out_len = 12345;
	long ret = 999;

	cr_assert_eq(iso_call(NULL, reverse_xor_fn, in, 8, out, 8, &out_len, &ret), ISO_EINVAL);
	cr_assert_eq(iso_call(d, NULL, in, 8, out, 8, &out_len, &ret), ISO_EINVAL);
	cr_assert_eq(iso_call(d, reverse_xor_fn, NULL, 8, out, 8, &out_len, &ret), ISO_EINVAL);
	cr_assert_eq(iso_call(d, reverse_xor_fn, in, 8, NULL, 8, &out_len, &ret), ISO_EINVAL);
	cr_assert_eq(out_len, 12345, "out_len written by a rejected call");
	cr_assert_eq(ret, 999, "ret written by a rejected call");
	cr_assert_neq(iso_reason()[0], '\0', "no reason for ISO_EINVAL");

	cr_assert_eq(iso_domain_create(p->name, NULL, NULL), ISO_EINVAL);
	cr_assert_eq(iso_domain_create(p->name, &bad, &d2), ISO_EINVAL);
	cr_assert_null(d2, "*out not cleared by a failed create");
	cr_assert_null(iso_alloc(NULL, 16));
	iso_free(NULL, in); /* ignored */
	iso_domain_destroy(NULL);
	cr_assert_null(iso_domain_backend(NULL));

	round_trip(d, 8, 11); /* the rejected calls left the domain as it was */
	iso_domain_destroy(d);
}

BACKEND_TEST(ten_thousand_calls)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);

	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t x = 0;
		size_t out_len = 0;
		long ret = -1;
		int err = iso_call(d, affine_fn, &i, sizeof(i), &x, sizeof(x), &out_len, &ret);

		cr_assert_eq(err, ISO_OK, "call %lu: %s (%s)", (unsigned long)i, iso_strerror(err),
			     iso_reason());
		cr_assert(x == 3 * i + 1 && out_len == sizeof(x) && ret == (long)(i ^ 0x55),
			  "call %lu: wrong result", (unsigned long)i);
	}
	iso_domain_destroy(d);
}

BACKEND_TEST(two_domains_do_not_mix)
{
	struct iso_domain *d[2] = { open_domain_opt(p->name, NULL), open_domain_opt(p->name, NULL) };
	unsigned char *buf[2];

	cr_assert_neq(d[0], d[1]);
	for (int k = 0; k < 2; k++) {
		buf[k] = iso_alloc(d[k], 4096);
		cr_assert_not_null(buf[k]);
		memset(buf[k], 0xA0 + k, 4096);
	}
	for (uint64_t i = 0; i < 2000; i++) {
		int k = (int)(i & 1);
		uint64_t v = i * 1000 + (uint64_t)k, x = 0;
		long ret = -1;
		int err = iso_call(d[k], affine_fn, &v, sizeof(v), &x, sizeof(x), NULL, &ret);

		cr_assert_eq(err, ISO_OK, "domain %d call %lu: %s", k, (unsigned long)i,
			     iso_strerror(err));
		cr_assert(x == 3 * v + 1 && ret == (long)(v ^ 0x55),
			  "domain %d call %lu: another call's result", k, (unsigned long)i);
		/* Each domain's zero-copy buffer keeps its own contents. */
		err = iso_call(d[k], inplace_xor_fn, buf[k], 4096, buf[k], 4096, NULL, &ret);
		cr_assert_eq(err, ISO_OK, "%s", iso_strerror(err));
		cr_assert_eq(first_not(buf[k], 4096, (unsigned char)((0xA0 + k) ^ (i & 2 ? 0 : XOR))),
			     4096, "domain %d's buffer mixed up on call %lu", k, (unsigned long)i);
	}
	/* One domain's buffer handed to the other is ordinary caller memory there: still right. */
	{
		unsigned char out[64];
		size_t out_len = 0;
		int err = iso_call(d[1], reverse_xor_fn, buf[0], 64, out, 64, &out_len, NULL);

		cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
		cr_assert_eq(first_not(out, 64, buf[0][0] ^ XOR), 64);
	}
	/* Destroying one leaves the other working. */
	iso_free(d[0], buf[0]);
	iso_domain_destroy(d[0]);
	round_trip(d[1], 4096, 13);
	cr_assert_eq(first_not(buf[1], 4096, 0xA1), 4096);
	iso_free(d[1], buf[1]);
	iso_domain_destroy(d[1]);
}

/* Does fn get the caller's own out buffer (none: no isolation, so nothing to check)? */
static bool direct(struct iso_domain *d)
{
	unsigned char out[8];
	uintptr_t where = (uintptr_t)out;
	long r = -1;

	cr_assert_eq(iso_call(d, is_callers_out_fn, &where, sizeof(where), out, sizeof(out), NULL,
			      &r), ISO_OK);
	return r == 1;
}

/* The secret's bytes never reach the caller through a domain: the read fails, or yields other bytes. */
static void assert_cannot_read(struct iso_domain *d, const unsigned char *secret, const char *when)
{
	uintptr_t a = (uintptr_t)secret;
	unsigned char out[64];
	size_t out_len = 0;
	int err;

	memset(out, 0, sizeof(out));
	err = iso_call(d, peek_fn, &a, sizeof(a), out, sizeof(out), &out_len, NULL);
	cr_assert(err == ISO_OK || err == ISO_EFAULT || err == ISO_ECRASH, "%s: %s", when,
		  iso_strerror(err));
	if (err == ISO_OK)
		cr_assert_neq(memcmp(out, secret, sizeof(out)), 0,
			      "%s: the domain read the secret and handed it back", when);
}

/* iso_secret memory: no domain may read it, whether it was made secret before or after the domain. */
BACKEND_TEST(secret_is_unreadable)
{
	struct iso_domain *before, *after;
	unsigned char *secret;
	char when[64];
	uint64_t sum;

	SKIP_UNSUPPORTED(p->name);
	secret = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(secret, MAP_FAILED);
	fill_pattern(secret, 4096, 31);
	sum = fnv1a(secret, 4096);

	before = open_domain_opt(p->name, NULL); /* exists before the memory becomes secret */
	if (direct(before)) {
		iso_domain_destroy(before);
		cr_skip_test("%s runs fn on the caller's own memory: no isolation to check", p->name);
	}
	cr_assert_eq(iso_secret(secret, 4096), ISO_OK, "%s", iso_reason());
	after = open_domain_opt(p->name, NULL);

	snprintf(when, sizeof(when), "%s, domain created after iso_secret", p->name);
	assert_cannot_read(after, secret, when);
	snprintf(when, sizeof(when), "%s, domain created before iso_secret", p->name);
	assert_cannot_read(before, secret, when);
	cr_assert_eq(fnv1a(secret, 4096), sum, "the trusted side lost its secret");

	cr_assert_eq(iso_unsecret(secret, 4096), ISO_OK, "%s", iso_reason());
	round_trip(before, 64, 3);
	round_trip(after, 64, 4);
	iso_domain_destroy(before);
	iso_domain_destroy(after);
	munmap(secret, 4096);
}
