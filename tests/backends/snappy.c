/* backends/snappy.c: an unmodified library (snappy C API) inside a domain; where a domain's malloc lands. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <snappy-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

#define MiB ((size_t)1 << 20)
#define INPUT MiB

/* ---- functions run inside the domain --------------------------------------------- */

/*
 * in -> snappy -> out.  The scratch buffer is the domain's own malloc; snappy itself
 * allocates its hash table with operator new (libstdc++ -> malloc).
 */
static long compress_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	size_t n = snappy_max_compressed_length(in_len);
	char *buf = malloc(n);
	long r = -1;

	if (!buf)
		return -2;
	if (snappy_compress(in, in_len, buf, &n) == SNAPPY_OK && n <= out_cap) {
		memcpy(out, buf, n);
		*out_len = n;
		r = (long)n;
	}
	free(buf);
	return r;
}

static long uncompress_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	size_t n;
	char *buf;
	long r = -1;

	if (snappy_uncompressed_length(in, in_len, &n) != SNAPPY_OK || n > out_cap)
		return -1;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -2;
	if (snappy_uncompress(in, in_len, buf, &n) == SNAPPY_OK) {
		memcpy(out, buf, n);
		*out_len = n;
		r = (long)n;
	}
	free(buf);
	return r;
}

__attribute__((no_sanitize("address", "undefined"))) static long
null_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile int *volatile p = NULL;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*p = 1;
	return 0;
}

/* ---- helpers --------------------------------------------------------------------- */

/* Text-like, deterministic, compressible: words from a small vocabulary, xorshift-chosen. */
static void fill_text(unsigned char *p, size_t n)
{
	static const char *const words[] = { "isolation ", "domain ", "snappy ", "key ",
					     "protection ", "memory ", "call ", "gate ",
					     "heap ", "stack ", "trusted ", "the ", "a ", "\n" };
	uint32_t x = 2463534242u;
	size_t i = 0;

	while (i < n) {
		const char *w;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		w = words[x % (sizeof(words) / sizeof(words[0]))];
		for (; *w && i < n; w++)
			p[i++] = (unsigned char)*w;
	}
}

/* Compress then uncompress `in` inside d; every byte checked here, on the trusted side. */
static void round_trip(struct iso_domain *d, const unsigned char *in, const char *ref,
		       size_t ref_len, const char *when)
{
	size_t cap = snappy_max_compressed_length(INPUT), clen = 0, ulen = 0, i;
	char *comp = malloc(cap);
	unsigned char *back = malloc(INPUT);
	long ret = 0;
	int err;

	cr_assert(comp && back);
	err = iso_call(d, compress_fn, in, INPUT, comp, cap, &clen, &ret);
	cr_assert_eq(err, ISO_OK, "%s: compress: %s (%s)", when, iso_strerror(err), iso_reason());
	cr_assert_eq(ret, (long)clen, "%s: snappy_compress failed inside the domain (%ld)", when,
		     ret);
	cr_assert_lt(clen, INPUT / 2, "%s: 1 MiB of text compressed to %zu bytes", when, clen);
	/* snappy is deterministic: the domain's stream is the one snappy gives here. */
	cr_assert_eq(clen, ref_len, "%s: %zu compressed bytes inside, %zu outside", when, clen,
		     ref_len);
	cr_assert_eq(memcmp(comp, ref, clen), 0, "%s: the compressed streams differ", when);

	memset(back, 0, INPUT);
	err = iso_call(d, uncompress_fn, comp, clen, back, INPUT, &ulen, &ret);
	cr_assert_eq(err, ISO_OK, "%s: uncompress: %s (%s)", when, iso_strerror(err),
		     iso_reason());
	cr_assert_eq(ret, (long)INPUT, "%s: snappy_uncompress failed inside the domain (%ld)", when,
		     ret);
	cr_assert_eq(ulen, INPUT);
	for (i = 0; i < INPUT && back[i] == in[i]; i++)
		;
	cr_assert_eq(i, INPUT, "%s: byte %zu of the round trip differs", when, i);
	free(comp);
	free(back);
}

static struct backend_param params[8];

ParameterizedTestParameters(snappy, round_trip_1MiB_inside_domain)
{
	size_t n = backend_params(params, sizeof(params) / sizeof(params[0]));

	return cr_make_param_array(struct backend_param, params, n);
}

/*
 * On every backend: 1 MiB compressed and uncompressed by snappy inside the domain.
 * Where the domain can fail (every backend but none), a violation in between must not
 * break the library: the domain's heap is thrown away and made anew, and snappy,
 * which keeps no state between calls, works on the new one.
 */
ParameterizedTest(struct backend_param *p, snappy, round_trip_1MiB_inside_domain, .timeout = 30)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	unsigned char *in = malloc(INPUT);
	size_t ref_len = snappy_max_compressed_length(INPUT);
	char *ref = malloc(ref_len);
	uint64_t sum;

	cr_assert(in && ref);
	fill_text(in, INPUT);
	sum = fnv1a(in, INPUT);
	cr_assert_eq(snappy_compress((const char *)in, INPUT, ref, &ref_len), SNAPPY_OK);

	round_trip(d, in, ref, ref_len, "first");
	round_trip(d, in, ref, ref_len, "second");
	if (strcmp(p->name, "none") != 0) {
		int err = iso_call(d, null_fn, NULL, 0, NULL, 0, NULL, NULL);

		cr_assert(err == ISO_EFAULT || err == ISO_ECRASH, "NULL write: %s",
			  iso_strerror(err));
		round_trip(d, in, ref, ref_len, "after a violation");
	}
	cr_assert_eq(fnv1a(in, INPUT), sum, "the caller's input changed");
	iso_domain_destroy(d);
	free(in);
	free(ref);
}

/* ---- malloc inside a domain returns domain memory ------------------------------------ */

#define BLOCKS 100

struct block {
	uintptr_t addr;
	size_t size;
	int how; /* which allocator call made it (enum alloc_kind) */
};

enum alloc_kind { A_MALLOC, A_CALLOC, A_REALLOC, A_MEMALIGN, A_ALIGNED, A_NEW, A_KINDS };

/* What the domain needs from outside: C++'s operator new/delete, found by the caller. */
struct cxx {
	void *(*new_)(size_t);
	void (*delete_)(void *);
};

static size_t block_size(int i)
{
	static const size_t sizes[] = { 0, 1, 8, 24, 100, 4096, 5000, 65536, 300000, MiB };

	return sizes[i % 10];
}

/*
 * Makes BLOCKS blocks of 0 .. 1 MiB with every allocation entry point (malloc, calloc,
 * realloc, posix_memalign, aligned_alloc, C++ operator new), fills each with its own
 * byte, checks none overwrote another, and reports them in out (it keeps them: free_fn
 * frees them in a later call).  Returns the number of bad blocks (0 is right).
 */
static long alloc_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct cxx cxx;
	struct block *b = out;
	long bad = 0;

	if (in_len != sizeof(cxx) || out_cap < BLOCKS * sizeof(*b))
		return -1;
	memcpy(&cxx, in, sizeof(cxx));
	for (int i = 0; i < BLOCKS; i++) {
		size_t n = block_size(i);
		int how = (i / 10 + i) % A_KINDS;
		void *q = NULL;

		switch (how) {
		case A_MALLOC: q = malloc(n); break;
		case A_CALLOC: q = calloc(1, n); break;
		case A_REALLOC:
			q = realloc(malloc(16), n ? n : 1);
			break;
		case A_MEMALIGN:
			if (posix_memalign(&q, 64, n))
				q = NULL;
			break;
		case A_ALIGNED: q = aligned_alloc(256, (n + 255) & ~(size_t)255); break;
		case A_NEW: q = cxx.new_(n); break;
		}
		if (!q)
			return -2;
		memset(q, i, n);
		b[i] = (struct block){ (uintptr_t)q, n, how };
	}
	for (int i = 0; i < BLOCKS; i++)
		bad += first_not((void *)b[i].addr, b[i].size, (unsigned char)i) != b[i].size;
	*out_len = BLOCKS * sizeof(*b);
	return bad;
}

/* Frees the blocks whose list is the input (operator delete for operator new's). */
static long free_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct cxx cxx;
	const struct block *b = (const struct block *)((const char *)in + sizeof(cxx));

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(cxx) + BLOCKS * sizeof(*b))
		return -1;
	memcpy(&cxx, in, sizeof(cxx));
	for (int i = 0; i < BLOCKS; i++) {
		if (b[i].how == A_NEW)
			cxx.delete_((void *)b[i].addr);
		else
			free((void *)b[i].addr);
	}
	return 0;
}

/* The /proc/self/maps line [lo, hi) that holds p; false if none does. */
static bool mapping_of(const void *p, uintptr_t *lo, uintptr_t *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%lx-%lx", lo, hi) == 2 && *lo <= (uintptr_t)p &&
			(uintptr_t)p < *hi;
	fclose(f);
	return found;
}

static struct backend_param inproc[8];

ParameterizedTestParameters(snappy, malloc_inside_domain_is_domain_memory)
{
	size_t n = backend_params(inproc, sizeof(inproc) / sizeof(inproc[0])), k = 0;

	for (size_t i = 0; i < n; i++)
		if (in_process_backend(inproc[i].name))
			inproc[k++] = inproc[i];
	return cr_make_param_array(struct backend_param, inproc, k);
}

/*
 * In-process backends only: a process domain's malloc is the child's own (a private
 * copy of the trusted heap), and none's is the trusted heap itself.
 *
 * What "domain memory" is, checked two ways:
 * - the jemalloc arena that owns each block (mallctl arenas.lookup) is the arena of an
 *   iso_alloc(d, 1) buffer (the domain heap), not the arena of a trusted malloc block;
 *   this is the precise test;
 * - each block lies wholly in the /proc/self/maps line that holds the iso_alloc buffer.
 *   That alone would prove little: the kernel merges the domain's read-write pages with
 *   adjacent read-write anonymous mappings of the same flags (here jemalloc's metadata
 *   and the trusted heap's reserved range lie right above the domain), so one line may
 *   cover trusted memory too; it does catch a block outside any domain-like mapping.
 */
ParameterizedTest(struct backend_param *p, snappy, malloc_inside_domain_is_domain_memory,
		  .timeout = 30)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	struct cxx cxx = { dlsym(RTLD_DEFAULT, "_Znwm"), dlsym(RTLD_DEFAULT, "_ZdlPv") };
	struct block b[BLOCKS];
	unsigned char *shared = iso_alloc(d, 1), *trusted = malloc(100);
	unsigned char req[sizeof(cxx) + sizeof(b)];
	int dom_arena, trusted_arena, kinds[A_KINDS] = { 0 };
	uintptr_t lo, hi;
	size_t out_len = 0;
	long ret = -1;
	int err;

	cr_assert(runs_here(d), "%s runs its domains in another process", p->name);
	cr_assert(cxx.new_ && cxx.delete_, "operator new/delete not found (libstdc++ via snappy)");
	cr_assert(shared && trusted);
	dom_arena = arena_of(shared);
	trusted_arena = arena_of(trusted);
	cr_assert(dom_arena >= 0 && trusted_arena >= 0, "arenas.lookup failed");
	cr_assert_neq(dom_arena, trusted_arena, "the domain heap is the trusted heap's arena");
	cr_assert(mapping_of(shared, &lo, &hi), "no mapping holds the iso_alloc buffer");

	err = iso_call(d, alloc_fn, &cxx, sizeof(cxx), b, sizeof(b), &out_len, &ret);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(ret, 0, "%ld blocks overwrote one another (or an allocation failed)", ret);
	cr_assert_eq(out_len, sizeof(b));
	for (int i = 0; i < BLOCKS; i++) {
		const void *q = (const void *)b[i].addr;
		int a = arena_of(q);

		cr_assert_eq(a, dom_arena, "block %d (%zu bytes, kind %d) at %p: arena %d, the domain's "
			     "is %d, the trusted heap's %d", i, b[i].size, b[i].how, q, a, dom_arena,
			     trusted_arena);
		cr_assert(b[i].addr >= lo && b[i].addr + b[i].size <= hi,
			  "block %d at %p (%zu bytes) lies outside the domain's mapping %#lx-%#lx", i,
			  q, b[i].size, (unsigned long)lo, (unsigned long)hi);
		kinds[b[i].how]++;
	}
	for (int k = 0; k < A_KINDS; k++)
		cr_assert_gt(kinds[k], 0, "no block made with allocator entry %d", k);

	/* The blocks live on between calls; the domain frees them in a second call. */
	memcpy(req, &cxx, sizeof(cxx));
	memcpy(req + sizeof(cxx), b, sizeof(b));
	err = iso_call(d, free_fn, req, sizeof(req), NULL, 0, NULL, &ret);
	cr_assert_eq(err, ISO_OK, "freeing: %s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(ret, 0);
	iso_free(d, shared);
	free(trusted);
	iso_domain_destroy(d);
}
