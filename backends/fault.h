/* fault.h: what a fault inside a domain was (signal, address, program counter), recorded in the handler and told by iso_reason. */
#ifndef BACKENDS_FAULT_H
#define BACKENDS_FAULT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Plain numbers only: a process child writes one into the shared channel as it dies,
 * and the parent reads it without following anything in it. */
struct fault {
	int32_t sig;   /* 0: nothing recorded */
	int32_t code;  /* si_code */
	int32_t write; /* 1 a write, 0 a read or unknown (x86's page-fault error code) */
	int32_t has_addr;
	uint64_t addr; /* si_addr, where the kernel gives one */
	uint64_t pc;
};

/* In a signal handler (async-signal-safe): what sig, si and the context say. */
void fault_record(struct fault *f, int sig, const siginfo_t *si, const void *uc);
/*
 * reason_set(err, "what: SIGSEGV (no permission) writing 0x... (where), pc 0x...
 * (fn+0x12 in prog)"); where may be NULL.  Returns err.  Not in a signal handler
 * (it symbolises with dladdr).
 */
int fault_reason(int err, const struct fault *f, const char *what, const char *where);

#endif
