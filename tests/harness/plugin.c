/* harness/plugin.c: --plugin loads workload ABI 2 and ABI 1 (copied, settle NULL, nothing read past its struct) and refuses any other. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../bench/plugin.h"

/*
 * Plugins are built here with cc, as a user builds one, and use no iso_* function (the
 * test binary does not export libiso's).  An ABI 1 plugin spells the ABI 1 struct out:
 * the same fields up to teardown, no settle.  Its workloads are in an array whose next
 * element starts with a name, so a harness that read a settle past the first one's end
 * would find a pointer there.
 */
static const char abi1_src[] =
	"#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n"
	"struct workload_v1 { const char *name, *summary; bool sized; size_t default_size;\n"
	"  const size_t *sizes; uint64_t default_iters;\n"
	"  int (*setup)(void *, size_t, void **); int (*run)(void *, void *, uint64_t);\n"
	"  void (*teardown)(void *); };\n"
	"static int setup(void *d, size_t s, void **st) { (void)d, (void)s; *st = 0; return 0; }\n"
	"static int run(void *st, void *d, uint64_t n) { (void)st, (void)d; return (int)n + 40; }\n"
	"static void teardown(void *st) { (void)st; }\n"
	"const unsigned workload_plugin_abi = 1;\n"
	"const struct workload_v1 v1[2] = {\n"
	"  { \"v1-work\", \"abi 1\", 0, 3, 0, 7, setup, run, teardown },\n"
	"  { \"v1-next\", \"abi 1\", 0, 3, 0, 7, setup, run, teardown } };\n"
	"const struct workload_v1 *const workload_plugin[] = { &v1[0], 0 };\n";

/* ABI 2 (WORKLOAD_ABI, or what -DABI says), from the installed header, with a settle. */
static const char abi2_src[] =
	"#include <isobench/workload.h>\n"
	"static int setup(struct iso_domain *d, size_t s, void **st) { (void)d, (void)s; *st = 0; return 0; }\n"
	"static int run(void *st, struct iso_domain *d, uint64_t n) { (void)st, (void)d, (void)n; return 0; }\n"
	"static void teardown(void *st) { (void)st; }\n"
	"static int settle(void *st, struct iso_domain *d) { (void)st, (void)d; return 42; }\n"
	"#ifndef ABI\n#define ABI WORKLOAD_ABI\n#endif\n"
	"const unsigned workload_plugin_abi = ABI;\n"
	"static const struct workload w = { .name = \"v2-work\", .summary = \"abi 2\",\n"
	"  .default_iters = 5, .setup = setup, .run = run, .teardown = teardown, .settle = settle };\n"
	"const struct workload *const workload_plugin[] = { &w, NULL };\n";

static char dir[] = "/tmp/iso-plugin-XXXXXX";
static bool made;

/* dir/name.so built from src with the extra cc flags. */
static const char *build(const char *name, const char *src, const char *flags)
{
	static char so[256];
	char c[256], cmd[1024];
	FILE *f;

	if (system("cc --version >/dev/null 2>&1"))
		cr_skip_test("no compiler here");
	if (!made)
		cr_assert_not_null(mkdtemp(dir));
	made = true;
	snprintf(c, sizeof(c), "%s/%s.c", dir, name);
	snprintf(so, sizeof(so), "%s/%s.so", dir, name);
	f = fopen(c, "w");
	cr_assert_not_null(f);
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -Wall -Wextra -Werror -Iinclude -shared -fPIC %s -o %s %s",
		 flags, so, c);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return so;
}

static void cleanup(void)
{
	char cmd[128];

	if (made) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_expect_eq(system(cmd), 0);
	}
}

/* The workload `name` of the plugin built from src: loaded, found in the registry. */
static const struct workload *load(const char *src, const char *name)
{
	const struct workload *w;
	char why[256] = "";

	cr_assert_eq(plugin_load(build(name, src, ""), why, sizeof(why)), 0, "%s", why);
	w = workload_find(name);
	cr_assert_not_null(w, "%s is not in the registry", name);
	return w;
}

Test(bench_plugin, abi2_loads_with_its_settle, .fini = cleanup)
{
	const struct workload *w = load(abi2_src, "v2-work");

	cr_assert_eq(w->default_iters, 5);
	cr_assert_not_null(w->settle);
	cr_assert_eq(w->settle(NULL, NULL), 42);
}

Test(bench_plugin, abi1_loads_as_a_copy_without_settle, .fini = cleanup)
{
	const struct workload *w = load(abi1_src, "v1-work");

	cr_assert_null(workload_find("v1-next"));
	cr_assert_null(w->settle, "settle read past the ABI 1 struct");
	cr_assert_str_eq(w->summary, "abi 1");
	cr_assert_eq(w->default_size, 3);
	cr_assert_eq(w->default_iters, 7);
	cr_assert_eq(w->run(NULL, NULL, 2), 42);
	cr_assert(w->teardown && w->setup);
}

Test(bench_plugin, other_abis_are_refused, .fini = cleanup)
{
	static const char *const abis[] = { "-DABI=0", "-DABI=3" };

	for (size_t i = 0; i < 2; i++) {
		char name[16], why[256] = "";

		snprintf(name, sizeof(name), "abi%zu", i);
		cr_assert_eq(plugin_load(build(name, abi2_src, abis[i]), why, sizeof(why)), -1,
			     "%s loaded", abis[i]);
		cr_assert(strstr(why, "built for workload ABI"), "%s: %s", abis[i], why);
		cr_assert_null(workload_find("v2-work"));
	}
}
