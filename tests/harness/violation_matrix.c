/* harness/violation_matrix.c: the harness's violation matrix gives each backend the verdicts its protection promises. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "../../bench/harness.h"
#include "../support/util.h"

/* The rows of the PKU pitfalls (hardening's), from domain-mprotect on. */
static bool pitfall(size_t i)
{
	size_t first = 0;

	while (violation_name(first) && strcmp(violation_name(first), "domain-mprotect") != 0)
		first++;
	cr_assert_not_null(violation_name(first), "no domain-mprotect row");
	return i >= first;
}

/* One backend's verdict for case i, hardened or not, checked against what it must be
 * (any of `ok`). */
static void expect_h(const char *backend, enum iso_harden h, size_t i, unsigned limit_ms,
		     const char *const *ok)
{
	struct violation_cell x;

	cr_assert_eq(violation_run(backend, h, i, limit_ms, &x), ISO_OK, "%s: no subprocess",
		     violation_name(i));
	for (; *ok; ok++)
		if (strcmp(x.verdict, *ok) == 0)
			break;
	cr_assert_not_null(*ok, "%s on %s (hardening %s): %s %s", violation_name(i), backend,
			   h == ISO_HARDEN_ON ? "on" : "off", x.verdict, x.detail);
	if (strncmp(x.verdict, "caught", 6) == 0)
		cr_assert(x.intact && x.usable && x.ns >= 0, "%s on %s: caught, but intact %d usable %d",
			  violation_name(i), backend, x.intact, x.usable);
}

static void expect(const char *backend, size_t i, unsigned limit_ms, const char *const *ok)
{
	expect_h(backend, ISO_HARDEN_ON, i, limit_ms, ok);
}

static const char *const caught[] = { "caught", NULL };
static const char *const held[] = { "caught", "contained", NULL };

/* In-process backends, hardened (the default): every case, the PKU pitfalls too,
 * comes back as an error, trusted memory intact. */
Test(bench_violations, mprotect_catches_every_case, .timeout = 60)
{
	SKIP_UNSUPPORTED("mprotect");
	for (size_t i = 0; violation_name(i); i++)
		expect("mprotect", i, VIOLATION_LIMIT_MS, caught);
}

/* The process backends: writes land in the child's copy; faults, reads of what the
 * child does not have and hangs come back as errors. */
Test(bench_violations, process_holds_every_case, .timeout = 60)
{
	static const char *const backends[] = { "process", "process-handoff" };

	for (size_t b = 0; b < 2; b++)
		for (size_t i = 0; violation_name(i); i++) {
			bool write = strncmp(violation_name(i), "write-", 6) == 0 &&
				     strcmp(violation_name(i), "write-other-domain") != 0;
			bool own = strcmp(violation_name(i), "free-trusted") == 0 ||
				   strcmp(violation_name(i), "heap-overflow") == 0;

			expect(backends[b], i, VIOLATION_LIMIT_MS,
			       write || own || pitfall(i) ? held : caught);
		}
}

/* Unhardened, mprotect lets a domain change protections and mappings itself. */
Test(bench_violations, mprotect_unhardened_misses_pitfalls, .timeout = 60)
{
	static const char *const missed[] = { "missed", NULL };

	SKIP_UNSUPPORTED("mprotect");
	for (size_t i = 0; violation_name(i); i++)
		if (!strcmp(violation_name(i), "domain-mprotect") ||
		    !strcmp(violation_name(i), "map-fixed-over-trusted") ||
		    !strcmp(violation_name(i), "proc-mem-write"))
			expect_h("mprotect", ISO_HARDEN_OFF, i, VIOLATION_LIMIT_MS, missed);
}

/* Unhardened, a process domain writes its parent through /proc/<parent>/mem (this
 * runs as root, or as the same user) and kills it: what the filter is there for. */
Test(bench_violations, process_unhardened_misses_proc_mem_and_kill, .timeout = 60)
{
	static const char *const missed[] = { "missed", NULL }, *const crash[] = { "crash", NULL };

	for (size_t i = 0; violation_name(i); i++) {
		if (strcmp(violation_name(i), "proc-mem-write") == 0)
			expect_h("process", ISO_HARDEN_OFF, i, VIOLATION_LIMIT_MS, missed);
		if (strcmp(violation_name(i), "kill-trusted") == 0)
			expect_h("process", ISO_HARDEN_OFF, i, VIOLATION_LIMIT_MS, crash);
	}
}

/* The baseline protects nothing, and the matrix says so rather than dying with it. */
Test(bench_violations, none_protects_nothing, .timeout = 60)
{
	static const char *const missed[] = { "missed", NULL }, *const crash[] = { "crash", NULL },
				 *const hang[] = { "hang", NULL },
				 *const missed_or_crash[] = { "missed", "crash", NULL };

	for (size_t i = 0; violation_name(i); i++) {
		const char *n = violation_name(i);

		if (!strcmp(n, "null-write") || !strcmp(n, "abort") || !strcmp(n, "stack-smash"))
			expect("none", i, VIOLATION_LIMIT_MS, crash);
		else if (!strcmp(n, "endless-loop"))
			expect("none", i, 500, hang);
		else if (!strcmp(n, "kill-trusted"))
			expect("none", i, VIOLATION_LIMIT_MS, crash);
		/* The page goes unnoticed, or takes down whatever else lives on it (the
		 * domain's own struct, when it is of the target's size class). */
		else if (!strcmp(n, "munmap-trusted"))
			expect("none", i, VIOLATION_LIMIT_MS, missed_or_crash);
		else if (strcmp(n, "heap-overflow") != 0) /* may or may not kill the program */
			expect("none", i, VIOLATION_LIMIT_MS, missed);
	}
}

/* --harden=on|off sets the domains' option and is recorded in system.json. */
Test(bench_violations, harden_flag_parses_and_is_recorded)
{
	char *off[] = { "harness", "--harden=off", NULL }, *bad[] = { "harness", "--harden=x", NULL };
	char *none[] = { "harness", NULL };
	struct results r = { .tsc = { .ghz = 2.0, .source = "calibrated" } };
	struct config c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	optind = 0;
	cr_assert_eq(cli_parse(1, none, &c), 0);
	cr_assert_eq(c.opt.harden, ISO_HARDEN_ON, "hardening is not the default");
	optind = 0;
	cr_assert_eq(cli_parse(2, off, &c), 0);
	cr_assert_eq(c.opt.harden, ISO_HARDEN_OFF);
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	cr_assert_eq(format_write(f, FMT_SYSTEM, &c, &r), 0);
	fclose(f);
	cr_assert_not_null(strstr(text, "\"harden\": \"off\""), "system.json: %s", text);
	free(text);
	cr_redirect_stderr();
	optind = 0;
	cr_assert_eq(cli_parse(2, bad, &c), 2);
}
