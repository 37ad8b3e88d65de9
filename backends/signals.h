/* signals.h: isobench takes over the fault signals (its handler first, the program's behind it) and runs every other handler of the program with trusted rights. */
#ifndef BACKENDS_SIGNALS_H
#define BACKENDS_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#include "region.h"

/* The in-process watchdog's timer signal, taken over with the fault signals. */
#define SIGNALS_WATCHDOG (SIGRTMAX - 3)

/*
 * What isobench makes of a signal it took over: true when it was isobench's own
 * (it may not return: a rewind), false to hand it to the program's handler.
 */
typedef bool signals_take_fn(int sig, siginfo_t *si, void *uc);

/* Take over the fault signals and SIGNALS_WATCHDOG for take, once per process.
 * ISO_OK, or ISO_ESYS with the reason. */
int signals_install(signals_take_fn *take);
/*
 * signals.c interposes sigaction and signal.  Every handler the program installs for
 * another signal runs behind a wrapper that restores trusted rights (mpk), on the
 * alternate stack (SA_ONSTACK added).  From inside an in-process domain, installing a
 * handler fails with EPERM.  glibc's own sigaction, under the other name it exports:
 */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif
