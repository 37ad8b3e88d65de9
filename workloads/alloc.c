/* alloc.c: alloc: malloc/free of 0..4096 B, ALLOC_PAIRS pairs per call, inside the domain (the `none` row is the same outside). */
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "wl_util.h"

/*
 * The harness reports time per call: one call makes ALLOC_PAIRS malloc/free pairs, so
 * a pair costs median_ns / 10000.  That many make the call's own cost small beside
 * them (mprotect's 20 us is about 2 % here; mpk's and process's far less) while a test
 * of 100 calls under QEMU stays short.  Blocks stay live in a ring of ALLOC_LIVE slots,
 * so the allocator sees a mix of sizes, not one block freed and taken back.
 */
#define ALLOC_PAIRS 10000
#define ALLOC_LIVE 64
#define ALLOC_MAX 4096

struct alloc_req {
	uint64_t seed;
	uint32_t pairs;
};

/* Size of the next block: uniform in 0..ALLOC_MAX. */
static size_t next_size(uint64_t *x)
{
	return (size_t)(wl_rand(x) % (ALLOC_MAX + 1));
}

/*
 * Each block has its first and last byte tagged, checked before it is freed: blocks
 * that overlap are caught.  Returns the sum of the sizes (the trusted side knows it
 * from the seed), or -1 when a tag was wrong, -2 when malloc failed.
 */
static long alloc_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct alloc_req q;
	unsigned char *live[ALLOC_LIVE] = { 0 };
	size_t len[ALLOC_LIVE] = { 0 };
	unsigned char tag[ALLOC_LIVE] = { 0 };
	uint64_t sum = 0;
	long bad = 0;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(q))
		return -3;
	memcpy(&q, in, sizeof(q));
	for (uint32_t i = 0; i < q.pairs; i++) {
		unsigned s = i % ALLOC_LIVE;
		size_t n = next_size(&q.seed);

		if (live[s]) {
			bad |= len[s] && (live[s][0] != tag[s] || live[s][len[s] - 1] != tag[s]);
			free(live[s]);
		}
		if (!(live[s] = malloc(n)))
			return -2;
		len[s] = n;
		tag[s] = (unsigned char)i;
		if (n)
			live[s][0] = live[s][n - 1] = tag[s];
		sum += n;
	}
	/* The first ALLOC_LIVE mallocs had no free before them: these are theirs. */
	for (unsigned s = 0; s < ALLOC_LIVE; s++) {
		if (live[s])
			bad |= len[s] && (live[s][0] != tag[s] || live[s][len[s] - 1] != tag[s]);
		free(live[s]);
	}
	return bad ? -1 : wl_tamper_long((long)sum);
}

struct alloc_state {
	struct alloc_req q;
	long expect;
};

static int alloc_setup(struct iso_domain *d, size_t size, void **state)
{
	struct alloc_state *s = malloc(sizeof(*s));
	uint64_t x = 0x853c49e6748fea9bULL, sum = 0;

	(void)d, (void)size;
	if (!s)
		return ISO_ENOMEM;
	s->q = (struct alloc_req){ .seed = x, .pairs = ALLOC_PAIRS };
	for (uint32_t i = 0; i < ALLOC_PAIRS; i++)
		sum += next_size(&x);
	s->expect = (long)sum;
	*state = s;
	return ISO_OK;
}

static int alloc_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct alloc_state *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		long ret = -1;
		int err = iso_call(d, alloc_fn, &s->q, sizeof(s->q), NULL, 0, NULL, &ret);

		if (err)
			return err;
		if (ret != s->expect)
			return WL_EWRONG;
	}
	return ISO_OK;
}

static void alloc_teardown(void *state)
{
	free(state);
}

const struct workload wl_alloc = {
	.name = "alloc",
	.summary = "10000 malloc/free pairs of 0..4096 B per call (64 live): per pair = time/10000",
	.default_iters = 1000,
	.setup = alloc_setup,
	.run = alloc_run,
	.teardown = alloc_teardown,
};
