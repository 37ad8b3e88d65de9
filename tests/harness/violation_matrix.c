/* harness/violation_matrix.c: the harness's violation matrix gives each backend the verdicts its protection promises. */
#include <string.h>

#include <criterion/criterion.h>

#include "../../bench/harness.h"
#include "../support/util.h"

/* One backend's verdict for case i, checked against what it must be (any of `ok`). */
static void expect(const char *backend, size_t i, unsigned limit_ms, const char *const *ok)
{
	struct violation_cell x;

	cr_assert_eq(violation_run(backend, i, limit_ms, &x), ISO_OK, "%s: no subprocess",
		     violation_name(i));
	for (; *ok; ok++)
		if (strcmp(x.verdict, *ok) == 0)
			break;
	cr_assert_not_null(*ok, "%s on %s: %s %s", violation_name(i), backend, x.verdict, x.detail);
	if (strncmp(x.verdict, "caught", 6) == 0)
		cr_assert(x.intact && x.usable && x.ns >= 0, "%s on %s: caught, but intact %d usable %d",
			  violation_name(i), backend, x.intact, x.usable);
}

static const char *const caught[] = { "caught", NULL };
static const char *const held[] = { "caught", "contained", NULL };

/* In-process backends: every case comes back as an error, trusted memory intact. */
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

			expect(backends[b], i, VIOLATION_LIMIT_MS, write || own ? held : caught);
		}
}

/* The baseline protects nothing, and the matrix says so rather than dying with it. */
Test(bench_violations, none_protects_nothing, .timeout = 60)
{
	static const char *const missed[] = { "missed", NULL }, *const crash[] = { "crash", NULL },
				 *const hang[] = { "hang", NULL };

	for (size_t i = 0; violation_name(i); i++) {
		const char *n = violation_name(i);

		if (!strcmp(n, "null-write") || !strcmp(n, "abort") || !strcmp(n, "stack-smash"))
			expect("none", i, VIOLATION_LIMIT_MS, crash);
		else if (!strcmp(n, "endless-loop"))
			expect("none", i, 500, hang);
		else if (strcmp(n, "heap-overflow") != 0) /* may or may not kill the program */
			expect("none", i, VIOLATION_LIMIT_MS, missed);
	}
}
