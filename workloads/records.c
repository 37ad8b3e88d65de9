/* records.c: records-raw, -msgpack, -inplace: records, strings and nested lists sent into the domain, filtered, sorted and summed there, checked on return; the method table and the harness glue. */
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "workload.h"

/*
 * One dataset (records.h, made by records_gen.c), three ways of getting it across,
 * one row each:
 * - raw: the trusted side keeps it in the flat layout, which iso_call copies in as one
 *   block; the result comes back in the same layout (records_flat.c);
 * - msgpack: the trusted side encodes it with msgpack-c on every call and decodes the
 *   result with it (records_msgpack.c);
 * - inplace: the flat layout in an iso_alloc buffer, the result in another: no copy.
 */
enum records_method_id { RECORDS_RAW, RECORDS_MSGPACK, RECORDS_INPLACE };

static const struct records_method records_methods[] = {
	[RECORDS_RAW] = { .fn = records_flat_fn, .check = records_flat_check },
	/* The result's sum and count (9 bytes each) where the input has its count. */
	[RECORDS_MSGPACK] = { .fn = records_msgpack_fn, .encode = records_msgpack_encode,
			      .check = records_msgpack_check, .slack = 32 },
	[RECORDS_INPLACE] = { .fn = records_flat_fn, .check = records_flat_check,
			      .inplace = true },
};

/* The trusted side's state for one (method, size). */
struct records {
	const struct records_method *m;
	struct iso_domain *d;
	unsigned char *ref; /* the dataset, flat, in trusted memory: the truth */
	size_t ref_len;
	struct records_truth truth;
	unsigned char *shared_in; /* inplace: the dataset's copy the domain reads */
	msgpack_sbuffer wire;     /* encode: the dataset encoded, afresh before every call */
	const void *in;           /* what a call sends: ref, shared_in or wire's bytes */
	size_t in_len;
	unsigned char *out; /* trusted, or iso_alloc'd for an inplace method */
	size_t out_cap;
};

/* The next call's input: the method's encoding, made afresh; the flat layout as it is. */
static int records_input(struct records *s)
{
	int err;

	if (!s->m->encode)
		return ISO_OK;
	err = s->m->encode(&s->truth.f, &s->wire);
	s->in = s->wire.data;
	s->in_len = s->wire.size;
	return err;
}

/* The buffers the domain reads and writes: trusted ones, or iso_alloc's for inplace. */
static int records_buffers(struct records *s)
{
	if (!s->m->inplace)
		return (s->out = malloc(s->out_cap)) ? ISO_OK : ISO_ENOMEM;
	s->shared_in = iso_alloc(s->d, s->ref_len);
	s->out = iso_alloc(s->d, s->out_cap);
	if (!s->shared_in || !s->out)
		return ISO_ENOMEM;
	memcpy(s->shared_in, s->ref, s->ref_len);
	s->in = s->shared_in;
	return ISO_OK;
}

static void records_teardown(void *state)
{
	struct records *s = state;

	if (!s)
		return;
	if (s->m->inplace) {
		if (s->shared_in)
			iso_free(s->d, s->shared_in);
		if (s->out)
			iso_free(s->d, s->out);
	} else {
		free(s->out);
	}
	msgpack_sbuffer_destroy(&s->wire);
	free(s->truth.kept);
	free(s->ref);
	free(s);
}

static int records_setup(struct iso_domain *d, size_t size, void **state,
			 const struct records_method *m)
{
	struct records *s = calloc(1, sizeof(*s));
	struct records_truth *t;
	int err = ISO_ENOMEM;

	if (!s)
		return ISO_ENOMEM;
	s->m = m;
	s->d = d;
	t = &s->truth;
	msgpack_sbuffer_init(&s->wire);
	s->ref = records_gen_dataset(size, &s->ref_len);
	if (!s->ref || records_flat_open(s->ref, s->ref_len, &t->f) ||
	    (t->nkept = records_flat_select(&t->f, &t->kept, &t->sum)) < 0)
		goto fail;
	s->in = s->ref;
	s->in_len = s->ref_len;
	if ((err = records_input(s)))
		goto fail;
	s->out_cap = s->in_len + m->slack;
	if ((err = records_buffers(s)))
		goto fail;
	*state = s;
	return ISO_OK;
fail:
	records_teardown(s);
	return err;
}

static int records_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct records *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		long ret = RECORDS_EINVAL;
		size_t n = 0;
		int err;

		if ((err = records_input(s)))
			return err;
		err = iso_call(d, s->m->fn, s->in, s->in_len, s->out, s->out_cap, &n, &ret);
		if (err)
			return err;
		if (ret == RECORDS_ENOMEM)
			return ISO_ENOMEM;
		if (ret != s->truth.nkept)
			return WL_EWRONG;
		if ((err = s->m->check(&s->truth, s->out, n)))
			return err;
	}
	return ISO_OK;
}

static int raw_setup(struct iso_domain *d, size_t size, void **state)
{
	return records_setup(d, size, state, &records_methods[RECORDS_RAW]);
}

static int msgpack_setup(struct iso_domain *d, size_t size, void **state)
{
	return records_setup(d, size, state, &records_methods[RECORDS_MSGPACK]);
}

static int inplace_setup(struct iso_domain *d, size_t size, void **state)
{
	return records_setup(d, size, state, &records_methods[RECORDS_INPLACE]);
}

/* 64 B is one record; 16 MiB about 230 000. */
static const size_t records_sizes[] = { 1, 64, 4096, 256 << 10, 1 << 20, 16 << 20, 0 };

const struct workload wl_records_raw = {
	.name = "records-raw",
	.summary = "records+strings+lists: filter/sort/sum in the domain; flat layout copied in and out",
	.sized = true,
	.default_size = 4096,
	.sizes = records_sizes,
	.default_iters = 10000,
	.setup = raw_setup,
	.run = records_run,
	.teardown = records_teardown,
};

const struct workload wl_records_msgpack = {
	.name = "records-msgpack",
	.summary = "as records-raw, encoded and decoded with msgpack-c on both sides",
	.sized = true,
	.default_size = 4096,
	.sizes = records_sizes,
	.default_iters = 10000,
	.setup = msgpack_setup,
	.run = records_run,
	.teardown = records_teardown,
};

const struct workload wl_records_inplace = {
	.name = "records-inplace",
	.summary = "as records-raw, the flat layout and the result in iso_alloc buffers: no copy",
	.sized = true,
	.default_size = 4096,
	.sizes = records_sizes,
	.default_iters = 10000,
	.setup = inplace_setup,
	.run = records_run,
	.teardown = records_teardown,
};
