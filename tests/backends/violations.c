/* backends/violations.c: violations inside a domain: exact error, trusted memory intact, next call works. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "../../bench/harness.h"
#include "iso.h"
#include "../support/util.h"

/*
 * Which backend each case runs on, and what it must return there:
 *
 * - none is never a parameter: it isolates nothing, so every case would corrupt this
 *   test's memory or kill it.  It is the baseline, not a protection.
 * - In-process backends (mprotect, mpk, and any backend whose domain runs in our own
 *   process, found at run time by comparing pids) must stop the access itself:
 *   a write to trusted memory, a read of a secret, a NULL access and an overflow off
 *   the end of the domain's memory are ISO_EFAULT (SIGSEGV, rewound); abort() and a
 *   smashed stack canary are ISO_ECRASH (SIGABRT); a hang is ISO_ETIMEDOUT; a free()
 *   or realloc() of memory the domain does not own is ISO_EFAULT (malloc.c refuses it).
 * - process: the child has its own copy of the parent's address space, so a write to
 *   "trusted" memory writes the child's copy and is no violation at all: the call
 *   returns ISO_OK with fn's own value, and what must hold is that the parent's memory
 *   did not change.  The same goes for freeing a copied trusted pointer.  What kills
 *   the child (NULL, abort, smashed canary, a secret the child dropped) is ISO_ECRASH.
 *
 * Every case checks, whatever the backend: the exact code; that a failed call wrote
 * nothing to out, *out_len or *ret; that the trusted heap object, a trusted global,
 * a buffer on the caller's stack, a big (8 MiB) trusted heap buffer and a secret page
 * are bit for bit as before (checksums); that the trusted side can write them again;
 * and that the next call on the same domain returns the right value.
 */

#define PAGE 4096u
#define MiB ((size_t)1 << 20)
#define OBJ 4096u         /* the trusted heap object, the global and the stack buffer */
#define BIG (8 * MiB)     /* a big trusted heap buffer */
#define OVERFLOW (64 * MiB)
#define DONE 1            /* what a violating fn returns if it is let through */

/* A trusted global in the program's .data (initialised, so not in .bss). */
static unsigned char trusted_global[OBJ] = { 1 };

/* The trusted object write_fn writes. */
enum at { AT_HEAP, AT_GLOBAL, AT_STACK };

/* What a domain function is told, through its input buffer. */
struct targets {
	unsigned char *heap, *global, *stack, *secret;
	enum at at;       /* which of heap, global, stack write_fn writes */
	size_t len;       /* bytes to write at each target */
	size_t overflow;  /* bytes to write from a fresh malloc'd block */
	size_t smash;     /* bytes to write into a 16-byte stack array */
};

static struct targets get_targets(const void *in, size_t in_len)
{
	struct targets t = { 0 };

	if (in_len == sizeof(t))
		memcpy(&t, in, sizeof(t));
	return t;
}

/* ---- functions run inside the domain --------------------------------------------- */

static void smudge(unsigned char *p, size_t n)
{
	memset(p, 0xEE, n);
	__asm__ volatile("" : : "r"(p) : "memory"); /* the stores are the point: keep them */
}

/* Writes len bytes over the trusted object t.at names. */
static long write_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct targets t = get_targets(in, in_len);
	unsigned char *const at[] = { [AT_HEAP] = t.heap, [AT_GLOBAL] = t.global,
				      [AT_STACK] = t.stack };

	(void)out, (void)out_cap, (void)out_len;
	smudge(at[t.at], t.len);
	return DONE;
}

/* Copies the secret page to out. */
static long secret_read_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	struct targets t = get_targets(in, in_len);
	size_t n = out_cap < PAGE ? out_cap : PAGE;

	memcpy(out, t.secret, n);
	*out_len = n;
	return DONE;
}

/* 64 MiB from a 64-byte block of the domain's own heap: off its end, into whatever is beyond. */
static long heap_overflow_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			     size_t *out_len)
{
	struct targets t = get_targets(in, in_len);
	unsigned char *p = malloc(64);

	(void)out, (void)out_cap, (void)out_len;
	if (!p)
		return -1;
	smudge(p, t.overflow);
	return DONE;
}

static long stack_smash_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	struct targets t = get_targets(in, in_len);

	(void)out, (void)out_cap, (void)out_len;
	violation_overrun(t.smash);
	return DONE;
}

static long loop_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile unsigned long spin = 0;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (;;)
		spin++;
	return DONE;
}

static long abort_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	abort();
}

/* Sanitizers would turn the NULL write into their own abort: keep it a real SIGSEGV. */
__attribute__((no_sanitize("address", "undefined"))) static long
null_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	/* Both volatile: GCC's points-to analysis otherwise deletes a store through NULL. */
	volatile int *volatile p = NULL;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*p = 1;
	return DONE;
}

static long bad_free_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	struct targets t = get_targets(in, in_len);

	(void)out, (void)out_cap, (void)out_len;
	free(t.heap);
	return DONE;
}

static long bad_realloc_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	struct targets t = get_targets(in, in_len);
	void *q = realloc(t.heap, 2 * OBJ);

	(void)out, (void)out_cap, (void)out_len;
	__asm__ volatile("" : : "r"(q) : "memory");
	return DONE;
}

/* ---- the trusted side ------------------------------------------------------------ */

/* What a case expects.  process_alt: a second acceptable result on process (or the same). */
struct vcase {
	iso_fn *fn;
	enum at at;         /* write_fn's target */
	const char *what;
	int inproc, process, process_alt;
	unsigned timeout_ms;
	size_t arena_size; /* 0: the default */
};

struct sums {
	uint64_t heap, global, stack, big, secret;
};

static struct sums checksum(const struct targets *t, const unsigned char *big)
{
	return (struct sums){ fnv1a(t->heap, OBJ), fnv1a(t->global, OBJ), fnv1a(t->stack, OBJ),
			      fnv1a(big, BIG), fnv1a(t->secret, PAGE) };
}

static void assert_unchanged(const char *what, const struct targets *t, const unsigned char *big,
			     const struct sums *before)
{
	struct sums now = checksum(t, big);

	cr_assert_eq(now.heap, before->heap, "%s: the trusted heap object changed", what);
	cr_assert_eq(now.global, before->global, "%s: the trusted global changed", what);
	cr_assert_eq(now.stack, before->stack, "%s: the caller's stack buffer changed", what);
	cr_assert_eq(now.big, before->big, "%s: the big trusted heap buffer changed", what);
	cr_assert_eq(now.secret, before->secret, "%s: the secret page changed", what);
}

/* Each target writable again from the trusted side (rights restored): flip a byte and back. */
static void assert_writable(const struct targets *t, unsigned char *big)
{
	unsigned char *all[] = { t->heap, t->global, t->stack, t->secret, big, big + BIG - 1 };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		*(volatile unsigned char *)all[i] ^= 0xFF;
		*(volatile unsigned char *)all[i] ^= 0xFF;
	}
}

static struct iso_domain *open_domain(const char *name, unsigned timeout_ms, size_t arena_size)
{
	struct iso_options opt = { .timeout_ms = timeout_ms, .arena_size = arena_size };

	return open_domain_opt(name, &opt);
}

static void good_call(struct iso_domain *d, uint64_t x, const char *when)
{
	uint64_t y = 0;
	size_t out_len = 0;
	long ret = -1;
	int err = iso_call(d, affine_fn, &x, sizeof(x), &y, sizeof(y), &out_len, &ret);

	cr_assert_eq(err, ISO_OK, "%s: a good call failed: %s (%s)", when, iso_strerror(err),
		     iso_reason());
	cr_assert(y == 3 * x + 1 && out_len == sizeof(y) && ret == (long)(x ^ 0x55),
		  "%s: a good call returned a wrong result", when);
}

static unsigned char *map_secret_page(void)
{
	unsigned char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	cr_assert_neq(s, MAP_FAILED, "mmap: %s", strerror(errno));
	fill_pattern(s, PAGE, 0x5ec2e7);
	return s;
}

/*
 * One violation on a fresh domain.  stack_buf lives in this frame, which is above
 * every frame a process domain's child was forked from (open_domain, iso_call are
 * called from here), so the child's copy of it is dead memory the child may scribble.
 */
static void run_case(const char *backend, const struct vcase *c)
{
	unsigned char stack_buf[OBJ], out[PAGE];
	unsigned char *big = malloc(BIG);
	struct targets t = {
		.heap = malloc(OBJ), .global = trusted_global, .stack = stack_buf,
		.secret = map_secret_page(), .at = c->at, .len = OBJ, .overflow = OVERFLOW,
		.smash = 64,
	};
	struct iso_domain *d;
	struct sums before;
	size_t out_len = 12345;
	long ret = 999;
	int64_t ms;
	int err, want, alt;
	bool here;

	cr_assert(big && t.heap);
	fill_pattern(t.heap, OBJ, 1);
	fill_pattern(trusted_global, OBJ, 2);
	fill_pattern(stack_buf, OBJ, 3);
	fill_pattern(big, BIG, 4);
	before = checksum(&t, big);
	/* Marked before the domain exists: a process domain's child drops it when forked. */
	err = iso_secret(t.secret, PAGE);
	cr_assert_eq(err, ISO_OK, "iso_secret: %s (%s)", iso_strerror(err), iso_reason());

	d = open_domain(backend, c->timeout_ms, c->arena_size);
	here = runs_here(d);
	good_call(d, 41, "before");
	want = here ? c->inproc : c->process;
	alt = here ? c->inproc : c->process_alt;

	memset(out, 0x11, sizeof(out));
	ms = now_ms();
	err = iso_call(d, c->fn, &t, sizeof(t), out, sizeof(out), &out_len, &ret);
	ms = now_ms() - ms;
	cr_assert(err == want || err == alt, "%s on %s: got %s (%s), want %s", c->what, backend,
		  iso_strerror(err), iso_reason(), iso_strerror(want));
	if (err == ISO_OK) {
		cr_assert_eq(ret, DONE, "%s: fn returned %ld", c->what, ret);
		cr_assert(out_len < PAGE || memcmp(out, t.secret, PAGE) != 0,
			  "%s: the domain handed back the secret", c->what);
	} else {
		cr_assert_eq(first_not(out, sizeof(out), 0x11), sizeof(out),
			     "%s: out written on failure", c->what);
		cr_assert_eq(out_len, 12345, "%s: out_len written on failure", c->what);
		cr_assert_eq(ret, 999, "%s: ret written on failure", c->what);
		cr_assert_neq(iso_reason()[0], '\0', "%s: no reason given", c->what);
	}
	if (c->timeout_ms) {
		/* The in-process watchdog ticks at half the timeout and fires on the second
		 * tick a call is seen at: after half to one timeout. */
		cr_assert_geq(ms, (int64_t)c->timeout_ms / 2, "%s: the watchdog fired after %ld ms",
			      c->what, (long)ms);
		cr_assert_lt(ms, 2000, "%s: the watchdog took %ld ms", c->what, (long)ms);
	}
	assert_unchanged(c->what, &t, big, &before);
	assert_writable(&t, big);

	/* A write that went through in a process child changed the child's own memory (its
	 * copy of the program's, overflow_own_heap): the child may crash at its next call,
	 * which the domain reports (ISO_ECRASH) and recovers from. */
	if (err == ISO_OK && !here) {
		uint64_t y = 0;
		int again = iso_call(d, affine_fn, &(uint64_t){ 5 }, sizeof(uint64_t), &y,
				     sizeof(y), NULL, NULL);

		cr_assert(again == ISO_OK ? y == 16 : again == ISO_ECRASH,
			  "%s: the next call: %s (%s), y %llu", c->what, iso_strerror(again),
			  iso_reason(), (unsigned long long)y);
	}
	good_call(d, 1000003, "after the violation");
	good_call(d, 7, "after the violation, again");
	iso_domain_destroy(d);

	cr_assert_eq(iso_unsecret(t.secret, PAGE), ISO_OK, "iso_unsecret: %s", iso_reason());
	assert_unchanged(c->what, &t, big, &before);
	munmap(t.secret, PAGE);
	free(t.heap);
	free(big);
}

/* Every backend but none (which isolates nothing).  One array per kind: Criterion keeps them. */
static struct backend_param isolating[8], inproc[8];

static size_t isolating_params(struct backend_param *p)
{
	size_t n = backend_params(p, 8), k = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, "none") != 0)
			p[k++] = p[i];
	return k;
}

/* The in-process ones: neither none nor the process backend. */
static size_t inproc_params(struct backend_param *p)
{
	size_t n = isolating_params(p), k = 0;

	for (size_t i = 0; i < n; i++)
		if (in_process_backend(p[i].name))
			p[k++] = p[i];
	return k;
}

#define VIOLATION_TEST(test, kind)                                                     \
	ParameterizedTestParameters(violations, test)                                  \
	{                                                                              \
		size_t n = kind##_params(kind);                                        \
		return cr_make_param_array(struct backend_param, kind, n);             \
	}                                                                              \
	ParameterizedTest(struct backend_param *p, violations, test, .timeout = 30)

/* ---- one test per violation ----------------------------------------------------- */

VIOLATION_TEST(write_trusted_heap, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = write_fn, .at = AT_HEAP,
		.what = "write into a trusted heap object",
		.inproc = ISO_EFAULT, .process = ISO_OK, .process_alt = ISO_OK });
}

VIOLATION_TEST(write_trusted_global, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = write_fn, .at = AT_GLOBAL,
		.what = "write into a trusted global",
		.inproc = ISO_EFAULT, .process = ISO_OK, .process_alt = ISO_OK });
}

VIOLATION_TEST(write_trusted_stack, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = write_fn, .at = AT_STACK,
		.what = "write into the caller's stack",
		/* process: the child's copy of the stack it was forked on is read-only */
		.inproc = ISO_EFAULT, .process = ISO_ECRASH, .process_alt = ISO_ECRASH });
}

/* process: the child unmapped its copy of the secret when forked, so reading it kills it. */
VIOLATION_TEST(read_secret, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = secret_read_fn,
		.what = "read a secret",
		.inproc = ISO_EFAULT, .process = ISO_ECRASH, .process_alt = ISO_ECRASH });
}

/*
 * A 16 MiB arena (an 8 MiB domain heap), so 64 MiB written from a 64-byte block surely
 * run tens of MiB off the heap's end, into whatever lies beyond.  In process: the
 * domain's memory ends with its heap and a guard page, so the write faults there:
 * ISO_EFAULT.  (Without that guard the next mapping up was read-write memory outside
 * every trusted region, jemalloc's metadata: an overflow of a page went unnoticed and
 * one of 64 KiB crashed the trusted side's next malloc.)
 * process: the child's heap is its private copy of the parent's (a 16 GiB reserved
 * range), so the write may well succeed there (ISO_OK) or kill the child (ISO_ECRASH);
 * either way the parent's memory is untouched.
 */
VIOLATION_TEST(overflow_own_heap, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = heap_overflow_fn,
		.what = "64 MiB off a 64-byte heap block",
		.inproc = ISO_EFAULT, .process = ISO_OK, .process_alt = ISO_ECRASH,
		.arena_size = 16 * MiB });
}

/*
 * ISO_ECRASH everywhere, not ISO_EFAULT: the 64-byte overrun stays inside the domain's
 * own (writable) stack, so nothing faults; the canary check at violation_overrun()'s return calls
 * __stack_chk_fail, which aborts: SIGABRT, a crash.
 */
VIOLATION_TEST(smash_own_stack, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = stack_smash_fn,
		.what = "stack smash",
		.inproc = ISO_ECRASH, .process = ISO_ECRASH, .process_alt = ISO_ECRASH });
}

VIOLATION_TEST(loop_forever, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = loop_fn,
		.what = "endless loop",
		.inproc = ISO_ETIMEDOUT, .process = ISO_ETIMEDOUT, .process_alt = ISO_ETIMEDOUT,
		.timeout_ms = 200 });
}

VIOLATION_TEST(call_abort, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = abort_fn,
		.what = "abort()",
		.inproc = ISO_ECRASH, .process = ISO_ECRASH, .process_alt = ISO_ECRASH });
}

VIOLATION_TEST(null_dereference, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = null_fn,
		.what = "NULL write",
		.inproc = ISO_EFAULT, .process = ISO_ECRASH, .process_alt = ISO_ECRASH });
}

/* process: the child frees its own copy of the block, which is legal there. */
VIOLATION_TEST(free_trusted_pointer, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = bad_free_fn,
		.what = "free() of a trusted pointer",
		.inproc = ISO_EFAULT, .process = ISO_OK, .process_alt = ISO_OK });
}

VIOLATION_TEST(realloc_trusted_pointer, isolating)
{
	run_case(p->name, &(struct vcase){
		.fn = bad_realloc_fn,
		.what = "realloc() of a trusted pointer",
		.inproc = ISO_EFAULT, .process = ISO_OK, .process_alt = ISO_OK });
}

/*
 * A secret marked while a domain already exists (and has run).  In process the rights
 * are set per call, so nothing changes.  A process domain's child was forked before
 * the page was secret and still holds a copy of it: the call may crash the child, but
 * it must not hand the pattern back.
 */
VIOLATION_TEST(read_secret_marked_after_create, isolating)
{
	unsigned char *secret = map_secret_page(), out[PAGE];
	uint64_t sum = fnv1a(secret, PAGE);
	struct targets t = { .secret = secret };
	struct iso_domain *d = open_domain(p->name, 0, 0);
	bool here = runs_here(d);
	size_t out_len = 0;
	long ret = 0;
	int err;

	good_call(d, 5, "before");
	cr_assert_eq(iso_secret(secret, PAGE), ISO_OK, "iso_secret: %s", iso_reason());
	memset(out, 0, sizeof(out));
	err = iso_call(d, secret_read_fn, &t, sizeof(t), out, sizeof(out), &out_len, &ret);
	if (here)
		cr_assert_eq(err, ISO_EFAULT, "got %s (%s)", iso_strerror(err), iso_reason());
	cr_assert(err != ISO_OK || memcmp(out, secret, PAGE) != 0,
		  "%s: a domain created before iso_secret read the secret page (%s)", p->name,
		  iso_strerror(err));
	cr_assert_eq(fnv1a(secret, PAGE), sum);
	good_call(d, 6, "after");
	cr_assert_eq(iso_unsecret(secret, PAGE), ISO_OK);
	/* Unsecreted, the page is ordinary memory again: an in-process domain reads it. */
	if (here) {
		err = iso_call(d, secret_read_fn, &t, sizeof(t), out, sizeof(out), &out_len, &ret);
		cr_assert_eq(err, ISO_OK, "after iso_unsecret: %s (%s)", iso_strerror(err),
			     iso_reason());
		cr_assert_eq(memcmp(out, secret, PAGE), 0);
	}
	iso_domain_destroy(d);
	munmap(secret, PAGE);
}

/* Writes 0xEE over the (other domain's) buffer whose address is the input. */
static long poke_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	unsigned char *target;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(target))
		return -1;
	memcpy(&target, in, sizeof(target));
	smudge(target, OBJ);
	return DONE;
}

/*
 * One domain writes into another's memory (an iso_alloc buffer of a domain created
 * first, as a program that sets up its domains at start would).  In process: the
 * other domain's memory is shut while this one runs: ISO_EFAULT.  process: the other
 * domain's buffer is in a MAP_SHARED arena; whatever the child of the second domain
 * does with the address, the first domain's buffer must not change.
 */
VIOLATION_TEST(write_other_domain, isolating)
{
	struct iso_domain *victim = open_domain(p->name, 0, 0), *d = open_domain(p->name, 0, 0);
	unsigned char *buf = iso_alloc(victim, OBJ);
	uint64_t sum;
	long ret = 0;
	int err;

	cr_assert_not_null(buf);
	fill_pattern(buf, OBJ, 9);
	sum = fnv1a(buf, OBJ);
	err = iso_call(d, poke_fn, &buf, sizeof(buf), NULL, 0, NULL, &ret);
	if (runs_here(d))
		cr_assert_eq(err, ISO_EFAULT, "got %s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(fnv1a(buf, OBJ), sum, "%s: one domain wrote another's iso_alloc buffer (%s)",
		     p->name, iso_strerror(err));
	good_call(d, 8, "after");
	good_call(victim, 9, "the victim, after");
	iso_free(victim, buf);
	iso_domain_destroy(d);
	iso_domain_destroy(victim);
}

/* ---- a fault outside any domain --------------------------------------------------- */

static void on_segv_exit(int sig)
{
	(void)sig;
	_exit(42);
}

/*
 * In a forked child: create a domain, call it, optionally see a violation rewound,
 * then dereference NULL outside any domain.  Exit codes below 40 say what failed first.
 */
__attribute__((no_sanitize("address", "undefined"))) static _Noreturn void
fault_outside(const char *backend, bool own_handler)
{
	struct rlimit nocore = { 0, 0 };
	struct iso_domain *d = NULL;
	volatile int *volatile null = NULL;
	uint64_t x = 1, y = 0;

	setrlimit(RLIMIT_CORE, &nocore);
	/* What the program had before isobench: the default action, or its own handler. */
	signal(SIGSEGV, own_handler ? on_segv_exit : SIG_DFL);
	if (iso_domain_create(backend, NULL, &d) != ISO_OK)
		_exit(10);
	if (iso_call(d, affine_fn, &x, sizeof(x), &y, sizeof(y), NULL, NULL) != ISO_OK || y != 4)
		_exit(11);
	/* A fault inside goes to isobench, never to the program's handler (which exits 42). */
	if (own_handler && iso_call(d, null_fn, NULL, 0, NULL, 0, NULL, NULL) != ISO_EFAULT)
		_exit(12);
	if (iso_call(d, affine_fn, &x, sizeof(x), &y, sizeof(y), NULL, NULL) != ISO_OK)
		_exit(13);
	*null = 1;
	_exit(14);
}

VIOLATION_TEST(fault_outside_domain_is_not_caught, inproc)
{
	for (int own = 0; own < 2; own++) {
		pid_t pid;
		int st = 0;

		SKIP_UNSUPPORTED(p->name);
		pid = fork();
		cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
		if (pid == 0)
			fault_outside(p->name, own);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		if (own)
			cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 42,
				  "the program's own SIGSEGV handler was not called for a fault "
				  "outside the domain (status %#x)", st);
		else
			cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
				  "a NULL write outside any domain did not kill with SIGSEGV "
				  "(status %#x: %s %d)", st, WIFEXITED(st) ? "exit" : "signal",
				  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

/* ---- 1000 violations in a row leak nothing ---------------------------------------- */

/* How many protection keys the kernel still hands out (all taken, counted, given back). */
static int free_pkeys(void)
{
	int keys[32], n = 0, k;

	while (n < 32 && (k = pkey_alloc(0, 0)) >= 0)
		keys[n++] = k;
	for (int i = 0; i < n; i++)
		pkey_free(keys[i]);
	return n;
}

static void violate(struct iso_domain *d, const struct targets *t, int i)
{
	static iso_fn *const fns[] = { write_fn, abort_fn, null_fn, bad_free_fn }; /* t->at: heap */
	static const int want[] = { ISO_EFAULT, ISO_ECRASH, ISO_EFAULT, ISO_EFAULT };
	int k = i % 4, err = iso_call(d, fns[k], t, sizeof(*t), NULL, 0, NULL, NULL);

	cr_assert_eq(err, want[k], "violation %d: got %s (%s), want %s", i, iso_strerror(err),
		     iso_reason(), iso_strerror(want[k]));
}

VIOLATION_TEST(thousand_violations_leak_nothing, inproc)
{
	const bool mpk = strcmp(p->name, "mpk") == 0;
	unsigned char stack_buf[OBJ];
	unsigned char *big = malloc(BIG);
	struct targets t = { .heap = malloc(OBJ), .global = trusted_global, .stack = stack_buf,
			     .secret = map_secret_page(), .len = OBJ };
	struct iso_domain *d;
	struct sums before;
	int keys = 0, maps, fds, maps0, fds0, n_maps, n_fds;
	long rss, vsz, n_rss, n_vsz;

	cr_assert(big && t.heap);
	fill_pattern(t.heap, OBJ, 1);
	fill_pattern(trusted_global, OBJ, 2);
	fill_pattern(stack_buf, OBJ, 3);
	fill_pattern(big, BIG, 4);
	before = checksum(&t, big);
	/* A first domain and call set up what stays for good: mpk's trusted and secret keys,
	 * this thread's alternate signal stack. */
	d = open_domain(p->name, 0, 0);
	good_call(d, 0, "the first domain");
	iso_domain_destroy(d);
	if (mpk)
		keys = free_pkeys();
	maps0 = count_maps(), fds0 = count_fds();

	d = open_domain(p->name, 0, 0);
	cr_assert(runs_here(d));
	for (int i = 0; i < 10; i++)
		violate(d, &t, i);
	good_call(d, 1, "after the warm-up");
	maps = count_maps(), fds = count_fds();
	rss = status_kib("VmRSS"), vsz = status_kib("VmSize");
	cr_assert(rss > 0 && vsz > 0, "no VmRSS or VmSize in /proc/self/status");

	for (int i = 0; i < 1000; i++)
		violate(d, &t, i);
	good_call(d, 2, "after 1000 violations");
	/* cr_expect: every kind of leak is reported, not only the first. */
	n_maps = count_maps(), n_fds = count_fds();
	n_rss = status_kib("VmRSS"), n_vsz = status_kib("VmSize");
	cr_expect_eq(n_maps, maps, "mappings: %d before, %d after 1000 violations", maps, n_maps);
	cr_expect_eq(n_fds, fds, "descriptors: %d before, %d after 1000 violations", fds, n_fds);
	cr_expect_leq(n_rss - rss, 4096, "resident memory grew from %ld to %ld KiB", rss, n_rss);
	/* Address space too: kept mappings may merge into one line and hide from the count. */
	cr_expect_leq(n_vsz - vsz, 16384, "address space grew from %ld to %ld KiB over 1000 "
		      "violations", vsz, n_vsz);
	assert_unchanged("1000 violations", &t, big, &before);
	iso_domain_destroy(d);
	n_maps = count_maps(), n_fds = count_fds();
	cr_expect_eq(n_maps, maps0, "mappings: %d before create, %d after destroy", maps0, n_maps);
	cr_expect_eq(n_fds, fds0, "descriptors: %d before create, %d after destroy", fds0, n_fds);
	if (mpk) {
		int n_keys = free_pkeys();

		cr_expect_eq(n_keys, keys, "protection keys: %d free before create, %d after destroy",
			     keys, n_keys);
	}
	munmap(t.secret, PAGE);
	free(t.heap);
	free(big);
}
