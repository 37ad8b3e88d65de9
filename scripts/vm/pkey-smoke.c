/* Smoke test that Memory Protection Keys work here: CPUID, pkey_alloc, and a PKU fault with the right si_code/si_pkey. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

static sigjmp_buf jump;
static volatile sig_atomic_t got_code, got_pkey;
static void *volatile got_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got_code = si->si_code;
	got_pkey = si->si_pkey;
	got_addr = si->si_addr;
	/* PKRU stays as the kernel set it for the handler; main() rewrites it after the jump. */
	siglongjmp(jump, 1);
}

static int fail(const char *fmt, const char *detail)
{
	printf("pkey-smoke: FAIL: ");
	printf(fmt, detail);
	printf("\n");
	return 1;
}

/* Returns 1 if the access faulted, checking that the fault came from the key. */
static int faults(volatile int *p, int write, int pkey, const char **why)
{
	got_code = got_pkey = -1;
	got_addr = NULL;
	if (sigsetjmp(jump, 1) == 0) {
		if (write)
			*p = 42;
		else
			(void)*p;
		return 0;
	}
	if (got_code != SEGV_PKUERR)
		*why = "SIGSEGV si_code is not SEGV_PKUERR";
	else if (got_pkey != pkey)
		*why = "SIGSEGV si_pkey is not the page's key";
	else if (got_addr != (void *)p)
		*why = "SIGSEGV si_addr is not the page";
	return 1;
}

int main(void)
{
	unsigned int eax, ebx, ecx, edx;
	const char *why = NULL;
	struct sigaction sa;
	volatile int *page;
	int pkey;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return fail("%s", "CPUID leaf 7 not available");
	if (!(ecx & (1u << 3)))
		return fail("%s", "CPU lacks PKU (CPUID.7.0:ECX bit 3 is 0)");
	if (!(ecx & (1u << 4)))
		return fail("%s", "OS has not enabled PKU (CPUID.7.0:ECX bit 4, OSPKE, is 0)");

	pkey = pkey_alloc(0, 0);
	if (pkey < 0)
		return fail("pkey_alloc: %s", strerror(errno));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	*page = 7;
	if (pkey_mprotect((void *)page, 4096, PROT_READ | PROT_WRITE, pkey) < 0)
		return fail("pkey_mprotect: %s", strerror(errno));

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) < 0)
		return fail("sigaction: %s", strerror(errno));

	/* Access disabled: both a read and a write must fault with the key. */
	if (pkey_set(pkey, PKEY_DISABLE_ACCESS) < 0)
		return fail("pkey_set: %s", strerror(errno));
	if (!faults(page, 0, pkey, &why))
		return fail("%s", "read under PKEY_DISABLE_ACCESS did not fault");
	if (why)
		return fail("%s", why);

	/* Write disabled: reads go through, writes fault. */
	if (pkey_set(pkey, PKEY_DISABLE_WRITE) < 0)
		return fail("pkey_set: %s", strerror(errno));
	if (faults(page, 0, pkey, &why))
		return fail("%s", "read under PKEY_DISABLE_WRITE faulted");
	if (!faults(page, 1, pkey, &why))
		return fail("%s", "write under PKEY_DISABLE_WRITE did not fault");
	if (why)
		return fail("%s", why);

	/* Access restored: the page is usable and unchanged. */
	if (pkey_set(pkey, 0) < 0)
		return fail("pkey_set: %s", strerror(errno));
	if (faults(page, 0, pkey, &why) || *page != 7)
		return fail("%s", "page not intact after restoring access");
	if (pkey_free(pkey) < 0)
		return fail("pkey_free: %s", strerror(errno));
	printf("pkey-smoke: ok (pkey %d, SEGV_PKUERR with si_pkey for read and write)\n", pkey);
	return 0;
}
