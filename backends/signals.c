/* signals.c: signal takeover: isobench's handler for the fault signals, sigaction and signal interposed, the program's handlers chained. */
#define _GNU_SOURCE
#include <stdatomic.h>

#include "addrspace.h"
#include "gate.h"
#include "iso.h"
#include "reason.h"
#include "signals.h"

#define PAGE 4096u

/* What the handler reads before it knows whose rights are in force. */
struct shared {
	struct sigaction old[_NSIG]; /* the handlers isobench's own replaced */
	bool pkru;                   /* mpk is in use: the handler first restores PKRU */
} __attribute__((aligned(PAGE)));

static struct shared shared ADDRSPACE_UNPROTECTED;

static const int handled[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP };

/* Read only after the handler has restored trusted rights. */
static signals_take_fn *take;

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *o = &shared.old[sig];
	void (*handler)(int) = o->sa_handler;
	void (*action)(int, siginfo_t *, void *) = o->sa_sigaction;
	bool info = o->sa_flags & SA_SIGINFO;

	if (o->sa_flags & SA_RESETHAND)
		*o = (struct sigaction){ .sa_handler = SIG_DFL };
	if (info) {
		action(sig, si, uc);
	} else if (handler == SIG_DFL || handler == SIG_IGN) {
		/* As if isobench were not there: the default action, now. */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		__sigaction(sig, &dfl, NULL);
		raise(sig);
	} else {
		handler(sig);
	}
}

/*
 * A program that installs its own handler for a signal isobench handles (before or
 * after isobench) gets it called for everything isobench does not take, faults
 * outside domains included, with full rights restored first under mpk.  isobench's
 * handler stays in place, or faults inside domains would kill the program.
 */
static _Atomic bool installed;

static bool owned(int sig)
{
	if (!atomic_load(&installed))
		return false;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (handled[i] == sig)
			return true;
	return sig == SIGNALS_WATCHDOG;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!owned(sig))
		return __sigaction(sig, act, old);
	if (old)
		*old = shared.old[sig];
	if (act)
		shared.old[sig] = *act;
	return 0;
}

sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;

	/* glibc's signal(): BSD semantics, the signal blocked in its own handler. */
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < _NSIG)
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	/* The kernel runs handlers with its default PKRU, which shuts the trusted key. */
	if (shared.pkru)
		gate_pkru_trusted();
	if (!take(sig, si, uc))
		chain(sig, si, uc);
}

int signals_install(signals_take_fn *fn)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART };
	int err = ISO_OK;

	take = fn;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&sa.sa_mask, handled[i]);
	sigaddset(&sa.sa_mask, SIGNALS_WATCHDOG);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (__sigaction(handled[i], &sa, &shared.old[handled[i]]))
			err = reason_sys("sigaction");
	if (__sigaction(SIGNALS_WATCHDOG, &sa, &shared.old[SIGNALS_WATCHDOG]))
		err = reason_sys("sigaction");
	atomic_store(&installed, !err);
	return err;
}

void signals_restore_pkru(void)
{
	shared.pkru = true;
}
