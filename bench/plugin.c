/* plugin.c: --plugin=PATH.so: the workloads a shared object declares (isobench/workload.h), added to the registry. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

/* A workload the harness could not loop: a field it needs is missing. */
static const char *incomplete(const struct workload *w)
{
	if (!w->name || !*w->name)
		return "a workload without a name";
	if (!w->summary || !w->setup || !w->run || !w->teardown)
		return "a workload without summary, setup, run or teardown";
	if (!w->default_iters)
		return "a workload with default_iters 0";
	if (w->sized && w->sizes && !w->sizes[0])
		return "a sized workload with an empty sweep";
	return NULL;
}

static int fail(void *handle, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(void *handle, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	if (handle)
		dlclose(handle);
	return -1;
}

/* An ABI 1 struct workload: today's up to settle, which it lacks. */
#define PLUGIN_ABI1_SIZE offsetof(struct workload, settle)

/*
 * An ABI 1 plugin's list, its workloads copied into structs of the harness's own with
 * settle NULL: its structs are shorter, and nothing past their end may be read.  One
 * block (the list, NULL, the copies), freed if the plugin is refused, else kept as long
 * as the harness, like the plugin's handle.  NULL: out of memory.
 */
static const struct workload **plugin_abi1(const void *const *old)
{
	size_t n = 0;

	while (old[n])
		n++;

	const struct workload **list = calloc(1, (n + 1) * sizeof(*list) +
						 n * sizeof(struct workload));
	if (!list)
		return NULL;

	struct workload *copy = (struct workload *)(list + n + 1);

	for (size_t i = 0; i < n; i++) {
		memcpy(&copy[i], old[i], PLUGIN_ABI1_SIZE);
		list[i] = &copy[i];
	}
	return list;
}

/* Checks the plugin's workloads and adds them, all or none. */
static int plugin_add(void *handle, const struct workload *const *list, char *why, size_t len)
{
	size_t n = 0;

	for (; list[n]; n++)
		if (incomplete(list[n]))
			return fail(handle, why, len, "%s", incomplete(list[n]));
	if (n == 0)
		return fail(handle, why, len, "%s", "workload_plugin lists no workload");
	for (size_t i = 0; i < n; i++) {
		bool twice = workload_find(list[i]->name) != NULL;

		for (size_t j = 0; j < i; j++)
			twice |= !strcmp(list[i]->name, list[j]->name);
		if (twice)
			return fail(handle, why, len, "workload '%s' is already known",
				    list[i]->name);
	}
	if (workload_add(list, n))
		return fail(handle, why, len, "%s", "too many plugin workloads (16 at most)");
	return 0; /* the handle stays open: the workloads live in it */
}

int plugin_load(const char *path, char *why, size_t len)
{
	const struct workload *const *list;
	const struct workload **copied = NULL;
	const unsigned *abi;
	void *handle, *own;
	int err;

	/* RTLD_NOW: a symbol the harness does not export fails here, not mid-run; and in an
	 * in-process domain a lazily bound GOT would be written on the first call. */
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		return fail(NULL, why, len, "%s", dlerror());
	/* The plugin's iso_* must be the harness's: a second libiso would have its own
	 * domains, heaps and signal handlers. */
	own = dlsym(handle, "iso_call");
	if (own && own != (void *)iso_call)
		return fail(handle, why, len, "%s",
			    "it carries its own libiso (build it without -liso: the harness "
			    "provides iso_*)");
	abi = dlsym(handle, "workload_plugin_abi");
	if (!abi)
		return fail(handle, why, len, "no symbol workload_plugin_abi (%s)", dlerror());
	if (*abi != WORKLOAD_ABI && *abi != 1)
		return fail(handle, why, len, "built for workload ABI %u, this harness has %u "
			    "(and loads 1)", *abi, WORKLOAD_ABI);
	list = dlsym(handle, "workload_plugin");
	if (!list)
		return fail(handle, why, len, "no symbol workload_plugin (%s)", dlerror());
	if (*abi == 1 && !(list = copied = plugin_abi1((const void *const *)list)))
		return fail(handle, why, len, "%s", "out of memory");
	if ((err = plugin_add(handle, list, why, len)))
		free(copied);
	return err;
}
