/* init_hook.c: a domain's init hook (iso_options.init), run inside it at create and again after each rewind or respawn. */
#include <stdio.h>
#include <string.h>

#include "init_hook.h"
#include "iso.h"
#include "reason.h"

struct init_hook_req {
	int (*fn)(void *arg);
	void *arg;
};

/* Inside the domain: the hook, its function and argument copied in as the input. */
static long init_hook_body(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	struct init_hook_req req;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(req))
		return -1;
	memcpy(&req, in, sizeof(req));
	return req.fn(req.arg);
}

int init_hook_run(struct iso_domain *d)
{
	struct init_hook_req req = { d->init, d->init_arg };
	char why[160];
	long ret = 0;
	int err;

	d->reinit = false;
	if (!d->init)
		return ISO_OK;
	err = d->be->call(d, init_hook_body, &req, sizeof(req), NULL, 0, NULL, &ret);
	if (err) {
		snprintf(why, sizeof(why), "%s", iso_reason());
		d->reinit = true; /* the next call tries again */
		return reason_set(err, "the domain's init hook failed: %s%s%s", iso_strerror(err),
				  *why ? ": " : "", why);
	}
	if (ret != 0) {
		d->reinit = true;
		return reason_set(ISO_ECRASH, "the domain's init hook returned %ld", ret);
	}
	return ISO_OK;
}
