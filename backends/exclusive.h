/* exclusive.h: mprotect's calls one at a time process-wide, and other threads that fault on memory a call protected wait for it to end. */
#ifndef BACKENDS_EXCLUSIVE_H
#define BACKENDS_EXCLUSIVE_H

#include <stdbool.h>

/*
 * Page permissions are the process's, not a thread's: while one thread's mprotect
 * call runs, the trusted memory it made read-only (or inaccessible) is so for every
 * thread.  So a call holds this lock from before it protects anything until after it
 * has restored everything, and a thread outside every domain that faults meanwhile
 * waits (in its signal handler) until the call ends, then runs its instruction again.
 */

/* Once, before the first call: ISO_OK, or ISO_ENOMEM/ISO_ESYS with the reason. */
int exclusive_init(void);
/* Wait until no other thread's call holds the lock, and take it. */
void exclusive_begin(void);
/* Does this thread hold it? (async-signal-safe) */
bool exclusive_held(void);
/* Give it back (async-signal-safe: a rewind does it in the signal handler). */
void exclusive_end(void);
/* The holder has restored every protection but keeps the lock a while longer (a
 * rewind, across the discard of the domain's memory): the threads waiting in their
 * fault handlers may run their instruction again now.  They must not wait for the
 * end: one may hold a lock the discard needs (jemalloc's), taken before it faulted.
 * Async-signal-safe. */
void exclusive_restored(void);
/*
 * In the signal handler, on a thread outside every domain, for a SIGSEGV with
 * SEGV_ACCERR: wait until the call that holds the lock (if any) has ended.  true:
 * run the instruction again; false: the fault is the program's own (it came again
 * with no call in between).
 */
bool exclusive_wait(void);

#endif
