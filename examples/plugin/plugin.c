/* plugin.c: a harness plugin: times one isolated function of "your library" (here a byte-reversing filter) with ./harness --plugin=plugin.so. */
#include <stdlib.h>
#include <string.h>

#include <isobench/workload.h>

/* The untrusted function, as it would run inside a domain: reverses in into out. */
static long reverse(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	const unsigned char *src = in;
	unsigned char *dst = out;

	if (in_len > out_cap)
		return -1;
	for (size_t i = 0; i < in_len; i++)
		dst[i] = src[in_len - 1 - i];
	*out_len = in_len;
	return 0;
}

struct state {
	size_t size;
	unsigned char *in, *out, *want;
};

static void teardown(void *p)
{
	struct state *s = p;

	if (!s)
		return;
	free(s->in);
	free(s->out);
	free(s->want);
	free(s);
}

static int setup(struct iso_domain *d, size_t size, void **state)
{
	struct state *s = calloc(1, sizeof(*s));

	(void)d;
	if (!s)
		return ISO_ENOMEM;
	s->size = size;
	s->in = malloc(size ? size : 1);
	s->out = malloc(size ? size : 1);
	s->want = malloc(size ? size : 1);
	if (!s->in || !s->out || !s->want) {
		teardown(s);
		return ISO_ENOMEM;
	}
	for (size_t i = 0; i < size; i++) {
		s->in[i] = (unsigned char)(i * 31 + 7);
		s->want[size - 1 - i] = s->in[i];
	}
	*state = s;
	return ISO_OK;
}

/* Every call's result is checked: a wrong one is an error, never a data point. */
static int run(void *p, struct iso_domain *d, uint64_t iters)
{
	struct state *s = p;

	for (uint64_t i = 0; i < iters; i++) {
		size_t n = 0;
		long ret = -1;
		int err = iso_call(d, reverse, s->in, s->size, s->out, s->size, &n, &ret);

		if (err)
			return err;
		if (ret != 0 || n != s->size || memcmp(s->out, s->want, n) != 0)
			return WORKLOAD_EWRONG;
	}
	return ISO_OK;
}

static const size_t sizes[] = { 64, 4096, 65536, 0 };

static const struct workload example_reverse = {
	.name = "example-reverse",
	.summary = "(plugin) a byte-reversing filter in a domain: copy in, reverse, copy out",
	.sized = true,
	.default_size = 4096,
	.sizes = sizes,
	.default_iters = 1000,
	.setup = setup,
	.run = run,
	.teardown = teardown,
};

const unsigned workload_plugin_abi = WORKLOAD_ABI;
const struct workload *const workload_plugin[] = { &example_reverse, NULL };
