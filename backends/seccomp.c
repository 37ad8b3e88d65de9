/* seccomp.c: the process backend's child confined with seccomp and Landlock: it cannot trace, write, or signal its parent. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp.h"

/*
 * Landlock: any domain keeps its processes from ptrace access to processes outside
 * it (which is what opening /proc/<pid>/mem and pidfd_getfd need, even as root), and
 * from ABI 6 (Linux 6.12) its signal scope keeps them from signalling outside it.
 * Making character or block devices is the one file access it handles (no rule
 * grants it): the ruleset must handle something on kernels without scopes.
 */
/* struct landlock_ruleset_attr as of ABI 6: Debian 12's headers stop at ABI 3. */
struct seccomp_ruleset {
	uint64_t handled_access_fs, handled_access_net, scoped;
};

#define SECCOMP_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)
#define SECCOMP_SCOPE_SIGNAL (1ull << 1)

/* Landlock's ABI version, 0 without Landlock. */
static long landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : abi;
}

/* A new Landlock domain, nested in the caller's if it has one. */
static int landlock(void)
{
	struct seccomp_ruleset attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK,
	};
	long abi = landlock_abi();
	size_t size = offsetof(struct seccomp_ruleset, handled_access_net);
	int fd, err;

	if (abi < 1) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (abi >= 6) {
		attr.scoped = SECCOMP_SCOPE_SIGNAL | SECCOMP_SCOPE_ABSTRACT_UNIX_SOCKET;
		size = sizeof(attr);
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return -1;
	err = (int)syscall(SYS_landlock_restrict_self, fd, 0);
	close(fd);
	return err ? -1 : 0;
}

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define KILL BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
/* The syscall in A is nr: go to the instruction `to` further on, else on. */
#define IS(nr, to) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), (to), 0)

/* Instructions 0..17: the calls killed outright (6..13, to 17), then kill and tgkill
 * (14, 15) to instruction 18, where each filter checks their pid. */
#define PROLOGUE                                                                 \
	LOAD(arch), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0), KILL, \
		LOAD(nr),                                                        \
		/* x32 numbers reach the same calls by other numbers: none of them. */ \
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1), KILL,    \
		IS(SYS_ptrace, 10), IS(SYS_process_vm_readv, 9),                 \
		IS(SYS_process_vm_writev, 8), IS(SYS_pidfd_send_signal, 7),      \
		IS(SYS_pidfd_getfd, 6), IS(SYS_rt_sigqueueinfo, 5),              \
		IS(SYS_rt_tgsigqueueinfo, 4), IS(SYS_tkill, 3), IS(SYS_kill, 3), \
		IS(SYS_tgkill, 2), ALLOW, KILL

static int install(struct sock_filter *f, unsigned short len)
{
	struct sock_fprog prog = { .len = len, .filter = f };

	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

/* A child's own filter: kill and tgkill to this process only. */
static int filter_self(pid_t self)
{
	struct sock_filter f[] = {
		PROLOGUE,
		LOAD(args[0]), /* its low half: the pid */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 1, 0),
		KILL,
		ALLOW,
	};

	return install(f, sizeof(f) / sizeof(f[0]));
}

/*
 * A zygote's filter, which its clones inherit, so it cannot name them: kill and tgkill
 * of the program, of a process group and of every process (pid <= 0) kill the caller;
 * kill(0, SIGKILL) is let through, for the zygote's end of its own group.  Any other
 * pid is Landlock's: its signal scope refuses (EPERM) every process outside the
 * caller's domain.
 */
static int filter_tree(pid_t program)
{
	struct sock_filter f[] = {
		PROLOGUE,
		/* 18 */ LOAD(args[0]),
		/* 19 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)program, 3, 0),
		/* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0),
		/* 21 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x80000000u, 1, 0),
		/* 22 */ ALLOW,
		/* 23 */ KILL,
		/* 24: pid 0, a signal to the caller's group: SIGKILL by kill only */
		LOAD(nr),
		/* 25 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, 0, 3),
		/* 26 */ LOAD(args[1]),
		/* 27 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIGKILL, 0, 1),
		/* 28 */ ALLOW,
		/* 29 */ KILL,
	};

	return install(f, sizeof(f) / sizeof(f[0]));
}

int seccomp_confine_child(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (landlock() && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	return filter_self(getpid()) ? -1 : 0;
}

int seccomp_confine_tree(pid_t program)
{
	if (landlock_abi() < 6)
		return 1; /* no signal scope: each child is confined under its own pid */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || landlock())
		return -1;
	return filter_tree(program) ? -1 : 0;
}

int seccomp_confine_branch(void)
{
	return landlock();
}
