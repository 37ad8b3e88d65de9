/*
 * inproc.c: in-process domains (mpk, mprotect): their memory, the call path, faults and rewind.
 *
 * Divisions, in this order:
 *   faults and rewind  what the signal handler hands here (take), a violation in malloc
 *   threads            a thread's first call: its alternate signal stack, its stack
 *   domain memory      the layout, mapping it afresh, discarding it after a failure
 *   domains            create (reserve, set up, lay out, start the watchdog), destroy
 *   calls              iso_call, iso_domain_bare, iso_alloc and iso_free
 * What differs between mpk and mprotect is struct inproc_ops (inproc.h); signals.c
 * takes the signals over, addrspace.c finds the trusted regions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addrspace.h"
#include "domain_stdio.h"
#include "exclusive.h"
#include "inproc.h"
#include "libc_state.h"
#include "reason.h"
#include "route.h"
#include "signals.h"
#include "sud.h"

#define PAGE 4096u
#define STACK_SIZE ((size_t)1 << 20)
#define ALTSTACK_SIZE ((size_t)64 << 10)

_Thread_local struct inproc_thread inproc_thread;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct inproc *domains; /* every live in-process domain, under lock */

/* ---- faults and rewind -------------------------------------------------------- */

/* Ticks of the watchdog (each half a timeout) a call's rewind may be put off while it
 * is inside the allocator: 4, or as many as make a second (an emulated CPU takes
 * milliseconds for one calloc, and a rewind in there abandons the arena). */
#define WATCHDOG_DEFERRALS 4
#define WATCHDOG_DEFER_MS 1000

static unsigned deferrals(const struct inproc *d)
{
	unsigned ticks = d->opt.timeout_ms ? 2 * WATCHDOG_DEFER_MS / d->opt.timeout_ms : 0;

	return ticks > WATCHDOG_DEFERRALS ? ticks : WATCHDOG_DEFERRALS;
}

/* Is the watchdog tick for the domain this thread is in, seen running at two ticks? */
static bool watchdog_expired(struct inproc_thread *t, const siginfo_t *si)
{
	if (si->si_code != SI_TIMER || si->si_value.sival_ptr != t->cur)
		return false;
	if (t->wd_gen == t->gen)
		return true;
	t->wd_gen = t->gen;
	return false;
}

/*
 * A fault inside a domain, or its watchdog at two ticks: rewind the call.  A tick
 * at any other time is ignored; a fault outside every domain is the program's.
 */
static bool take(int sig, siginfo_t *si, void *uc)
{
	struct inproc_thread *t = &inproc_thread;
	int err;

	if (sig == SIGNALS_WATCHDOG && t->cur && t->pending && si->si_code == SI_TKILL &&
	    si->si_pid == getpid()) {
		err = t->pending; /* violation(): the domain picks at most its own error */
		t->pending = 0;
	} else if (sig == SIGNALS_WATCHDOG) {
		if (!t->cur || !watchdog_expired(t, si))
			return true;
		/* Inside jemalloc its locks may be held: rewind as malloc returns (route.h).
		 * Not for ever: the domain can write malloc_depth itself (its thread's TLS),
		 * and no allocation takes deferrals() ticks; past them the call is rewound
		 * where it is, as a fault inside jemalloc is (its arena abandoned). */
		if (route_thread.malloc_depth > 0 && t->deferred++ < deferrals(t->cur)) {
			route_thread.pending = ISO_ETIMEDOUT;
			return true;
		}
		t->fault.sig = 0;
		err = ISO_ETIMEDOUT;
	} else if (!t->cur) {
		/* mprotect: memory another thread's call protected; retry once it ends. */
		return sig == SIGSEGV && si->si_code == SEGV_ACCERR && exclusive_wait();
	} else {
		fault_record(&t->fault, sig, si, uc);
		/* SIGSYS: a system call the filter refuses (sud.c) */
		err = sig == SIGSEGV || sig == SIGBUS || sig == SIGSYS ? ISO_EFAULT : ISO_ECRASH;
		/* One jemalloc made for the domain: the call fails (EPERM) and the domain is
		 * rewound as the allocator returns, as for the watchdog, not inside it (a
		 * rewind there abandons the arena, and inside an allocator hook it leaves
		 * the thread's allocator state half-changed for good). */
		if (sig == SIGSYS && si->si_code == SYS_USER_DISPATCH &&
		    route_thread.malloc_depth > 0) {
			route_thread.pending = err;
			t->keep_fault = true;
			return true;
		}
	}
	t->mask = ((ucontext_t *)uc)->uc_sigmask;
	t->recover();
	siglongjmp(*t->rewind, err);
}

/* Abandon the current domain call with err: a violation found outside a signal
 * (route.h: the domain misused the allocator), with the domain's rights in force.
 * Through a signal to this thread, whose handler gets trusted rights as every
 * handler does: gate_pkru_trusted refuses a caller with a domain's rights. */
static _Noreturn void violation(int err)
{
	struct inproc_thread *t = &inproc_thread;

	if (!t->keep_fault)
		t->fault.sig = 0;
	t->keep_fault = false;
	t->pending = err;
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGNALS_WATCHDOG);
	t->pending = 0; /* blocked by the domain (an unhardened one): the direct way */
	t->recover();
	pthread_sigmask(SIG_SETMASK, NULL, &t->mask);
	siglongjmp(*t->rewind, err);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_err;

static void global_init(void)
{
	addrspace_find_program();
	once_err = signals_install(take);
	route_on_violation(violation);
}

/* ---- threads ------------------------------------------------------------------ */

static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *arg)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	(void)arg;
	sigaltstack(&ss, NULL);
	if (inproc_thread.saved)
		munmap(inproc_thread.saved, PAGE + ALTSTACK_SIZE);
}

static void make_key(void)
{
	pthread_key_create(&thread_key, thread_exit);
}

static int thread_init(const struct inproc *d)
{
	struct inproc_thread *t = &inproc_thread;
	stack_t ss;
	char *mem;

	pthread_once(&key_once, make_key);
	/* One mapping: the page of saved regions, then the alternate signal stack. */
	mem = mmap(NULL, PAGE + ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return reason_sys("mmap");
	ss = (stack_t){ .ss_sp = mem + PAGE, .ss_size = ALTSTACK_SIZE };
	if (sigaltstack(&ss, NULL)) {
		munmap(mem, PAGE + ALTSTACK_SIZE);
		return reason_sys("sigaltstack");
	}
	t->saved = (struct region *)mem;
	addrspace_stack(&t->stack);
	if (d->ops->thread) {
		int err = d->ops->thread(&t->stack);

		if (err)
			return err;
	}
	pthread_setspecific(thread_key, t);
	t->ready = true;
	return ISO_OK;
}

/* ---- domain memory ------------------------------------------------------------ */

/*
 * guard | stack | guard | in | out | call page | heap | guard: an overflow off either
 * end of the stack or off the heap's end faults instead of running on.  The whole
 * range is reserved here, inaccessible; map_memory gives the parts their rights.
 */
static int reserve(struct inproc *d, size_t arena)
{
	d->xfer_cap = (arena / 4) & ~(size_t)(PAGE - 1);
	d->heap_size = (arena / 2) & ~(size_t)(PAGE - 1);
	d->mem_size = PAGE + STACK_SIZE + PAGE + 2 * d->xfer_cap + PAGE + d->heap_size + PAGE;
	d->mem = mmap(NULL, d->mem_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (d->mem == MAP_FAILED)
		return reason_sys("mmap");
	d->stack_lo = d->mem + PAGE;
	d->stack_top = d->stack_lo + STACK_SIZE;
	d->in_buf = d->stack_top + PAGE;
	d->out_buf = d->in_buf + d->xfer_cap;
	d->call = d->out_buf + d->xfer_cap;
	d->heap_lo = d->call + PAGE;
	return ISO_OK;
}

/* The domain's buffers, call page and heap: everything from in_buf to the last guard. */
static size_t data_len(const struct inproc *d)
{
	return (size_t)(d->heap_lo + d->heap_size - d->in_buf);
}

size_t inproc_others(const struct inproc *self, struct region *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (const struct inproc *d = domains; d && n + 2 <= max; d = d->next) {
		if (d == self)
			continue;
		out[n++] = region_rw(d->stack_lo, STACK_SIZE);
		out[n++] = region_rw(d->in_buf, data_len(d));
		n += adopt_regions(&d->adopt, out + n, max - n);
	}
	pthread_mutex_unlock(&lock);
	return n;
}

/* Map the domain's memory afresh (zeroed) and give each part its rights. */
static int map_memory(struct inproc *d)
{
	char *lo = d->stack_lo - PAGE;
	int err;

	if (mmap(lo, d->mem_size - (size_t)(lo - d->mem), PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		return reason_sys("mmap");
	err = d->ops->map(d, d->stack_lo, STACK_SIZE, PROT_READ | PROT_WRITE);
	if (!err)
		err = d->ops->map(d, d->in_buf, data_len(d), PROT_READ | PROT_WRITE);
	return err;
}

static char *_Atomic *heap_cursor(struct inproc *d)
{
	return &((struct call_page *)d->call)->heap_next;
}

static int layout(struct inproc *d)
{
	int err = map_memory(d);

	if (!err)
		err = heap_init(d->heap, d->heap_lo, d->heap_size, heap_cursor(d), false, false);
	if (!err)
		heap_limit(d->heap, d->opt.mem_limit);
	return err;
}

/* After a failure: the heap and stack are discarded and made anew. */
static int discard(struct inproc *d, bool in_malloc)
{
	char *cursor = atomic_load(heap_cursor(d));
	int err;

	/* jemalloc may hold the arena's locks if the fault came from inside it:
	 * resetting the arena would deadlock, so abandon it (its metadata leaks) and
	 * start a new one.  Otherwise reset it: destroying and re-creating an arena
	 * would leave its metadata mapped every time. */
	if (in_malloc) {
		d->heap->ready = false;
		return layout(d);
	}
	err = heap_reset(d->heap);
	if (!err)
		err = map_memory(d);
	/* The arena keeps the extents it had (now zero pages again): the cursor goes on
	 * from where it was.  The domain may have scribbled it; the hooks check it. */
	if (!err)
		atomic_store(heap_cursor(d), cursor);
	return err;
}

/* ---- domains ------------------------------------------------------------------ */

/*
 * The watchdog: a timer that signals the creating thread every half timeout; take()
 * rewinds a call seen running at two ticks, which ran half to one timeout.
 */
static int watchdog_start(struct inproc *d, unsigned timeout_ms)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGNALS_WATCHDOG,
				.sigev_value.sival_ptr = d };
	long half_ns = timeout_ms * 500000L;
	struct itimerspec its = {
		.it_interval = { half_ns / 1000000000L, half_ns % 1000000000L },
		.it_value = { half_ns / 1000000000L, half_ns % 1000000000L },
	};

	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &d->timer))
		return reason_sys("timer_create");
	d->has_timer = true;
	if (timer_settime(d->timer, 0, &its, NULL))
		return reason_sys("timer_settime");
	return ISO_OK;
}

/* An adopted library's data: the domain's, as its heap is. */
static int tag_adopted(void *ctx, char *lo, size_t len)
{
	struct inproc *d = ctx;

	return d->ops->map(d, lo, len, PROT_READ | PROT_WRITE);
}

/* Confidential: the heap's struct on a page of its own, out of the trusted heap (the
 * domain's malloc reads it); the backend keeps the domain from writing it (mpk: a
 * read-only key; mprotect: read-only while a call runs).  A domain that could write
 * it would hand the trusted side hooks to call. */
static int confide_heap(struct inproc *d)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return reason_sys("mmap");
	d->heap = p;
	return ISO_OK;
}

int inproc_create(const struct inproc_ops *ops, const struct iso_options *opt,
		  struct iso_domain **out)
{
	size_t arena = opt->arena_size ? opt->arena_size : ISO_ARENA_DEFAULT;
	struct inproc *d;
	int err;

	pthread_once(&once, global_init);
	if (once_err)
		return once_err;
	if (addrspace_lazy())
		return reason_set(ISO_ENOTSUP, "the program is bound lazily (linked without "
				  "-Wl,-z,now): a domain's first call of a library function "
				  "would write its GOT, which is trusted memory; link with "
				  "-Wl,-z,now or run with LD_BIND_NOW=1");
	if (arena < 64 * PAGE)
		return reason_set(ISO_EINVAL, "arena of %zu bytes is too small", arena);
	d = calloc(1, sizeof(*d));
	if (!d)
		return ISO_ENOMEM;
	d->ops = ops;
	d->opt = *opt;
	d->pkey = -1;
	d->heap = &d->heap_own;
	err = reserve(d, arena);
	if (!err && opt->confidential)
		err = confide_heap(d);
	if (err) {
		if (d->mem != MAP_FAILED)
			munmap(d->mem, d->mem_size);
		free(d);
		return err;
	}
	err = ops->setup ? ops->setup(d) : ISO_OK;
	if (!err)
		err = layout(d);
	if (!err)
		err = adopt_take(&d->adopt, opt->adopt, tag_adopted, d);
	if (!err && opt->timeout_ms)
		err = watchdog_start(d, opt->timeout_ms);
	if (err) {
		inproc_destroy(&d->base);
		return err;
	}
	pthread_mutex_lock(&lock);
	d->next = domains;
	domains = d;
	pthread_mutex_unlock(&lock);
	*out = &d->base;
	return ISO_OK;
}

void inproc_destroy(struct iso_domain *dom)
{
	struct inproc *d = (struct inproc *)dom;

	pthread_mutex_lock(&lock);
	for (struct inproc **p = &domains; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			break;
		}
	pthread_mutex_unlock(&lock);
	if (d->has_timer)
		timer_delete(d->timer);
	adopt_release(&d->adopt, d->pkey);
	libc_state_forget(d->heap);
	heap_fini(d->heap);
	if (d->ops->teardown)
		d->ops->teardown(d);
	munmap(d->mem, d->mem_size);
	if (d->heap != &d->heap_own)
		munmap(d->heap, PAGE);
	free(d);
}

/* ---- calls -------------------------------------------------------------------- */

/* The gate, with this thread inside d: its malloc goes to d's heap, a fault rewinds to jb. */
static long run_inside(struct inproc *d, struct inproc_thread *t, struct gate *g,
		       sigjmp_buf *jb)
{
	long r;

	t->rewind = jb;
	t->recover = d->ops->recover;
	t->leave = d->ops->leave;
	t->gen++;
	t->deferred = 0;
	route_thread.heap = d->heap;
	atomic_signal_fence(memory_order_seq_cst);
	t->cur = d;
	atomic_signal_fence(memory_order_seq_cst);
	r = d->ops->enter(d, g);
	atomic_signal_fence(memory_order_seq_cst);
	t->cur = NULL;
	route_thread.heap = NULL;
	return r;
}

/* iso_reason after a rewind: the signal, the address and what it is, the pc. */
static int rewind_reason(const struct inproc *d, const struct inproc_thread *t, int err)
{
	struct region others[32];
	size_t n = inproc_others(d, others, 32);
	char buf[128];
	const char *where = t->fault.has_addr ? inproc_fault_where(d, t, others, n,
		(uintptr_t)t->fault.addr, buf, sizeof(buf)) : NULL;

	if (t->fault.sig)
		return fault_reason(err, &t->fault, "the domain was rewound", where);
	if (err == ISO_ETIMEDOUT)
		return reason_set(err, "the domain was rewound: it ran past its %u ms watchdog",
				  d->opt.timeout_ms);
	if (err == ISO_EFAULT)
		return reason_set(err, "the domain was rewound: it handed the allocator memory "
				       "that is not its own (free or realloc)");
	return reason_set(err, "the domain was rewound: %s", err == ISO_ENOMEM
			  ? "a throwing operator new ran out of domain memory" : "abandoned");
}

/* After a rewind with err: out of the domain, the signal mask as it was before the
 * fault, the domain's memory made anew. */
static int rewound(struct inproc *d, struct inproc_thread *t, int err)
{
	bool in_malloc = route_thread.malloc_depth > 0;
	int again;

	t->cur = NULL;
	route_thread.heap = NULL;
	route_thread.malloc_depth = 0;
	route_thread.pending = 0;
	t->keep_fault = false;
	pthread_sigmask(SIG_SETMASK, &t->mask, NULL);
	again = discard(d, in_malloc);
	/* Adopted libraries as they were before the init hook, which runs again. */
	adopt_restore(&d->adopt);
	libc_state_forget(d->heap);
	d->base.reinit = d->base.init != NULL;
	if (exclusive_held()) /* mprotect: held across the discard (mprotect.c) */
		exclusive_end();
	return again ? again : rewind_reason(d, t, err);
}

/* mprotect could not protect the trusted regions: the domain did not run. */
static int enter_failed(struct inproc_thread *t)
{
	errno = t->enter_err;
	t->enter_err = 0;
	return reason_sys("protecting the trusted regions");
}

int inproc_call(struct iso_domain *dom, iso_fn *fn, const void *in, size_t in_len,
		void *out, size_t out_cap, size_t *out_len, long *ret)
{
	struct inproc *d = (struct inproc *)dom;
	struct inproc_thread *t = &inproc_thread;
	struct call_page *cp = (struct call_page *)d->call;
	bool in_shared = in_len && heap_owns(d->heap, in, in_len);
	bool out_shared = out_cap && heap_owns(d->heap, out, out_cap);
	struct gate g = { .fn = fn, .in_len = in_len, .out_cap = out_cap,
			  .out_len = &cp->out_len, .stack = d->stack_top, .pkru = d->pkru };
	sigjmp_buf jb;
	size_t n;
	long r;
	int err;

	if (t->cur)
		return reason_set(ISO_EINVAL, "iso_call from inside a domain");
	if ((!in_shared && in_len > d->xfer_cap) || (!out_shared && out_cap > d->xfer_cap))
		return reason_set(ISO_E2BIG, "%zu bytes exceed the %zu-byte exchange buffer",
				  in_len > out_cap ? in_len : out_cap, d->xfer_cap);
	if (!t->ready && (err = thread_init(d)))
		return err;
	if (d->opt.harden == ISO_HARDEN_ON && (err = sud_arm(take)))
		return err;
	if (in_len && !in_shared)
		memcpy(d->in_buf, in, in_len);
	g.in = in_shared ? in : d->in_buf;
	g.out = out_shared ? out : d->out_buf;
	cp->out_len = 0;
	domain_stdio_flush();
	if (d->opt.confidential)
		heap_thread_flush();

	err = sigsetjmp(jb, 0);
	if (err)
		return rewound(d, t, err);
	r = run_inside(d, t, &g, &jb);
	/* A rewind deferred inside the allocator that the domain returned without
	 * leaving (it set malloc_depth itself): taken now, not in its next call.  The
	 * call returned, so no allocator frame is live: the arena is reset as usual. */
	if (__builtin_expect(route_thread.pending != 0, 0)) {
		route_thread.malloc_depth = 0;
		pthread_sigmask(SIG_SETMASK, NULL, &t->mask);
		return rewound(d, t, route_thread.pending);
	}
	if (d->opt.confidential)
		heap_thread_mark();
	if (t->enter_err)
		return enter_failed(t);

	/* The domain can write the call page: read the length once, then judge it. */
	n = *(volatile size_t *)&cp->out_len;
	return backend_deliver(n, r, out_shared ? NULL : d->out_buf, out, out_cap, out_len, ret);
}

int inproc_bare(struct iso_domain *dom, unsigned long iters)
{
	struct inproc *d = (struct inproc *)dom;
	struct inproc_thread *t = &inproc_thread;
	struct gate g = { .stack = d->stack_top, .pkru = d->pkru };
	int err;

	if (t->cur)
		return reason_set(ISO_EINVAL, "iso_domain_bare from inside a domain");
	if (!t->ready && (err = thread_init(d)))
		return err;
	d->ops->bare(d, &g, iters);
	return t->enter_err ? enter_failed(t) : ISO_OK;
}

bool inproc_holds(const struct iso_domain *dom, const void *p, size_t n, bool any)
{
	const struct inproc *d = (const struct inproc *)dom;
	const char *c = p;

	if (!any)
		return heap_owns(d->heap, p, n);
	/* The stack, or buffers, call page and heap: never a guard page between. */
	return (c >= d->stack_lo && c <= d->stack_top && n <= (size_t)(d->stack_top - c)) ||
	       (c >= d->in_buf && c <= d->in_buf + data_len(d) &&
		n <= (size_t)(d->in_buf + data_len(d) - c));
}

struct iso_domain *inproc_current(void)
{
	return inproc_thread.cur ? &inproc_thread.cur->base : NULL;
}

long inproc_callback(void *arg)
{
	struct inproc *d = inproc_thread.cur;

	return d ? inproc_thread.leave(d, arg) : ISO_EINVAL;
}

struct iso_domain *inproc_left(uint32_t pkru)
{
	struct inproc *d;

	if (!pkru)
		return inproc_current();
	pthread_mutex_lock(&lock);
	for (d = domains; d && d->pkru != pkru; d = d->next)
		;
	pthread_mutex_unlock(&lock);
	return d ? &d->base : NULL;
}

void *inproc_alloc(struct iso_domain *dom, size_t n)
{
	return heap_alloc(((struct inproc *)dom)->heap, n);
}

void inproc_free(struct iso_domain *dom, void *p)
{
	struct inproc *d = (struct inproc *)dom;

	if (heap_owns(d->heap, p, 1))
		heap_free(d->heap, p);
}
