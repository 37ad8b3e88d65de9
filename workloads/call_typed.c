/* call_typed.c: typed calls (iso_typed.h) against the same calls marshalled by hand: call-args and a four-buffer function. */
#include <stdlib.h>
#include <string.h>

#include "iso_typed.h"
#include "wl_util.h"
#include "workload.h"

static int none_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d, (void)size;
	*state = NULL;
	return ISO_OK;
}

static void free_state(void *state)
{
	free(state);
}

/* ---- call-args-typed: call-args's four scalars, described instead of packed ------- */

static long args_target(long a, long b, long c, unsigned shift)
{
	return wl_tamper_long((a * b + c) >> shift);
}

/* The one-line declaration: a stub with the target's own prototype. */
static ISO_WRAP(long, typed_args, args_target, -1,
		ISO_VAL(long, a), ISO_VAL(long, b), ISO_VAL(long, c), ISO_VAL(unsigned, shift))

static int args_typed_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state;
	iso_typed_use(d);
	for (uint64_t i = 0; i < iters; i++) {
		long a = (long)i, b = 7, c = -3;
		unsigned shift = (unsigned)(i & 7);
		long r = typed_args(a, b, c, shift);

		if (iso_typed_last())
			return iso_typed_last();
		if (r != (a * b + c) >> shift)
			return WL_EWRONG;
	}
	return ISO_OK;
}

const struct workload wl_call_args_typed = {
	.name = "call-args-typed",
	.summary = "call-args as a typed call: an ISO_WRAP stub of four scalars",
	.default_iters = 10000,
	.setup = none_setup,
	.run = args_typed_run,
	.teardown = free_state,
};

/* ---- call-4buf and call-4buf-typed: two buffers in, two out -------------------- */

/* The library function: sum = a + b, diff = a - b, bytewise; returns a checksum. */
static long four(const unsigned char *a, const unsigned char *b, unsigned char *sum,
		 unsigned char *diff, size_t n)
{
	unsigned long h = 0;

	for (size_t i = 0; i < n; i++) {
		sum[i] = (unsigned char)(a[i] + b[i]);
		diff[i] = (unsigned char)(a[i] - b[i]);
		h = h * 31 + a[i];
	}
	wl_tamper_bytes(sum, n);
	return (long)h;
}

struct four_state {
	size_t n;
	long expect_ret;
	unsigned char *a, *b, *sum, *diff, *want_sum, *want_diff, *scratch;
};

static int four_setup(struct iso_domain *d, size_t size, void **state)
{
	struct four_state *s = calloc(1, sizeof(*s));

	(void)d;
	if (!s || !(s->a = malloc(7 * size + 1))) {
		free(s);
		return ISO_ENOMEM;
	}
	s->n = size;
	s->b = s->a + size;
	s->sum = s->b + size;
	s->diff = s->sum + size;
	s->want_sum = s->diff + size;
	s->want_diff = s->want_sum + size;
	s->scratch = s->want_diff + size; /* 2 * size: the hand-written out buffer */
	wl_fill_random(s->a, 2 * size, 42);
	s->expect_ret = 0;
	{
		unsigned long h = 0;

		for (size_t i = 0; i < size; i++) {
			s->want_sum[i] = (unsigned char)(s->a[i] + s->b[i]);
			s->want_diff[i] = (unsigned char)(s->a[i] - s->b[i]);
			h = h * 31 + s->a[i];
		}
		s->expect_ret = (long)h;
	}
	*state = s;
	return ISO_OK;
}

static void four_teardown(void *state)
{
	struct four_state *s = state;

	free(s->a);
	free(s);
}

static int four_check(const struct four_state *s, long r)
{
	return r == s->expect_ret && memcmp(s->sum, s->want_sum, s->n) == 0 &&
			       memcmp(s->diff, s->want_diff, s->n) == 0
		       ? ISO_OK
		       : WL_EWRONG;
}

/* By hand: a and b packed into in; sum and diff come back packed in out. */
static long four_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	size_t n = in_len / 2;
	const unsigned char *a = in;
	unsigned char *o = out;

	if (out_cap < 2 * n)
		return -1;
	*out_len = 2 * n;
	return four(a, a + n, o, o + n, n);
}

static int four_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct four_state *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		size_t got = 0;
		long r = 0;
		int err = iso_call(d, four_fn, s->a, 2 * s->n, s->scratch, 2 * s->n, &got, &r);

		if (err)
			return err;
		if (got != 2 * s->n)
			return WL_EWRONG;
		memcpy(s->sum, s->scratch, s->n);
		memcpy(s->diff, s->scratch + s->n, s->n);
		if ((err = four_check(s, r)))
			return err;
	}
	return ISO_OK;
}

static ISO_WRAP(long, typed_four, four, -1,
		ISO_IN(const unsigned char *, a, n), ISO_IN(const unsigned char *, b, n),
		ISO_OUT(unsigned char *, sum, n, ISO_LEN_CAP, 0),
		ISO_OUT(unsigned char *, diff, n, ISO_LEN_CAP, 0), ISO_VAL(size_t, n))

static int four_typed_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct four_state *s = state;

	iso_typed_use(d);
	for (uint64_t i = 0; i < iters; i++) {
		long r = typed_four(s->a, s->b, s->sum, s->diff, s->n);
		int err = iso_typed_last();

		if (err)
			return err;
		if ((err = four_check(s, r)))
			return err;
	}
	return ISO_OK;
}

const struct workload wl_call_4buf = {
	.name = "call-4buf",
	.summary = "two buffers in, two out (64 bytes each unless --size), packed by hand",
	.sized = true,
	.default_size = 64,
	.default_iters = 10000,
	.setup = four_setup,
	.run = four_run,
	.teardown = four_teardown,
};

const struct workload wl_call_4buf_typed = {
	.name = "call-4buf-typed",
	.summary = "call-4buf as a typed call: an ISO_WRAP stub of the four buffers",
	.sized = true,
	.default_size = 64,
	.default_iters = 10000,
	.setup = four_setup,
	.run = four_typed_run,
	.teardown = four_teardown,
};
