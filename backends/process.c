/* process.c: the domain is a forked child (process_child.c); calls travel through one MAP_SHARED arena. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch-x86.h"
#include "domain_stdio.h"
#include "init_hook.h"
#include "process.h"
#include "reason.h"
#include "secret.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct process_domain *domains; /* every live process domain, under lock */

#define PAGE 4096u
#define SLEEP_SLICE_NS 10000000L /* re-check the child's life this often while asleep */
/* Inputs this large are copied in with non-temporal stores: the child reads them
 * on its own core, and the next call's copy then need not take each line back from
 * its cache (at 1 MiB, copy 138 -> 120 us; below 64 KiB ordinary stores win).  Not
 * under handoff, where the child reads them from this core's cache. */
#define STREAM_MIN ((size_t)64 << 10)

static void collect(struct process_domain *d, bool all);

static int spawn(struct process_domain *d)
{
	struct chan *c = PROCESS_CHAN(d);
	pid_t pid;

	collect(d, false);
	process_standby_quiesce(d);
	memset(c, 0, sizeof(*c));
	d->wait.published = 0; /* as the channel's parent_on now */
	atomic_store(&c->state, DONE);
	d->seq = 0;
	d->parent = getpid(); /* the program may have forked since the domain was made */
	d->child_cpu = -1;
	d->base.reinit = d->base.init != NULL; /* a new child: its init hook runs again */
	if (process_standby_take(d, &lock, &domains) == ISO_OK)
		return ISO_OK; /* no fork on the way: a standby took over */
	d->secrets_gen = secret_gen();
	pthread_mutex_lock(&lock);
	pid = fork();
	if (pid != 0)
		pthread_mutex_unlock(&lock);
	if (pid < 0) {
		d->pid = -1;
		return reason_sys("fork");
	}
	if (pid == 0)
		process_child_main(d, domains);
	d->pid = pid;
	process_standby_own(d, pid);
	return ISO_OK;
}

/* Collect killed children that have finished dying; with `all`, wait for each. */
static void collect(struct process_domain *d, bool all)
{
	unsigned k = 0;

	for (unsigned i = 0; i < d->ndying; i++) {
		pid_t r;

		while ((r = waitpid(d->dying[i], NULL, all ? 0 : WNOHANG)) < 0 && errno == EINTR)
			;
		if (r == 0)
			d->dying[k++] = d->dying[i]; /* still tearing down its memory */
		/* else collected, or ECHILD: the program's own waitpid(-1) took it */
	}
	d->ndying = k;
}

/*
 * Kill the child (harmless if it is already dead: it may only look dead).  It is
 * collected later, at the next spawn or at destroy: tearing down its copy of the
 * address space takes a while (some 135 us here), and the caller need not wait for
 * it.  Until collected it is a zombie, so its pid cannot be reused meanwhile.
 */
static void reap(struct process_domain *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	if (d->ndying == MAX_DYING)
		collect(d, false);
	if (d->ndying == MAX_DYING) { /* all still dying: wait for the oldest */
		while (waitpid(d->dying[0], NULL, 0) < 0 && errno == EINTR)
			;
		memmove(d->dying, d->dying + 1, --d->ndying * sizeof(d->dying[0]));
	}
	d->dying[d->ndying++] = d->pid;
	d->pid = -1;
}

/* Has the child exited?  WNOWAIT: it stays a zombie, so its pid is not reused before reap(). */
static bool child_exited(struct process_domain *d)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)d->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return true; /* nothing to wait for: it is gone */
	return si.si_pid == d->pid;
}

static void sleep_until(int64_t wake_ns, int64_t deadline, struct timespec *ts)
{
	int64_t until = deadline < wake_ns ? deadline : wake_ns, left = until - process_now_ns();

	if (left < 0)
		left = 0;
	ts->tv_sec = left / 1000000000LL;
	ts->tv_nsec = left % 1000000000LL;
}

/*
 * The last DEADLINE_SPIN_NS before a watchdog's deadline are spun, not slept: a sleep
 * ends up to the timer slack (50 us) late, and then the host wakes the idle vCPU
 * (20-50 us here), all of it on the way to the rewind.  Only a call that runs that
 * close to its deadline spins.
 */
#define DEADLINE_SPIN_NS 150000LL

/* Spin until the child answers (true, *v its state) or the deadline passes (false). */
static bool spin_to_deadline(struct chan *c, uint32_t busy, int64_t deadline, uint32_t *v)
{
	for (unsigned i = 1;; i++) {
		*v = atomic_load_explicit(&c->state, memory_order_acquire);
		if (*v != busy && *v != (busy | FUTEX_WAITERS))
			return true;
		cpu_relax();
		if ((i & 63) == 0 && process_now_ns() >= deadline)
			return false;
	}
}

/*
 * The clock read just before a request is posted, where the wait needs it (a spin
 * budget or a watchdog), else 0.  Before, not after: posting can wake the child onto
 * this CPU, where it may run first for a whole scheduler slice (1.5-4.5 ms here); a
 * watchdog counted from after that fired as much late.
 */
static int64_t posting_clock(const struct process_domain *d)
{
	return d->opt.timeout_ms || process_spin_ns(&d->opt) != INT64_MAX ? process_now_ns() : 0;
}

/*
 * Wait for the child's answer to the request posted at `start` (posting_clock).
 * Returns ISO_OK, ISO_ECRASH (the child died; it has been reaped) or ISO_ETIMEDOUT
 * (the watchdog fired; the child has been killed).
 */
static int wait_reply(struct process_domain *d, int64_t start)
{
	struct chan *c = PROCESS_CHAN(d);
	const uint32_t busy = (uint32_t)d->pid;
	int64_t max = process_spin_ns(&d->opt), deadline = INT64_MAX, t;
	/* A child woken on this CPU runs once this side sleeps: no spin, nothing learned. */
	int64_t spin = d->woke_here ? 0
				    : process_wait_budget(&d->wait, max, atomic_load(&c->child_on));
	uint32_t v;

	if (d->opt.timeout_ms)
		deadline = start + d->opt.timeout_ms * 1000000LL;
	for (unsigned i = 1; spin > 0; i++) {
		v = atomic_load_explicit(&c->state, memory_order_acquire);
		if (v != busy) {
			/* A death is no answer a spin paid for: while the child dies, and
			 * the standby and the zygote's next clone start, a spin only keeps a
			 * CPU from them (process_standby.h). */
			process_wait_learn(&d->wait, max, !(v & FUTEX_OWNER_DIED));
			goto answered;
		}
		cpu_relax();
		if ((i & 63) == 0) { /* pause is 10-140 cycles: about every 1-9 us */
			t = process_now_ns();
			if (t >= deadline)
				goto timed_out;
			if (spin != INT64_MAX &&
			    (t - start >= spin || process_wait_stop(&d->wait, atomic_load(&c->child_on))))
				break;
			/* A spinning parent still notices a child that died outside a request. */
			if ((i & 0xfffff) == 0 && child_exited(d))
				goto died;
		}
	}
	if (!d->woke_here)
		process_wait_learn(&d->wait, max, false);
	for (;;) {
		struct timespec ts;
		uint32_t expect = busy;

		if (!atomic_compare_exchange_strong(&c->state, &expect, busy | FUTEX_WAITERS) &&
		    expect != (busy | FUTEX_WAITERS)) {
			v = expect;
			goto answered;
		}
		t = process_now_ns();
		if (t >= deadline - DEADLINE_SPIN_NS) {
			if (spin_to_deadline(c, busy, deadline, &v))
				goto answered;
			goto timed_out;
		}
		sleep_until(t + SLEEP_SLICE_NS, deadline - DEADLINE_SPIN_NS, &ts);
		if (process_futex(&c->state, FUTEX_WAIT, busy | FUTEX_WAITERS, &ts) < 0 &&
		    errno == ETIMEDOUT && child_exited(d))
			goto died;
	}
answered:
	if (v == DONE)
		return ISO_OK;
	if (v == EXITED) {
		reap(d);
		return reason_set(ISO_EEXIT, "the domain called exit(%ld)", *(volatile long *)&c->ret);
	}
	/* FUTEX_OWNER_DIED, set by the kernel as the child exited, or a scribbled word. */
died:
	reap(d);
	return process_child_died(c, ISO_ECRASH, "the domain's child process died");
timed_out:
	reap(d);
	process_child_died(c, ISO_ETIMEDOUT, "");
	return reason_set(ISO_ETIMEDOUT, "no reply within %u ms; child killed",
			  d->opt.timeout_ms);
}

/*
 * Handoff: the child is bound to the CPU the caller runs on, where it runs while the
 * caller sleeps.  Rebound only when the caller has moved (sched_getcpu is a vDSO
 * read).  Best effort: if binding fails the calls still work, across cores.
 */
static void follow_caller(struct process_domain *d)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == d->child_cpu || cpu >= CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(d->pid, sizeof(set), &set) == 0)
		d->child_cpu = cpu;
}

/*
 * Hybrid: a child asleep for WAKE_HERE_NS or more is woken on the caller's CPU, as
 * handoff does, for this one call.  Its own CPU has likely gone idle, and an idle
 * vCPU that the host parked takes 20-50 us to wake (this VM), against 11-16 us for
 * a whole call woken here.  After the call the child would stay beside the caller
 * (the scheduler wakes a task where it last ran) and every call of a burst would be
 * a futex round trip: so it is sent off the caller's CPU, woken there without a
 * request (it then spins where it runs, process_child.c), and may run anywhere again
 * from the next call on (one more system call, on that call).  Even so a call that
 * follows at once waits for that wake-up (some 40 us), so the policy learns: after a
 * call woken here that the next call followed within WAKE_HERE_NS, idle calls wake
 * the child where it is again, until one is followed by a pause.  The child's
 * `slept_at` is only a hint (the child can write it): at worst a call is placed badly.
 */
#define WAKE_HERE_NS 200000LL

static void set_child_cpus(struct process_domain *d, const cpu_set_t *set)
{
	sched_setaffinity(d->pid, sizeof(*set), set);
}

static void idle_call_begin(struct process_domain *d)
{
	if (d->opt.wait != ISO_WAIT_HYBRID)
		return;
	if (d->sent_off == d->pid) /* the call after one woken here: anywhere again */
		set_child_cpus(d, &d->child_cpus);
	d->sent_off = 0;
	if (d->idle_pid == d->pid) /* the call after an idle one: soon after? */
		d->idle_burst = process_now_ns() - d->idle_end < WAKE_HERE_NS;
	d->idle_pid = 0;
}

/* The request is posted and the child asleep: long enough for this call to wake it
 * here?  (Not read before the request is written: the word shares the line the child
 * spins on, and reading it first made every call some 100 ns slower.) */
static void wake_here_asleep(struct process_domain *d)
{
	struct chan *c = PROCESS_CHAN(d);
	int cpu;
	cpu_set_t one;

	if (d->opt.wait != ISO_WAIT_HYBRID ||
	    process_now_ns() - atomic_load_explicit(&c->slept_at, memory_order_relaxed) <
		    WAKE_HERE_NS)
		return;
	d->idle_pid = d->pid;
	cpu = sched_getcpu();
	if (d->idle_burst || cpu < 0 || cpu >= CPU_SETSIZE ||
	    sched_getaffinity(d->pid, sizeof(d->child_cpus), &d->child_cpus))
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(d->pid, sizeof(one), &one) == 0) {
		d->woke_here = d->pid;
		d->here = cpu;
	}
}

/* After an idle call: a child woken here, if the same one is still there, is sent to
 * its other CPUs (all of them if it has no other); and when the call ended is noted. */
static void idle_call_end(struct process_domain *d)
{
	struct chan *c = PROCESS_CHAN(d);
	cpu_set_t off = d->child_cpus;

	if (d->woke_here == d->pid) { /* 0, for none, is never a child's pid */
		CPU_CLR(d->here, &off);
		if (CPU_COUNT(&off) == 0) {
			set_child_cpus(d, &d->child_cpus);
		} else {
			set_child_cpus(d, &off);
			d->sent_off = d->pid;
			if (atomic_load(&c->child_sleeping))
				process_futex(&c->req, FUTEX_WAKE, 1, NULL);
		}
	}
	d->woke_here = 0;
	d->idle_end = process_now_ns();
}

/* Post the request in the channel and wake the child (`first`: a call's first
 * request, not a callback's return). */
static void post(struct process_domain *d, bool first)
{
	struct chan *c = PROCESS_CHAN(d);

	atomic_store_explicit(&c->state, (uint32_t)d->pid, memory_order_relaxed);
	process_wait_publish(&d->wait, &c->parent_on);
	atomic_store(&c->req, ++d->seq);
	if (atomic_load(&c->child_sleeping)) {
		if (first)
			wake_here_asleep(d);
		process_futex(&c->req, FUTEX_WAKE, 1, NULL);
	}
}

/* The child asked for a callback (callback.c) and waits: run it here, then hand its
 * value back as the next request and wait for the call's reply again.  The slot and
 * arguments are read once: the child can still write them. */
static int serve_callback(struct process_domain *d)
{
	struct chan *c = PROCESS_CHAN(d);
	unsigned slot = *(volatile uint32_t *)&c->cb_slot;
	long args[6];
	int64_t start;

	memcpy(args, c->cb_args, sizeof(args));
	atomic_store(&c->cb_pending, 0);
	c->cb_ret = backend_callback ? backend_callback(slot, args, &d->base) : ISO_EINVAL;
	start = posting_clock(d);
	post(d, false);
	return wait_reply(d, start);
}

static int process_call(struct iso_domain *dom, iso_fn *fn, const void *in, size_t in_len,
			void *out, size_t out_cap, size_t *out_len, long *ret)
{
	struct process_domain *d = (struct process_domain *)dom;
	struct chan *c = PROCESS_CHAN(d);
	bool in_shared = in_len && heap_owns(&d->heap, in, in_len);
	bool out_shared = out_cap && heap_owns(&d->heap, out, out_cap);
	size_t n;
	long r;
	int64_t start;
	int err;

	if ((!in_shared && in_len > d->xfer_cap) || (!out_shared && out_cap > d->xfer_cap))
		return reason_set(ISO_E2BIG, "%zu bytes exceed the %zu-byte exchange buffer",
				  in_len > out_cap ? in_len : out_cap, d->xfer_cap);
	/* A secret added since the child was forked is still in its copy: fork anew. */
	if (d->pid > 0 && d->secrets_gen != secret_gen())
		reap(d);
	if (d->pid < 0 && (err = spawn(d)))
		return err;
	if ((err = init_hook_due(&d->base)))
		return err;
	if (d->opt.wait == ISO_WAIT_HANDOFF)
		follow_caller(d);
	idle_call_begin(d);
	if (in_len && !in_shared) {
		if (in_len >= STREAM_MIN && d->opt.wait != ISO_WAIT_HANDOFF)
			copy_streaming(d->in_buf, in, in_len);
		else
			memcpy(d->in_buf, in, in_len);
	}
	c->fn = fn;
	c->in = in_shared ? in : d->in_buf;
	c->in_len = in_len;
	c->out = out_shared ? out : d->out_buf;
	c->out_cap = out_cap;
	domain_stdio_flush();
	start = posting_clock(d);
	post(d, true);

	err = wait_reply(d, start);
	while (!err && atomic_load(&c->cb_pending))
		err = serve_callback(d);
	if (__builtin_expect(d->idle_pid != 0, 0))
		idle_call_end(d);
	if (err) {
		int again = spawn(d);

		return again == ISO_OK ? err : again;
	}
	process_standby_refill(d);
	/* The child can still write the channel: read each field once, then judge it. */
	n = *(volatile size_t *)&c->out_len;
	r = *(volatile long *)&c->ret;
	return backend_deliver(n, r, out_shared ? NULL : d->out_buf, out, out_cap, out_len, ret);
}

static int process_probe(void)
{
	return ISO_OK;
}

static void process_destroy(struct iso_domain *dom)
{
	struct process_domain *d = (struct process_domain *)dom;

	pthread_mutex_lock(&lock);
	for (struct process_domain **p = &domains; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			break;
		}
	pthread_mutex_unlock(&lock);
	reap(d);
	collect(d, true);
	process_standby_stop(d);
	heap_fini(&d->heap);
	munmap(d->arena, d->arena_size);
	free(d);
}

static int process_create(const struct iso_options *opt, struct iso_domain **out)
{
	struct process_domain *d = calloc(1, sizeof(*d));
	size_t size = opt->arena_size ? opt->arena_size : ISO_ARENA_DEFAULT;
	int err;

	if (!d)
		return ISO_ENOMEM;
	if (size < 16 * PAGE) {
		free(d);
		return reason_set(ISO_EINVAL, "arena of %zu bytes is too small", size);
	}
	size = (size + PAGE - 1) & ~(size_t)(PAGE - 1);
	d->opt = *opt;
	d->pid = -1;
	process_standby_init(d);
	d->arena_size = size;
	/* Untouched pages of a shared anonymous mapping cost nothing: size is cheap. */
	d->arena = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d->arena == MAP_FAILED) {
		free(d);
		return reason_sys("mmap");
	}
	d->xfer_cap = (size / 4) & ~(size_t)(PAGE - 1);
	d->in_buf = d->arena + PAGE;
	d->out_buf = d->in_buf + d->xfer_cap;
	err = heap_init(&d->heap, d->out_buf + d->xfer_cap,
			size - PAGE - 2 * d->xfer_cap, NULL, true, false);
	pthread_mutex_lock(&lock);
	d->next = domains;
	domains = d;
	pthread_mutex_unlock(&lock);
	if (!err)
		err = spawn(d);
	if (err) {
		process_destroy(&d->base);
		return err;
	}
	*out = &d->base;
	return ISO_OK;
}

static int process_pid(const struct iso_domain *dom)
{
	return ((const struct process_domain *)dom)->pid;
}

static void *process_alloc(struct iso_domain *dom, size_t n)
{
	return heap_alloc(&((struct process_domain *)dom)->heap, n);
}

static void process_free(struct iso_domain *dom, void *p)
{
	heap_free(&((struct process_domain *)dom)->heap, p);
}

/* The shared heap only: the rest of the child's memory is its own copy. */
static bool process_holds(const struct iso_domain *dom, const void *p, size_t n, bool any)
{
	return !any && heap_owns(&((const struct process_domain *)dom)->heap, p, n);
}

/* What the two names share: every op but create. */
#define PROCESS_OPS                    \
	.version = BACKEND_V1,         \
	.probe = process_probe,        \
	.destroy = process_destroy,    \
	.call = process_call,          \
	.pid = process_pid,            \
	.alloc = process_alloc,        \
	.free = process_free,          \
	.holds = process_holds

const struct backend process_backend = {
	PROCESS_OPS,
	.name = "process",
	.summary = "a forked child per domain, calls over a shared-memory channel",
	.create = process_create,
};

/* The same backend with the handoff wait policy, by name, so that a harness run can
 * set the two side by side. */
static int process_create_handoff(const struct iso_options *opt, struct iso_domain **out)
{
	struct iso_options o = *opt;

	o.wait = ISO_WAIT_HANDOFF;
	return process_create(&o, out);
}

const struct backend process_handoff_backend = {
	PROCESS_OPS,
	.name = "process-handoff",
	.summary = "process, its child run on the caller's CPU while the caller sleeps "
		   "(ISO_WAIT_HANDOFF)",
	.create = process_create_handoff,
};
