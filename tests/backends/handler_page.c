/* backends/handler_page.c: the page the signal handlers read before anything is restored (handler_page.h): no domain writes it, a confidential one still recovers, and the program's handlers read back as installed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../../backends/handler_page.h"
#include "../support/util.h"

static struct backend_param params[2];

/* mpk, mprotect; the confidential flag by the parameter's place: both of each. */
struct case_param {
	char name[24];
	int confidential;
};

static struct case_param cases[4];

static size_t cases_n(void)
{
	size_t n = backend_params_named(params, 2, (const char *const[]){ "mpk", "mprotect", NULL });
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < 2; c++) {
			memcpy(cases[k].name, params[i].name, sizeof(cases[k].name));
			cases[k++].confidential = c;
		}
	return k;
}

/* Writes a word at the offset it is given into the handler page. */
static long scribble_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
{
	size_t at;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(at))
		return -1;
	memcpy(&at, in, sizeof(at));
	*(volatile uintptr_t *)((char *)&handler_page_data + at) = 0x5c21bb1e;
	return 0;
}

static long null_write_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			  size_t *out_len)
{
	(void)in, (void)out, (void)out_cap, (void)out_len;
	*(volatile int *)(uintptr_t)in_len = 1;
	return 0;
}

ParameterizedTestParameters(handler_page, no_domain_writes_it)
{
	return cr_make_param_array(struct case_param, cases, cases_n());
}

/* sud's take, signals' take, a program handler's entry, the page's last word: each
 * write faults, the page is as before, and a fault after it still rewinds (the
 * handlers read the page with the domain's rights). */
ParameterizedTest(struct case_param *p, handler_page, no_domain_writes_it)
{
	struct iso_options opt = { .timeout_ms = 500, .confidential = p->confidential };
	struct iso_domain *d = open_domain_opt(p->name, &opt);
	static struct handler_page before;
	const size_t at[] = { offsetof(struct handler_page, sud.take),
			      offsetof(struct handler_page, signals.fn),
			      offsetof(struct handler_page, signals.old[SIGSEGV]),
			      sizeof(struct handler_page) - sizeof(uintptr_t) };
	int err;

	iso_call(d, null_write_fn, NULL, 0, NULL, 0, NULL, NULL); /* arms what it arms */
	memcpy(&before, &handler_page_data, sizeof(before));
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		err = iso_call(d, scribble_fn, &at[i], sizeof(at[i]), NULL, 0, NULL, NULL);
		cr_assert_eq(err, ISO_EFAULT, "%s%s: a write at +%zu: %s", p->name,
			     p->confidential ? " (confidential)" : "", at[i], iso_strerror(err));
		cr_assert(!memcmp(&before, &handler_page_data, sizeof(before)),
			  "%s: the handler page changed", p->name);
	}
	err = iso_call(d, null_write_fn, NULL, 0, NULL, 0, NULL, NULL);
	cr_assert_eq(err, ISO_EFAULT, "%s: a fault after the writes: %s", p->name,
		     iso_strerror(err));
	iso_domain_destroy(d);
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
}

/* The table keeps the kernel's form of a sigaction: what the program installed reads
 * back whole (handler, flags, every signal of the mask). */
Test(handler_page, program_handler_reads_back)
{
	struct sigaction act = { .sa_sigaction = on_usr2, .sa_flags = SA_SIGINFO | SA_RESTART },
			 old, was;

	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, SIGINT);
	sigaddset(&act.sa_mask, SIGRTMAX);
	cr_assert_eq(sigaction(SIGUSR2, &act, &was), 0);
	cr_assert_eq(sigaction(SIGUSR2, NULL, &old), 0);
	cr_assert_eq((void *)old.sa_sigaction, (void *)on_usr2);
	cr_assert_eq(old.sa_flags & (SA_SIGINFO | SA_RESTART), SA_SIGINFO | SA_RESTART);
	for (int s = 1; s < _NSIG; s++)
		cr_assert_eq(sigismember(&old.sa_mask, s), s == SIGINT || s == SIGRTMAX,
			     "signal %d in the mask read back", s);
	cr_assert_eq(sigaction(SIGUSR2, &was, NULL), 0);
}
