/* backends/adopt.c: libraries with global state: the init hook (iso_options.init) and adopting a shared library (iso_options.adopt), with libxml2. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "iso.h"
#include "../support/util.h"

static struct backend_param params[8];

#define ADOPT_PARAMS(test, with_none)                                               \
	ParameterizedTestParameters(adopt, test)                                    \
	{                                                                           \
		return cr_make_param_array(struct backend_param, params,             \
			backend_params_kind(params, 8, BACKEND_PROCESS | BACKEND_INPROC | \
				(with_none ? BACKEND_NONE : 0)));                    \
	}

/* ---- the init hook ------------------------------------------------------------ */

/* Where the hook reports, in a page every backend's domain may write (a process
 * child shares it): how often it ran, and in which process. */
struct hook_log {
	volatile int runs;
	volatile int pid;
};

static struct hook_log *shared_log(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	return p;
}

static int counting_hook(void *arg)
{
	struct hook_log *log = arg;

	log->runs++;
	log->pid = getpid();
	return 0;
}

static long crash_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	abort();
}

static long noop_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 5;
}

ADOPT_PARAMS(init_hook_runs_inside_at_create_and_after_each_rewind, 1)
ParameterizedTest(struct backend_param *p, adopt, init_hook_runs_inside_at_create_and_after_each_rewind)
{
	struct hook_log *log = shared_log();
	struct iso_options opt = { .init = counting_hook, .init_arg = log };
	struct iso_domain *d = open_domain_opt(p->name, &opt);
	long ret = 0;

	cr_assert_eq(log->runs, 1, "the hook ran %d times at create", log->runs);
	cr_assert_eq(log->pid, iso_domain_pid(d), "the hook ran in %d, the domain is %d",
		     log->pid, iso_domain_pid(d));
	cr_assert_eq(iso_call(d, noop_fn, NULL, 0, NULL, 0, NULL, &ret), ISO_OK);
	cr_assert_eq(log->runs, 1, "a call without a rewind ran the hook again");
	if (strcmp(p->name, "none") != 0) {
		for (int i = 2; i <= 4; i++) {
			cr_assert_eq(iso_call(d, crash_fn, NULL, 0, NULL, 0, NULL, NULL), ISO_ECRASH);
			cr_assert_eq(iso_call(d, noop_fn, NULL, 0, NULL, 0, NULL, &ret), ISO_OK,
				     "%s", iso_reason());
			cr_assert_eq(log->runs, i, "after %d rewinds the hook ran %d times",
				     i - 1, log->runs);
			cr_assert_eq(log->pid, iso_domain_pid(d));
		}
	}
	cr_assert_eq(ret, 5);
	iso_domain_destroy(d);
	munmap(log, 4096);
}

static int failing_hook(void *arg)
{
	(void)arg;
	return 7;
}

static int trusted_word;

static int wild_hook(void *arg)
{
	(void)arg;
	trusted_word = 1;
	return 0;
}

ADOPT_PARAMS(init_hook_failure_fails_create_with_a_reason, 1)
ParameterizedTest(struct backend_param *p, adopt, init_hook_failure_fails_create_with_a_reason)
{
	struct iso_options opt = { .init = failing_hook };
	struct iso_domain *d = NULL;
	int err;

	SKIP_UNSUPPORTED(p->name);
	err = iso_domain_create(p->name, &opt, &d);
	cr_assert_eq(err, ISO_ECRASH, "create: %s", iso_strerror(err));
	cr_assert_null(d);
	cr_assert_not_null(strstr(iso_reason(), "init hook returned 7"), "reason: %s", iso_reason());
	if (!in_process_backend(p->name))
		return;
	/* In-process: a hook that writes trusted memory is a violation at create. */
	opt.init = wild_hook;
	err = iso_domain_create(p->name, &opt, &d);
	cr_assert_eq(err, ISO_EFAULT, "create: %s (%s)", iso_strerror(err), iso_reason());
	cr_assert_null(d);
	cr_assert_eq(trusted_word, 0);
	cr_assert_not_null(strstr(iso_reason(), "init hook failed"), "reason: %s", iso_reason());
}

/* ---- adopting libxml2 ------------------------------------------------------------ */

/* libxml2 is reached by dlsym alone: the tests do not link it, and the trusted side
 * never calls it (it belongs to the domain). */
struct xml_api {
	void (*init)(void);
	void *(*read_memory)(const char *buf, int size, const char *url, const char *enc, int opts);
	void *(*root)(void *doc);
	void (*free_doc)(void *doc);
	void **free_fn; /* the writable global xmlFree: in libxml2's data */
};

static struct xml_api xml;
static const char *const xml_lib[] = { "libxml2.so.2", NULL };

static void xml_resolve(void)
{
	void *h = dlopen("libxml2.so.2", RTLD_NOW);

	cr_assert_not_null(h, "%s", dlerror());
	xml.init = (void (*)(void))dlsym(h, "xmlInitParser");
	xml.read_memory = (void *(*)(const char *, int, const char *, const char *, int))
		dlsym(h, "xmlReadMemory");
	xml.root = (void *(*)(void *))dlsym(h, "xmlDocGetRootElement");
	xml.free_doc = (void (*)(void *))dlsym(h, "xmlFreeDoc");
	xml.free_fn = (void **)dlsym(h, "xmlFree");
	cr_assert(xml.init && xml.read_memory && xml.root && xml.free_doc && xml.free_fn);
}

static int xml_init_hook(void *arg)
{
	(void)arg;
	xml.init();
	return 0;
}

#define XML_PARSE_NOERROR 32
#define XML_PARSE_NOWARNING 64

/* Parse the input; 1 for a document with a root, 0 for one rejected. */
static long parse_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	void *doc = xml.read_memory(in, (int)in_len, "in.xml", NULL,
				    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	long ok = doc && xml.root(doc);

	(void)out, (void)out_cap, (void)out_len;
	if (doc)
		xml.free_doc(doc);
	return ok;
}

static volatile int trusted_target;

/* Parse, keep the document, and fault while libxml2's state points into the heap. */
static long parse_then_fault_fn(const void *in, size_t in_len, void *out, size_t out_cap,
				size_t *out_len)
{
	void *doc = xml.read_memory(in, (int)in_len, "in.xml", NULL, XML_PARSE_NOERROR);

	(void)out, (void)out_cap, (void)out_len;
	if (doc)
		trusted_target = 1; /* a violation in-process */
	abort();               /* and everywhere: the call fails, the domain is rewound */
}

static const char good_xml[] = "<library><shelf><book id='1'/><book id='2'/></shelf></library>";
static const char bad_xml[] = "<library><shelf></library>";

static struct iso_options xml_options(void)
{
	return (struct iso_options){ .timeout_ms = 5000, .init = xml_init_hook,
				     .adopt = xml_lib };
}

/* Good, corrupt and faulting inputs in turn, `rounds` times: every good parse works. */
static void parse_across_violations(struct iso_domain *d, int rounds)
{
	long ret = -1;
	int err;

	for (int i = 0; i < rounds; i++) {
		err = iso_call(d, parse_fn, good_xml, sizeof(good_xml) - 1, NULL, 0, NULL, &ret);
		cr_assert_eq(err, ISO_OK, "round %d: %s (%s)", i, iso_strerror(err), iso_reason());
		cr_assert_eq(ret, 1, "round %d: the good document was rejected", i);
		err = iso_call(d, parse_fn, bad_xml, sizeof(bad_xml) - 1, NULL, 0, NULL, &ret);
		cr_assert_eq(err, ISO_OK, "round %d: %s (%s)", i, iso_strerror(err), iso_reason());
		cr_assert_eq(ret, 0, "round %d: the corrupt document was accepted", i);
		err = iso_call(d, parse_then_fault_fn, good_xml, sizeof(good_xml) - 1, NULL, 0,
			       NULL, NULL);
		cr_assert(err == ISO_EFAULT || err == ISO_ECRASH, "round %d: %s", i,
			  iso_strerror(err));
	}
	/* The last word a parse: libxml2 set up again, its globals into the heap. */
	err = iso_call(d, parse_fn, good_xml, sizeof(good_xml) - 1, NULL, 0, NULL, &ret);
	cr_assert_eq(err, ISO_OK, "%s (%s)", iso_strerror(err), iso_reason());
	cr_assert_eq(ret, 1);
	cr_assert_eq(trusted_target, 0);
}

ADOPT_PARAMS(adopted_libxml2_parses_across_violations, 0)
ParameterizedTest(struct backend_param *p, adopt, adopted_libxml2_parses_across_violations,
		  .timeout = 120)
{
	struct iso_options opt = xml_options();
	struct iso_domain *d;

	xml_resolve();
	d = open_domain_opt(p->name, &opt);
	parse_across_violations(d, in_process_backend(p->name) ? 200 : 20);
	iso_domain_destroy(d);
	/* Destroyed: the next domain adopts libxml2 afresh and works as well. */
	d = open_domain_opt(p->name, &opt);
	parse_across_violations(d, 3);
	iso_domain_destroy(d);
}

/* Reads libxml2's global xmlFree from inside a domain. */
static long peek_libxml2_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			    size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return *(void *volatile *)xml.free_fn != NULL;
}

ParameterizedTestParameters(adopt, adopted_data_is_out_of_other_domains_reach)
{
	static const char *const names[] = { "mpk", "mprotect", NULL };

	return cr_make_param_array(struct backend_param, params,
				   backend_params_named(params, 8, names));
}
ParameterizedTest(struct backend_param *p, adopt, adopted_data_is_out_of_other_domains_reach)
{
	struct iso_options opt = xml_options();
	struct iso_domain *owner, *other, *third = NULL;
	long ret = 0;
	int err;

	xml_resolve();
	owner = open_domain_opt(p->name, &opt);
	other = open_domain_opt(p->name, NULL);
	cr_assert_eq(iso_call(owner, peek_libxml2_fn, NULL, 0, NULL, 0, NULL, &ret), ISO_OK,
		     "%s", iso_reason());
	cr_assert_eq(ret, 1);
	err = iso_call(other, peek_libxml2_fn, NULL, 0, NULL, 0, NULL, &ret);
	cr_assert_eq(err, ISO_EFAULT, "another domain read libxml2's data: %s", iso_strerror(err));
	/* One owner at a time. */
	cr_assert_eq(iso_domain_create(p->name, &opt, &third), ISO_EINVAL);
	cr_assert_not_null(strstr(iso_reason(), "another domain has it"), "%s", iso_reason());
	iso_domain_destroy(other);
	iso_domain_destroy(owner);
}

ADOPT_PARAMS(adopting_libc_or_a_missing_library_is_refused, 1)
ParameterizedTest(struct backend_param *p, adopt, adopting_libc_or_a_missing_library_is_refused)
{
	static const char *const libc_lib[] = { "libc.so.6", NULL };
	static const char *const none_lib[] = { "libdoesnotexist.so.9", NULL };
	struct iso_options opt = { .adopt = libc_lib };
	struct iso_domain *d = NULL;

	SKIP_UNSUPPORTED(p->name);
	cr_assert_eq(iso_domain_create(p->name, &opt, &d), ISO_EINVAL);
	cr_assert_not_null(strstr(iso_reason(), "stay trusted"), "%s", iso_reason());
	opt.adopt = none_lib;
	cr_assert_eq(iso_domain_create(p->name, &opt, &d), ISO_EINVAL);
	cr_assert_not_null(strstr(iso_reason(), "libdoesnotexist"), "%s", iso_reason());
	cr_assert_null(d);
}

/* A child adopts libxml2, parses, has a violation and exits (destroying the domain
 * first, or not): libxml2's destructor at exit must find nothing to follow. */
static void exit_after_violation(const char *name, int destroy)
{
	int status;
	pid_t pid;

	xml_resolve();
	SKIP_UNSUPPORTED(name);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct iso_options opt = xml_options();
		struct iso_domain *d;

		if (iso_domain_create(name, &opt, &d))
			_exit(3);
		parse_across_violations(d, 2);
		if (destroy)
			iso_domain_destroy(d);
		exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the child %s with %d", WIFEXITED(status) ? "exited" : "died of signal",
		  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

ADOPT_PARAMS(exit_after_destroy_is_clean, 0)
ParameterizedTest(struct backend_param *p, adopt, exit_after_destroy_is_clean)
{
	exit_after_violation(p->name, 1);
}

ADOPT_PARAMS(exit_with_the_domain_alive_is_clean, 0)
ParameterizedTest(struct backend_param *p, adopt, exit_with_the_domain_alive_is_clean)
{
	exit_after_violation(p->name, 0);
}
