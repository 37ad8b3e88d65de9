/* call.c: call-heavy workloads: the empty round trip, scalar arguments, a small computation. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl_util.h"
#include "workload.h"

/* ---- call-null: nothing in, nothing out, the bare round trip --------------------- */

static long null_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 0;
}

static int null_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d, (void)size;
	*state = NULL;
	return ISO_OK;
}

/* iters calls of fn without input or output, each returning want. */
static int bare_calls(struct iso_domain *d, iso_fn *fn, long want, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		long ret = -1;
		int err = iso_call(d, fn, NULL, 0, NULL, 0, NULL, &ret);

		if (err)
			return err;
		if (ret != want)
			return WL_EWRONG;
	}
	return ISO_OK;
}

static int null_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state;
	return bare_calls(d, null_fn, 0, iters);
}

static void no_teardown(void *state)
{
	free(state);
}

const struct workload wl_call_null = {
	.name = "call-null",
	.summary = "empty function: the isolated round trip",
	.default_iters = 10000,
	.setup = null_setup,
	.run = null_run,
	.teardown = no_teardown,
};

/* ---- call-write: one write(2) to /dev/null inside the domain, per call ---------- */

/* Opened before main, so that a process domain's child (forked at create) has it too;
 * the domain only reads the number. */
static int devnull = -1;

__attribute__((constructor)) static void open_devnull(void)
{
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
}

static long write_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	static const char line[8] = "isobench";

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return write(devnull, line, sizeof(line));
}

static int write_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d, (void)size;
	*state = NULL;
	return devnull < 0 ? ISO_ESYS : ISO_OK;
}

static int write_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state;
	return bare_calls(d, write_fn, 8, iters);
}

const struct workload wl_call_write = {
	.name = "call-write",
	.summary = "one write(2) of 8 bytes to /dev/null per call: a system call inside the "
		   "domain (what hardening's filter costs)",
	.default_iters = 2000,
	.setup = write_setup,
	.run = write_run,
	.teardown = no_teardown,
};

/* ---- call-args: a few scalars in, one out -------------------------------------- */

struct args {
	long a, b, c;
	unsigned shift;
};

static long args_expect(const struct args *x)
{
	return (x->a * x->b + x->c) >> x->shift;
}

static long args_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct args x;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(x))
		return -1;
	memcpy(&x, in, sizeof(x));
	return wl_tamper_long(args_expect(&x));
}

static int args_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state;
	for (uint64_t i = 0; i < iters; i++) {
		struct args x = { (long)i, 7, -3, (unsigned)(i & 7) };
		long ret;
		int err = iso_call(d, args_fn, &x, sizeof(x), NULL, 0, NULL, &ret);

		if (err)
			return err;
		if (ret != args_expect(&x))
			return WL_EWRONG;
	}
	return ISO_OK;
}

const struct workload wl_call_args = {
	.name = "call-args",
	.summary = "four scalars in, one result out",
	.default_size = sizeof(struct args),
	.default_iters = 10000,
	.setup = null_setup,
	.run = args_run,
	.teardown = no_teardown,
};

/* ---- call-small: a checksum of a small buffer computed in the domain ------------ */

struct small {
	size_t size;
	unsigned long long expect;
	unsigned char data[];
};

/* FNV-1a, 64-bit: cheap, deterministic, and sensitive to every byte. */
static unsigned long long fnv1a(const unsigned char *p, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static long small_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	unsigned long long h = fnv1a(in, in_len);

	if (out_cap < sizeof(h))
		return -1;
	memcpy(out, &h, sizeof(h));
	wl_tamper_bytes(out, sizeof(h));
	*out_len = sizeof(h);
	return 0;
}

static int small_setup(struct iso_domain *d, size_t size, void **state)
{
	struct small *s = malloc(sizeof(*s) + size);
	unsigned x = 2463534242u;

	(void)d;
	if (!s)
		return ISO_ENOMEM;
	s->size = size;
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32: same bytes every run */
		s->data[i] = (unsigned char)x;
	}
	s->expect = fnv1a(s->data, size);
	*state = s;
	return ISO_OK;
}

static int small_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct small *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		unsigned long long h = 0;
		size_t n = 0;
		long ret;
		int err = iso_call(d, small_fn, s->data, s->size, &h, sizeof(h), &n, &ret);

		if (err)
			return err;
		if (ret != 0 || n != sizeof(h) || h != s->expect)
			return WL_EWRONG;
	}
	return ISO_OK;
}

const struct workload wl_call_small = {
	.name = "call-small",
	.summary = "checksum (FNV-1a) of a small input, 64 bytes unless --size",
	.sized = true,
	.default_size = 64,
	.default_iters = 10000,
	.setup = small_setup,
	.run = small_run,
	.teardown = no_teardown,
};

/* ---- switch-bare: the backend's switching mechanism alone, no domain code ------- */

static int bare_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)size;
	*state = NULL;
	return iso_domain_bare(d, 1); /* ISO_ENOTSUP: not applicable to this backend */
}

static int bare_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state;
	return iso_domain_bare(d, iters);
}

const struct workload wl_switch_bare = {
	.name = "switch-bare",
	.summary = "the switch alone (mpk: 2 WRPKRU + call; mprotect: the same mprotects)",
	.default_iters = 10000,
	.setup = bare_setup,
	.run = bare_run,
	.teardown = no_teardown,
};

/* ---- copy: size bytes in, the same bytes out: what copy-in/copy-out costs ------- */

static const size_t copy_sizes[] = { 1024, 65536, 1 << 20, 16 << 20, 0 };

struct copy {
	size_t size;
	unsigned char *in, *out;
};

static long copy_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	if (out_cap < in_len)
		return -1;
	memcpy(out, in, in_len);
	wl_tamper_bytes(out, in_len);
	*out_len = in_len;
	return 0;
}

static int copy_setup(struct iso_domain *d, size_t size, void **state)
{
	struct copy *c = calloc(1, sizeof(*c));

	(void)d;
	if (!c || !(c->in = malloc(size ? size : 1)) || !(c->out = malloc(size ? size : 1))) {
		if (c)
			free(c->in);
		free(c);
		return ISO_ENOMEM;
	}
	c->size = size;
	for (size_t i = 0; i < size; i++)
		c->in[i] = (unsigned char)(i * 2654435761u >> 13);
	*state = c;
	return ISO_OK;
}

static int copy_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct copy *c = state;

	for (uint64_t i = 0; i < iters; i++) {
		size_t n = 0;
		long ret = -1;
		int err;

		if (c->size)
			c->out[c->size - 1] = (unsigned char)~c->in[c->size - 1]; /* stale if not copied */
		err = iso_call(d, copy_fn, c->in, c->size, c->out, c->size, &n, &ret);
		if (err)
			return err;
		if (ret != 0 || n != c->size || memcmp(c->out, c->in, c->size) != 0)
			return WL_EWRONG;
	}
	return ISO_OK;
}

static void copy_teardown(void *state)
{
	struct copy *c = state;

	free(c->in);
	free(c->out);
	free(c);
}

const struct workload wl_copy = {
	.name = "copy",
	.summary = "size bytes in, copied to out in the domain, back and compared: copy-in/copy-out",
	.sized = true,
	.default_size = 1 << 20,
	.sizes = copy_sizes,
	.default_iters = 1000,
	.setup = copy_setup,
	.run = copy_run,
	.teardown = copy_teardown,
};

/*
 * ---- copy-in, copy-out: one direction each, the domain barely touching the data --
 * What the backend's copying costs on its own.  `copy` also has the domain read and
 * write every byte, which on another core (process) moves each cache line across.
 */

/* One byte per page and the last: the domain reads 1/64 of the lines it was sent. */
static long sample(const unsigned char *p, size_t n)
{
	uint64_t sum = 0; /* wraps, as a hash should */

	for (size_t i = 0; i < n; i += 4096)
		sum = sum * 31 + p[i];
	return n ? (long)(sum * 31 + p[n - 1]) : 0;
}

static long copy_in_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		       size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	return wl_tamper_long(sample(in, in_len));
}

static int copy_in_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct copy *c = state;

	for (uint64_t i = 0; i < iters; i++) {
		long ret = -1;
		int err;

		if (c->size) /* a different input every call: a stale one cannot pass */
			c->in[0] = c->in[c->size - 1] = (unsigned char)i;
		err = iso_call(d, copy_in_fn, c->in, c->size, NULL, 0, NULL, &ret);
		if (err)
			return err;
		if (ret != sample(c->in, c->size))
			return WL_EWRONG;
	}
	return ISO_OK;
}

const struct workload wl_copy_in = {
	.name = "copy-in",
	.summary = "size bytes in; the domain reads one byte per page: copy-in alone",
	.sized = true,
	.default_size = 1 << 20,
	.sizes = copy_sizes,
	.default_iters = 1000,
	.setup = copy_setup,
	.run = copy_in_run,
	.teardown = copy_teardown,
};

/* The byte to fill with comes in; every byte of the result is checked. */
static long copy_out_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	if (in_len != 1)
		return -1;
	memset(out, *(const unsigned char *)in, out_cap);
	wl_tamper_bytes(out, out_cap);
	*out_len = out_cap;
	return 0;
}

static int copy_out_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct copy *c = state;

	for (uint64_t i = 0; i < iters; i++) {
		unsigned char v = (unsigned char)(i * 7 + 1);
		size_t n = 0;
		long ret = -1;
		int err;

		if (c->size)
			c->out[c->size - 1] = (unsigned char)~v; /* stale if not copied */
		err = iso_call(d, copy_out_fn, &v, 1, c->out, c->size, &n, &ret);
		if (err)
			return err;
		/* Every byte v: the first is, and each equals the one after it. */
		if (ret != 0 || n != c->size || (n && c->out[0] != v) ||
		    (n > 1 && memcmp(c->out, c->out + 1, n - 1) != 0))
			return WL_EWRONG;
	}
	return ISO_OK;
}

const struct workload wl_copy_out = {
	.name = "copy-out",
	.summary = "the domain fills size bytes, copied out and checked: copy-out alone",
	.sized = true,
	.default_size = 1 << 20,
	.sizes = copy_sizes,
	.default_iters = 1000,
	.setup = copy_setup,
	.run = copy_out_run,
	.teardown = copy_teardown,
};
