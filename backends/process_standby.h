/* process_standby.h: standby children for the process backend: a zygote forked at create clones children ahead of need; one takes over when the active child crashes or times out. */
#ifndef BACKENDS_PROCESS_STANDBY_H
#define BACKENDS_PROCESS_STANDBY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A respawn used to fork the program on the caller's critical path (350-650 us).
 * Instead a zygote, a child forked from the program like any other and stripped the
 * same way (secrets, other domains' arenas), clones standbys on request
 * (CLONE_PARENT: they are the program's children, collected by its waitpid).  A
 * standby waits, untouched by any call, until the parent names it in the slot;
 * PROCESS_STANDBYS wait, and a taken one's successor is asked for after its first
 * answer (process_standby_refill), so that the clone does not compete with the
 * takeover.
 *
 * What a standby must not have, and how it does not:
 *   - secrets marked after the zygote forked: the zygote records secret_gen(); a
 *     change retires the zygote and its standbys (process_standby_take);
 *   - other domains' arenas: the zygote dropped them, and arenas mapped later were
 *     never in it;
 *   - a stale view of the program: every child of a domain sees the program as it
 *     was when the domain's zygote was forked (at create, or at the first respawn
 *     after a secret was added), as the first child always did;
 *   - a way to talk to another domain's zygote: every child closes the parent's
 *     end of each domain's socket (process_zygote_serve).
 */
/* Standbys kept ready: two, so that a second crash soon after the first finds one
 * ready too, while the zygote clones (one crash's clone is not awaited). */
#define PROCESS_STANDBYS 2

struct process_standby {
	int fd;          /* the parent's end of the socket to the zygote; -1: none */
	int zfd;         /* the zygote's end: set only in the zygote's copy of the domain */
	pid_t zygote;    /* -1: none */
	pid_t parent;    /* getpid() when the zygote was forked */
	unsigned gen;    /* secret_gen() then */
	unsigned asked;  /* standbys asked for, not yet received */
	unsigned nready;
	pid_t ready[PROCESS_STANDBYS]; /* standbys waiting to take over, oldest first */
};

/* The slot, in the chan page's last cache line: the parent names the child that
 * may answer (`owner`) and wakes the standby it chose (`go`, its pid). */
struct process_slot {
	_Atomic uint32_t go;
	_Atomic uint32_t owner;
};

#define PROCESS_SLOT(arena) ((struct process_slot *)((char *)(arena) + 4096 - 64))

/* A standby's bit among those waiting on `go` (FUTEX_WAIT_BITSET): naming one wakes
 * it, not every standby (two pids that share a bit both wake, and one sleeps again). */
static inline uint32_t process_standby_bit(uint32_t pid)
{
	return 1u << (pid & 31);
}

struct process_domain;

/* ---- the parent (process_standby.c) ---- */
void process_standby_init(struct process_domain *d);
/* Make a standby d's child: d->pid and d->secrets_gen set, the channel already
 * reset.  Forks the zygote first if there is none (under `lock`, with `all` the
 * list of live domains, as every fork of a child).  Not ISO_OK: no standby; the
 * caller forks a child itself. */
int process_standby_take(struct process_domain *d, pthread_mutex_t *lock,
			 struct process_domain *const *all);
/* After an answer: ask the zygote for the standbys taken since (a clone asked for
 * as a standby takes over would compete with its first call). */
void process_standby_refill(struct process_domain *d);
/* A child the caller forked itself is the one that may answer. */
void process_standby_own(struct process_domain *d, pid_t pid);
/* Before the channel is reused: a child killed in a call may still run for a few
 * microseconds; wait until it is marked dead in `state` (by the kernel, or by its own
 * fault handler, after which it writes nothing the parent reads). */
void process_standby_quiesce(struct process_domain *d);
/* Destroy: the zygote and every standby killed and collected. */
void process_standby_stop(struct process_domain *d);

/* ---- the child (process_zygote.c) ---- */
/* In every child, after it dropped what it must not keep: closes each domain's
 * socket to its zygote; in a zygote, serves standbys and returns only in a
 * standby that has been told to take over (having called `watch` in it where the
 * zygote leads no group, and `prepare` first thing: each standby is confined under
 * its own pid, the zygote, which never runs domain code, not at all, and pages in
 * what a crash runs). */
void process_zygote_serve(struct process_domain *d, const struct process_domain *all,
			  void (*prepare)(const struct process_domain *d),
			  void (*watch)(pid_t parent));
/* The program died: a zygote ends its process group (its standbys and the
 * children they became).  Anything else: nothing to do. */
void process_zygote_orphaned(void);
/* Is this child still the one that may answer?  (A killed child can see one more
 * request before it dies.) */
int process_zygote_mine(const struct process_domain *d);

#endif
