/* registry.c: backend table, name lookup, and the iso_* wrappers that check arguments. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

static const struct iso_backend *const backends[] = {
	&iso_backend_none,
	&iso_backend_process,
	&iso_backend_process_handoff,
	&iso_backend_mpk,
	&iso_backend_mprotect,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

static _Thread_local char reason[256];

int iso_set_reason(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return err;
}

int iso_sys_error(const char *what)
{
	int saved = errno;

	iso_set_reason(ISO_ESYS, "%s: %s", what, strerror(saved));
	errno = saved;
	return saved == ENOMEM ? ISO_ENOMEM : ISO_ESYS;
}

const char *iso_reason(void)
{
	return reason;
}

const char *iso_strerror(int err)
{
	switch (err) {
	case ISO_OK: return "ISO_OK: success";
	case ISO_EFAULT: return "ISO_EFAULT: memory violation inside the domain";
	case ISO_ECRASH: return "ISO_ECRASH: the domain crashed";
	case ISO_ETIMEDOUT: return "ISO_ETIMEDOUT: the domain's watchdog fired";
	case ISO_E2BIG: return "ISO_E2BIG: buffer too large for the domain";
	case ISO_ENOMEM: return "ISO_ENOMEM: out of memory";
	case ISO_EINVAL: return "ISO_EINVAL: invalid argument";
	case ISO_ENOTSUP: return "ISO_ENOTSUP: backend not supported here";
	case ISO_ESYS: return "ISO_ESYS: system call failed";
	}
	return "unknown iso error";
}

static const struct iso_backend *lookup(const char *name)
{
	for (size_t i = 0; name && i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *iso_backend_name(size_t i)
{
	return i < NBACKENDS ? backends[i]->name : NULL;
}

const char *iso_backend_summary(const char *name)
{
	const struct iso_backend *be = lookup(name);

	return be ? be->summary : NULL;
}

int iso_backend_probe(const char *name)
{
	const struct iso_backend *be = lookup(name);

	reason[0] = '\0';
	if (!be)
		return iso_set_reason(ISO_ENOTSUP, "no backend named '%s'", name ? name : "(null)");
	return be->probe();
}

int iso_domain_create(const char *name, const struct iso_options *opt,
		      struct iso_domain **out)
{
	static const struct iso_options defaults;
	const struct iso_backend *be;
	struct iso_domain *d = NULL;
	int err;

	if (!out)
		return iso_set_reason(ISO_EINVAL, "no place to store the domain");
	*out = NULL;
	err = iso_backend_probe(name);
	if (err)
		return err;
	be = lookup(name);
	if (!opt)
		opt = &defaults;
	if ((unsigned)opt->wait > ISO_WAIT_HANDOFF)
		return iso_set_reason(ISO_EINVAL, "unknown wait policy %d", (int)opt->wait);
	err = be->create(opt, &d);
	if (err)
		return err;
	d->be = be;
	*out = d;
	return ISO_OK;
}

void iso_domain_destroy(struct iso_domain *d)
{
	if (d)
		d->be->destroy(d);
}

int iso_domain_pid(const struct iso_domain *d)
{
	return d && d->be->pid ? d->be->pid(d) : (int)getpid();
}

const char *iso_domain_backend(const struct iso_domain *d)
{
	return d ? d->be->name : NULL;
}

int iso_call(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len,
	     void *out, size_t out_cap, size_t *out_len, long *ret)
{
	if (!d || !fn)
		return iso_set_reason(ISO_EINVAL, !d ? "no domain" : "no function");
	if ((!in && in_len) || (!out && out_cap))
		return iso_set_reason(ISO_EINVAL, "NULL buffer with a non-zero length");
	return d->be->call(d, fn, in, in_len, out, out_cap, out_len, ret);
}

int iso_deliver(size_t n, long r, const void *src, void *out, size_t out_cap, size_t *out_len,
		long *ret)
{
	if (n > out_cap)
		return iso_set_reason(ISO_E2BIG, "the domain reported %zu bytes for a %zu-byte buffer",
				      n, out_cap);
	if (n && src)
		memcpy(out, src, n);
	if (out_len)
		*out_len = n;
	if (ret)
		*ret = r;
	return ISO_OK;
}

int iso_domain_bare(struct iso_domain *d, unsigned long iters)
{
	if (!d)
		return iso_set_reason(ISO_EINVAL, "no domain");
	if (!d->be->bare)
		return iso_set_reason(ISO_ENOTSUP, "%s has no switching mechanism to time alone",
				      d->be->name);
	return d->be->bare(d, iters);
}

void *iso_alloc(struct iso_domain *d, size_t n)
{
	if (!d || !d->be->alloc)
		return NULL;
	return d->be->alloc(d, n);
}

void iso_free(struct iso_domain *d, void *p)
{
	if (d && p && d->be->free)
		d->be->free(d, p);
}
