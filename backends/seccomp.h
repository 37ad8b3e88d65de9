/* seccomp.h: the process backend's child confined: seccomp and Landlock, so that it cannot reach its parent. */
#ifndef BACKENDS_SECCOMP_H
#define BACKENDS_SECCOMP_H

#include <sys/types.h>

/*
 * Confine the calling process (a domain's child) for good: no new privileges, a
 * Landlock domain (the parent lies outside it: no ptrace, no /proc/<parent>/mem, no
 * pidfd_getfd, no signals to it), then a seccomp filter on every thread that kills
 * the process at ptrace, process_vm_readv/writev, pidfd_send_signal, pidfd_getfd,
 * rt_(tg)sigqueueinfo, tkill, and kill/tgkill of any process but itself.  Returns 0,
 * or -1 with errno set (the child then exits: it never runs a domain unconfined).
 */
int seccomp_confine_child(void);

/*
 * Confine a zygote, and with it every process it will clone, where the kernel's
 * Landlock has a signal scope (ABI 6, Linux 6.12): no new privileges, a Landlock
 * domain, and a filter that kills at the same calls but lets kill/tgkill reach any pid
 * but `program`'s and a group's (kill(0, SIGKILL) excepted: the zygote ends its own
 * group with it), leaving the rest to Landlock's scope.  One filter for all of them:
 * compiling one per clone cost some 40 us of CPU, and freeing it at the clone's death
 * a kworker's 15 us more.  Returns 0; 1 where the kernel has no signal scope
 * (nothing done: confine each child with seccomp_confine_child); -1 with errno.
 * Call it before the process makes a thread: Landlock binds only the calling thread.
 */
int seccomp_confine_tree(pid_t program);

/*
 * In a clone of a confined zygote: a Landlock domain of its own, nested in the
 * zygote's, so that it can neither ptrace (nor open /proc/<pid>/mem of) nor signal
 * the zygote or the other clones.  Returns 0, or -1 with errno.
 */
int seccomp_confine_branch(void);

#endif
