/* mpk.c: in-process domains tagged with Memory Protection Keys (probe only so far). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "arch-x86.h"
#include "backend.h"

/* The three steps the kernel's own selftests take: CPU, OS, then a real key. */
static int mpk_probe(void)
{
	int key;

	if (!cpu_has_pku())
		return iso_set_reason(ISO_ENOTSUP, "CPU lacks PKU (CPUID.7.0:ECX[3] clear)");
	if (!cpu_has_ospke())
		return iso_set_reason(ISO_ENOTSUP, "OS has not enabled PKU (CPUID.7.0:ECX[4] OSPKE clear)");
	key = pkey_alloc(0, 0);
	if (key < 0)
		return iso_set_reason(ISO_ENOTSUP, "pkey_alloc: %s", strerror(errno));
	pkey_free(key);
	return iso_set_reason(ISO_ENOTSUP, "PKU present, but mpk domains are not built yet");
}

static int mpk_create(const struct iso_options *opt, struct iso_domain **out)
{
	(void)opt;
	(void)out;
	return mpk_probe();
}

static void mpk_destroy(struct iso_domain *d)
{
	(void)d;
}

static int mpk_call(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len,
		    void *out, size_t out_cap, size_t *out_len, long *ret)
{
	(void)d, (void)fn, (void)in, (void)in_len, (void)out, (void)out_cap;
	(void)out_len, (void)ret;
	return ISO_ENOTSUP;
}

const struct iso_backend iso_backend_mpk = {
	.version = ISO_BACKEND_V1,
	.name = "mpk",
	.summary = "in-process domains tagged with Memory Protection Keys (pkeys)",
	.probe = mpk_probe,
	.create = mpk_create,
	.destroy = mpk_destroy,
	.call = mpk_call,
};
