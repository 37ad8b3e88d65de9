/*
 * sud.c: hardened in-process domains: a system call filter while a domain runs, by Syscall User Dispatch (Linux 5.11+).
 *
 * Divisions: the allowed code range (a raw system call, the handler's sigreturn);
 * the policy (judge); the SIGSYS handler; arming a thread and switching its selector.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "gate.h"
#include "handler_page.h"
#include "iso.h"
#include "reason.h"
#include "signals.h"
#include "sud.h"

#define PAGE 4096u
#define SUD_SA_RESTORER 0x04000000 /* the kernel's; glibc's headers keep it to themselves */

/* ---- the allowed code range --------------------------------------------------- */

/*
 * The kernel lets every system call made from [__start_sud_text, __stop_sud_text)
 * through, whatever the selector says: the handler's own calls, the calls it makes
 * again for the domain, and its rt_sigreturn (glibc's restorer lies outside).
 */
long sud_raw(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
void sud_restorer(void);
__asm__(".pushsection sud_text, \"ax\", @progbits\n"
	".globl sud_raw\n"
	".type sud_raw, @function\n"
	"sud_raw:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n"
	".size sud_raw, .-sud_raw\n"
	".globl sud_restorer\n"
	".type sud_restorer, @function\n"
	"sud_restorer:\n"
	"	mov $15, %eax\n" /* rt_sigreturn */
	"	syscall\n"
	"	hlt\n"
	".size sud_restorer, .-sud_restorer\n"
	".popsection\n");

extern const char __start_sud_text[], __stop_sud_text[];

int sud_mprotect(void *lo, size_t len, int prot)
{
	long r = sud_raw(SYS_mprotect, (long)lo, (long)len, prot, 0, 0, 0);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

/* ---- a thread's selector page ------------------------------------------------- */

/* Written only with trusted rights: it lies in the trusted heap, which mpk tags with
 * the trusted key and mprotect makes read-only while a domain runs (no extra system
 * call per switch).  The kernel reads `selector` at each call. */
#define SUD_MAPS 64

struct page {
	volatile unsigned char selector;
	uint32_t pkru; /* the domain's rights (mpk), for the calls made again */
	char *lo, *hi; /* the domain's memory */
	/* Mappings the domain made on this thread (mmap without MAP_FIXED): its own, to
	 * unmap or protect later; an entry goes when the whole of it is unmapped. */
	struct { unsigned long lo, len; } maps[SUD_MAPS];
};

static _Thread_local struct page *page; /* TLS: readable whatever rights are in force */

/* ---- the policy ----------------------------------------------------------------- */

enum verdict { ALLOW, EMULATED, DENY, VIOLATION };

struct call {
	long nr, a[6];
	uint64_t *mask; /* rt_sigprocmask: the mask sigreturn restores */
};

static bool inside(const struct page *p, long lo, long len)
{
	unsigned long a = (unsigned long)lo, n = (unsigned long)len;

	return a >= (unsigned long)p->lo && n <= (unsigned long)(p->hi - p->lo) &&
	       a - (unsigned long)p->lo <= (unsigned long)(p->hi - p->lo) - n;
}

/* Which of the domain's own mappings holds [lo, lo+len), or -1. */
static int own_map(const struct page *p, long lo, long len)
{
	for (int i = 0; i < SUD_MAPS; i++) {
		unsigned long a = p->maps[i].lo, n = p->maps[i].len;

		if (n && (unsigned long)lo >= a && (unsigned long)len <= n &&
		    (unsigned long)lo - a <= n - (unsigned long)len)
			return i;
	}
	return -1;
}

static unsigned long pages(long len)
{
	return ((unsigned long)len + PAGE - 1) & ~(unsigned long)(PAGE - 1);
}

/* [lo, lo+len) starts or ends where the domain's mapping i does. */
static bool at_end(const struct page *p, int i, long lo, long len)
{
	return (unsigned long)lo == p->maps[i].lo ||
	       (unsigned long)lo + pages(len) == p->maps[i].lo + p->maps[i].len;
}

static bool own(const struct page *p, long lo, long len)
{
	return inside(p, lo, len) || own_map(p, lo, len) >= 0;
}

/* After the call was made: a new mapping of the domain's is recorded, an unmapped one
 * forgotten (or shrunk, from either end).  No room left: the mapping is unmapped
 * again and the call fails, rather than leave it where the domain cannot free it. */
static long record(struct page *p, const struct call *c, long ret)
{
	int i;

	if (c->nr == SYS_mmap) {
		for (i = 0; i < SUD_MAPS && p->maps[i].len; i++)
			;
		if (i == SUD_MAPS) {
			sud_raw(SYS_munmap, ret, c->a[1], 0, 0, 0, 0);
			return -ENOMEM;
		}
		p->maps[i].lo = (unsigned long)ret;
		p->maps[i].len = pages(c->a[1]);
	} else if ((i = own_map(p, c->a[0], c->a[1])) >= 0) {
		unsigned long lo = (unsigned long)c->a[0], n = pages(c->a[1]);

		if (lo == p->maps[i].lo) {
			p->maps[i].lo += n;
			p->maps[i].len -= n < p->maps[i].len ? n : p->maps[i].len;
		} else if (lo + n == p->maps[i].lo + p->maps[i].len) {
			p->maps[i].len -= n;
		}
	}
	return ret;
}

/* record(), with the selector page writable for it. */
static long account(struct page *p, const struct call *c, long ret)
{
	long r;

	if (!(c->nr == SYS_mmap && ret >= 0) && !(c->nr == SYS_munmap && ret == 0))
		return ret;
	/* mprotect: the page is read-only while the domain runs; mpk: the handler has
	 * trusted rights. */
	if (!p->pkru)
		sud_mprotect(p, PAGE, PROT_READ | PROT_WRITE);
	r = record(p, c, ret);
	if (!p->pkru)
		sud_mprotect(p, PAGE, PROT_READ);
	return r;
}

/* The signals a domain may not block: the faults, SIGSYS and the watchdog would then
 * kill the program instead of rewinding the call. */
static uint64_t kept_open(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS };
	uint64_t m = 1ull << (SIGNALS_WATCHDOG - 1);

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		m |= 1ull << (sigs[i] - 1);
	return m;
}

/* Runs with the domain's rights: a call made again, or sigprocmask on the frame's mask. */
static long as_domain_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			 size_t *out_len)
{
	const struct call *c = in;

	(void)in_len, (void)out, (void)out_cap, (void)out_len;
	if (c->nr == SYS_rt_sigprocmask) {
		uint64_t m = *c->mask, s;

		if (c->a[3] != 8)
			return -EINVAL;
		if (c->a[2])
			*(uint64_t *)c->a[2] = m;
		if (!c->a[1])
			return 0;
		s = *(const uint64_t *)c->a[1];
		switch (c->a[0]) {
		case SIG_BLOCK: m |= s; break;
		case SIG_UNBLOCK: m &= ~s; break;
		case SIG_SETMASK: m = s; break;
		default: return -EINVAL;
		}
		*c->mask = m & ~kept_open();
		return 0;
	}
	return sud_raw(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

/* How far below this handler's frames as_domain starts the gate's stack: past its own
 * locals and the gate's frame (the pushes of gate_mpk_enter), a few hundred bytes. */
#define AS_DOMAIN_GAP 1024

/*
 * c with the domain's rights: mpk through the gate, on the alternate signal stack (key
 * 0), below every frame of this handler's, the gate's own included.  A signal that
 * comes while the call runs (the watchdog's tick, one the domain raised) is delivered
 * there too, its frame written below the stack pointer: a stack above the gate's frame
 * (it was a local array here) had the frame overwrite what the gate returns through,
 * and the handler's return jumped to whatever the signal frame held (pc 0, seen under
 * QEMU on Linux 6.1 and 6.12).  A fault there (a bad pointer) is the domain's, and
 * rewinds it.
 */
static long as_domain(const struct page *p, struct call *c)
{
	uintptr_t top = ((uintptr_t)__builtin_frame_address(0) - AS_DOMAIN_GAP) & ~(uintptr_t)15;
	struct gate g = { .fn = as_domain_fn, .in = c, .in_len = sizeof(*c), .out_len = NULL,
			  .stack = (void *)top, .pkru = p->pkru };

	if (!p->pkru) /* mprotect */
		return as_domain_fn(c, sizeof(*c), NULL, 0, NULL);
	return gate_mpk_enter(&g);
}

/* Is fd a /proc/<pid>/mem (or a task's), through which the kernel writes past every
 * protection? */
static bool proc_mem(long fd)
{
	char path[32] = "/proc/self/fd/", link[256];
	struct statfs st;
	size_t n = strlen(path);
	long len;
	char digits[20];
	int k = 0;

	if (sud_raw(SYS_fstatfs, fd, (long)&st, 0, 0, 0, 0) < 0 || st.f_type != PROC_SUPER_MAGIC)
		return false;
	do
		digits[k++] = (char)('0' + fd % 10);
	while ((fd /= 10) && k < 20);
	while (k)
		path[n++] = digits[--k];
	path[n] = '\0';
	len = sud_raw(SYS_readlink, (long)path, (long)link, sizeof(link) - 1, 0, 0, 0);
	if (len < 4)
		return true; /* a procfs file that cannot be named: refuse it */
	return memcmp(link + len - 4, "/mem", 4) == 0;
}

/* Which calls a domain may make, and how (README "Hardened domains"). */
static enum verdict judge(const struct page *p, struct call *c)
{
	long *a = c->a;

	switch (c->nr) {
	/* I/O on descriptors, time, identity, futexes, randomness, the thread's end */
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: case SYS_readv:
	case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2:
	case SYS_pwritev2: case SYS_lseek: case SYS_close: case SYS_fstat: case SYS_newfstatat:
	case SYS_statx: case SYS_stat: case SYS_lstat: case SYS_access: case SYS_faccessat:
	case SYS_faccessat2: case SYS_readlink: case SYS_readlinkat: case SYS_getcwd:
	case SYS_fcntl: case SYS_ioctl: case SYS_dup: case SYS_dup2: case SYS_dup3:
	case SYS_pipe: case SYS_pipe2: case SYS_poll: case SYS_ppoll: case SYS_select:
	case SYS_pselect6: case SYS_epoll_create1: case SYS_epoll_ctl: case SYS_epoll_wait:
	case SYS_epoll_pwait: case SYS_eventfd2: case SYS_getdents64: case SYS_fsync:
	case SYS_fdatasync: case SYS_ftruncate: case SYS_memfd_create: case SYS_getpid:
	case SYS_gettid: case SYS_getppid: case SYS_getuid: case SYS_geteuid: case SYS_getgid:
	case SYS_getegid: case SYS_getrlimit: case SYS_uname: case SYS_sysinfo:
	case SYS_clock_gettime: case SYS_clock_getres: case SYS_clock_nanosleep:
	case SYS_nanosleep: case SYS_gettimeofday: case SYS_time: case SYS_futex:
	case SYS_getrandom: case SYS_sched_yield: case SYS_sched_getaffinity:
	case SYS_exit: case SYS_exit_group:
		return ALLOW;
	case SYS_prlimit64: /* reading a limit, not setting one */
		return a[2] ? DENY : ALLOW;
	case SYS_rt_sigprocmask:
		return ALLOW;
	case SYS_rt_sigaction: /* reading a handler, not installing one */
		return a[1] ? VIOLATION : ALLOW; /* on the frame's mask, the faults kept open (as_domain_fn) */
	case SYS_open: case SYS_openat: case SYS_creat:
		return EMULATED; /* opened, then refused if it is a /proc/<pid>/mem */
	/* memory: the domain's own, never executable, never fixed over another's */
	case SYS_mmap:
		if (a[2] & PROT_EXEC)
			return VIOLATION;
		if ((a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !inside(p, a[0], a[1]))
			return VIOLATION;
		return ALLOW;
	case SYS_mprotect:
		if (a[2] & PROT_EXEC)
			return VIOLATION;
		return own(p, a[0], a[1]) ? ALLOW : VIOLATION;
	case SYS_madvise:
		return own(p, a[0], a[1]) ? ALLOW : VIOLATION;
	case SYS_munmap:
		if (inside(p, a[0], a[1]))
			return ALLOW;
		if (own_map(p, a[0], a[1]) < 0)
			return VIOLATION;
		/* a hole in the middle would leave the entry covering what is not its own */
		return at_end(p, own_map(p, a[0], a[1]), a[0], a[1]) ? ALLOW : DENY;
	case SYS_mremap:
		if (!inside(p, a[0], a[1]))
			return VIOLATION;
		return (a[3] & MREMAP_FIXED) && !inside(p, a[4], a[2]) ? VIOLATION : ALLOW;
	/* signals: to this thread only */
	case SYS_tgkill:
		return a[0] == sud_raw(SYS_getpid, 0, 0, 0, 0, 0, 0) &&
				       a[1] == sud_raw(SYS_gettid, 0, 0, 0, 0, 0, 0)
			       ? ALLOW
			       : VIOLATION;
	case SYS_tkill:
		return a[0] == sud_raw(SYS_gettid, 0, 0, 0, 0, 0, 0) ? ALLOW : VIOLATION;
	/* the attacks */
	case SYS_kill: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
	case SYS_pidfd_send_signal: case SYS_pidfd_getfd: case SYS_ptrace:
	case SYS_process_vm_readv: case SYS_process_vm_writev: case SYS_pkey_alloc:
	case SYS_pkey_free: case SYS_pkey_mprotect: case SYS_sigaltstack: case SYS_rt_sigreturn: case SYS_prctl: case SYS_arch_prctl:
	case SYS_seccomp: case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork:
	case SYS_execve: case SYS_execveat: case SYS_remap_file_pages: case SYS_shmat:
	case SYS_io_uring_setup: case SYS_userfaultfd: case SYS_set_robust_list:
	case SYS_rseq: case SYS_brk: case SYS_mbind: case SYS_set_mempolicy:
	case SYS_personality: case SYS_setrlimit:
		return VIOLATION;
	default:
		return DENY;
	}
}

/* ---- the handler ---------------------------------------------------------------- */

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *r = uc->uc_mcontext.gregs;
	struct call c = { .nr = si->si_syscall,
			  .a = { r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8], r[REG_R9] },
			  .mask = (uint64_t *)&uc->uc_sigmask };
	struct page *p = page;
	long ret = -EPERM;

	gate_handler_rights(uc); /* the kernel's default PKRU shuts the selector page */
	if (si->si_code != SYS_USER_DISPATCH || !p || p->selector != SYSCALL_DISPATCH_FILTER_BLOCK) {
		handler_page_data.sud.take(sig, si, uc); /* not the filter's: a crash, if in a domain */
		r[REG_RAX] = -ENOSYS;
		return;
	}
	switch (judge(p, &c)) {
	case ALLOW:
		ret = account(p, &c, as_domain(p, &c));
		break;
	case EMULATED:
		ret = as_domain(p, &c);
		if (ret >= 0 && proc_mem(ret)) {
			sud_raw(SYS_close, ret, 0, 0, 0, 0, 0);
			handler_page_data.sud.take(SIGSYS, si, uc);
			ret = -EPERM;
		}
		break;
	case DENY:
		break;
	case VIOLATION:
		handler_page_data.sud.take(SIGSYS, si, uc); /* rewinds: recover() calls sud_allow() */
		break;
	}
	r[REG_RAX] = ret;
}

/* ---- arming a thread, switching its selector ---------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_err;

/* The kernel's struct sigaction. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

int sud_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct ksigaction k, was;

	if (act) {
		k = (struct ksigaction){ .flags = (unsigned long)act->sa_flags | SUD_SA_RESTORER,
					 .restorer = sud_restorer };
		k.handler = act->sa_flags & SA_SIGINFO ? (void *)act->sa_sigaction
						       : (void *)act->sa_handler;
		memcpy(&k.mask, &act->sa_mask, sizeof(k.mask));
	}
	if (syscall(SYS_rt_sigaction, sig, act ? &k : NULL, old ? &was : NULL, sizeof(k.mask)))
		return -1;
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_sigaction = (void (*)(int, siginfo_t *, void *))was.handler;
		old->sa_flags = (int)was.flags;
		old->sa_restorer = was.restorer;
		memcpy(&old->sa_mask, &was.mask, sizeof(was.mask));
	}
	return 0;
}

/* The handler; SA_NODEFER, so that a rewind from inside it leaves SIGSYS open. */
static void install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	if (sud_sigaction(SIGSYS, &sa, NULL))
		once_err = reason_sys("rt_sigaction(SIGSYS)");
}

void sud_use_pkru(int key)
{
	handler_page_data.sud.key = key;
}

/* Whether this thread's page is under handler_page_data.sud.key (a page armed before mpk
 * was set up lies in the trusted heap: armed again). */
static _Thread_local bool page_keyed;

/* A selector page: mpk's under its key, mapped alone; else from the trusted heap. */
static struct page *page_new(void)
{
	struct page *p;

	if (!handler_page_data.sud.key)
		return aligned_alloc(PAGE, PAGE); /* called outside domains: the trusted heap */
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (pkey_mprotect(p, PAGE, PROT_READ | PROT_WRITE, handler_page_data.sud.key)) {
		munmap(p, PAGE);
		return NULL;
	}
	page_keyed = true;
	return p;
}

static void page_drop(struct page *p, bool keyed)
{
	if (keyed)
		munmap(p, PAGE);
	else
		free(p);
}

int sud_arm(sud_take_fn *take)
{
	struct page *p, *old = page;
	bool old_keyed = page_keyed;

	if (page && (page_keyed || !handler_page_data.sud.key))
		return ISO_OK;
	handler_page_data.sud.take = take;
	pthread_once(&once, install);
	if (once_err)
		return once_err;
	p = page_new();
	if (!p)
		return reason_set(ISO_ENOMEM, "no page for the system call selector");
	memset(p, 0, PAGE);
	p->selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)__start_sud_text,
		  (unsigned long)(__stop_sud_text - __start_sud_text), &p->selector)) {
		int e = errno;

		page_drop(p, page_keyed);
		page_keyed = old_keyed;
		errno = e;
		return reason_set(e == EINVAL ? ISO_ENOTSUP : ISO_ESYS,
				  "PR_SET_SYSCALL_USER_DISPATCH: %s (Linux 5.11+; "
				  "iso_options.harden = ISO_HARDEN_OFF runs unfiltered)",
				  strerror(e));
	}
	page = p;
	if (old)
		page_drop(old, old_keyed);
	return ISO_OK;
}

volatile unsigned char *sud_selector(void)
{
	return page ? &page->selector : NULL;
}

/* The kernel reads the selector on this thread, at its next system call: program
 * order is enough, a compiler barrier keeps it. */
void sud_block(char *lo, size_t len, uint32_t pkru)
{
	struct page *p = page;

	p->lo = lo;
	p->hi = lo + len;
	p->pkru = pkru;
	atomic_signal_fence(memory_order_seq_cst);
	p->selector = SYSCALL_DISPATCH_FILTER_BLOCK;
	atomic_signal_fence(memory_order_seq_cst);
}

void sud_allow(void)
{
	struct page *p = page;

	atomic_signal_fence(memory_order_seq_cst);
	if (p && p->selector != SYSCALL_DISPATCH_FILTER_ALLOW)
		p->selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	atomic_signal_fence(memory_order_seq_cst);
}

bool sud_pause(void)
{
	bool blocked = page && page->selector == SYSCALL_DISPATCH_FILTER_BLOCK;

	sud_allow();
	return blocked;
}

void sud_resume(bool blocked)
{
	if (!blocked)
		return;
	atomic_signal_fence(memory_order_seq_cst);
	page->selector = SYSCALL_DISPATCH_FILTER_BLOCK;
	atomic_signal_fence(memory_order_seq_cst);
}
