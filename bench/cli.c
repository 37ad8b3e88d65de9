/* cli.c: the harness's command line: flags, their checks, --help and --list. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "harness.h"
#include "plan.h"
#include "plugin.h"

enum { OPT_NO_BASELINE = 256, OPT_WAIT, OPT_TIMEOUT, OPT_SPIN, OPT_OUTDIR, OPT_QUIET, OPT_REFS,
       OPT_EVENTS, OPT_KERNEL, OPT_PIN, OPT_ROUNDS, OPT_VIOLATIONS, OPT_PLUGIN,
       OPT_HARDEN, OPT_BASELINE, OPT_SEED, OPT_CASE_LIMIT, OPT_EXECUTIONS };

/* --wait's values: parsed here, named in every output. */
static const struct {
	enum iso_wait wait;
	const char *name;
} waits[] = {
	{ ISO_WAIT_HYBRID, "hybrid" },
	{ ISO_WAIT_SPIN, "spin" },
	{ ISO_WAIT_FUTEX, "futex" },
	{ ISO_WAIT_HANDOFF, "handoff" },
};

#define NWAITS (sizeof(waits) / sizeof(waits[0]))

const char *cli_wait_name(enum iso_wait w)
{
	for (size_t i = 0; i < NWAITS; i++)
		if (waits[i].wait == w)
			return waits[i].name;
	return waits[0].name;
}

static bool parse_wait(const char *s, enum iso_wait *out)
{
	for (size_t i = 0; i < NWAITS; i++)
		if (strcmp(waits[i].name, s) == 0) {
			*out = waits[i].wait;
			return true;
		}
	return false;
}

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, 'b' },
	{ "workload", required_argument, NULL, 'w' },
	{ "size", required_argument, NULL, 's' },
	{ "iterations", required_argument, NULL, 'i' },
	{ "repetitions", required_argument, NULL, 'r' },
	{ "warmup", required_argument, NULL, 'W' },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "executions", required_argument, NULL, OPT_EXECUTIONS },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "outdir", required_argument, NULL, OPT_OUTDIR },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "harden", required_argument, NULL, OPT_HARDEN },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "spin-us", required_argument, NULL, OPT_SPIN },
	{ "no-baseline", no_argument, NULL, OPT_NO_BASELINE },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "case-limit-ms", required_argument, NULL, OPT_CASE_LIMIT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "refs", no_argument, NULL, OPT_REFS },
	{ "violations", no_argument, NULL, OPT_VIOLATIONS },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "list", no_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

void cli_usage(FILE *f)
{
	fputs("usage: harness [options]\n"
	      "Runs workloads through isolation backends and reports per-call times.\n\n"
	      "  --backend=NAME[,NAME...]|all   backends to measure (default: all)\n"
	      "  --workload=NAME[,NAME...]|all  workloads to run (default: all)\n"
	      "  --size=BYTES[,BYTES...]        payload sizes for sized workloads; K, M, G\n"
	      "                                 suffixes are binary (default: each workload's)\n"
	      "  --iterations=N                 calls per timed batch (default: per workload)\n"
	      "  --repetitions=N                timed batches per row and round (default: 11)\n"
	      "  --warmup=N                     untimed batches first (default: 3)\n"
	      "  --rounds=N                     N rounds of fresh domains per row, their batches\n"
	      "                                 pooled (3); in each, the backends' batches\n"
	      "                                 alternate in a shuffled order.  The interval\n"
	      "                                 needs several: domains differ among themselves\n"
	      "  --executions=N                 measure the whole plan in N fresh processes,\n"
	      "                                 one after another, and pool them (1); the\n"
	      "                                 intervals then resample processes, which\n"
	      "                                 differ more than rounds within one do\n"
	      "  --format=table|csv|json        output format (default: table)\n"
	      "  --output=FILE                  write there instead of stdout (all or nothing)\n"
	      "  --outdir=DIR                   also write results.csv, results.json, table.txt\n"
	      "                                 into DIR (created if missing)\n"
	      "  --wait=hybrid|spin|futex|handoff  how a caller waits for the process backend\n"
	      "                                 (handoff: its child runs on the caller's CPU)\n"
	      "  --spin-us=N                    hybrid: spin this long before sleeping (200)\n"
	      "  --harden=on|off                the domains' system call filter (default: on)\n"
	      "  --timeout-ms=N                 per-call watchdog, 0 for none (default: 10000)\n"
	      "  --baseline=NAME                the backend every row's ratio is to (none); a\n"
	      "                                 backend NAME#N is another instance of NAME\n"
	      "                                 (--backend=process,process#2 --baseline=process:\n"
	      "                                 an A/A check, every interval should hold 1)\n"
	      "  --no-baseline                  do not add the baseline when it was not asked for\n"
	      "  --seed=N                       the batches' shuffled order and the intervals'\n"
	      "                                 resamples (default: from the clock; recorded)\n"
	      "  --violations                   instead of timings, the violation matrix: each\n"
	      "                                 kind of memory-safety failure once per backend,\n"
	      "                                 each in a subprocess (--outdir: violations.csv)\n"
	      "  --case-limit-ms=MS             --violations: a case still running after MS ms\n"
	      "                                 is a hang (default 3000; raise it under emulation)\n"
	      "  --refs                         also time bare references (backend \"ref\"):\n"
	      "                                 indirect call, pipe and shared-memory ping-pong,\n"
	      "                                 memcpy (1 and 16 MiB, or --size), one signal\n"
	      "  --events=EVENT[,EVENT...]      also count these per call (cycles, instructions,\n"
	      "                                 context-switches, page-faults, any libpfm4 event\n"
	      "                                 or raw PMU string); hardware events user mode only\n"
	      "  --kernel                       hardware events count kernel time too\n"
	      "  --pin=CPU                      run the measuring thread on CPU (after domains are\n"
	      "                                 created: the process backend's child is not pinned);\n"
	      "                                 handoff rows run pinned to the current CPU anyway\n"
	      "  --quiet                        no progress on stderr\n"
	      "  --plugin=PATH.so               also the workloads of this shared object, built\n"
	      "                                 against <isobench/workload.h> (repeatable)\n"
	      "  --list                         backends (supported here or why not), workloads\n"
	      "  --compare OLD.json NEW.json    the change of every row two runs share\n"
	      "  --report RUN                   (re)write RUN/report.md from the run folder's files\n"
	      "  --help                         this text\n\n"
	      "Times are medians and percentiles over repetitions of the per-call time of one\n"
	      "batch, from the TSC.  ratio (ratio_lo..ratio_hi: its 95% bootstrap interval) is\n"
	      "the median of the paired batches' ratios to the baseline's; overhead_pct is\n"
	      "(ratio - 1) x 100.  cpu_ns: CPU time per call, the caller's and a process\n"
	      "domain's processes'.  Without a PMU, cycles come from the TSC (counter `tsc`).\n"
	      "Exit status: 0 ok, 1 a run failed, 2 bad usage.\n",
	      f);
}

void cli_list(FILE *f)
{
	const struct workload *w;
	const char *name;

	fputs("backends:\n", f);
	for (size_t i = 0; (name = iso_backend_name(i)); i++) {
		int err = iso_backend_probe(name);

		fprintf(f, "  %-16s %-4s %s%s%s\n", name, err ? "no" : "yes",
			iso_backend_summary(name), err ? ": " : "", err ? iso_reason() : "");
	}
	fputs("workloads:\n", f);
	for (size_t i = 0; (w = workload_at(i)); i++)
		fprintf(f, "  %-25s %s\n", w->name, w->summary);
	fputs("references (--refs):\n", f);
	for (size_t i = 0; (w = ref_at(i)); i++)
		fprintf(f, "  %-25s %s\n", w->name, w->summary);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("harness: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	return 2;
}

/* A whole number, optionally with a binary K/M/G suffix; nothing else accepted. */
static bool parse_u64(const char *s, bool suffix, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (suffix && *end) {
		const char *units = "KMG", *u = strchr(units, *end);

		if (!u || !*u)
			return false;
		shift = 10 * (unsigned)(u - units + 1);
		end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_unsigned(const char *s, unsigned *out)
{
	uint64_t v;

	if (!parse_u64(s, false, &v) || v > 1000000000)
		return false;
	*out = (unsigned)v;
	return true;
}

/* Splits a copy: argv stays whole for the run's metadata. */
static int split(const char *arg, int (*take)(const char *, struct config *), struct config *c)
{
	char *copy = strdup(arg), *save;
	int err = 0;

	if (!copy)
		return bad("out of memory");
	for (char *t = strtok_r(copy, ",", &save); t && !err; t = strtok_r(NULL, ",", &save))
		err = take(t, c);
	free(copy);
	return err;
}

static int take_backend(const char *name, struct config *c)
{
	const char *known;

	if (strcmp(name, "all") == 0) {
		for (size_t i = 0; (known = iso_backend_name(i)); i++)
			take_backend(known, c);
		return 0;
	}
	if (!(known = plan_impl(name)))
		return bad("unknown backend '%s'; --list shows them (NAME#N: another instance)",
			   name);
	for (size_t i = 0; i < c->nbackends; i++)
		if (strcmp(c->backends[i], name) == 0)
			return 0;
	if (c->nbackends == sizeof(c->backends) / sizeof(c->backends[0]))
		return bad("too many backends");
	if (strcmp(known, name) != 0) { /* NAME#N: kept here, argv's copy is freed */
		if (strlen(name) >= sizeof(c->instances[0]))
			return bad("backend name '%.40s' is too long", name);
		snprintf(c->instances[c->nbackends], sizeof(c->instances[0]), "%s", name);
		known = c->instances[c->nbackends];
	}
	c->backends[c->nbackends++] = known; /* the registry's string outlives argv copies */
	return 0;
}

static int take_workload(const char *name, struct config *c)
{
	const struct workload *w;

	if (strcmp(name, "all") == 0) {
		for (size_t i = 0; (w = workload_at(i)); i++)
			take_workload(w->name, c);
		return 0;
	}
	w = workload_find(name);
	if (!w)
		return bad("unknown workload '%s'; --list shows them", name);
	for (size_t i = 0; i < c->nworkloads; i++)
		if (c->workloads[i] == w)
			return 0;
	if (c->nworkloads == sizeof(c->workloads) / sizeof(c->workloads[0]))
		return bad("too many workloads");
	c->workloads[c->nworkloads++] = w;
	return 0;
}

static int take_size(const char *s, struct config *c)
{
	uint64_t v;

	if (!parse_u64(s, true, &v))
		return bad("--size: '%s' is not a byte count (e.g. 64, 4K, 16M)", s);
	if (c->nsizes == sizeof(c->sizes) / sizeof(c->sizes[0]))
		return bad("--size: at most %zu sizes", sizeof(c->sizes) / sizeof(c->sizes[0]));
	c->sizes[c->nsizes++] = (size_t)v;
	return 0;
}

static int take_event(const char *name, struct config *c)
{
	char why[160];

	if (strlen(name) >= sizeof(c->events[0]))
		return bad("--events: '%.40s...' is too long", name);
	if (counters_check(name, why, sizeof(why)))
		return bad("--events: '%s' is not an event libpfm4 knows (%s)", name, why);
	for (size_t i = 0; i < c->nevents; i++)
		if (strcmp(c->events[i], name) == 0)
			return 0;
	if (c->nevents == COUNTERS_MAX)
		return bad("--events: at most %d events", COUNTERS_MAX);
	snprintf(c->events[c->nevents++], sizeof(c->events[0]), "%s", name);
	return 0;
}

static int take_plugin(const char *path)
{
	char why[300];

	if (plugin_load(path, why, sizeof(why)))
		return bad("--plugin: cannot use '%s': %s", path, why);
	return 0;
}

/* A CPU this process may run on now: pinning elsewhere would fail only at run time. */
static int take_pin(const char *s, struct config *c)
{
	cpu_set_t allowed;
	unsigned cpu;

	if (!parse_unsigned(s, &cpu) || cpu >= CPU_SETSIZE)
		return bad("--pin: '%s' is not a CPU number", s);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && !CPU_ISSET(cpu, &allowed))
		return bad("--pin: CPU %u is not one this process may run on", cpu);
	c->pin_cpu = (int)cpu;
	return 0;
}

int cli_parse(int argc, char **argv, struct config *c)
{
	const char *backends = "all", *workloads = "all", *sizes = NULL, *events = NULL;
	unsigned timeout_ms = 10000;
	bool list = false;
	bool seeded = false;
	int opt, err;

	*c = (struct config){ .repetitions = 11, .warmup = 3, .rounds = 3, .executions = 1,
			      .baseline = true,
			      .case_limit_ms = VIOLATION_LIMIT_MS,
			      .progress = true, .pin_cpu = -1, .argc = argc, .argv = argv };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b': backends = optarg; break;
		case 'w': workloads = optarg; break;
		case 's': sizes = optarg; break;
		case 'i':
			if (!parse_u64(optarg, false, &c->iterations) || c->iterations == 0)
				return bad("--iterations: '%s' is not a whole number above 0", optarg);
			break;
		case 'r':
			if (!parse_unsigned(optarg, &c->repetitions) || c->repetitions == 0)
				return bad("--repetitions: '%s' is not a whole number above 0", optarg);
			break;
		case OPT_ROUNDS:
			if (!parse_unsigned(optarg, &c->rounds) || c->rounds == 0 || c->rounds > 99)
				return bad("--rounds: '%s' is not a whole number from 1 to 99", optarg);
			break;
		case OPT_EXECUTIONS:
			if (!parse_unsigned(optarg, &c->executions) || c->executions == 0 ||
			    c->executions > 99)
				return bad("--executions: '%s' is not a whole number from 1 to 99",
					   optarg);
			break;
		case 'W':
			if (!parse_unsigned(optarg, &c->warmup))
				return bad("--warmup: '%s' is not a whole number", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				c->format = FMT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				c->format = FMT_CSV;
			else if (strcmp(optarg, "json") == 0)
				c->format = FMT_JSON;
			else
				return bad("--format: '%s' is not table, csv or json", optarg);
			break;
		case 'o': c->output = optarg; break;
		case OPT_OUTDIR: c->outdir = optarg; break;
		case OPT_WAIT:
			if (!parse_wait(optarg, &c->opt.wait))
				return bad("--wait: '%s' is not hybrid, spin, futex or handoff", optarg);
			break;
		case OPT_HARDEN:
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return bad("--harden: '%s' is not on or off", optarg);
			c->opt.harden = strcmp(optarg, "on") ? ISO_HARDEN_OFF : ISO_HARDEN_ON;
			break;
		case OPT_TIMEOUT:
			if (!parse_unsigned(optarg, &timeout_ms))
				return bad("--timeout-ms: '%s' is not a whole number", optarg);
			break;
		case OPT_SPIN:
			if (!parse_unsigned(optarg, &c->opt.spin_us))
				return bad("--spin-us: '%s' is not a whole number", optarg);
			break;
		case OPT_NO_BASELINE: c->baseline = false; break;
		case OPT_BASELINE: c->baseline_name = optarg; break;
		case OPT_SEED:
			if (!parse_u64(optarg, false, &c->seed) || c->seed > INT64_MAX)
				return bad("--seed: '%s' is not a whole number below 2^63", optarg);
			seeded = true;
			break;
		case OPT_QUIET: c->progress = false; break;
		case OPT_REFS: c->refs = true; break;
		case OPT_VIOLATIONS: c->violations = true; break;
		case OPT_CASE_LIMIT:
			if (!parse_unsigned(optarg, &c->case_limit_ms) || c->case_limit_ms == 0)
				return bad("--case-limit-ms: '%s' is not a whole number above 0", optarg);
			break;
		case OPT_EVENTS: events = optarg; break;
		case OPT_KERNEL: c->kernel = true; break;
		case OPT_PIN:
			if ((err = take_pin(optarg, c)))
				return err;
			break;
		case OPT_PLUGIN:
			if ((err = take_plugin(optarg)))
				return err;
			break;
		case 'l': list = true; break;
		case 'h': cli_usage(stdout); return -1;
		case ':': return bad("%s needs a value", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (list) { /* after the loop: --list shows the workloads of every --plugin */
		cli_list(stdout);
		return -1;
	}
	c->opt.timeout_ms = timeout_ms;

	err = split(backends, take_backend, c);
	if (!err)
		err = split(workloads, take_workload, c);
	if (!err && sizes)
		err = split(sizes, take_size, c);
	if (!err && events)
		err = split(events, take_event, c);
	if (!err && c->baseline_name && !plan_impl(c->baseline_name))
		err = bad("--baseline: unknown backend '%s'", c->baseline_name);
	if (!seeded) { /* recorded in the run's metadata: --seed repeats the order */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->seed = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) & INT64_MAX;
	}
	if (!err && (c->nbackends == 0 || c->nworkloads == 0))
		err = bad("no %s given", c->nbackends == 0 ? "backend" : "workload");
	return err;
}
