/* expat.c: expat-parse and expat-parse-corrupt: expat's SAX parser over a generated XML document in the domain, well-formed and with a tag mismatch. */
#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "wl_lib.h"
#include "wl_util.h"

struct expat_walk {
	struct wl_lib_xml_summary sum;
	int depth;
};

static void XMLCALL on_start(void *u, const XML_Char *name, const XML_Char **attrs)
{
	struct expat_walk *w = u;

	(void)name;
	w->sum.elements++;
	for (; attrs[0]; attrs += 2)
		w->sum.attrs++;
	w->depth++;
}

static void XMLCALL on_end(void *u, const XML_Char *name)
{
	(void)name;
	((struct expat_walk *)u)->depth--;
}

static void XMLCALL on_text(void *u, const XML_Char *s, int len)
{
	struct expat_walk *w = u;

	if (w->depth != 2)
		return; /* the newlines between items */
	w->sum.text_bytes += len;
	w->sum.text_hash = wl_lib_fnv(w->sum.text_hash, s, (size_t)len);
}

/* In the domain: parse, and return the summary (0), or expat's error and line (-1). */
static long parse_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct expat_walk w = { .sum = { .text_hash = WL_LIB_FNV_SEED } };
	XML_Parser p = XML_ParserCreate(NULL);
	long r = 0;

	if (!p || out_cap < sizeof(w.sum))
		return -2;
	XML_SetUserData(p, &w);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (XML_Parse(p, in, (int)in_len, 1) != XML_STATUS_OK) {
		w.sum.err_code = XML_GetErrorCode(p);
		w.sum.err_line = (int64_t)XML_GetCurrentLineNumber(p);
		r = -1;
	}
	XML_ParserFree(p);
	memcpy(out, &w.sum, sizeof(w.sum));
	wl_tamper_bytes(out, sizeof(w.sum));
	*out_len = sizeof(w.sum);
	return r;
}

static int expat_setup_(size_t size, long broken, void **state)
{
	struct wl_lib_xml_summary want, got;
	size_t len = 0;
	char *x = wl_lib_xml_generate(size, broken, &len, &want);
	struct wl_lib *s = x ? wl_lib_new(parse_fn, len, sizeof(want)) : NULL;
	int err = ISO_ENOMEM;

	if (!s)
		goto out;
	memcpy(s->in, x, len);
	if ((err = wl_lib_reference(s)))
		goto out;
	memcpy(&got, s->expect, sizeof(got));
	/* Right: the generator's counts; or the mismatch, on the line it was put. */
	err = WL_EWRONG;
	if (broken ? s->expect_ret != -1 || got.err_code != XML_ERROR_TAG_MISMATCH ||
			     got.err_line != broken
		   : s->expect_ret != 0 || memcmp(&got, &want, sizeof(got)))
		goto out;
	*state = s;
	s = NULL;
	err = ISO_OK;
out:
	free(x);
	wl_lib_teardown(s);
	return err;
}

static int expat_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return expat_setup_(size, 0, state);
}

static int expat_corrupt_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return expat_setup_(size, wl_lib_xml_middle(size), state);
}

const struct workload wl_expat_parse = {
	.name = "expat-parse",
	.summary = "expat parsing a generated XML document in the domain (SAX callbacks "
		   "count elements, attributes, text); size: the document's bytes",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 1000,
	.setup = expat_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};

const struct workload wl_expat_parse_corrupt = {
	.name = "expat-parse-corrupt",
	.summary = "expat on the same document with a tag mismatch half-way: the error and "
		   "its line come back from the domain",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 1000,
	.setup = expat_corrupt_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};
