/* iso.h: isobench's one public interface: run a function inside an isolated domain. */
#ifndef ISO_H
#define ISO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every function returns ISO_OK (0) or one of these negative codes.  A failure of the
 * domain (ISO_EFAULT, ISO_ECRASH, ISO_ETIMEDOUT) leaves the domain usable: its memory
 * is discarded or its child respawned, and the caller's memory is as it was.
 */
enum iso_error {
	ISO_OK = 0,
	ISO_EFAULT = -1,    /* memory violation inside the domain; domain rewound */
	ISO_ECRASH = -2,    /* the domain died: signal, abort, stack smash, exit */
	ISO_ETIMEDOUT = -3, /* the watchdog fired; domain killed and rewound */
	ISO_E2BIG = -4,     /* a buffer does not fit the domain, or out_len > out_cap */
	ISO_ENOMEM = -5,    /* out of memory (trusted or domain side) */
	ISO_EINVAL = -6,    /* bad argument */
	ISO_ENOTSUP = -7,   /* backend unknown or not supported on this machine */
	ISO_ESYS = -8,      /* a system call failed; iso_reason() names it */
	ISO_EEXIT = -9,     /* the domain called exit, _exit or quick_exit; domain
	                       rewound (in-process) or its child respawned (process);
	                       none of the program's exit handlers ran */
};

/* How the caller waits for a domain that runs elsewhere (the process backend). */
enum iso_wait {
	ISO_WAIT_HYBRID = 0, /* spin briefly, then sleep on a futex (default) */
	ISO_WAIT_SPIN,       /* spin until the reply; lowest latency, burns a core */
	ISO_WAIT_FUTEX,      /* sleep on a futex at once; cheapest on CPU */
	ISO_WAIT_HANDOFF,    /* the child runs on the caller's CPU while the caller
	                        sleeps: a context switch each way, but the data never
	                        crosses cores (large payloads; or one CPU) */
};

/*
 * Hardening (on by default): the domain's system calls are filtered, so that it
 * cannot change the protections or mappings of memory that is not its own, write
 * another process's or its own /proc/<pid>/mem, ptrace, signal the trusted side or
 * install signal handlers.  mpk and mprotect: Syscall User Dispatch while the domain
 * runs, and a denied attack ends the call with ISO_EFAULT (other calls outside the
 * policy fail with EPERM inside the domain); process: Landlock and a seccomp filter
 * in the child, which is killed at an attack (ISO_ECRASH).  README: "Hardened
 * domains".
 */
enum iso_harden {
	ISO_HARDEN_ON = 0, /* the default */
	ISO_HARDEN_OFF,    /* no filter: the domain may make any system call */
};

/* Options for iso_domain_create.  A zeroed struct (or NULL) means all defaults. */
struct iso_options {
	unsigned timeout_ms;  /* watchdog per call; 0 = none */
	enum iso_wait wait;   /* wait policy, where the backend waits at all */
	unsigned spin_us;     /* hybrid: how long to spin before sleeping; 0 = default
	                         (ISO_SPIN_US_DEFAULT) */
	size_t arena_size;    /* bytes of domain memory (copy buffers + iso_alloc heap);
	                         0 = default (ISO_ARENA_DEFAULT) */
	size_t mem_limit;     /* bytes the domain's malloc may take; past them it
	                         returns NULL.  0 = no limit but the arena (in-process)
	                         or the machine (process).  The none backend ignores it */
	enum iso_harden harden; /* the system call filter; ISO_HARDEN_ON by default */
	/*
	 * Libraries with global state (README: "Libraries with global state").
	 * init: run inside the domain at create and again before the first call after
	 * every rewind (in-process) or respawn (process): a library's set-up, such as
	 * xmlInitParser.  0 is success; another value, or a failure of the domain
	 * while it runs, fails iso_domain_create (iso_reason says which; a non-zero
	 * return is ISO_ECRASH) or, later, the call it precedes.  NULL: none.
	 */
	int (*init)(void *arg);
	void *init_arg;
	/*
	 * adopt: NULL-ended sonames ("libxml2.so.2") of shared libraries handed to the
	 * domain, loaded (dlopen) if they are not yet.  mpk and mprotect: their
	 * writable data (.data, .bss) becomes the domain's (its key; hidden from other
	 * domains) and is put back as it was at create before init re-runs after a
	 * rewind, and at destroy and exit.  process: the child's copy is its own
	 * anyway.  The trusted side must not call an adopted library itself, nor
	 * have used it before; one domain at a time may adopt a library; libc and
	 * the program cannot be adopted.  NULL: none.
	 */
	const char *const *adopt;
	int confidential;     /* nonzero: the domain cannot read the program's data, the
	                         trusted heap or the caller's stack either (mpk: access-
	                         disable; mprotect: PROT_NONE), only what it is given.
	                         mpk and mprotect only (elsewhere ISO_ENOTSUP).  README:
	                         "Confidential domains" */
};

#define ISO_ARENA_DEFAULT ((size_t)128 << 20)
/* Long enough that calls of a few hundred microseconds (256 KiB of records) end
 * before the caller sleeps: a futex wake-up costs tens of microseconds on a VM. */
#define ISO_SPIN_US_DEFAULT 200u

/*
 * The function run inside a domain.  It sees only domain memory: `in` (in_len bytes,
 * copied in unless it is an iso_alloc buffer) and `out` (out_cap bytes).  It stores
 * how many bytes of `out` it produced in *out_len (0 if it does not) and returns a
 * value of its own, handed back through iso_call's `ret`.  It must be a plain function
 * of the program (its address is valid in a forked child too).
 */
typedef long iso_fn(const void *in, size_t in_len, void *out, size_t out_cap,
		    size_t *out_len);

struct iso_domain;

/* Create a domain on the named backend ("none", "process", "mpk", "mprotect"). */
int iso_domain_create(const char *backend, const struct iso_options *opt,
		      struct iso_domain **out);
/* Destroy a domain (NULL is fine): reaps its child, unmaps its memory. */
void iso_domain_destroy(struct iso_domain *d);
/* The process a domain's code runs in: its child for `process`, else getpid(). It
 * changes when a crashed child is respawned (for counting the child's events). */
int iso_domain_pid(const struct iso_domain *d);
/* The backend name a domain runs on. */
const char *iso_domain_backend(const struct iso_domain *d);

/*
 * Run fn(in, in_len, out, out_cap, &n) inside the domain.  On ISO_OK the trusted side
 * has checked n <= out_cap, copied n bytes to `out` (nothing to copy when `out` is an
 * iso_alloc buffer), stored n in *out_len and fn's return value in *ret (either may
 * be NULL).  `in` and `out` may be NULL when their length is 0.  On failure nothing
 * is written to `out`, *out_len or *ret.
 */
int iso_call(struct iso_domain *d, iso_fn *fn, const void *in, size_t in_len,
	     void *out, size_t out_cap, size_t *out_len, long *ret);

/*
 * The backend's switching mechanism alone, iters times, without running any domain
 * code (mprotect: protect and restore the same regions a call does; mpk: two WRPKRU
 * and a call on the domain stack): the floor a round trip is measured against.
 * ISO_ENOTSUP where a backend has no such mechanism (none, process).
 */
int iso_domain_bare(struct iso_domain *d, unsigned long iters);

/*
 * Zero-copy buffers: memory both the trusted side and the domain may touch.  An
 * iso_call whose `in` or `out` lies wholly inside one is passed as is.  The domain
 * can write these buffers at any time it runs: validate what you read from them.
 */
void *iso_alloc(struct iso_domain *d, size_t n);
void iso_free(struct iso_domain *d, void *p);

/*
 * Secrets: page-aligned memory no domain may read.  mpk tags it with a key domains
 * cannot use, mprotect makes it PROT_NONE while a domain runs, and a process
 * domain's child drops it after fork (its copy of the pages is discarded).  At most
 * 16 ranges.  A range must be unsecreted with the same pointer and length.
 */
int iso_secret(void *p, size_t n);
int iso_unsecret(void *p, size_t n);

/*
 * Give the trusted heap's unused pages back to the kernel now.  An mprotect domain's
 * switch costs grow with how much of the trusted heap is resident; a benchmark calls
 * this between measurements so that one does not pay for the last one's buffers.
 * It also makes the heap whole huge pages again where a fork split them.  Does
 * nothing when called from inside a domain.
 */
void iso_trim(void);

/* Name of an error code ("ISO_ECRASH: the domain crashed"). */
const char *iso_strerror(int err);
/*
 * Why the last failing iso_domain_create, iso_backend_probe or iso_call on this
 * thread failed, in a few words ("CPU lacks PKU", "fork: Resource temporarily
 * unavailable"); "" when there is nothing to add to iso_strerror.
 */
const char *iso_reason(void);

/* The backends built in, in registry order; NULL past the end. */
const char *iso_backend_name(size_t i);
/* One line on what the backend is. NULL for an unknown name. */
const char *iso_backend_summary(const char *name);
/* ISO_OK if the backend can create domains here; else ISO_ENOTSUP, iso_reason() why. */
int iso_backend_probe(const char *name);

/* Threads: a domain is used by one thread at a time; calls from several threads on
 * one domain must be serialised by the caller. */

#ifdef __cplusplus
}
#endif

#endif
