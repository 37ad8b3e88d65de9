/* wl_lib.h: what the real-library workloads (zlib, expat, libxml2, jpeg, sqlite) share: one call, checked against a reference. */
#ifndef WORKLOADS_WL_LIB_H
#define WORKLOADS_WL_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/*
 * Each call runs `fn` on `in` in the domain and must end with `expect_err`; when that
 * is ISO_OK, with `expect_ret` and exactly the `expect_len` bytes of `expect`.  A
 * corrupt-input workload expects the library's own error (its code as ret, its message
 * or position as output) or, for a library that exits, ISO_EEXIT.
 */
struct wl_lib {
	iso_fn *fn;
	unsigned char *in, *expect, *out;
	size_t in_len, expect_len, out_cap;
	long expect_ret;
	int expect_err;
};

/* A zeroed wl_lib with `in` (in_len bytes, filled by the caller) and `out` allocated. */
struct wl_lib *wl_lib_new(iso_fn *fn, size_t in_len, size_t out_cap);
/* expect := what fn gives outside any domain (the caller checks it is right). */
int wl_lib_reference(struct wl_lib *s);
void wl_lib_teardown(void *state);
int wl_lib_run(void *state, struct iso_domain *d, uint64_t iters);

/* The sweep of the real-library workloads: 4 KiB, 64 KiB, 1 MiB of input. */
extern const size_t wl_lib_sizes[];

/*
 * A generated XML document of about `size` bytes: <doc> holding lines of
 * <item id=".." kind="..">words</item>.  `broken_line` > 0 misspells that line's
 * closing tag (a tag mismatch there).  The summary a parser must find in it:
 */
struct wl_lib_xml_summary {
	int64_t elements, attrs, text_bytes; /* text: inside <item> only */
	uint64_t text_hash;                   /* FNV-1a of that text, in order */
	int64_t err_code, err_line;           /* the parser's, on a parse error */
};

char *wl_lib_xml_generate(size_t size, long broken_line, size_t *len,
			  struct wl_lib_xml_summary *sum);
/* A line about half-way down a document of `size` bytes (it has at least line 3). */
static inline long wl_lib_xml_middle(size_t size)
{
	return 3 + (long)(size / 120);
}

uint64_t wl_lib_fnv(uint64_t h, const void *p, size_t n);
#define WL_LIB_FNV_SEED 0xcbf29ce484222325ULL

#endif
