/* wl_lib.c: the real-library workloads' shared call loop and XML generator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_lib.h"
#include "wl_util.h"

const size_t wl_lib_sizes[] = { 4096, 65536, 1 << 20, 0 };

struct wl_lib *wl_lib_new(iso_fn *fn, size_t in_len, size_t out_cap)
{
	struct wl_lib *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fn = fn;
	s->in_len = in_len;
	s->out_cap = out_cap;
	s->in = malloc(in_len ? in_len : 1);
	s->out = malloc(out_cap ? out_cap : 1);
	s->expect = malloc(out_cap ? out_cap : 1);
	if (!s->in || !s->out || !s->expect) {
		wl_lib_teardown(s);
		return NULL;
	}
	return s;
}

int wl_lib_reference(struct wl_lib *s)
{
	size_t n = 0;

	s->expect_ret = s->fn(s->in, s->in_len, s->expect, s->out_cap, &n);
	s->expect_len = n;
	return n <= s->out_cap ? ISO_OK : WL_EWRONG;
}

void wl_lib_teardown(void *state)
{
	struct wl_lib *s = state;

	if (!s)
		return;
	free(s->in);
	free(s->out);
	free(s->expect);
	free(s);
}

int wl_lib_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct wl_lib *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		size_t n = 0;
		long ret = 0;
		int err = iso_call(d, s->fn, s->in, s->in_len, s->out, s->out_cap, &n, &ret);

		if (err != s->expect_err)
			return err ? err : WL_EWRONG;
		if (err)
			continue;
		if (ret != s->expect_ret || n != s->expect_len || memcmp(s->out, s->expect, n))
			return WL_EWRONG;
	}
	return ISO_OK;
}

uint64_t wl_lib_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

char *wl_lib_xml_generate(size_t size, long broken_line, size_t *len,
			  struct wl_lib_xml_summary *sum)
{
	static const char *const words[] = { "isolation", "domain", "parser", "key", "memory",
					     "call", "gate", "heap", "stack", "trusted" };
	size_t cap = size + 256, n = 0;
	char *x = malloc(cap);
	uint64_t r = 0x2545f4914f6cdd1dULL;
	long line = 2;

	if (!x)
		return NULL;
	*sum = (struct wl_lib_xml_summary){ .elements = 1, .text_hash = WL_LIB_FNV_SEED };
	n += (size_t)snprintf(x, cap, "<?xml version=\"1.0\"?>\n<doc>\n");
	do {
		char text[96];
		size_t t = 0;
		unsigned k = 1 + (unsigned)(wl_rand(&r) % 6);

		for (unsigned w = 0; w < k; w++)
			t += (size_t)snprintf(text + t, sizeof(text) - t, "%s%s", w ? " " : "",
					      words[wl_rand(&r) % 10]);
		line++;
		n += (size_t)snprintf(x + n, cap - n, "<item id=\"%ld\" kind=\"%s\">%s</%s>\n",
				      line, words[wl_rand(&r) % 10], text,
				      line == broken_line ? "itme" : "item");
		sum->elements++;
		sum->attrs += 2;
		sum->text_bytes += (int64_t)t;
		sum->text_hash = wl_lib_fnv(sum->text_hash, text, t);
	} while (n + 128 < size);
	n += (size_t)snprintf(x + n, cap - n, "</doc>\n");
	*len = n;
	return x;
}
