/* signals.c: signal takeover: isobench's handler for the fault signals, sigaction and signal interposed, the program's handlers chained. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "gate.h"
#include "handler_page.h"
#include "iso.h"
#include "reason.h"
#include "route.h"
#include "signals.h"
#include "sud.h"

static const int handled[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP };

/* The program's handlers and isobench's take live in handler_page_data.signals
 * (handler_page.h says where and why). */

/* glibc's struct sigaction to the kernel's form and back: the bits of sa_mask past
 * the kernel's 64 signals are never delivered (glibc's own sigaction leaves them
 * unset in what it returns too). */
static struct handler_page_action pack(const struct sigaction *a)
{
	struct handler_page_action o = { .handler = (void *)a->sa_sigaction,
					  .restorer = a->sa_restorer,
					  .flags = a->sa_flags };

	memcpy(&o.mask, &a->sa_mask, sizeof(o.mask));
	return o;
}

static struct sigaction unpack(const struct handler_page_action *o)
{
	struct sigaction a = { .sa_flags = o->flags, .sa_restorer = o->restorer };

	a.sa_sigaction = (void (*)(int, siginfo_t *, void *))o->handler;
	memcpy(&a.sa_mask, &o->mask, sizeof(o->mask));
	return a;
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct handler_page_action *o = &handler_page_data.signals.old[sig];
	void (*handler)(int) = (void (*)(int))o->handler;
	void (*action)(int, siginfo_t *, void *) = (void (*)(int, siginfo_t *, void *))o->handler;
	bool info = o->flags & SA_SIGINFO;

	if (o->flags & SA_RESETHAND)
		*o = (struct handler_page_action){ .handler = (void *)SIG_DFL };
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

/*
 * Every other handler the program installs runs behind this one, which gives the
 * thread trusted rights first (under mpk the kernel runs handlers with a PKRU that
 * shuts the trusted key, and the handler would fault on the program's own data).
 */
static void on_program(int sig, siginfo_t *si, void *uc)
{
	gate_handler_rights(uc);
	chain(sig, si, uc);
}

static bool is_handler(const struct sigaction *a)
{
	return (a->sa_flags & SA_SIGINFO) || (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN);
}

/* What the kernel holds for sig, as the program installed it. */
static void as_installed(int sig, const struct sigaction *kernel, struct sigaction *out)
{
	bool ours = (kernel->sa_flags & SA_SIGINFO) && kernel->sa_sigaction == on_program;

	*out = ours ? unpack(&handler_page_data.signals.old[sig]) : *kernel;
}

/* A signal isobench does not take: the program's handler goes in behind on_program. */
static int install_program(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction kernel, was;
	struct handler_page_action prev = handler_page_data.signals.old[sig];

	if (!act) {
		if (__sigaction(sig, NULL, &was))
			return -1;
		if (old)
			as_installed(sig, &was, old);
		return 0;
	}
	kernel = *act;
	if (is_handler(act)) {
		/* On the alternate stack: a thread that entered an mpk domain has its stack
		 * under the trusted key, and one, isobench's, to run handlers on. */
		kernel.sa_sigaction = on_program;
		kernel.sa_flags |= SA_SIGINFO | SA_ONSTACK;
	}
	handler_page_data.signals.old[sig] = pack(act); /* before the kernel can deliver to on_program */
	if (sud_sigaction(sig, &kernel, &was)) {
		handler_page_data.signals.old[sig] = prev;
		return -1;
	}
	if (old) {
		handler_page_data.signals.old[sig] = prev;
		as_installed(sig, &was, old);
		handler_page_data.signals.old[sig] = pack(act);
	}
	return 0;
}

/*
 * Code inside an in-process domain may not install handlers: they would run later,
 * outside the domain, with the program's rights.  It gets EPERM.
 */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (act && route_thread.heap) {
		errno = EPERM;
		return -1;
	}
	if (sig <= 0 || sig >= _NSIG || sig == SIGKILL || sig == SIGSTOP)
		return __sigaction(sig, act, old);
	if (!owned(sig))
		return install_program(sig, act, old);
	if (old)
		*old = unpack(&handler_page_data.signals.old[sig]);
	if (act)
		handler_page_data.signals.old[sig] = pack(act);
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

/* Handlers return through sud.c's restorer, which a hardened domain's filter lets
 * through (sud_sigaction): the installs below use it. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	/* The kernel runs handlers with its default PKRU, which shuts the trusted key. */
	gate_handler_rights(uc);
	if (!handler_page_data.signals.fn(sig, si, uc))
		chain(sig, si, uc);
}

int signals_install(signals_take_fn *fn)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART };
	struct sigaction was;
	int err = ISO_OK;

	handler_page_data.signals.fn = fn;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&sa.sa_mask, handled[i]);
	sigaddset(&sa.sa_mask, SIGNALS_WATCHDOG);
	for (size_t i = 0; i <= sizeof(handled) / sizeof(handled[0]); i++) {
		int sig = i < sizeof(handled) / sizeof(handled[0]) ? handled[i] : SIGNALS_WATCHDOG;

		if (sud_sigaction(sig, &sa, &was))
			err = reason_sys("sigaction");
		else
			handler_page_data.signals.old[sig] = pack(&was);
	}
	atomic_store(&installed, !err);
	return err;
}
