/* none.c: the baseline backend: a direct call on the caller's stack, no isolation. */
#include <stdlib.h>

#include "backend.h"
#include "reason.h"

static int none_probe(void)
{
	return ISO_OK;
}

static int none_create(const struct iso_options *opt, struct iso_domain **out)
{
	(void)opt;
	*out = calloc(1, sizeof(**out));
	return *out ? ISO_OK : ISO_ENOMEM;
}

static void none_destroy(struct iso_domain *d)
{
	free(d);
}

static int none_call(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len,
		     void *out, size_t out_cap, size_t *out_len, long *ret)
{
	size_t n = 0;
	long r;

	(void)d;
	r = fn(in, in_len, out, out_cap, &n);
	/* Too late to protect anything, but the contract is the same for every backend. */
	if (n > out_cap)
		return reason_set(ISO_E2BIG, "the function reported %zu bytes for a %zu-byte buffer",
				  n, out_cap);
	if (out_len)
		*out_len = n;
	if (ret)
		*ret = r;
	return ISO_OK;
}

static void *none_alloc(struct iso_domain *d, size_t n)
{
	(void)d;
	return malloc(n ? n : 1);
}

static void none_free(struct iso_domain *d, void *p)
{
	(void)d;
	free(p);
}

/* No isolation: every buffer is the domain's already (a typed call passes it as is). */
static bool none_holds(const struct iso_domain *d, const void *p, size_t n, bool any)
{
	(void)d, (void)p, (void)n, (void)any;
	return true;
}

const struct backend none_backend = {
	.version = BACKEND_V1,
	.name = "none",
	.summary = "direct call, no isolation: the baseline",
	.probe = none_probe,
	.create = none_create,
	.destroy = none_destroy,
	.call = none_call,
	.alloc = none_alloc,
	.free = none_free,
	.holds = none_holds,
};
