/* fault.c: a fault's signal, address and program counter, recorded in the handler and written out (symbolised) for iso_reason. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#include "fault.h"
#include "reason.h"

void fault_record(struct fault *f, int sig, const siginfo_t *si, const void *uc)
{
	const mcontext_t *mc = &((const ucontext_t *)uc)->uc_mcontext;

	f->sig = sig;
	f->code = si->si_code;
	/* Only the kernel's own fault reports carry an address (si_code > 0); a signal
	 * sent by kill or raise (abort) has the sender's pid there instead. */
	f->has_addr = si->si_code > 0 && sig != SIGABRT;
	f->addr = f->has_addr ? (uint64_t)(uintptr_t)si->si_addr : 0;
	f->pc = (uint64_t)mc->gregs[REG_RIP];
	/* Bit 1 of the page-fault error code: the access was a write. */
	f->write = sig == SIGSEGV && (mc->gregs[REG_ERR] & 2) != 0;
}

static const char *code_name(int sig, int code)
{
	if (code <= 0)
		return code == SI_TKILL || code == SI_USER ? "sent by a thread" : "";
	if (sig == SIGSEGV)
		switch (code) {
		case SEGV_MAPERR: return "address not mapped";
		case SEGV_ACCERR: return "no permission";
		case SEGV_PKUERR: return "protection key";
		}
	if (sig == SIGBUS)
		switch (code) {
		case BUS_ADRALN: return "misaligned";
		case BUS_ADRERR: return "no such physical address";
		case BUS_OBJERR: return "object error";
		}
	if (sig == SIGFPE && (code == FPE_INTDIV || code == FPE_FLTDIV))
		return "division by zero";
	if (sig == SIGILL && code == ILL_ILLOPN)
		return "illegal operand";
	if (sig == SIGILL && code == ILL_ILLOPC)
		return "illegal opcode";
	return "";
}

/* "fn+0x12 in prog", or "in libfoo.so.1", or "" where dladdr knows nothing. */
static void symbolise(uint64_t pc, char *buf, size_t len)
{
	Dl_info info;
	const char *obj;

	buf[0] = '\0';
	if (!dladdr((void *)(uintptr_t)pc, &info) || !info.dli_fname)
		return;
	obj = strrchr(info.dli_fname, '/');
	obj = obj ? obj + 1 : info.dli_fname;
	if (info.dli_sname && info.dli_saddr)
		snprintf(buf, len, " (%s+%#lx in %s)", info.dli_sname,
			 (unsigned long)(pc - (uintptr_t)info.dli_saddr), obj);
	else
		snprintf(buf, len, " (in %s)", obj);
}

int fault_reason(int err, const struct fault *f, const char *what, const char *where)
{
	const char *abbrev = sigabbrev_np(f->sig), *code = code_name(f->sig, f->code);
	char sig[24], addr[96] = "", sym[128];

	if (!f->sig)
		return reason_set(err, "%s", what);
	if (abbrev)
		snprintf(sig, sizeof(sig), "SIG%s", abbrev);
	else
		snprintf(sig, sizeof(sig), "signal %d", (int)f->sig);
	if (f->has_addr)
		snprintf(addr, sizeof(addr), " %s 0x%llx%s%s%s", f->write ? "writing" : "at",
			 (unsigned long long)f->addr, where ? " (" : "", where ? where : "",
			 where ? ")" : "");
	symbolise(f->pc, sym, sizeof(sym));
	return reason_set(err, "%s: %s%s%s%s%s, pc 0x%llx%s", what, sig, *code ? " (" : "", code,
			  *code ? ")" : "", addr, (unsigned long long)f->pc, sym);
}
