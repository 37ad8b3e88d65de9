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

#endif
