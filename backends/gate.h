/* gate.h: the call gate of gate.S: the frame it reads (offsets fixed there) and its entry points. */
#ifndef BACKENDS_GATE_H
#define BACKENDS_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "arch-x86.h"
#include "iso.h"

/* What the gate needs; offsets are fixed by gate.S. */
struct gate {
	iso_fn *fn;
	const void *in;
	size_t in_len;
	void *out;
	size_t out_cap;
	size_t *out_len; /* in domain memory */
	void *stack;     /* top of the domain stack, 16-byte aligned */
	uint32_t pkru;   /* mpk: PKRU inside the domain */
	uint32_t pad;
	long (*body)(struct gate *); /* gate_stack_call: run on the domain stack */
};

_Static_assert(offsetof(struct gate, out_len) == 40, "gate.S G_OUT_LEN");
_Static_assert(offsetof(struct gate, stack) == 48, "gate.S G_STACK");
_Static_assert(offsetof(struct gate, pkru) == 56, "gate.S G_PKRU");
_Static_assert(offsetof(struct gate, body) == 64, "gate.S G_BODY");

/* g->body(g) on the domain stack g->stack; returns its value. */
long gate_stack_call(struct gate *g);
/* g->fn(in, in_len, out, out_cap, out_len) on the domain stack with PKRU = g->pkru,
 * then trusted rights and the trusted stack back; returns fn's value. */
long gate_mpk_enter(struct gate *g);
/* The gate's own cost: on the domain stack, iters times WRPKRU(g->pkru), an empty
 * call, WRPKRU(trusted). */
void gate_mpk_bare(struct gate *g, unsigned long iters);
/* From inside an mpk domain: gate_out_fn(arg, its PKRU) with trusted rights, then
 * that PKRU again (read on the way in, not taken from the caller). */
long gate_mpk_out(void *arg);
/* What gate_mpk_out calls with trusted rights: arg as given, pkru the domain's. */
extern long (*gate_out_fn)(void *arg, uint32_t pkru);
/* PKRU := 0, every key open: the trusted side's rights (the fault handler's way back). */
void gate_pkru_trusted(void);

/* A signal handler's first step, given its ucontext: trusted rights where the kernel
 * has protection keys on (it runs handlers with a PKRU that shuts the trusted key
 * under mpk).  Read off the signal frame (xsave_frame_has_pkru), so that nothing a
 * domain can write decides it.  Every handler of isobench's runs it, a process
 * child's too (the child's data carries the program's keys, and the kernel reads it,
 * the robust futex list, as the child dies). */
static inline void gate_handler_rights(const void *uc)
{
	if (xsave_frame_has_pkru(uc))
		gate_pkru_trusted();
}

/* The gate's code: the only WRPKRU instructions isobench lets domains reach. */
extern const char gate_text_start[], gate_text_end[];

#endif
