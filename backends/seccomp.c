/* seccomp.c: the process backend's child confined with seccomp and Landlock: it cannot trace, write, or signal its parent. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
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

static int landlock(void)
{
	struct seccomp_ruleset attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK,
	};
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	size_t size = offsetof(struct seccomp_ruleset, handled_access_net);
	int fd, err;

	if (abi < 1)
		return -1;
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

static int filter(pid_t self)
{
	struct sock_filter f[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		KILL,
		LOAD(nr),
		/* x32 numbers reach the same calls by other numbers: none of them. */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1),
		KILL,
		/* 6..13: killed outright (to 17) */
		IS(SYS_ptrace, 10),
		IS(SYS_process_vm_readv, 9),
		IS(SYS_process_vm_writev, 8),
		IS(SYS_pidfd_send_signal, 7),
		IS(SYS_pidfd_getfd, 6),
		IS(SYS_rt_sigqueueinfo, 5),
		IS(SYS_rt_tgsigqueueinfo, 4),
		IS(SYS_tkill, 3),
		/* 14, 15: kill and tgkill, to this process only (to 18) */
		IS(SYS_kill, 3),
		IS(SYS_tgkill, 2),
		ALLOW,
		KILL,
		LOAD(args[0]), /* its low half: the pid */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 1, 0),
		KILL,
		ALLOW,
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

int seccomp_confine_child(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (landlock() && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	return filter(getpid()) ? -1 : 0;
}
