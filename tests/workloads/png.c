/* workloads/png.c: png-decode's generated images: the four nominal sizes within 10 %, the same bytes every time. */
#include <criterion/criterion.h>

#include "iso.h"
#include "workload.h"
#include "wl_util.h"

Test(wl_png, four_sizes_within_10_percent_and_deterministic, .timeout = 30)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	cr_assert_eq(wl_png_sizes[WL_PNG_IMAGES], 0, "the sweep ends in 0");
	for (unsigned i = 0; i < WL_PNG_IMAGES; i++) {
		unsigned char *a = NULL, *b = NULL;
		size_t na = 0, nb = 0, want = wl_png_sizes[i];

		cr_assert_eq(wl_png_generate(i, &a, &na), ISO_OK, "image %u", i);
		cr_assert_eq(wl_png_generate(i, &b, &nb), ISO_OK, "image %u again", i);
		cr_assert(na >= 8 && memcmp(a, sig, 8) == 0, "image %u is not a PNG", i);
		cr_assert(na * 10 >= want * 9 && na * 10 <= want * 11,
			  "image %u: %zu bytes, %zu wanted (10 %%)", i, na, want);
		cr_assert(na == nb && memcmp(a, b, na) == 0, "image %u differs between two runs", i);
		free(a);
		free(b);
	}
	cr_assert_eq(wl_png_generate(WL_PNG_IMAGES, NULL, NULL), ISO_EINVAL);
}

/* --size picks the nearest image: each nominal size, and sizes around them, decode. */
Test(wl_png, any_size_picks_an_image, .timeout = 30)
{
	const struct workload *w = workload_find("png-decode");
	static const size_t sizes[] = { 0, 1, 6000, 30000, 200000, 600000, 1 << 30 };
	struct iso_domain *d = NULL;

	cr_assert_not_null(w);
	cr_assert_eq(w->sizes, wl_png_sizes, "the default sweep is the four images");
	cr_assert_eq(iso_domain_create("none", NULL, &d), ISO_OK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *state = NULL;

		cr_assert_eq(w->setup(d, sizes[i], &state), ISO_OK, "size %zu", sizes[i]);
		cr_assert_eq(w->run(state, d, 1), ISO_OK, "size %zu", sizes[i]);
		w->teardown(state);
	}
	iso_domain_destroy(d);
}
