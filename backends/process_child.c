/* process_child.c: the process backend's child: it drops what it must not see, then answers the parent's requests. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>

#include "addrspace.h"
#include "arch-x86.h"
#include "exit.h"
#include "gate.h"
#include "process.h"
#include "route.h"
#include "seccomp.h"
#include "secret.h"
#include "signals.h"
#include "trusted_heap.h"

#define CHILD_IDLE_SPIN_NS 100000000L

struct process_domain *process_child_self;
static uint32_t child_seen; /* the last request taken */

static void child_wait_request(struct process_domain *d, uint32_t seen)
{
	static struct process_wait learn; /* this child's own (process_wait.h) */
	struct chan *c = PROCESS_CHAN(d);
	int64_t max = process_spin_ns(&d->opt), start, budget;

	/* An idle child that spins forever would burn a core: the spin policy caps it. */
	if (max > CHILD_IDLE_SPIN_NS)
		max = CHILD_IDLE_SPIN_NS;
again:
	start = 0;
	budget = process_wait_budget(&learn, max, atomic_load(&c->parent_on));
	process_wait_publish(&learn, &c->child_on);
	for (unsigned i = 0; budget > 0; i++) {
		if (atomic_load_explicit(&c->req, memory_order_acquire) != seen) {
			process_wait_learn(&learn, max, true);
			return;
		}
		cpu_relax();
		if ((i & 63) == 0) {
			int64_t t = process_now_ns();

			if (!start)
				start = t;
			else if (t - start > budget ||
				 process_wait_stop(&learn, atomic_load(&c->parent_on)))
				break;
		}
	}
	process_wait_learn(&learn, max, false);
	atomic_store_explicit(&c->slept_at, process_now_ns(), memory_order_relaxed);
	atomic_store(&c->child_sleeping, 1);
	if (atomic_load(&c->req) == seen) {
		process_futex(&c->req, FUTEX_WAIT, seen, NULL);
		/* Woken with no request: the parent moved this child off its CPU after a
		 * call it woke it for there (process.c, idle_call_end): wait where it
		 * runs now, spinning as after any answer. */
		if (atomic_load(&c->req) == seen) {
			atomic_store_explicit(&c->child_sleeping, 0, memory_order_relaxed);
			goto again;
		}
	}
	atomic_store_explicit(&c->child_sleeping, 0, memory_order_relaxed);
	process_wait_publish(&learn, &c->child_on);
}

/*
 * The child must not outlive the program, even busy in an endless call.
 * PR_SET_PDEATHSIG follows the thread that forked, not the process, so a thread of
 * the child's own waits on a pidfd of the parent instead.
 */
static void *orphan_watch(void *arg)
{
	pid_t parent = (pid_t)(intptr_t)arg;
	int fd = (int)syscall(SYS_pidfd_open, parent, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (fd >= 0 && poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	while (fd < 0 && getppid() == parent) /* no pidfds (Linux < 5.3): poll the slow way */
		usleep(100000);
	process_zygote_orphaned();
	syscall(SYS_exit_group, 0); /* not _exit, which in the child reports a domain's exit */
	return NULL;
}

static void watch_parent(pid_t parent)
{
	pthread_t t;
	pthread_attr_t a;
	sigset_t all, old;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 << 10);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	/* Signals for the child (crashes included) stay with the thread that runs calls. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, &a, orphan_watch, (void *)(intptr_t)parent))
		_exit(127);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
}

/* A child inherits every other process domain's shared arena: it must not keep them.
 * The parent holds its lock on the list across fork, so the list is whole here. */
static void drop_other_arenas(const struct process_domain *self,
			      const struct process_domain *all)
{
	for (const struct process_domain *o = all; o; o = o->next)
		if (o != self)
			munmap(o->arena, o->arena_size);
}

/* The child is a copy of the parent: its copies of secret pages are thrown away. */
static void drop_secrets(void)
{
	struct region r[16];
	size_t n = secret_ranges(r, 16);

	for (size_t i = 0; i < n; i++)
		if (mmap(r[i].lo, r[i].len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0) == MAP_FAILED)
			_exit(127); /* never run a domain that could still read a secret */
}

/* The channel, for the fault handler.  In TLS: the handler may run with a PKRU that
 * shuts the program's data (mpk in use in the parent), never key 0. */
static _Thread_local struct chan *child_chan;

/*
 * Tell the parent what killed us (signal, address, pc).  The record names the signal:
 * a second delivery of it, by the default action, would only add some 20 us to every
 * crash.  And the parent hears of the death from here, marking `state` as the kernel's
 * robust-list walk would (FUTEX_OWNER_DIED on our own pid): the walk comes only after
 * exit_group has stopped the other threads and walked every mapping for accounting,
 * 15-20 us later.  From here on this thread writes nothing the parent reads, and the
 * walk, finding `state` moved on, leaves it alone.
 */
static void tell_death(struct chan *c, int sig, siginfo_t *si, void *uc)
{
	uint32_t self = (uint32_t)getpid(), v;

	fault_record(&c->fault, sig, si, uc);
	v = atomic_load(&c->state);
	while ((v & FUTEX_TID_MASK) == self && !(v & FUTEX_OWNER_DIED) &&
	       !atomic_compare_exchange_weak(&c->state, &v, v | FUTEX_OWNER_DIED))
		;
	/* The exit's teardown of this copy of the program (some 150 us of CPU here) comes
	 * after whatever else wants the CPU: the parent (woken, or spinning on this CPU),
	 * the standby taking over, the zygote. */
	sched_setscheduler(0, SCHED_IDLE, &(struct sched_param){ 0 });
	if ((v & FUTEX_TID_MASK) == self && (v & FUTEX_WAITERS))
		process_futex(&c->state, FUTEX_WAKE, 1, NULL);
	sched_yield();
}

/* A fatal signal: the parent told (unless it came in a thread of the domain's own,
 * without a channel: the serving thread's robust list tells then), and death at once. */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	gate_handler_rights(uc); /* child_chan, and the kernel's robust-list walk at death */
	if (child_chan)
		tell_death(child_chan, sig, si, uc);
	for (;;)
		syscall(SYS_exit_group, 128 + sig);
}

#define ALT_STACK ((size_t)64 << 10)
static char *alt_stack; /* crash_quietly's, or NULL */

/*
 * A standby's crash path, paged in before it is named: the kernel writes the signal
 * frame at the top of the alternate stack, and on_fatal runs code no request has run
 * yet.  Each first touch is a page fault (5-10 us here) that would otherwise land
 * between a crash and the parent hearing of it.
 */
static void prefault_crash_path(void)
{
	static void (*const code[])(void) = {
		(void (*)(void))on_fatal, (void (*)(void))tell_death,
		(void (*)(void))fault_record,
	};

	if (alt_stack)
		for (size_t off = ALT_STACK - 3 * 4096; off < ALT_STACK; off += 4096)
			*(volatile char *)(alt_stack + off) = 0;
	for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++)
		(void)*(volatile const char *)(uintptr_t)code[i];
}

/* Crash quietly and promptly, whatever the parent installed, telling the parent why
 * (on a stack of its own: a stack overflow must be told too). */
static void crash_quietly(struct chan *c)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
	struct rlimit nocore = { 0, 0 };
	struct sigaction tell = { .sa_sigaction = on_fatal, .sa_flags = SA_SIGINFO };
	void *mem = mmap(NULL, ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	sigset_t all;

	child_chan = c;
	setrlimit(RLIMIT_CORE, &nocore);
	if (mem != MAP_FAILED) {
		stack_t ss = { .ss_sp = mem, .ss_size = ALT_STACK };

		if (sigaltstack(&ss, NULL) == 0) {
			tell.sa_flags |= SA_ONSTACK;
			alt_stack = mem;
		}
	}
	sigfillset(&tell.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		__sigaction(fatal[i], &tell, NULL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
}

int process_child_died(struct chan *c, int err, const char *what)
{
	struct fault f = c->fault; /* once: the next child may write it again */

	c->fault.sig = 0;
	return fault_reason(err, &f, what, NULL);
}

/* `state` on the child's robust-futex list: the kernel marks it when the child dies. */
static void register_robust(struct chan *c)
{
	static struct robust_list_head head;

	head.list.next = &c->entry;
	head.futex_offset = (long)((char *)&c->state - (char *)&c->entry);
	head.list_op_pending = NULL;
	c->entry.next = &head.list;
	syscall(SYS_set_robust_list, &head, sizeof(head));
}

/* Answer the request under way: the parent wakes if it sleeps. */
static void child_answer(struct chan *c)
{
	if (atomic_exchange(&c->state, DONE) & FUTEX_WAITERS)
		process_futex(&c->state, FUTEX_WAKE, 1, NULL);
}

long process_child_callback(unsigned slot, const long *args)
{
	struct process_domain *d = process_child_self;
	struct chan *c = PROCESS_CHAN(d);

	c->cb_slot = slot;
	memcpy(c->cb_args, args, sizeof(c->cb_args));
	atomic_store(&c->cb_pending, 1);
	child_answer(c);
	child_wait_request(d, child_seen);
	child_seen = atomic_load_explicit(&c->req, memory_order_acquire);
	return c->cb_ret;
}

/* The domain called exit: tell the parent, then end with no handler run, no FILE flushed. */
static _Noreturn void child_exit(int status)
{
	struct chan *c = PROCESS_CHAN(process_child_self);

	c->ret = status;
	if (atomic_exchange(&c->state, EXITED) & FUTEX_WAITERS)
		process_futex(&c->state, FUTEX_WAKE, 1, NULL);
	for (;;)
		syscall(SYS_exit_group, 0);
}

/*
 * The seccomp filter and Landlock (seccomp.h), once, under this process's own pid
 * (the filter lets it signal only itself), unless it is a clone of a zygote that
 * confined itself for all its clones (seccomp_confine_tree): then a Landlock domain
 * of its own is all it adds.  A watcher thread made before is under the filter
 * (TSYNC), not Landlock: it only polls a pidfd.
 */
static bool confined, tree_confined;

static void confine(const struct process_domain *d)
{
	if (confined || d->opt.harden != ISO_HARDEN_ON)
		return;
	if (tree_confined ? seccomp_confine_branch() : seccomp_confine_child())
		_exit(127); /* never run a domain unconfined */
	confined = true;
}

/*
 * A zygote, before it makes its watcher thread (Landlock binds only the threads made
 * after): confined with all it will clone where the kernel allows, so that a standby
 * is born under the filter.  The zygote runs no domain code; each clone enters a
 * Landlock domain of its own below the zygote's (confine), out of reach of the zygote
 * and of the other clones.
 */
static void confine_zygote(const struct process_domain *d)
{
	int r;

	if (d->opt.harden != ISO_HARDEN_ON)
		return;
	if ((r = seccomp_confine_tree(d->parent)) < 0)
		_exit(127); /* the parent sees the zygote gone and forks children itself */
	tree_confined = r == 0;
}

/* A standby, before it waits to be named: confined, its crash path paged in. */
static void prepare_standby(const struct process_domain *d)
{
	confine(d);
	prefault_crash_path();
}

static struct process_domain *child_domain;
static const struct process_domain *child_all;
static struct region program_stacks[2]; /* leave_program_stacks */

static _Noreturn void serve(void)
{
	struct process_domain *d = child_domain;
	struct chan *c = PROCESS_CHAN(d);

	for (size_t i = 0; i < 2; i++)
		if (mprotect(program_stacks[i].lo, program_stacks[i].len, PROT_READ))
			_exit(127);
	/* A zygote returns in a standby, confined; a child forked directly is confined
	 * here. */
	process_zygote_serve(d, child_all, prepare_standby, watch_parent);
	confine(d);
	register_robust(c);
	process_child_self = d;
	child_seen = 0;
	if (d->opt.mem_limit)
		trusted_heap_limit(d->opt.mem_limit);
	exit_in_child(child_exit);
	route_in_child = true; /* from here on everything that runs is the domain's */
	for (;;) {
		size_t n = 0;
		long r;

		child_wait_request(d, child_seen);
		child_seen = atomic_load_explicit(&c->req, memory_order_acquire);
		if (!process_zygote_mine(d))
			syscall(SYS_exit_group, 0); /* replaced, and killed: the request is another child's */
		r = c->fn(c->in, c->in_len, c->out, c->out_cap, &n);
		c->out_len = n;
		c->ret = r;
		child_answer(c);
	}
}

#define CHILD_STACK ((size_t)8 << 20)
#define GUARD 4096u

/*
 * The stacks the child inherits (the forking thread's, and the main thread's) hold
 * the program's frames, and a jmp_buf of the program's points into them: a longjmp
 * from the domain would run on as a clone of the program.  So the child leaves them
 * for a stack of its own and makes them read-only (the arguments, environment and
 * auxv at the main stack's top stay readable): the first push or call on them faults
 * and the child dies, ECRASH.  Done before the zygote clones, so standbys are born so.
 */
static _Noreturn void leave_program_stacks(struct process_domain *d,
					   const struct process_domain *all, char *stack)
{
	static ucontext_t uc;

	if (getcontext(&uc))
		_exit(127);
	addrspace_stack(&program_stacks[0]);
	addrspace_main_stack(&program_stacks[1]);
	for (size_t i = 0; i < 2; i++)
		if (!program_stacks[i].len)
			_exit(127); /* never run a domain that could resume the program */
	child_domain = d;
	child_all = all;
	uc.uc_stack = (stack_t){ .ss_sp = stack, .ss_size = CHILD_STACK };
	uc.uc_link = NULL;
	makecontext(&uc, serve, 0);
	setcontext(&uc); /* serve shuts them, from the new stack */
	_exit(127);
}

_Noreturn void process_child_main(struct process_domain *d, const struct process_domain *all)
{
	/* Mapped before other domains' arenas go, so that their addresses stay unmapped. */
	char *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);

	if (getppid() != d->parent)
		_exit(0);
	if (stack == MAP_FAILED || mprotect(stack, GUARD, PROT_NONE))
		_exit(127);
	if (d->sb.zfd >= 0)
		confine_zygote(d);
	watch_parent(d->parent);
	crash_quietly(PROCESS_CHAN(d));
	drop_secrets();
	drop_other_arenas(d, all);
	leave_program_stacks(d, all, stack);
}
