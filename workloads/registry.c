/* registry.c: every workload isobench knows, looked up by name. */
#include <string.h>

#include "workload.h"

extern const struct workload wl_call_null, wl_call_write, wl_call_args, wl_call_small, wl_switch_bare, wl_copy,
	wl_copy_in, wl_copy_out;
extern const struct workload wl_records_raw, wl_records_msgpack, wl_records_inplace;
extern const struct workload wl_snappy_compress, wl_snappy_uncompress,
	wl_snappy_compress_random, wl_snappy_uncompress_random;
extern const struct workload wl_png_decode, wl_alloc, wl_rewind;

static const struct workload *const workloads[] = {
	&wl_call_null,
	&wl_call_write,
	&wl_call_args,
	&wl_call_small,
	&wl_switch_bare,
	&wl_copy,
	&wl_copy_in,
	&wl_copy_out,
	&wl_records_raw,
	&wl_records_msgpack,
	&wl_records_inplace,
	&wl_snappy_compress,
	&wl_snappy_uncompress,
	&wl_snappy_compress_random,
	&wl_snappy_uncompress_random,
	&wl_png_decode,
	&wl_alloc,
	&wl_rewind,
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
