/* process_standby.c: the parent side of standbys (process_standby.h): fork the zygote, take a standby over, retire them all. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.h"
#include "reason.h"
#include "secret.h"

#define STANDBY_WAIT_MS 2000 /* for a clone the zygote owes: normally well under 1 ms */

void process_standby_init(struct process_domain *d)
{
	memset(&d->sb, 0, sizeof(d->sb));
	d->sb.fd = d->sb.zfd = -1;
	d->sb.zygote = -1;
}

static void kill_and_collect(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

_Static_assert(sizeof(struct chan) <= 4096 - 64, "the channel overlaps the standby slot");

/* WNOWAIT: a dead standby stays a zombie, its pid not reused, until collected. */
static bool exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == pid;
}

static int ask(struct process_domain *d)
{
	if (send(d->sb.fd, "s", 1, MSG_NOSIGNAL) != 1)
		return reason_sys("send to the zygote");
	d->sb.asked++;
	return ISO_OK;
}

/* Take in the zygote's replies; with `block`, wait (a while) for one it owes.  Not
 * ISO_OK: the zygote is gone or silent. */
static int receive(struct process_domain *d, bool block)
{
	struct pollfd p = { .fd = d->sb.fd, .events = POLLIN };

	while (d->sb.asked) {
		int32_t r;
		ssize_t n = recv(d->sb.fd, &r, sizeof(r), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!block || d->sb.nready)
				return ISO_OK;
			if (poll(&p, 1, STANDBY_WAIT_MS) == 0)
				return reason_set(ISO_ECRASH, "the zygote did not answer");
			continue;
		}
		if (n != sizeof(r))
			return reason_set(ISO_ECRASH, "the zygote is gone");
		d->sb.asked--;
		if (r > 0 && d->sb.nready < sizeof(d->sb.ready) / sizeof(d->sb.ready[0]))
			d->sb.ready[d->sb.nready++] = r;
		else if (r > 0)
			kill_and_collect(r); /* never: no more are asked for than fit */
	}
	return ISO_OK;
}

void process_standby_stop(struct process_domain *d)
{
	if (d->sb.fd < 0)
		return;
	/* A copy of the program made by fork() shares these with the original, whose
	 * they are: it forgets them, and makes its own. */
	if (d->sb.parent == getpid()) {
		/* The zygote finishes the clones it owes, then sees the end: none escapes. */
		shutdown(d->sb.fd, SHUT_WR);
		for (;;) {
			for (; d->sb.nready; d->sb.nready--)
				kill_and_collect(d->sb.ready[d->sb.nready - 1]);
			if (!d->sb.asked || receive(d, true))
				break;
		}
		kill_and_collect(d->sb.zygote);
	}
	close(d->sb.fd);
	process_standby_init(d);
}

/* Ask for as many as make PROCESS_STANDBYS ready or under way. */
static int refill(struct process_domain *d)
{
	int err = ISO_OK;

	while (!err && d->sb.nready + d->sb.asked < PROCESS_STANDBYS)
		err = ask(d);
	return err;
}

static int start(struct process_domain *d, pthread_mutex_t *lock,
		 struct process_domain *const *all)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return reason_sys("socketpair");
	pthread_mutex_lock(lock); /* no other domain's fork sees the zygote's end */
	d->sb.zfd = sv[1];
	d->sb.gen = secret_gen();
	pid = fork();
	if (pid == 0)
		process_child_main(d, *all);
	d->sb.zfd = -1;
	pthread_mutex_unlock(lock);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return reason_sys("fork");
	}
	d->sb.fd = sv[0];
	d->sb.zygote = pid;
	d->sb.parent = getpid();
	return refill(d);
}

int process_standby_take(struct process_domain *d, pthread_mutex_t *lock,
			 struct process_domain *const *all)
{
	struct process_slot *s = PROCESS_SLOT(d->arena);
	pid_t pid;
	int err = ISO_OK;

	if (d->sb.fd >= 0 && (d->sb.parent != getpid() || d->sb.gen != secret_gen()))
		process_standby_stop(d); /* a forked program, or a secret since: retire */
	if (d->sb.fd < 0)
		err = start(d, lock, all);
	if (!err)
		err = refill(d);
	if (!err)
		err = receive(d, true);
	if (err || !d->sb.nready) {
		process_standby_stop(d);
		return err ? err : reason_set(ISO_ECRASH, "the zygote could not clone");
	}
	pid = d->sb.ready[0];
	memmove(d->sb.ready, d->sb.ready + 1, --d->sb.nready * sizeof(d->sb.ready[0]));
	if (exited(pid)) { /* killed while it stood by: collect it, and take the next */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return process_standby_take(d, lock, all);
	}
	/* Where the caller runs: a standby woken onto its CPU does not spin there for
	 * the first request, keeping the caller from posting it (some 230 us). */
	process_wait_publish(&d->wait, &PROCESS_CHAN(d)->parent_on);
	atomic_store(&s->owner, (uint32_t)pid);
	atomic_store(&s->go, (uint32_t)pid);
	syscall(SYS_futex, &s->go, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL,
		process_standby_bit((uint32_t)pid));
	d->pid = pid;
	d->secrets_gen = d->sb.gen;
	/* Its successor: at once if none is left, else after this one's first answer
	 * (process_standby_refill): a clone (some 200 us of a CPU here) asked for now
	 * competes with the standby's wake-up and first call. */
	if (!d->sb.nready && refill(d))
		process_standby_stop(d);
	return ISO_OK;
}

void process_standby_refill(struct process_domain *d)
{
	if (d->sb.fd >= 0 && d->sb.nready + d->sb.asked < PROCESS_STANDBYS &&
	    d->sb.parent == getpid() && refill(d))
		process_standby_stop(d);
}

void process_standby_own(struct process_domain *d, pid_t pid)
{
	atomic_store(&PROCESS_SLOT(d->arena)->owner, (uint32_t)pid);
}

void process_standby_quiesce(struct process_domain *d)
{
	struct chan *c = PROCESS_CHAN(d);

	for (int i = 0; i < 100; i++) { /* 1 ms each: a bound, not an expectation */
		struct timespec ts = { 0, 1000000L };
		uint32_t v = atomic_load(&c->state);
		bool killed = false;

		for (unsigned k = 0; k < d->ndying; k++)
			killed |= (v & FUTEX_TID_MASK) == (uint32_t)d->dying[k];
		/* Only a killed child's own pid is marked (a scribbled word never is). */
		if (!killed || (v & FUTEX_OWNER_DIED))
			return;
		if (!(v & FUTEX_WAITERS) &&
		    !atomic_compare_exchange_strong(&c->state, &v, v | FUTEX_WAITERS))
			continue;
		process_futex(&c->state, FUTEX_WAIT, v | FUTEX_WAITERS, &ts);
	}
}
