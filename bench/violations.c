/* violations.c: the violation matrix: each kind of memory-safety failure run once in each backend, and what the caller saw. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "output.h"

#define MARK 0x5a5a5a5a5a5a5a5aL   /* what every trusted target holds */
#define SECRET 0x5ec7e75ec7e75ec7L /* what the secret page holds */
#define PAGE 4096u
#define SETUP_FAILED 125 /* the subprocess's status when a case could not be set up */

/* What a domain function is told: the address to attack, how far to overflow. */
struct targets {
	volatile long *p;
	size_t overflow;
	pid_t pid; /* the trusted process */
};

static volatile long trusted_global = MARK;

static struct targets targets_of(const void *in, size_t in_len)
{
	struct targets t = { 0 };

	if (in_len == sizeof(t))
		memcpy(&t, in, sizeof(t));
	return t;
}

/* ---- the domain functions ---------------------------------------------------------- */

static long write_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct targets t = targets_of(in, in_len);

	(void)out, (void)out_cap, (void)out_len;
	*t.p = 0x0bad;
	return 0;
}

static long read_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	return *targets_of(in, in_len).p;
}

__attribute__((no_sanitize("address", "undefined"))) static long
overflow_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct targets t = targets_of(in, in_len);
	unsigned char *p = malloc(64);

	(void)out, (void)out_cap, (void)out_len;
	if (!p)
		return -1;
	memset(p, 0xee, t.overflow);
	__asm__ volatile("" : : "r"(p) : "memory");
	return 0;
}

__attribute__((noinline, optimize("stack-protector-all"), no_sanitize("address", "undefined")))
long violation_overrun(size_t n)
{
	char buf[16];

	memset(buf, 0x41, n);
	__asm__ volatile("" : : "r"(buf) : "memory");
	return buf[0];
}

static volatile size_t smash_len = 256; /* not a constant the compiler could check */

static long smash_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return violation_overrun(smash_len);
}

__attribute__((no_sanitize("address", "undefined"))) static long
null_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	volatile long *volatile p = NULL;

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	*p = 1;
	return 0;
}

static long abort_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	abort();
}

static long loop_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	for (;;)
		__asm__ volatile("");
	return 0;
}

static long free_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	free((void *)targets_of(in, in_len).p);
	return 0;
}

static long good_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 42;
}

/* ---- the PKU pitfalls: a domain that asks the kernel, or runs WRPKRU -------------- */

static void *page_of(volatile long *p)
{
	return (void *)((uintptr_t)p & ~(uintptr_t)(PAGE - 1));
}

static long mprotect_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct targets t = targets_of(in, in_len);

	(void)out, (void)out_cap, (void)out_len;
	if (mprotect(page_of(t.p), PAGE, PROT_READ | PROT_WRITE))
		return -1;
	*t.p = 0x0bad;
	return 0;
}

static long map_fixed_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			 size_t *out_len)
{
	struct targets t = targets_of(in, in_len);

	(void)out, (void)out_cap, (void)out_len;
	if (mmap(page_of(t.p), PAGE, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0) == MAP_FAILED)
		return -1;
	*t.p = 0x0bad;
	return 0;
}

/* /proc/<pid>/mem: the kernel writes through any protection, keys included. */
static long proc_mem_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	struct targets t = targets_of(in, in_len);
	long bad = 0x0bad;
	char path[64];
	int fd;

	(void)out, (void)out_cap, (void)out_len;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t.pid);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	bad = pwrite(fd, &bad, sizeof(bad), (off_t)(uintptr_t)t.p);
	close(fd);
	return bad;
}

static long pkey_mprotect_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			     size_t *out_len)
{
	struct targets t = targets_of(in, in_len);

	(void)out, (void)out_cap, (void)out_len;
	if (syscall(SYS_pkey_mprotect, page_of(t.p), PAGE, PROT_READ | PROT_WRITE, 0))
		return -1;
	*t.p = 0x0bad;
	return 0;
}

/* PKRU := 0 (every key open), then the write.  The bytes of xor ecx,ecx; xor edx,edx;
 * xor eax,eax; WRPKRU; ret, on a page the domain maps executable. */
static long wrpkru_jit_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	static const unsigned char code[] = { 0x31, 0xc9, 0x31, 0xd2, 0x31, 0xc0,
					      0x0f, 0x01, 0xef, 0xc3 };
	struct targets t = targets_of(in, in_len);
	unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	(void)out, (void)out_cap, (void)out_len;
	if (p == MAP_FAILED)
		return -1;
	memcpy(p, code, sizeof(code));
	if (mprotect(p, PAGE, PROT_READ | PROT_EXEC))
		return -1;
	((void (*)(void))p)();
	*t.p = 0x0bad;
	return 0;
}

/* Where pat (n bytes, then `then` at offset at, when at) first occurs in the
 * program's executable memory, or NULL. */
static const char *find_code(const unsigned char *pat, size_t n, size_t at, unsigned char then)
{
	extern const char __executable_start[], etext[];

	for (const char *q = __executable_start; q + n + at + 1 <= etext; q++)
		if (memcmp(q, pat, n) == 0 && (!at || (unsigned char)q[at] == then))
			return q;
	return NULL;
}

/* The gate's own way back to trusted rights (gate_pkru_trusted), found as an attacker
 * finds it, by its bytes: xor ecx,ecx; RDPKRU; test $0xaaaaaaaa,eax (its check of the
 * caller's rights); or, in a gate without that check, the bare xor eax,eax; xor
 * ecx,ecx; xor edx,edx; WRPKRU; test eax,eax; jnz 1b; ret.  (A jump past the check,
 * onto the WRPKRU loop itself, is not stopped: that needs control-flow integrity.) */
static void (*find_gadget(void))(void)
{
	static const unsigned char checked[] = { 0x31, 0xc9, 0x0f, 0x01, 0xee,
						 0xa9, 0xaa, 0xaa, 0xaa, 0xaa };
	static const unsigned char bare[] = { 0x31, 0xc0, 0x31, 0xc9, 0x31, 0xd2, 0x0f,
					      0x01, 0xef, 0x85, 0xc0, 0x75 };
	const char *q = find_code(checked, sizeof(checked), 0, 0);

	if (!q)
		q = find_code(bare, sizeof(bare), sizeof(bare) + 1, 0xc3);
	return (void (*)(void))(uintptr_t)q;
}

static long wrpkru_gadget_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			     size_t *out_len)
{
	struct targets t = targets_of(in, in_len);
	void (*gadget)(void) = find_gadget();

	(void)out, (void)out_cap, (void)out_len;
	if (!gadget)
		return -1;
	gadget();
	*t.p = 0x0bad;
	return 0;
}

static void on_planted(int sig)
{
	(void)sig;
}

/* A SIGSEGV handler set straight through the system call (past the interposed
 * sigaction): it would run later in the trusted program, with its rights. */
static long sigaction_plant_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			       size_t *out_len)
{
	struct { void (*handler)(int); unsigned long flags; void *restorer; uint64_t mask; } k = {
		on_planted, 0, NULL, 0
	};

	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return syscall(SYS_rt_sigaction, SIGSEGV, &k, NULL, sizeof(k.mask));
}

static void *kernel_handler(int sig)
{
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } k = { 0 };

	syscall(SYS_rt_sigaction, sig, NULL, &k, sizeof(k.mask));
	return k.handler;
}

static long munmap_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	return munmap(page_of(targets_of(in, in_len).p), PAGE);
}

static long kill_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	return kill(targets_of(in, in_len).pid, SIGKILL);
}

/* ---- the catalogue ----------------------------------------------------------------- */

enum target { T_NONE, T_GLOBAL, T_HEAP, T_STACK, T_OTHER, T_SECRET };

/* Each kind of failure: its name, what the domain runs, what it is pointed at. */
static const struct violation {
	const char *name;
	iso_fn *fn;
	enum target target;
} catalogue[] = {
	{ "write-global", write_fn, T_GLOBAL },       /* the program's .data */
	{ "write-heap", write_fn, T_HEAP },           /* a trusted heap object */
	{ "write-stack", write_fn, T_STACK },         /* the caller's stack */
	{ "write-other-domain", write_fn, T_OTHER },  /* another domain's iso_alloc buffer */
	{ "read-secret", read_fn, T_SECRET },         /* an iso_secret page */
	{ "free-trusted", free_fn, T_HEAP },          /* free() of a trusted heap object */
	{ "heap-overflow", overflow_fn, T_NONE },     /* 64 MiB from a 64-byte malloc */
	{ "stack-smash", smash_fn, T_NONE },          /* a stack array overrun */
	{ "null-write", null_fn, T_NONE },
	{ "abort", abort_fn, T_NONE },
	{ "endless-loop", loop_fn, T_NONE },          /* the watchdog: 200 ms */
	/* The PKU pitfalls: asking the kernel, or running WRPKRU (hardening's rows). */
	{ "domain-mprotect", mprotect_fn, T_GLOBAL }, /* mprotect(RW), then the write */
	{ "map-fixed-over-trusted", map_fixed_fn, T_GLOBAL },
	{ "proc-mem-write", proc_mem_fn, T_GLOBAL },  /* pwrite to /proc/<trusted>/mem */
	{ "pkey-mprotect", pkey_mprotect_fn, T_GLOBAL }, /* back to key 0, then the write */
	{ "wrpkru-jit", wrpkru_jit_fn, T_GLOBAL },    /* WRPKRU from a page it made */
	{ "wrpkru-gadget", wrpkru_gadget_fn, T_GLOBAL }, /* a call to the gate's WRPKRU */
	{ "sigaction-plant", sigaction_plant_fn, T_NONE }, /* rt_sigaction(SIGSEGV) */
	{ "munmap-trusted", munmap_fn, T_HEAP },      /* the trusted heap object's page */
	{ "kill-trusted", kill_fn, T_NONE },          /* kill(trusted pid, SIGKILL) */
};

#define NCASES (sizeof(catalogue) / sizeof(catalogue[0]))

const char *violation_name(size_t i)
{
	return i < NCASES ? catalogue[i].name : NULL;
}

/* ---- one case, in a subprocess ----------------------------------------------------- */

/* What the subprocess reports through its pipe. */
struct outcome {
	int err;      /* what iso_call returned */
	bool intact;  /* the trusted target holds what it held */
	bool leaked;  /* the secret came back */
	bool usable;  /* a good call works after it */
	bool elsewhere; /* the domain ran in another process */
	int64_t ns;   /* from the call to its return */
};

/* iso_strerror's code without its prefix and explanation: ISO_EFAULT -> "EFAULT". */
static void error_code(int err, char *buf, size_t n)
{
	const char *s = iso_strerror(err);

	if (strncmp(s, "ISO_", 4) != 0) {
		snprintf(buf, n, "error");
		return;
	}
	s += 4;
	snprintf(buf, n, "%.*s", (int)strcspn(s, ":"), s);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs in a child of the harness, so that what `none` lets through kills only that. */
static _Noreturn void run_case(const char *backend, enum iso_harden harden,
			       const struct violation *v, int fd)
{
	/* A 16 MiB arena (an 8 MiB heap): the 64 MiB overflow surely runs off its end. */
	struct iso_options opt = { .timeout_ms = VIOLATION_WATCHDOG_MS, .arena_size = 16u << 20,
				   .harden = harden };
	struct outcome o = { .err = ISO_OK, .intact = true, .usable = false };
	struct iso_domain *d = NULL, *other = NULL;
	volatile long on_stack = MARK;
	long *heap = malloc(sizeof(*heap)), *secret = NULL, ret = 0;
	struct targets t = { .overflow = (size_t)64 << 20, .pid = getpid() };
	void *segv;
	int64_t t0;

	if (!heap)
		_exit(SETUP_FAILED);
	*heap = MARK;
	switch (v->target) {
	case T_NONE: break;
	case T_GLOBAL: t.p = &trusted_global; break;
	case T_HEAP: t.p = heap; break;
	case T_STACK: t.p = &on_stack; break;
	case T_OTHER:
		if (iso_domain_create(backend, &opt, &other) || !(t.p = iso_alloc(other, 64)))
			_exit(SETUP_FAILED);
		*t.p = MARK;
		break;
	case T_SECRET:
		if (!(secret = aligned_alloc(PAGE, PAGE)))
			_exit(SETUP_FAILED);
		*secret = SECRET;
		if (iso_secret(secret, PAGE))
			_exit(SETUP_FAILED);
		t.p = secret;
		break;
	}
	if (iso_domain_create(backend, &opt, &d))
		_exit(SETUP_FAILED);
	o.elsewhere = iso_domain_pid(d) != getpid();
	segv = kernel_handler(SIGSEGV); /* isobench's, once a domain exists */
	t0 = now_ns();
	o.err = iso_call(d, v->fn, &t, sizeof(t), NULL, 0, NULL, &ret);
	o.ns = now_ns() - t0;
	if (v->target == T_SECRET)
		o.leaked = o.err == ISO_OK && ret == SECRET;
	else if (v->fn == sigaction_plant_fn)
		o.intact = kernel_handler(SIGSEGV) == segv;
	else if (v->fn == munmap_fn) /* msync: ENOMEM where the page is gone */
		o.intact = msync(page_of(t.p), PAGE, MS_ASYNC) == 0 && *t.p == MARK;
	else if (t.p && v->fn != free_fn) /* every case that writes its target */
		o.intact = *t.p == MARK;
	else if (v->fn == free_fn)
		o.intact = o.err != ISO_OK || o.elsewhere; /* freed here: the object is gone */
	ret = 0;
	o.usable = iso_call(d, good_fn, NULL, 0, NULL, 0, NULL, &ret) == ISO_OK && ret == 42;
	if (write(fd, &o, sizeof(o)) != (ssize_t)sizeof(o))
		_exit(SETUP_FAILED);
	_exit(0);
}

/* What each verdict judge() gives means: the legend of every matrix the harness writes. */
const char violation_glossary[] =
	"caught: an error came back, trusted memory intact, the domain usable again; "
	"caught-unusable: the same, but the domain not usable after it; contained: the call "
	"succeeded but changed only the memory of the child process; undetected: nothing "
	"noticed; missed: trusted memory written or the secret read; crash, hang: the whole "
	"program; n/a: the case could not be set up";

/* The verdict, from the outcome or from how the subprocess ended. */
static void judge(struct violation_cell *cell, const struct outcome *o, bool reported, int status,
		  bool hung)
{
	*cell = (struct violation_cell){ .ns = -1 };
	if (hung) {
		cell->verdict = "hang";
	} else if (!reported && WIFSIGNALED(status)) {
		const char *sig = sigabbrev_np(WTERMSIG(status));

		cell->verdict = "crash";
		snprintf(cell->detail, sizeof(cell->detail), "SIG%s", sig ? sig : "?");
	} else if (!reported && WIFEXITED(status) && WEXITSTATUS(status) != SETUP_FAILED) {
		cell->verdict = "crash"; /* exited mid-call: a sanitizer's report, an exit() */
		snprintf(cell->detail, sizeof(cell->detail), "exit %d", WEXITSTATUS(status));
	} else if (!reported) {
		cell->verdict = "n/a"; /* the case could not be set up */
	} else {
		cell->ns = o->ns;
		cell->intact = o->intact && !o->leaked;
		cell->usable = o->usable;
		if (!cell->intact)
			cell->verdict = "missed";
		else if (o->err != ISO_OK)
			cell->verdict = o->usable ? "caught" : "caught-unusable";
		else
			cell->verdict = o->elsewhere ? "contained" : "undetected";
		error_code(o->err, cell->detail, sizeof(cell->detail));
	}
}

int violation_run(const char *backend, enum iso_harden harden, size_t i, unsigned limit_ms,
		  struct violation_cell *cell)
{
	struct outcome o;
	int pipefd[2], status = 0;
	bool reported = false, hung = false;
	pid_t pid;

	if (i >= NCASES)
		return ISO_EINVAL;
	if (pipe2(pipefd, O_CLOEXEC))
		return ISO_ESYS; /* errno says why */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		errno = e;
		return ISO_ESYS;
	}
	if (pid == 0) {
		close(pipefd[0]);
		run_case(backend, harden, &catalogue[i], pipefd[1]);
	}
	close(pipefd[1]);
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
	int n = poll(&p, 1, (int)limit_ms);

	if (n > 0)
		reported = read(pipefd[0], &o, sizeof(o)) == (ssize_t)sizeof(o);
	else if (n == 0) {
		hung = true;
		kill(pid, SIGKILL);
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	judge(cell, &o, reported, status, hung);
	return ISO_OK;
}

/* ---- the matrix -------------------------------------------------------------------- */

static void cell_label(const struct violation_cell *x, char *buf, size_t n)
{
	if (x->detail[0])
		snprintf(buf, n, "%s %s", x->verdict, x->detail);
	else
		snprintf(buf, n, "%s", x->verdict);
}

static void write_table(FILE *f, const char *const *backends, size_t nb,
			const struct violation_cell *cells)
{
	char label[64];

	fprintf(f, "%-23s", "violation");
	for (size_t b = 0; b < nb; b++)
		fprintf(f, " %-19s", backends[b]);
	fputc('\n', f);
	for (size_t i = 0; i < NCASES; i++) {
		fprintf(f, "%-23s", catalogue[i].name);
		for (size_t b = 0; b < nb; b++) {
			cell_label(&cells[b * NCASES + i], label, sizeof(label));
			fprintf(f, " %-19s", label);
		}
		fputc('\n', f);
	}
	fprintf(f, "%s\n", violation_glossary);
}

static void write_csv(FILE *f, const char *const *backends, size_t nb,
		      const struct violation_cell *cells)
{
	fputs("backend,violation,verdict,detail,trusted_intact,domain_usable,ns\n", f);
	for (size_t b = 0; b < nb; b++)
		for (size_t i = 0; i < NCASES; i++) {
			const struct violation_cell *x = &cells[b * NCASES + i];

			fprintf(f, "%s,%s,%s,%s,%d,%d,", backends[b], catalogue[i].name, x->verdict,
				x->detail, x->intact, x->usable);
			if (x->ns >= 0)
				fprintf(f, "%lld", (long long)x->ns);
			fputc('\n', f);
		}
}

/* The matrix as csv or as the table into dir/name (name alone without dir), whole or
 * not at all; 0, or 1 after one line on stderr. */
static int write_file(const char *dir, const char *name, bool csv, const char *const *backends,
		      size_t nb, const struct violation_cell *cells)
{
	struct output o;

	if (output_open(&o, dir, name))
		return 1;
	(csv ? write_csv : write_table)(o.f, backends, nb, cells);
	return output_commit(&o, ferror(o.f)) ? 1 : 0;
}

int violations_main(const struct config *c)
{
	const char *backends[sizeof(c->backends) / sizeof(c->backends[0])];
	struct violation_cell *cells;
	size_t nb = 0;
	int status = 0;

	if (c->outdir && output_mkdir(c->outdir))
		return 2;
	for (size_t i = 0; i < c->nbackends; i++) {
		if (iso_backend_probe(c->backends[i]) != ISO_OK) {
			fprintf(stderr, "harness: skipped %s: %s\n", c->backends[i], iso_reason());
			continue;
		}
		backends[nb++] = c->backends[i];
	}
	if (nb == 0)
		return 1;
	if (!(cells = calloc(nb * NCASES, sizeof(*cells)))) {
		fprintf(stderr, "harness: out of memory\n");
		return 1;
	}
	for (size_t b = 0; b < nb && !status; b++)
		for (size_t i = 0; i < NCASES && !status; i++) {
			if (c->progress)
				fprintf(stderr, "[%zu/%zu] %s %s\n", b * NCASES + i + 1, nb * NCASES,
					backends[b], catalogue[i].name);
			if (violation_run(backends[b], c->opt.harden, i, c->case_limit_ms,
					  &cells[b * NCASES + i])) {
				fprintf(stderr, "harness: %s %s: %s\n", backends[b], catalogue[i].name,
					strerror(errno));
				status = 1;
			}
		}
	if (!status && c->outdir)
		status = write_file(c->outdir, "violations.csv", true, backends, nb, cells);
	if (!status && c->output)
		status = write_file(NULL, c->output, c->format == FMT_CSV, backends, nb, cells);
	else if (!status)
		(c->format == FMT_CSV ? write_csv : write_table)(stdout, backends, nb, cells);
	free(cells);
	return status;
}
