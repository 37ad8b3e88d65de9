/* snappy.c: snappy-compress/-uncompress (text and random data): the snappy C library inside the domain, 1 B .. 2 MiB. */
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "wl_util.h"

/*
 * The domain runs snappy on the copied-in input and writes straight into its output
 * buffer; the trusted side checks the result against a round trip it made at setup:
 * snappy is deterministic, so the compressed stream must equal the one made outside
 * (which was uncompressed outside and compared with the input), and an uncompressed
 * result must equal the input.  A memcmp per call keeps the check far below snappy's
 * own cost.
 */
static long compress_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	size_t n = out_cap;
	snappy_status st;

	if (out_cap < snappy_max_compressed_length(in_len))
		return -1;
	st = snappy_compress(in, in_len, out, &n);
	if (st != SNAPPY_OK)
		return st;
	wl_tamper_bytes(out, n);
	*out_len = n;
	return 0;
}

static long uncompress_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	size_t n = out_cap;
	snappy_status st;

	if (snappy_uncompressed_length(in, in_len, &n) != SNAPPY_OK || n > out_cap)
		return -1;
	st = snappy_uncompress(in, in_len, out, &n);
	if (st != SNAPPY_OK)
		return st;
	wl_tamper_bytes(out, n);
	*out_len = n;
	return 0;
}

struct snap {
	iso_fn *fn;
	char *in, *expect, *out;
	size_t in_len, expect_len, out_cap;
};

static void snap_teardown(void *state)
{
	struct snap *s = state;

	if (!s)
		return;
	free(s->in);
	free(s->expect);
	free(s->out);
	free(s);
}

/* data: `size` bytes of text or noise; ref: its compressed form, checked by a round trip. */
static int snap_setup(size_t size, bool compress, bool text, void **state)
{
	struct snap *s = calloc(1, sizeof(*s));
	size_t zcap = snappy_max_compressed_length(size), zlen = zcap, back_len = size;
	char *data = malloc(size ? size : 1), *z = malloc(zcap), *back = malloc(size ? size : 1);
	int err = ISO_ENOMEM;

	if (!s || !data || !z || !back)
		goto fail;
	if (text)
		wl_fill_text(data, size, 7);
	else
		wl_fill_random(data, size, 7);
	err = WL_EWRONG; /* snappy failing outside the domain: nothing to compare with */
	if (snappy_compress(data, size, z, &zlen) != SNAPPY_OK ||
	    snappy_uncompress(z, zlen, back, &back_len) != SNAPPY_OK || back_len != size ||
	    memcmp(back, data, size))
		goto fail;
	free(back);
	back = NULL;
	if (compress) {
		*s = (struct snap){ .fn = compress_fn, .in = data, .in_len = size, .expect = z,
				    .expect_len = zlen, .out_cap = zcap };
	} else {
		*s = (struct snap){ .fn = uncompress_fn, .in = z, .in_len = zlen, .expect = data,
				    .expect_len = size, .out_cap = size };
	}
	data = z = NULL;
	err = ISO_ENOMEM;
	if (!(s->out = malloc(s->out_cap ? s->out_cap : 1)))
		goto fail;
	*state = s;
	return ISO_OK;
fail:
	free(data);
	free(z);
	free(back);
	snap_teardown(s);
	return err;
}

static int snap_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct snap *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		size_t n = 0;
		long ret = -1;
		int err = iso_call(d, s->fn, s->in, s->in_len, s->out, s->out_cap, &n, &ret);

		if (err)
			return err;
		if (ret != 0 || n != s->expect_len || memcmp(s->out, s->expect, n))
			return WL_EWRONG;
	}
	return ISO_OK;
}

static int compress_text_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return snap_setup(size, true, true, state);
}

static int uncompress_text_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return snap_setup(size, false, true, state);
}

static int compress_random_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return snap_setup(size, true, false, state);
}

static int uncompress_random_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return snap_setup(size, false, false, state);
}

/* 2^0 .. 2^21, every fourth power and the top; --size takes any. */
static const size_t snap_sizes[] = { 1, 16, 256, 4096, 65536, 1 << 20, 2 << 20, 0 };

const struct workload wl_snappy_compress = {
	.name = "snappy-compress",
	.summary = "snappy_compress of text-like data (3.4:1 at 1 MiB) in the domain",
	.sized = true,
	.default_size = 4096,
	.sizes = snap_sizes,
	.default_iters = 10000,
	.setup = compress_text_setup,
	.run = snap_run,
	.teardown = snap_teardown,
};

const struct workload wl_snappy_uncompress = {
	.name = "snappy-uncompress",
	.summary = "snappy_uncompress back to text-like data in the domain; size: uncompressed",
	.sized = true,
	.default_size = 4096,
	.sizes = snap_sizes,
	.default_iters = 10000,
	.setup = uncompress_text_setup,
	.run = snap_run,
	.teardown = snap_teardown,
};

const struct workload wl_snappy_compress_random = {
	.name = "snappy-compress-random",
	.summary = "snappy_compress of random (incompressible) data in the domain",
	.sized = true,
	.default_size = 4096,
	.sizes = snap_sizes,
	.default_iters = 10000,
	.setup = compress_random_setup,
	.run = snap_run,
	.teardown = snap_teardown,
};

const struct workload wl_snappy_uncompress_random = {
	.name = "snappy-uncompress-random",
	.summary = "snappy_uncompress back to random data in the domain; size: uncompressed",
	.sized = true,
	.default_size = 4096,
	.sizes = snap_sizes,
	.default_iters = 10000,
	.setup = uncompress_random_setup,
	.run = snap_run,
	.teardown = snap_teardown,
};
