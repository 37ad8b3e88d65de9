/* sud.h: the system call filter of hardened in-process domains: Syscall User Dispatch, switched around each call. */
#ifndef BACKENDS_SUD_H
#define BACKENDS_SUD_H

#include <stddef.h>
#include <stdint.h>

#include <signal.h>
#include <stdbool.h>

#include "region.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a SIGSYS from the dispatch */
#endif


/*
 * While a hardened domain runs, its thread's selector byte says BLOCK and every
 * system call it makes comes to sud.c's SIGSYS handler, which applies the policy
 * (sud.c, README "Hardened domains"): allowed calls are made again, with the
 * domain's rights, from sud.c's own code range (which the kernel lets through);
 * some are emulated; the rest fail with EPERM; an attack (changing memory that is
 * not the domain's, new executable memory, /proc/<pid>/mem, ptrace, signals to
 * others, handlers, prctl, seccomp, new processes or threads) is a violation: take
 * (inproc.c's) rewinds the call with ISO_EFAULT.
 */

/* What rewinds a call the filter refuses (inproc.c's take, as signals.h's). */
typedef bool sud_take_fn(int sig, siginfo_t *si, void *uc);

/* mpk is in use: the handler's first step is trusted rights, and selector pages are
 * pages of their own under key (which every domain may read, none write: the kernel
 * reads the selector with the domain's rights, which may shut the trusted key).
 * Otherwise (mprotect) they lie in the trusted heap, read-only while a domain runs. */
void sud_use_pkru(int key);
/* This thread's selector page and the dispatch, at its first hardened call (once a
 * thread).  ISO_OK, or ISO_ENOTSUP / ISO_ESYS with the reason. */
int sud_arm(sud_take_fn *take);
/* Entering a hardened domain whose memory is [lo, lo+len) and whose rights are pkru
 * (mpk; 0 otherwise): from here every system call of this thread is filtered. */
void sud_block(char *lo, size_t len, uint32_t pkru);
/* Leaving the domain, or rewinding it (with trusted rights, and under mprotect the
 * selector page writable again): the thread's calls go straight to the kernel. */
void sud_allow(void);
/* A callback leaves the domain for a while (with trusted rights): its calls go straight
 * to the kernel until sud_resume, which puts back what sud_pause found. */
bool sud_pause(void);
void sud_resume(bool blocked);
/* This thread's selector byte (NULL before its first hardened call): for the tests,
 * which check that a domain cannot write it. */
volatile unsigned char *sud_selector(void);
/* mprotect(2) from sud.c's code range, which the filter lets through (mprotect.c's
 * switch runs with the selector at BLOCK).  0, or -1 with errno. */
int sud_mprotect(void *lo, size_t len, int prot);

/*
 * sigaction(2) as glibc's, but returning through sud.c's restorer, whose rt_sigreturn
 * the filter lets through: a handler that interrupts a hardened domain returns into
 * it (glibc's restorer lies outside the allowed range).  signals.c installs every
 * handler with it.
 */
int sud_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif
