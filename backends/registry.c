/* registry.c: the top of backends/: the backend table, name lookup, and the iso_* wrappers that check arguments. */
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "backend.h"
#include "init_hook.h"
#include "reason.h"

static const struct backend *const backends[] = {
	&none_backend,
	&process_backend,
	&process_handoff_backend,
	&mpk_backend,
	&mprotect_backend,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

static const struct backend *lookup(const char *name)
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
	const struct backend *be = lookup(name);

	return be ? be->summary : NULL;
}

int iso_backend_probe(const char *name)
{
	const struct backend *be = lookup(name);

	reason_clear();
	if (!be)
		return reason_set(ISO_ENOTSUP, "no backend named '%s'", name ? name : "(null)");
	return be->probe();
}

int iso_domain_create(const char *name, const struct iso_options *opt,
		      struct iso_domain **out)
{
	static const struct iso_options defaults;
	const struct backend *be;
	struct iso_domain *d = NULL;
	int err;

	if (!out)
		return reason_set(ISO_EINVAL, "no place to store the domain");
	*out = NULL;
	err = iso_backend_probe(name);
	if (err)
		return err;
	be = lookup(name);
	if (!opt)
		opt = &defaults;
	if ((unsigned)opt->wait > ISO_WAIT_HANDOFF)
		return reason_set(ISO_EINVAL, "unknown wait policy %d", (int)opt->wait);
	if ((unsigned)opt->harden > ISO_HARDEN_OFF)
		return reason_set(ISO_EINVAL, "unknown hardening %d", (int)opt->harden);
	if (opt->confidential && !be->confidential)
		return reason_set(ISO_ENOTSUP, "%s cannot keep the program's memory from its "
				  "domains (confidential: mpk and mprotect only)", name);
	/* Loaded before the backend is made: a process child must have them. */
	if ((err = adopt_load(opt->adopt)))
		return err;
	err = be->create(opt, &d);
	if (err)
		return err;
	d->be = be;
	d->init = opt->init;
	d->init_arg = opt->init_arg;
	if (d->init && (err = init_hook_run(d))) {
		be->destroy(d);
		return err;
	}
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
		return reason_set(ISO_EINVAL, !d ? "no domain" : "no function");
	if ((!in && in_len) || (!out && out_cap))
		return reason_set(ISO_EINVAL, "NULL buffer with a non-zero length");
	int err = init_hook_due(d);

	return err ? err : d->be->call(d, fn, in, in_len, out, out_cap, out_len, ret);
}

int iso_domain_bare(struct iso_domain *d, unsigned long iters)
{
	if (!d)
		return reason_set(ISO_EINVAL, "no domain");
	if (!d->be->bare)
		return reason_set(ISO_ENOTSUP, "%s has no switching mechanism to time alone",
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
