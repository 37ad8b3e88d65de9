/* process_zygote.c: the child side of standbys (process_standby.h): the zygote clones them, a standby waits to be named. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process.h"

static uint32_t self; /* this child's pid, for the per-request owner check */
/* A zygote leads a process group of its own, which its standbys (and the children
 * they become) inherit: when the program dies, the zygote's watcher ends the group
 * (process_zygote_orphaned), and a standby needs no watcher thread of its own
 * (creating one, and its exit with the child, cost some 100 us of CPU a crash). */
static bool grouped;
/* The zygote runs SCHED_BATCH (when the program's thread ran SCHED_OTHER): woken to
 * clone a successor, it does not preempt the caller on its CPU (it did, for the
 * clone's 250 us, while the other CPU sat idle), and it still runs whenever a CPU
 * is free.  Each standby goes back to SCHED_OTHER, which needs no privilege. */
static bool batch;

static void run_batch(void)
{
	struct sched_param p = { 0 };

	batch = sched_getscheduler(0) == SCHED_OTHER && sched_setscheduler(0, SCHED_BATCH, &p) == 0;
}

static void run_normal(void)
{
	struct sched_param p = { 0 };

	if (batch)
		sched_setscheduler(0, SCHED_OTHER, &p);
}

/* Until the parent names this standby in the slot. */
static void standby_wait(struct process_domain *d)
{
	struct process_slot *s = PROCESS_SLOT(d->arena);
	uint32_t v;

	while ((v = atomic_load(&s->go)) != self)
		syscall(SYS_futex, &s->go, FUTEX_WAIT_BITSET, v, NULL, NULL,
			process_standby_bit(self));
}

void process_zygote_serve(struct process_domain *d, const struct process_domain *all,
			  void (*prepare)(const struct process_domain *d),
			  void (*watch)(pid_t parent))
{
	int zfd = d->sb.zfd;

	self = (uint32_t)getpid();
	for (const struct process_domain *o = all; o; o = o->next)
		if (o->sb.fd >= 0)
			close(o->sb.fd);
	if (zfd < 0)
		return; /* a child the parent forked itself */
	grouped = setpgid(0, 0) == 0 && getpgrp() == getpid();
	run_batch();
	for (;;) {
		int32_t reply;
		pid_t pid;
		char b;
		ssize_t n = recv(zfd, &b, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the parent is done with this domain */
		/* A raw clone, not fork(): CLONE_PARENT makes the standby the program's
		 * child.  Nothing here holds a lock (the watcher thread sleeps in poll). */
		pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
		if (pid == 0) {
			close(zfd);
			self = (uint32_t)getpid();
			run_normal();
			prepare(d);
			if (!grouped)
				watch(d->parent); /* threads do not survive a clone */
			standby_wait(d);
			return;
		}
		reply = pid < 0 ? -errno : pid;
		if (send(zfd, &reply, sizeof(reply), MSG_NOSIGNAL) != sizeof(reply))
			_exit(0);
	}
}

int process_zygote_mine(const struct process_domain *d)
{
	return atomic_load_explicit(&PROCESS_SLOT(d->arena)->owner, memory_order_relaxed) == self;
}

void process_zygote_orphaned(void)
{
	if (grouped && getpgrp() == getpid())
		kill(0, SIGKILL); /* the zygote's own group: itself and its standbys */
}
