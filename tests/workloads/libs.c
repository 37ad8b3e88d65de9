/* workloads/libs.c: the real-library workloads: corrupt inputs come back cleanly on every backend, libjpeg's exit() runs no exit handler, libxml2 leaves nothing behind in a domain. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <unistd.h>

#include "iso.h"
#include "../support/util.h"
#include "workload.h"

static struct backend_param lib_backends[8];

ParameterizedTestParameters(workloads, libraries_corrupt_then_good)
{
	size_t n = backend_params(lib_backends, sizeof(lib_backends) / sizeof(lib_backends[0]));

	return cr_make_param_array(struct backend_param, lib_backends, n);
}

static int run_named(struct iso_domain *d, const char *name, size_t size, uint64_t iters)
{
	const struct workload *w = workload_find(name);
	void *state = NULL;
	int err;

	cr_assert_not_null(w, "%s is not registered", name);
	if ((err = w->setup(d, size, &state)))
		return err;
	err = w->run(state, d, iters);
	w->teardown(state);
	return err;
}

/*
 * Each library's damaged input, several times in a row on one domain, gives the
 * library's own error from inside the domain (ISO_EEXIT for libjpeg's exit()), and
 * the same domain then decodes a good input right.
 */
ParameterizedTest(struct backend_param *p, workloads, libraries_corrupt_then_good, .timeout = 60)
{
	static const char *const libs[][2] = {
		{ "zlib-inflate-corrupt", "zlib-inflate" },
		{ "expat-parse-corrupt", "expat-parse" },
		{ "libxml2-parse-corrupt", "libxml2-parse" },
		{ "jpeg-decode-exit", "jpeg-decode" },
		{ "sqlite-query-corrupt", "sqlite-query" },
	};
	struct iso_domain *d = open_domain_opt(p->name, NULL);

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		for (size_t size = 4096; size <= 65536; size *= 16) {
			int err = run_named(d, libs[i][0], size, 5);

			if (err == ISO_ENOTSUP && !strcmp(p->name, "none") &&
			    !strcmp(libs[i][0], "jpeg-decode-exit"))
				err = ISO_OK; /* exit() under none would end the test */
			cr_assert_eq(err, ISO_OK, "%s %zu B on %s: %s (%s)", libs[i][0], size,
				     p->name, workload_strerror(err), iso_reason());
			err = run_named(d, libs[i][1], size, 2);
			cr_assert_eq(err, ISO_OK, "%s %zu B on %s after the corrupt input: %s (%s)",
				     libs[i][1], size, p->name, workload_strerror(err), iso_reason());
		}
	iso_domain_destroy(d);
}

/* The write end of a pipe an exit handler writes to: it must stay empty. */
static int exit_pipe[2] = { -1, -1 };

static void exit_handler(void)
{
	if (exit_pipe[1] >= 0 && write(exit_pipe[1], "x", 1) < 0)
		_exit(3);
}

ParameterizedTestParameters(workloads, jpeg_exit_runs_no_exit_handler)
{
	size_t n = backend_params(lib_backends, sizeof(lib_backends) / sizeof(lib_backends[0]));

	return cr_make_param_array(struct backend_param, lib_backends, n);
}

/* libjpeg's default error_exit calls exit(): the call fails with ISO_EEXIT and not
 * one of the program's exit handlers runs, in the process child or in the domain. */
ParameterizedTest(struct backend_param *p, workloads, jpeg_exit_runs_no_exit_handler, .timeout = 60)
{
	struct iso_domain *d;
	char c;

	if (!strcmp(p->name, "none"))
		cr_skip_test("none has no domain: exit() would end the test");
	/* Before the domain: a process child inherits the handler and the pipe. */
	cr_assert_eq(pipe(exit_pipe), 0);
	cr_assert_eq(fcntl(exit_pipe[0], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(atexit(exit_handler), 0);
	d = open_domain_opt(p->name, NULL);
	cr_assert_eq(run_named(d, "jpeg-decode-exit", 4096, 20), ISO_OK, "%s: %s", p->name,
		     iso_reason());
	cr_assert_eq(read(exit_pipe[0], &c, 1), -1, "an exit handler ran on %s", p->name);
	cr_assert_eq(run_named(d, "jpeg-decode", 4096, 2), ISO_OK, "%s: %s", p->name, iso_reason());
	iso_domain_destroy(d);
	cr_assert_eq(read(exit_pipe[0], &c, 1), -1, "an exit handler ran on %s", p->name);
	close(exit_pipe[1]);
	exit_pipe[1] = -1; /* the test's own exit runs the handler: it writes nothing now */
}

/*
 * libxml2's global state is made and taken down inside each call, so calls on
 * domains of every backend may alternate, each domain's heap protected or unmapped
 * while the others run, and after any of them is destroyed.
 */
Test(workloads, libxml2_alternating_domains, .timeout = 60)
{
	struct iso_domain *d[8];
	size_t n = 0;
	const char *name;

	for (size_t i = 0; (name = iso_backend_name(i)) && n < 8; i++)
		if (backend_wanted(name) && iso_backend_probe(name) == ISO_OK)
			cr_assert_eq(iso_domain_create(name, NULL, &d[n++]), ISO_OK, "%s", name);
	cr_assert_geq(n, 1); /* ISO_TEST_BACKENDS=mpk (the VM run): mpk alone */
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(run_named(d[i], round == 1 ? "libxml2-parse-corrupt"
								: "libxml2-parse", 65536, 1),
				     ISO_OK, "%s, round %d: %s", iso_domain_backend(d[i]), round,
				     iso_reason());
	for (size_t i = 0; i < n; i++) {
		iso_domain_destroy(d[i]);
		if (i + 1 < n) /* the rest parse after this one is gone */
			for (size_t j = i + 1; j < n; j++)
				cr_assert_eq(run_named(d[j], "libxml2-parse", 65536, 1), ISO_OK,
					     "%s: %s", iso_domain_backend(d[j]), iso_reason());
	}
}
