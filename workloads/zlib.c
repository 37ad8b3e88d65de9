/* zlib.c: zlib-inflate and zlib-inflate-corrupt: zlib's inflate of a deflate stream inside the domain, a good one and one damaged mid-stream. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "wl_lib.h"
#include "wl_util.h"

/*
 * In the domain: inflate the whole stream into out.  ret: inflate's final code
 * (Z_STREAM_END when all is well, Z_DATA_ERROR on a damaged stream); output: the
 * inflated bytes, or on an error zlib's own message (strm.msg).
 */
static long inflate_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	z_stream z = { .next_in = (Bytef *)(uintptr_t)in, .avail_in = (uInt)in_len,
		       .next_out = out, .avail_out = (uInt)out_cap };
	int r = inflateInit(&z);

	if (r != Z_OK)
		return r;
	r = inflate(&z, Z_FINISH);
	if (r == Z_STREAM_END) {
		*out_len = z.total_out;
		wl_tamper_bytes(out, *out_len);
	} else {
		size_t m = z.msg ? strlen(z.msg) : 0;

		m = m < out_cap ? m : out_cap;
		memcpy(out, z.msg ? z.msg : "", m);
		*out_len = m;
	}
	inflateEnd(&z);
	return wl_tamper > 0 && r != Z_STREAM_END ? wl_tamper_long(r) : r;
}

/* The text deflated outside; corrupt: 16 bytes in the middle of the stream inverted. */
static int zlib_setup_(size_t size, bool corrupt, void **state)
{
	uLongf zlen = compressBound(size);
	struct wl_lib *s = wl_lib_new(inflate_fn, zlen, size + 64);
	unsigned char *text = malloc(size ? size : 1);
	int err = ISO_ENOMEM;

	if (!s || !text)
		goto out;
	wl_fill_text(text, size, 11);
	err = WL_EWRONG;
	if (compress2(s->in, &zlen, text, size, 6) != Z_OK)
		goto out;
	s->in_len = zlen;
	if (corrupt)
		for (size_t i = 0; i < 16 && zlen / 2 + i < zlen; i++)
			s->in[zlen / 2 + i] ^= 0xff;
	if ((err = wl_lib_reference(s)))
		goto out;
	/* The reference is right: the text itself, or zlib's data error with a message. */
	if (corrupt ? s->expect_ret != Z_DATA_ERROR || s->expect_len == 0
		    : s->expect_ret != Z_STREAM_END || s->expect_len != size ||
			      memcmp(s->expect, text, size)) {
		err = WL_EWRONG;
		goto out;
	}
	*state = s;
	s = NULL;
	err = ISO_OK;
out:
	free(text);
	wl_lib_teardown(s);
	return err;
}

static int zlib_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return zlib_setup_(size, false, state);
}

static int zlib_corrupt_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return zlib_setup_(size < 64 ? 64 : size, true, state);
}

const struct workload wl_zlib_inflate = {
	.name = "zlib-inflate",
	.summary = "zlib inflate of deflated text in the domain; size: the inflated bytes",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 1000,
	.setup = zlib_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};

const struct workload wl_zlib_inflate_corrupt = {
	.name = "zlib-inflate-corrupt",
	.summary = "zlib inflate of a stream damaged mid-way: Z_DATA_ERROR and zlib's message "
		   "come back from the domain; size: the text before deflate",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 1000,
	.setup = zlib_corrupt_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};
