/* png.c: png-decode: libpng decoding four generated images (5.5 KB .. 895 KB) inside the domain, rows checked on the trusted side. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "wl_util.h"

/* ---- the images: generated, never committed ---------------------------------------- */

const size_t wl_png_sizes[WL_PNG_IMAGES + 1] = { 5632, 65536, 389120, 916480, 0 };

/*
 * A diagonal colour gradient with 4 bits of noise per channel: photo-like enough that
 * libpng's filters and zlib do real work, and the noise pins the compressed size to
 * about 1.7 bytes a pixel, so the dimensions below (tuned with this zlib) land each
 * file within 10 % of its nominal size (tests/workloads/png.c checks it).
 */
static const struct {
	unsigned w, h;
} dims[WL_PNG_IMAGES] = {
	{ 64, 48 },
	{ 224, 168 },
	{ 548, 411 },
	{ 844, 633 },
};

static void paint(unsigned char *px, unsigned w, unsigned h)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned y = 0; y < h; y++)
		for (unsigned i = 0; i < w; i++, px += 3) {
			uint64_t r = wl_rand(&x);

			px[0] = (unsigned char)((i * 240u / w) + (r & 15));
			px[1] = (unsigned char)((y * 240u / h) + (r >> 8 & 15));
			px[2] = (unsigned char)(((i + y) * 120u / (w + h)) * 2 + (r >> 16 & 15));
		}
}

int wl_png_generate(unsigned i, unsigned char **png, size_t *len)
{
	png_image img = { .version = PNG_IMAGE_VERSION, .format = PNG_FORMAT_RGB };
	png_alloc_size_t n = 0;
	unsigned char *px, *buf = NULL;

	if (i >= WL_PNG_IMAGES)
		return ISO_EINVAL;
	img.width = dims[i].w;
	img.height = dims[i].h;
	px = malloc((size_t)img.width * img.height * 3);
	if (!px)
		return ISO_ENOMEM;
	paint(px, img.width, img.height);
	/* First the size, then the file: libpng's in-memory writer works that way. */
	if (png_image_write_to_memory(&img, NULL, &n, 0, px, 0, NULL) && (buf = malloc(n)) &&
	    !png_image_write_to_memory(&img, buf, &n, 0, px, 0, NULL)) {
		free(buf);
		buf = NULL;
	}
	png_image_free(&img);
	free(px);
	if (!buf)
		return ISO_ENOMEM;
	*png = buf;
	*len = n;
	return ISO_OK;
}

/* Generated once per process, when a png-decode row first needs it; never freed. */
static struct {
	unsigned char *png;
	size_t len;
} cache[WL_PNG_IMAGES];

/* ---- the decoder: libpng's classic API reading from memory ------------------------ */

struct mem_src {
	const unsigned char *p;
	size_t len, off;
};

static void mem_read(png_structp png, png_bytep dst, size_t n)
{
	struct mem_src *s = png_get_io_ptr(png);

	if (n > s->len - s->off)
		png_error(png, "truncated");
	memcpy(dst, s->p + s->off, n);
	s->off += n;
}

/* libpng's default handlers print; library code does not. */
static void quiet_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void quiet_warning(png_structp png, png_const_charp msg)
{
	(void)png, (void)msg;
}

/* An 8-bit RGB PNG into out as packed rows; the decoded bytes, or a negative value. */
static long decode(const void *in, size_t in_len, void *out, size_t out_cap)
{
	struct mem_src src = { .p = in, .len = in_len };
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, quiet_error,
						 quiet_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	volatile long r = -1; /* set after setjmp, read after a longjmp */

	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return -2;
	}
	if (setjmp(png_jmpbuf(png)) == 0) {
		png_set_read_fn(png, &src, mem_read);
		png_read_info(png, info);
		png_uint_32 h = png_get_image_height(png, info);
		size_t rowbytes = png_get_rowbytes(png, info);

		if (png_get_bit_depth(png, info) != 8 ||
		    png_get_color_type(png, info) != PNG_COLOR_TYPE_RGB ||
		    png_get_interlace_type(png, info) != PNG_INTERLACE_NONE ||
		    (h && rowbytes > out_cap / h)) {
			r = -3;
		} else {
			for (png_uint_32 y = 0; y < h; y++)
				png_read_row(png, (unsigned char *)out + y * rowbytes, NULL);
			png_read_end(png, NULL);
			r = (long)(h * rowbytes);
		}
	}
	png_destroy_read_struct(&png, &info, NULL);
	return r;
}

static long decode_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	long r = decode(in, in_len, out, out_cap);

	if (r < 0)
		return r;
	wl_tamper_bytes(out, (size_t)r);
	*out_len = (size_t)r;
	return r;
}

/* ---- setup, run, teardown ---------------------------------------------------------- */

struct pngw {
	const unsigned char *png; /* the cache's */
	size_t len, n;
	unsigned char *expect, *out; /* n bytes each */
};

/* The image whose nominal size is nearest `size` by ratio (1 B: the smallest). */
static unsigned nearest(size_t size)
{
	unsigned best = 0;
	double best_r = 0;

	for (unsigned i = 0; i < WL_PNG_IMAGES; i++) {
		double a = (double)(size ? size : 1), b = (double)wl_png_sizes[i];
		double r = a > b ? a / b : b / a;

		if (i == 0 || r < best_r)
			best = i, best_r = r;
	}
	return best;
}

static void png_teardown(void *state)
{
	struct pngw *s = state;

	if (!s)
		return;
	free(s->expect);
	free(s->out);
	free(s);
}

/*
 * The reference: the same image decoded here, outside any domain, and compared with
 * the painted pixels (the file is lossless, so they must match).  Each call's rows are
 * then compared with it in full: memcmp is stronger than a checksum and, at tens of
 * GB/s, cheaper than hashing the rows.
 */
static int png_setup(struct iso_domain *d, size_t size, void **state)
{
	unsigned i = nearest(size);
	struct pngw *s = calloc(1, sizeof(*s));
	unsigned char *px;
	int err;

	(void)d;
	if (!s)
		return ISO_ENOMEM;
	if (!cache[i].png && (err = wl_png_generate(i, &cache[i].png, &cache[i].len))) {
		free(s);
		return err;
	}
	s->png = cache[i].png;
	s->len = cache[i].len;
	s->n = (size_t)dims[i].w * dims[i].h * 3;
	s->expect = malloc(s->n);
	s->out = malloc(s->n);
	px = malloc(s->n);
	if (!s->expect || !s->out || !px) {
		free(px);
		png_teardown(s);
		return ISO_ENOMEM;
	}
	paint(px, dims[i].w, dims[i].h);
	err = decode(s->png, s->len, s->expect, s->n) == (long)s->n && !memcmp(px, s->expect, s->n)
		      ? ISO_OK
		      : WL_EWRONG;
	free(px);
	if (err) {
		png_teardown(s);
		return err;
	}
	*state = s;
	return ISO_OK;
}

static int png_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct pngw *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		size_t n = 0;
		long ret = -1;
		int err = iso_call(d, decode_fn, s->png, s->len, s->out, s->n, &n, &ret);

		if (err)
			return err;
		if (ret != (long)s->n || n != s->n || memcmp(s->out, s->expect, n))
			return WL_EWRONG;
	}
	return ISO_OK;
}

const struct workload wl_png_decode = {
	.name = "png-decode",
	.summary = "libpng decoding a generated RGB image in the domain; size: the PNG's "
		   "nominal bytes (5.5K, 64K, 380K, 895K; nearest)",
	.sized = true,
	.default_size = 5632,
	.sizes = wl_png_sizes,
	.default_iters = 1000,
	.setup = png_setup,
	.run = png_run,
	.teardown = png_teardown,
};
