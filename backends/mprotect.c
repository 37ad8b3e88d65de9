/* mprotect.c: mpk's domain model with page permissions, for CPUs without PKU (not built yet). */
#include "backend.h"

static int mprotect_probe(void)
{
	return iso_set_reason(ISO_ENOTSUP, "mprotect domains are not built yet");
}

static int mprotect_create(const struct iso_options *opt, struct iso_domain **out)
{
	(void)opt;
	(void)out;
	return mprotect_probe();
}

static void mprotect_destroy(struct iso_domain *d)
{
	(void)d;
}

static int mprotect_call(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len,
			 void *out, size_t out_cap, size_t *out_len, long *ret)
{
	(void)d, (void)fn, (void)in, (void)in_len, (void)out, (void)out_cap;
	(void)out_len, (void)ret;
	return ISO_ENOTSUP;
}

const struct iso_backend iso_backend_mprotect = {
	.version = ISO_BACKEND_V1,
	.name = "mprotect",
	.summary = "in-process domains guarded by page permissions (mprotect)",
	.probe = mprotect_probe,
	.create = mprotect_create,
	.destroy = mprotect_destroy,
	.call = mprotect_call,
};
