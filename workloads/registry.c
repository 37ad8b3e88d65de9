/* registry.c: every workload isobench knows, looked up by name. */
#include <string.h>

#include "workload.h"

extern const struct workload wl_call_null, wl_call_write, wl_call_args, wl_call_small, wl_switch_bare, wl_copy,
	wl_copy_in, wl_copy_out;
extern const struct workload wl_records_raw, wl_records_msgpack, wl_records_inplace;
extern const struct workload wl_snappy_compress, wl_snappy_uncompress,
	wl_snappy_compress_random, wl_snappy_uncompress_random;
extern const struct workload wl_png_decode, wl_alloc, wl_rewind, wl_rewind_once;
extern const struct workload wl_call_args_typed, wl_call_4buf, wl_call_4buf_typed;
extern const struct workload wl_zlib_inflate, wl_zlib_inflate_corrupt, wl_expat_parse,
	wl_expat_parse_corrupt, wl_libxml2_parse, wl_libxml2_parse_corrupt, wl_jpeg_decode,
	wl_jpeg_decode_exit, wl_sqlite_query, wl_sqlite_query_corrupt;

static const struct workload *const workloads[] = {
	&wl_call_null,
	&wl_call_write,
	&wl_call_args,
	&wl_call_args_typed,
	&wl_call_4buf,
	&wl_call_4buf_typed,
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
	&wl_rewind_once,
	&wl_zlib_inflate,
	&wl_zlib_inflate_corrupt,
	&wl_expat_parse,
	&wl_expat_parse_corrupt,
	&wl_libxml2_parse,
	&wl_libxml2_parse_corrupt,
	&wl_jpeg_decode,
	&wl_jpeg_decode_exit,
	&wl_sqlite_query,
	&wl_sqlite_query_corrupt,
};

#define NBUILTIN (sizeof(workloads) / sizeof(workloads[0]))

/* Plugins' workloads (bench/plugin.c), after the built-in ones. */
static const struct workload *added[16];
static size_t nadded;

const struct workload *workload_at(size_t i)
{
	if (i < NBUILTIN)
		return workloads[i];
	return i - NBUILTIN < nadded ? added[i - NBUILTIN] : NULL;
}

int workload_add(const struct workload *const *list, size_t n)
{
	if (n > sizeof(added) / sizeof(added[0]) - nadded)
		return ISO_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!list[i]->name || !*list[i]->name || workload_find(list[i]->name))
			return ISO_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(list[i]->name, list[j]->name))
				return ISO_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		added[nadded++] = list[i];
	return ISO_OK;
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
