/* registry.c: every workload isobench knows, looked up by name. */
#include <string.h>

#include "workload.h"

extern const struct workload wl_call_null, wl_call_args, wl_call_small, wl_switch_bare;

static const struct workload *const workloads[] = {
	&wl_call_null,
	&wl_call_args,
	&wl_call_small,
	&wl_switch_bare,
};

const struct workload *workload_at(size_t i)
{
	return i < sizeof(workloads) / sizeof(workloads[0]) ? workloads[i] : NULL;
}

const struct workload *workload_find(const char *name)
{
	const struct workload *w;

	for (size_t i = 0; (w = workload_at(i)); i++)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

const char *workload_strerror(int err)
{
	return err == WL_EWRONG ? "wrong result from the domain" : iso_strerror(err);
}
