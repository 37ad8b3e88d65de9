/* backends/robust.c: what ordinary programs meet in domains: faults told in detail, watchdog timeouts inside malloc, threads beside in-process calls. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

static struct backend_param params[2], process_params_[2];

static size_t inproc_params(void)
{
	return backend_params_named(params, 2, (const char *const[]){ "mpk", "mprotect", NULL });
}

static size_t process_params(void)
{
	return backend_params_named(process_params_, 2,
				    (const char *const[]){ "process", "process-handoff", NULL });
}

static long ok_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 42;
}

/* ---- item 11: fault detail ------------------------------------------------------- */

static volatile int trusted_global[64];

/* Write 1 at the address the input holds. */
static long write_at_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	volatile int *p;

	(void)in_len, (void)out, (void)out_cap, (void)out_len;
	memcpy(&p, in, sizeof(p));
	*p = 1;
	return 0;
}

static long deep(volatile char *prev, long n)
{
	volatile char buf[512];

	buf[0] = (char)n;
	buf[511] = prev ? prev[0] : 0;
	return n > 0 ? deep(buf, n - 1) + buf[511] : buf[0];
}

static long overflow_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return deep(NULL, 1L << 20);
}

static long abort_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	abort();
}

/* The call fails with err, and iso_reason() holds every one of the words. */
static void expect_reason(struct iso_domain *d, iso_fn *fn, const void *at, int want,
			  const char *const *words)
{
	int err = iso_call(d, fn, &at, sizeof(at), NULL, 0, NULL, NULL);

	cr_assert_eq(err, want, "got %s (%s), want %s", iso_strerror(err), iso_reason(),
		     iso_strerror(want));
	for (; *words; words++)
		cr_expect(strstr(iso_reason(), *words), "'%s' not in the reason: %s", *words,
			  iso_reason());
}

ParameterizedTestParameters(robust, fault_detail_inproc)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

/* Signal, address and what it is, program counter: one case per kind of address. */
ParameterizedTest(struct backend_param *p, robust, fault_detail_inproc, .timeout = 60)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL), *other = open_domain_opt(p->name, NULL);
	int *heap = malloc(sizeof(*heap));
	void *other_heap = iso_alloc(other, 64);
	char global_at[32], heap_at[32];

	cr_assert(heap && other_heap);
	snprintf(global_at, sizeof(global_at), "writing %p", (void *)&trusted_global[3]);
	snprintf(heap_at, sizeof(heap_at), "writing %p", (void *)heap);
	expect_reason(d, write_at_fn, (const void *)&trusted_global[3], ISO_EFAULT,
		      (const char *[]){ "SIGSEGV", global_at, "(program data)", ", pc 0x",
					" (in ", NULL });
	expect_reason(d, write_at_fn, heap, ISO_EFAULT,
		      (const char *[]){ "SIGSEGV", heap_at, "(trusted heap)", NULL });
	expect_reason(d, write_at_fn, other_heap, ISO_EFAULT,
		      (const char *[]){ "SIGSEGV", "(another domain's heap", NULL });
	expect_reason(d, write_at_fn, (void *)16, ISO_EFAULT,
		      (const char *[]){ "SIGSEGV (address not mapped) writing 0x10 (unmapped",
					NULL });
	expect_reason(d, overflow_fn, NULL, ISO_EFAULT,
		      (const char *[]){ "SIGSEGV", "the domain's stack guard page", NULL });
	expect_reason(d, abort_fn, NULL, ISO_ECRASH,
		      (const char *[]){ "SIGABRT", ", pc 0x", NULL });
	/* And the domain is fine afterwards. */
	cr_assert_eq(iso_call(d, ok_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK, "%s", iso_reason());
	free(heap);
	iso_domain_destroy(other);
	iso_domain_destroy(d);
}

ParameterizedTestParameters(robust, fault_detail_process)
{
	return cr_make_param_array(struct backend_param, process_params_, process_params());
}

/* The child tells its signal, address and pc through the channel before it dies. */
ParameterizedTest(struct backend_param *p, robust, fault_detail_process, .timeout = 60)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);

	expect_reason(d, write_at_fn, (void *)16, ISO_ECRASH,
		      (const char *[]){ "SIGSEGV (address not mapped) writing 0x10", ", pc 0x",
					" (in ", NULL });
	expect_reason(d, abort_fn, NULL, ISO_ECRASH, (const char *[]){ "SIGABRT", NULL });
	cr_assert_eq(iso_call(d, ok_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_OK, "%s", iso_reason());
	/* A child killed by the watchdog reports no fault: the reason must not be stale. */
	iso_domain_destroy(d);
}

/* ---- item 6: watchdog timeouts inside the allocator ------------------------------ */

/* Nearly all of its time inside jemalloc: zeroing 64 KiB per calloc. */
static long calloc_loop_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			   size_t *out_len)
{
	static volatile int go = 1;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	while (go) {
		char *p = calloc(1, 64 << 10);

		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
	return 0;
}

/* ok_fn in d.  Its watchdog is 1 ms, which an emulated CPU under load (QEMU) can
 * overrun on a call that sets the domain up again: a few tries, timeouts only. */
static int call_ok(struct iso_domain *d, long *ret)
{
	int err = ISO_ETIMEDOUT;

	for (int i = 0; i < 10 && err == ISO_ETIMEDOUT; i++)
		err = iso_call(d, ok_fn, NULL, 0, NULL, 0, NULL, ret);
	return err;
}

/* 5000, the count; ISO_TEST_TIMEOUTS lowers it where each timeout is slow
 * (mpk-vm.sh under QEMU, where 5000 take minutes). */
static int timeouts_wanted(void)
{
	const char *s = getenv("ISO_TEST_TIMEOUTS");
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : 5000;
}

ParameterizedTestParameters(robust, timeouts_inside_malloc_leak_nothing)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

ParameterizedTest(struct backend_param *p, robust, timeouts_inside_malloc_leak_nothing,
		  .timeout = 180)
{
	struct iso_options opt = { .timeout_ms = 1, .arena_size = 8 << 20 };
	struct iso_domain *d = open_domain_opt(p->name, &opt);
	long rss0, rss, rss_created, ret = 0;
	int err, timeouts = timeouts_wanted();

	for (int i = 0; i < 50; i++) /* warm-up: what stays for good */
		cr_assert_eq(iso_call(d, calloc_loop_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_ETIMEDOUT,
			     "%s", iso_reason());
	iso_domain_destroy(d);
	rss0 = status_kib("VmRSS");
	d = open_domain_opt(p->name, &opt);
	rss_created = status_kib("VmRSS");
	for (int i = 0; i < timeouts; i++) {
		err = iso_call(d, calloc_loop_fn, NULL, 0, NULL, 0, NULL, NULL);
		cr_assert_eq(err, ISO_ETIMEDOUT, "timeout %d: %s (%s)", i, iso_strerror(err),
			     iso_reason());
	}
	rss = status_kib("VmRSS");
	cr_expect_lt((rss - rss_created) * 1024 / timeouts, 4096,
		     "resident memory grew from %ld to %ld KiB over %d timeouts", rss_created, rss,
		     timeouts);
	err = call_ok(d, &ret);
	cr_assert(err == ISO_OK && ret == 42, "after the timeouts: %s (%s)", iso_strerror(err),
		  iso_reason());
	iso_domain_destroy(d);
	rss = status_kib("VmRSS");
	cr_expect_leq(rss - rss0, 2048, "resident memory %ld KiB before create, %ld after destroy",
		      rss0, rss);
	d = open_domain_opt(p->name, &opt); /* new domains can still be made */
	err = call_ok(d, &ret);
	cr_assert(err == ISO_OK && ret == 42, "a new domain: %s (%s)", iso_strerror(err),
		  iso_reason());
	iso_domain_destroy(d);
}

/* ---- the thread's own cache, collected while a domain allocates --------------- */

/*
 * jemalloc collects a thread's cache every 64 KiB the thread allocates, whatever the
 * arena: a domain's malloc can flush the trusted objects the thread cached back to
 * the trusted heap, which may then purge its emptied pages (madvise on memory that is
 * not the domain's).  Here the trusted heap's decay is 1 ms, and 6 MiB of it is left
 * dirty before each call.  Seen in `make bench` as "SIGSYS at __madvise" inside a
 * domain's malloc, after which every allocation on that thread went to jemalloc's
 * arena 0 (a rewind inside a hook left jemalloc's reentrancy count raised).
 */
static void set_decay(unsigned arena, ssize_t ms)
{
	char name[64];

	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", arena);
	cr_assert_eq(mallctl(name, NULL, NULL, &ms, sizeof(ms)), 0, "%s", name);
	snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", arena);
	cr_assert_eq(mallctl(name, NULL, NULL, &ms, sizeof(ms)), 0, "%s", name);
}

/* Fill this thread's cache with trusted objects of every small and cached large size
 * (their slabs then hold nothing else), and free them. */
static void fill_thread_cache(void)
{
	enum { PER = 64 };
	static void *p[PER];

	for (size_t size = 8; size <= 32768; size += size / 4 > 8 ? size / 4 : 8) {
		for (int i = 0; i < PER; i++)
			cr_assert_not_null(p[i] = malloc(size));
		for (int i = 0; i < PER; i++)
			free(p[i]);
	}
}

/* 32 MiB allocated and freed: hundreds of the thread's cache collections. */
static long churn_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		     size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (int i = 0; i < 8192; i++) {
		char *p = malloc(4096);

		if (!p)
			return -1;
		p[0] = (char)i;
		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
	return 7;
}

ParameterizedTestParameters(robust, the_threads_cache_collected_inside_a_domain)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

/* How many times jemalloc purged the arena's dirty pages so far. */
static uint64_t purges(unsigned arena)
{
	uint64_t epoch = 1, n = 0;
	size_t len = sizeof(epoch);
	char name[64];

	cr_assert_eq(mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch)), 0);
	snprintf(name, sizeof(name), "stats.arenas.%u.dirty_npurge", arena);
	len = sizeof(n);
	cr_assert_eq(mallctl(name, &n, &len, NULL, 0), 0, "%s", name);
	return n;
}

ParameterizedTest(struct backend_param *p, robust, the_threads_cache_collected_inside_a_domain,
		  .timeout = 120)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	void *probe = malloc(64);
	int trusted = arena_of(probe), seen = 0, round;

	cr_assert_geq(trusted, 0, "arenas.lookup failed");
	free(probe);
	set_decay((unsigned)trusted, 1);
	/* Until the trusted heap purged inside a call 5 times: the collection's timing is
	 * jemalloc's (a tick counter with a random period, then the decay's clock). */
	for (round = 0; round < 5000 && seen < 5; round++) {
		long ret = -1;
		uint64_t before;
		int err;

		fill_thread_cache();
		/* 6 MiB of whole huge pages the trusted heap purges a millisecond on (8 MiB and
		 * more it would purge at once, as jemalloc does its oversized extents). */
		probe = malloc(6 << 20);
		cr_assert_not_null(probe);
		memset(probe, 1, 6 << 20);
		free(probe);
		usleep(2000);
		before = purges((unsigned)trusted);
		err = iso_call(d, churn_fn, NULL, 0, NULL, 0, NULL, &ret);
		seen += purges((unsigned)trusted) != before;
		cr_assert(err == ISO_OK && ret == 7, "round %d: %s (%s), ret %ld", round,
			  iso_strerror(err), iso_reason(), ret);
		probe = malloc(64);
		cr_assert_eq(arena_of(probe), trusted,
			     "round %d: the program's malloc left the trusted heap", round);
		free(probe);
	}
	cr_expect_eq(seen, 5, "the trusted heap purged inside only %d calls of %d", seen, round);
	set_decay((unsigned)trusted, 10000);
	iso_domain_destroy(d);
}

/* ---- item 5: threads beside in-process calls ------------------------------------- */

static volatile long counter_global;
static atomic_bool stop;

/* A trusted thread that never enters a domain: it writes the program's data and the
 * trusted heap all the time. */
static void *trusted_writer(void *arg)
{
	long n = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		long *p = malloc(256);

		cr_assert_not_null(p);
		p[0] = n;
		counter_global = p[0] + 1;
		free(p);
		n++;
	}
	return (void *)n;
}

/* Long enough (about 100 us) for the writer to run into it. */
static long busy_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile unsigned long x = 0;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (unsigned i = 0; i < 200000; i++)
		x += i;
	return (long)(x & 0xff);
}

ParameterizedTestParameters(robust, trusted_thread_beside_calls)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

ParameterizedTest(struct backend_param *p, robust, trusted_thread_beside_calls, .timeout = 120)
{
	struct iso_domain *d = open_domain_opt(p->name, NULL);
	pthread_t t;
	void *done;
	long want = busy_fn(NULL, 0, NULL, 0, NULL);

	cr_assert_eq(pthread_create(&t, NULL, trusted_writer, NULL), 0);
	for (int i = 0; i < 300; i++) {
		long ret = -1;
		int err = iso_call(d, busy_fn, NULL, 0, NULL, 0, NULL, &ret);

		cr_assert(err == ISO_OK && ret == want, "call %d: %s (%s), ret %ld", i,
			  iso_strerror(err), iso_reason(), ret);
	}
	atomic_store(&stop, true);
	cr_assert_eq(pthread_join(t, &done), 0);
	cr_assert_gt((long)done, 0, "the trusted thread never ran");
	cr_assert_eq(counter_global, (long)done, "the trusted thread's writes were lost");
	iso_domain_destroy(d);
}

struct per_thread {
	const char *backend;
	int ok, faults;
	char why[200];
};

/* Each thread its own domain; calls, and violations, concurrently on every thread. */
static void *domain_thread(void *arg)
{
	struct per_thread *pt = arg;
	struct iso_domain *d;
	const void *at = (const void *)&trusted_global[5];
	long want = busy_fn(NULL, 0, NULL, 0, NULL);

	if (iso_domain_create(pt->backend, NULL, &d) != ISO_OK) {
		snprintf(pt->why, sizeof(pt->why), "create: %s", iso_reason());
		return NULL;
	}
	for (int i = 0; i < 200; i++) {
		long ret = -1;
		bool fault = i % 10 == 9;
		int err = fault ? iso_call(d, write_at_fn, &at, sizeof(at), NULL, 0, NULL, NULL)
				: iso_call(d, busy_fn, NULL, 0, NULL, 0, NULL, &ret);

		if (fault ? err == ISO_EFAULT : err == ISO_OK && ret == want) {
			pt->ok += !fault;
			pt->faults += fault;
		} else if (!pt->why[0]) {
			snprintf(pt->why, sizeof(pt->why), "call %d: %s (%s)", i, iso_strerror(err),
				 iso_reason());
		}
	}
	iso_domain_destroy(d);
	return NULL;
}

ParameterizedTestParameters(robust, one_domain_per_thread)
{
	return cr_make_param_array(struct backend_param, params, inproc_params());
}

ParameterizedTest(struct backend_param *p, robust, one_domain_per_thread, .timeout = 120)
{
	enum { N = 3 };
	struct per_thread pt[N];
	pthread_t t[N];

	SKIP_UNSUPPORTED(p->name);
	for (int i = 0; i < N; i++) {
		pt[i] = (struct per_thread){ .backend = p->name };
		cr_assert_eq(pthread_create(&t[i], NULL, domain_thread, &pt[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		cr_assert_eq(pthread_join(t[i], NULL), 0);
		cr_expect_eq(pt[i].why[0], '\0', "thread %d: %s", i, pt[i].why);
		cr_expect_eq(pt[i].ok, 180, "thread %d: %d good calls of 180", i, pt[i].ok);
		cr_expect_eq(pt[i].faults, 20, "thread %d: %d violations caught of 20", i,
			     pt[i].faults);
	}
	for (int i = 0; i < 64; i++)
		cr_assert_eq(trusted_global[i], 0, "trusted_global[%d] written", i);
}

/* ---- item 11: lazy binding ------------------------------------------------------- */

/* A program linked without -z now: in-process domains refuse at create and say why;
 * with LD_BIND_NOW=1 they work.  Built here with the compiler, where there is one
 * (not in the VM). */
Test(robust, lazy_binding_is_refused_clearly, .timeout = 120)
{
	static const char prog[] =
		"#include <stdio.h>\n#include \"iso.h\"\n"
		"int main(int c, char **v) { struct iso_domain *d; (void)c;\n"
		"  int e = iso_domain_create(v[1], NULL, &d);\n"
		"  printf(\"%d %s\\n\", e, e ? iso_reason() : \"\"); return 0; }\n";
	char dir[] = "/tmp/iso-lazy-XXXXXX", cmd[1024], out[512];
	FILE *f;

	if (access("build/libiso.a", R_OK) || system("cc --version >/dev/null 2>&1"))
		cr_skip_test("no compiler or build/libiso.a here");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/lazy.c", dir);
	f = fopen(cmd, "w");
	cr_assert_not_null(f);
	fputs(prog, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -Iinclude -o %s/lazy %s/lazy.c build/libiso.a -ljemalloc "
		 "-pthread -Wl,-z,lazy", dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	for (int i = 0; i < 2; i++) {
		const char *name = params[0].name;

		if (!inproc_params())
			cr_skip_test("no in-process backend asked for");
		name = iso_backend_probe("mprotect") == ISO_OK ? "mprotect" : params[0].name;
		snprintf(cmd, sizeof(cmd), "%s %s/lazy %s", i ? "LD_BIND_NOW=1" : "", dir, name);
		f = popen(cmd, "r");
		cr_assert_not_null(f);
		cr_assert_not_null(fgets(out, sizeof(out), f), "%s printed nothing", cmd);
		pclose(f);
		if (i == 0)
			cr_expect(strncmp(out, "-7 the program is bound lazily", 30) == 0,
				  "%s: %s", cmd, out);
		else
			cr_expect_str_eq(out, "0 \n", "%s", cmd);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}
