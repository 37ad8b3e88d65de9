/* jpeg.c: jpeg-decode and jpeg-decode-exit: libjpeg-turbo decoding in the domain with its default error handler, which calls exit() on a damaged file. */
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "wl_lib.h"
#include "wl_util.h"

/*
 * libjpeg's default error manager (jpeg_std_error) ends a fatal error with
 * exit(EXIT_FAILURE).  Inside a domain that ends the call with ISO_EEXIT (the domain
 * rewound, or the process child respawned) and none of the program's exit handlers
 * run; under `none` it would end the harness, so jpeg-decode-exit declines `none`.
 * Only output_message is replaced, so that a damaged file does not print on every
 * call; error_exit is libjpeg's.
 */
static void quiet_message(j_common_ptr cinfo)
{
	(void)cinfo;
}

static long decode_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct jpeg_decompress_struct c;
	struct jpeg_error_mgr e;
	size_t row, n = 0;

	c.err = jpeg_std_error(&e);
	e.output_message = quiet_message;
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, in, (unsigned long)in_len);
	jpeg_read_header(&c, TRUE);
	c.out_color_space = JCS_RGB;
	jpeg_start_decompress(&c);
	row = (size_t)c.output_width * (size_t)c.output_components;
	if (row * c.output_height > out_cap) {
		jpeg_destroy_decompress(&c);
		return -1;
	}
	while (c.output_scanline < c.output_height) {
		JSAMPROW p = (unsigned char *)out + n;

		n += row * jpeg_read_scanlines(&c, &p, 1);
	}
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	wl_tamper_bytes(out, n);
	*out_len = n;
	return (long)n;
}

/* A gradient with a little noise, w x h RGB. */
static void jpeg_paint(unsigned char *px, unsigned w, unsigned h)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned y = 0; y < h; y++)
		for (unsigned i = 0; i < w; i++, px += 3) {
			uint64_t r = wl_rand(&x);

			px[0] = (unsigned char)(i * 240u / w + (r & 7));
			px[1] = (unsigned char)(y * 240u / h + (r >> 8 & 7));
			px[2] = (unsigned char)((i + y) * 120u / (w + h) * 2 + (r >> 16 & 7));
		}
}

/* px encoded at quality 90 into a malloc'd JPEG (libjpeg's, on the trusted side). */
static unsigned char *jpeg_encode(const unsigned char *px, unsigned w, unsigned h,
				  unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *buf = NULL;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &buf, len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		JSAMPROW p = (JSAMPROW)(uintptr_t)(px + (size_t)c.next_scanline * w * 3);

		jpeg_write_scanlines(&c, &p, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return buf;
}

/*
 * `size`: about the decoded bytes (a square image, at least 16 x 16).  The reference
 * is the same decoder run here and checked against the painted pixels (a mean error
 * of at most 4 levels: JPEG is lossy); the damaged file has an unsupported sample
 * precision in its frame header, a fatal error for libjpeg.
 */
static int jpeg_setup_(struct iso_domain *d, size_t size, bool corrupt, void **state)
{
	unsigned w = 16;
	unsigned long jlen = 0;
	unsigned char *px, *j = NULL;
	struct wl_lib *s = NULL;
	int err = ISO_ENOMEM;

	if (corrupt && strcmp(iso_domain_backend(d), "none") == 0)
		return ISO_ENOTSUP; /* exit() would end the harness */
	while ((size_t)(w + 16) * (w + 16) * 3 <= size)
		w += 16;
	if (!(px = malloc((size_t)w * w * 3)))
		return ISO_ENOMEM;
	jpeg_paint(px, w, w);
	if (!(j = jpeg_encode(px, w, w, &jlen)) || !(s = wl_lib_new(decode_fn, jlen, (size_t)w * w * 3)))
		goto out;
	memcpy(s->in, j, jlen);
	err = WL_EWRONG;
	if (corrupt) {
		for (size_t i = 0; i + 4 < jlen; i++)
			if (s->in[i] == 0xff && s->in[i + 1] == 0xc0) {
				s->in[i + 4] = 7; /* the sample precision */
				s->expect_err = ISO_EEXIT;
				break;
			}
		if (!s->expect_err)
			goto out;
	} else {
		uint64_t diff = 0;

		if ((err = wl_lib_reference(s)))
			goto out;
		err = WL_EWRONG;
		if (s->expect_len != s->out_cap || s->expect_ret != (long)s->out_cap)
			goto out;
		for (size_t i = 0; i < s->out_cap; i++)
			diff += (uint64_t)abs((int)s->expect[i] - (int)px[i]);
		if (diff > 4 * (uint64_t)s->out_cap)
			goto out;
	}
	*state = s;
	s = NULL;
	err = ISO_OK;
out:
	free(px);
	free(j);
	wl_lib_teardown(s);
	return err;
}

static int jpeg_setup(struct iso_domain *d, size_t size, void **state)
{
	return jpeg_setup_(d, size, false, state);
}

static int jpeg_exit_setup(struct iso_domain *d, size_t size, void **state)
{
	return jpeg_setup_(d, size, true, state);
}

const struct workload wl_jpeg_decode = {
	.name = "jpeg-decode",
	.summary = "libjpeg-turbo decoding a generated quality-90 JPEG in the domain; size: "
		   "about the decoded RGB bytes",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 1000,
	.setup = jpeg_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};

const struct workload wl_jpeg_decode_exit = {
	.name = "jpeg-decode-exit",
	.summary = "libjpeg-turbo on a JPEG with a bad frame header: its default error "
		   "handler calls exit(), the call ends with ISO_EEXIT (not on none)",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 100,
	.setup = jpeg_exit_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};
