/* measure.c: one measuring loop over the planned rows: each workload and size a group whose backends' batches interleave, warm-up, summary, ratio to the baseline. */
/*
 * Divisions, in order: failures recorded; sizing a batch; pinning; one backend of a group
 * (struct trial: open, batches, summary, close); a group (every backend's domain open at
 * once, one batch of each per repetition in a shuffled order, rounds of fresh domains, the
 * paired ratios); the run (counters, progress, the machine's load, noisy rows).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "cpucost.h"
#include "executions.h"
#include "plan.h"

/* ---- failures: each becomes a line of the results ---------------------------------- */

static void record_failure(struct results *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void record_failure(struct results *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nfailed == sizeof(r->failed) / sizeof(r->failed[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(r->failed[r->nfailed++].what, sizeof(r->failed[0].what), fmt, ap);
	va_end(ap);
}

/* "backend/workload/size: why: detail". */
static void fail(struct results *r, const struct plan_row *pr, const char *why,
		 const char *detail)
{
	record_failure(r, "%s/%s/%zu: %s%s%s", pr->backend, pr->wl->name, pr->size, why,
		       detail && *detail ? ": " : "", detail ? detail : "");
}

/* A workload's error: its name, and the backend's reason unless the answer was wrong. */
static void fail_workload(struct results *r, const struct plan_row *pr, int err)
{
	fail(r, pr, workload_strerror(err), err == WL_EWRONG ? NULL : iso_reason());
}

/* The workload's untimed settle before a batch (isobench/workload.h), if it has one. */
static int settle(const struct workload *w, void *state, struct iso_domain *d)
{
	return w->settle ? w->settle(state, d) : ISO_OK;
}

/* ---- sizing a batch ---------------------------------------------------------------- */

/*
 * Without --iterations: as many calls per batch as take about BATCH_NS, at most the
 * workload's default, so a slow backend does not take minutes per row.
 */
#define BATCH_NS 5e6
#define PROBE_CALLS 8

static int size_batch(const struct workload *w, void *state, struct iso_domain *d, double ghz,
		      uint64_t *iters)
{
	/* The first calls pay for a cold domain (a child not yet running, faults): skip them.
	 * Then the fastest of up to three probes, so that one hiccup does not shrink the
	 * batch (slow calls, whose probe alone is a batch's time, take one). */
	int err = w->run(state, d, PROBE_CALLS);
	double per_call = INFINITY;

	for (int k = 0; k < 3 && !err && !(err = settle(w, state, d)); k++) {
		uint64_t t0 = tsc_begin();

		err = w->run(state, d, PROBE_CALLS);
		double t = (double)(tsc_end() - t0) / ghz / PROBE_CALLS;

		per_call = t < per_call ? t : per_call;
		if (t * PROBE_CALLS > BATCH_NS)
			break;
	}
	double fit = per_call > 0 && per_call < INFINITY ? BATCH_NS / per_call
							 : (double)w->default_iters;

	*iters = fit >= (double)w->default_iters ? w->default_iters : fit < 1 ? 1 : (uint64_t)fit;
	return err;
}

/* ---- pinning ----------------------------------------------------------------------- */

/* The CPUs the harness may use, kept while a row runs pinned. */
static cpu_set_t unpinned;

/* Handoff binds the child to the caller's CPU at each call: a caller the scheduler
 * moves at every wake-up would drag it along, so such rows always run pinned. */
static bool hands_off(const struct config *c, const char *name)
{
	const char *backend = plan_impl(name); /* NULL for a reference ("ref") */

	return backend && (strcmp(backend, "process-handoff") == 0 ||
	       (strcmp(backend, "process") == 0 && c->opt.wait == ISO_WAIT_HANDOFF));
}

/* --pin's CPU, else for a handoff row the one the harness is on; -1: not pinned. */
static int pin_cpu(const struct config *c, const char *backend)
{
	int cpu = c->pin_cpu >= 0 ? c->pin_cpu : hands_off(c, backend) ? sched_getcpu() : -1;
	cpu_set_t one;

	if (cpu < 0)
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -2 : cpu;
}

static void unpin(int cpu)
{
	if (cpu >= 0)
		sched_setaffinity(0, sizeof(unpinned), &unpinned);
}

/* ---- one backend of a group ------------------------------------------------------- */

/* One backend on the group's workload and size: its domain and workload state for the
 * round under way, its counters, and its samples over every round. */
struct trial {
	const struct config *c;
	struct results *r;
	const struct plan_row *pr;
	struct iso_domain *d;   /* NULL for a reference */
	void *state;            /* the workload's */
	struct counter_group self, child;
	struct cpucost cpu;     /* the domain's processes, where it has its own */
	bool in_child;          /* the domain runs in another process, counted there too */
	bool open;              /* domain and state live this round */
	bool dropped;           /* failed or not applicable: no row */
	int pinned;             /* the CPU, or -1 */
	uint64_t iters;         /* calls per batch (this round's) */
	uint64_t first_iters;   /* the first round's, reported */
	double child_s;         /* its processes' CPU time over its rounds (sysload's own time) */
	bool contended;         /* other processes competed while its group was measured */
	size_t nb;              /* batches: every round's, and with executions every one's */
	double *ns;             /* per batch: ns per call... */
	double *cpu_ns;         /* ...CPU ns per call... */
	double *ev, *cev;       /* ...and events per call, the caller's and the child's */
};

/* The samples of every batch of every round: one array, carved up. */
static int alloc_samples(struct trial *t)
{
	size_t n = t->nb;

	t->ns = calloc(n * EXECUTION_VALUES, sizeof(*t->ns));
	if (!t->ns) {
		fail(t->r, t->pr, "out of memory", NULL);
		return ISO_ENOMEM;
	}
	t->cpu_ns = t->ns + n;
	t->ev = t->cpu_ns + n;
	t->cev = t->ev + n * COUNTERS_MAX;
	return ISO_OK;
}

/* The domain (none for a reference) and the workload's state.  ISO_ENOTSUP from the
 * workload: it does not apply here, no row and no failure. */
static int open_domain(struct trial *t)
{
	const struct plan_row *pr = t->pr;
	int err;

	if (!pr->reference &&
	    (err = iso_domain_create(plan_impl(pr->backend), &t->c->opt, &t->d))) {
		fail(t->r, pr, iso_strerror(err), iso_reason());
		return err;
	}
	err = pr->wl->setup(t->d, pr->size, &t->state);
	if (err && err != ISO_ENOTSUP)
		fail_workload(t->r, pr, err);
	return err;
}

/* The plan's events on this thread and, where the domain is another process, on it:
 * a child that cannot be counted leaves its columns empty (said once).  The child's CPU
 * clock is opened whatever the events. */
static int open_counters(struct trial *t)
{
	const struct counters_plan *p = &t->r->counters;
	static bool told;
	pid_t pid = t->d ? iso_domain_pid(t->d) : getpid();

	t->in_child = pid != getpid();
	if (t->in_child)
		cpucost_open(&t->cpu, t->d);
	if (!p->n)
		return ISO_OK;
	if (counters_open(&t->self, p, 0)) {
		fail(t->r, t->pr, "perf_event_open", strerror(errno));
		return ISO_ESYS;
	}
	if (t->in_child && counters_open(&t->child, p, pid)) {
		if (!told)
			fprintf(stderr, "harness: cannot count the domain's child: "
					"perf_event_open: %s\n", strerror(errno));
		told = true;
		t->in_child = false;
	}
	return ISO_OK;
}

/* Around each batch: a process domain's child keeps the harness's whole CPU set. */
static int pin(struct trial *t)
{
	t->pinned = pin_cpu(t->c, t->pr->backend);
	if (t->pinned == -2) {
		fail(t->r, t->pr, "pinning: sched_setaffinity", strerror(errno));
		return ISO_ESYS;
	}
	return ISO_OK;
}

/* Batch i (of every round's), its counters and CPU clocks read outside the timed span. */
static int timed_batch(struct trial *t, size_t i)
{
	const struct counters_plan *p = &t->r->counters;
	const struct tsc_info *tsc = &t->r->tsc;
	double *ev = t->ev + i * COUNTERS_MAX, *cev = t->cev + i * COUNTERS_MAX;
	uint64_t cpu0, child0;
	int err;

	if ((err = settle(t->pr->wl, t->state, t->d)))
		return err;
	counters_start(&t->child);
	counters_start(&t->self);
	child0 = cpucost_domain(&t->cpu, false);
	cpu0 = cpucost_self();

	uint64_t t0 = tsc_begin();

	err = t->pr->wl->run(t->state, t->d, t->iters);
	double ticks = (double)(tsc_end() - t0) - tsc->overhead_ticks;
	uint64_t cpu = cpucost_self() - cpu0;

	cpu += cpucost_domain(&t->cpu, true) - child0; /* only this domain ran since */
	counters_stop(&t->self, p, ev);
	counters_stop(&t->child, p, cev);
	t->ns[i] = ticks / tsc->ghz / (double)t->iters;
	t->cpu_ns[i] = (double)cpu / (double)t->iters;
	for (size_t e = 0; e < p->n; e++) {
		ev[e] /= (double)t->iters;
		cev[e] /= (double)t->iters;
	}
	return err;
}

/* Median over the batches of one event's per-call count; NAN if no batch counted it. */
static double event_median(const double *per_batch, size_t n, double *scratch)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(per_batch[i * COUNTERS_MAX]))
			scratch[k++] = per_batch[i * COUNTERS_MAX];
	return k ? stats_median(scratch, k) : NAN;
}

/* The events per call: the caller's, the child's, cycles from the TSC without a PMU. */
static void summarise_events(const struct counters_plan *p, size_t n, const double *ev,
			     const double *cev, double *scratch, double ghz, struct row *row)
{
	for (size_t e = 0; e < COUNTERS_MAX; e++)
		row->events[e] = row->child_events[e] = NAN;
	for (size_t e = 0; e < p->n; e++) {
		row->events[e] = p->ev[e].tsc_cycles ? row->ns.median * ghz
						     : event_median(ev + e, n, scratch);
		if (row->child)
			row->child_events[e] = event_median(cev + e, n, scratch);
	}
}

/* The groups the bootstrap resamples first: the executions where there are several (a
 * process differs from the next more than rounds within one do), else the rounds. */
static size_t resampled_groups(const struct config *c)
{
	return c->executions > 1 ? c->executions : c->rounds;
}

/* The row from every round's batches; scratch holds as many values. */
static void summarise(const struct trial *t, struct row *row, double *scratch)
{
	const struct counters_plan *p = &t->r->counters;
	size_t n = t->nb;

	*row = (struct row){ .backend = t->pr->backend, .wl = t->pr->wl, .size = t->pr->size,
			     .iterations = t->first_iters, .repetitions = (unsigned)n,
			     .overhead_pct = NAN, .counter = counters_source(p),
			     .child = t->in_child, .contended = t->contended,
			     .ratio = { .est = NAN, .lo = NAN, .hi = NAN } };
	if (stats_median_interval(t->ns, n, resampled_groups(t->c), t->c->seed, &row->median))
		row->median = (struct stats_interval){ NAN, NAN, NAN };
	memcpy(scratch, t->ns, n * sizeof(*scratch));
	stats_summarise(scratch, n, &row->ns);
	row->noisy = row->ns.p10 > 0 && row->ns.p90 / row->ns.p10 > NOISY_RATIO;
	memcpy(scratch, t->cpu_ns, n * sizeof(*scratch));
	row->cpu_ns = stats_median(scratch, n);
	summarise_events(p, n, t->ev, t->cev, scratch, t->r->tsc.ghz, row);
}

/* The end of a round: domain, state and counters gone, the samples kept. */
static void close_round(struct trial *t)
{
	t->child_s += (double)cpucost_domain(&t->cpu, false) * 1e-9;
	cpucost_close(&t->cpu);
	counters_close(&t->child);
	counters_close(&t->self);
	if (t->state)
		t->pr->wl->teardown(t->state);
	iso_domain_destroy(t->d);
	t->state = NULL;
	t->d = NULL;
	t->open = false;
}

/* Drops a backend from the group after an error (recorded, but for ISO_ENOTSUP). */
static void drop(struct trial *t)
{
	close_round(t);
	t->dropped = true;
}

/* Opens the round's domain and state, sizes the batch (unless --iterations), warms up. */
static int open_round(struct trial *t, unsigned round)
{
	const struct workload *w = t->pr->wl;
	int err;

	/* Sized once, in the first round: later rounds' batches are the same length. */
	t->iters = round ? t->first_iters : t->c->iterations;
	t->open = true;
	if ((err = open_domain(t)) || (err = open_counters(t)))
		return err;
	if ((err = pin(t)))
		return err;
	if (!t->iters)
		err = size_batch(w, t->state, t->d, t->r->tsc.ghz, &t->iters);
	for (unsigned i = 0; !err && i < t->c->warmup; i++)
		if (!(err = settle(w, t->state, t->d)))
			err = w->run(t->state, t->d, t->iters);
	cpucost_domain(&t->cpu, true); /* the children collected since open were this domain's */
	unpin(t->pinned);
	if (err)
		fail_workload(t->r, t->pr, err);
	if (round == 0)
		t->first_iters = t->iters;
	return err;
}

/* ---- a group: one workload and size on every backend, interleaved --------------------- */

void measure_shuffle(size_t *order, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
		size_t j = (size_t)(stats_rand(seed) % i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

/* One round: every backend's domain opened, then each repetition one batch of each in a
 * shuffled order, so that a change in the machine's speed hits all of them alike. */
static void run_round(struct trial *t, size_t n, unsigned round, uint64_t *seed, size_t *order)
{
	int err;

	/* Each round starts from a trimmed heap: it must not pay for an earlier round's
	 * buffers, or for huge pages a fork split (mprotect pays for both: a switch
	 * changes 512 page entries where it changed one).  Again once the domains are
	 * open: a process domain's fork shares the heap's huge pages with its child,
	 * and the parent's next write splits them; collapsed after the fork, the
	 * parent's copy is its own (empty mprotect call beside a process domain: 30-41
	 * us -> as alone). */
	iso_trim();
	for (size_t k = 0; k < n; k++)
		if (!t[k].dropped && open_round(&t[k], round))
			drop(&t[k]);
	iso_trim();
	for (unsigned rep = 0; rep < t->c->repetitions; rep++) {
		measure_shuffle(order, n, seed);
		for (size_t k = 0; k < n; k++) {
			struct trial *x = &t[order[k]];

			if (x->dropped)
				continue;
			if ((err = pin(x))) {
				drop(x);
				continue;
			}
			err = timed_batch(x, (size_t)round * x->c->repetitions + rep);
			unpin(x->pinned);
			if (err) {
				fail_workload(x->r, x->pr, err);
				drop(x);
			}
		}
	}
	for (size_t k = 0; k < n; k++)
		if (t[k].open)
			close_round(&t[k]);
}

/* Each row's ratio to the group's baseline, from the batches measured side by side. */
static void ratios(const struct config *c, const struct trial *t, size_t n, struct row *rows,
		   uint64_t seed)
{
	const struct trial *base = NULL;

	for (size_t k = 0; k < n; k++)
		if (!t[k].dropped && strcmp(t[k].pr->backend, plan_baseline(c)) == 0)
			base = &t[k];
	for (size_t k = 0, i = 0; base && k < n; k++) {
		struct row *row = &rows[i];

		if (t[k].dropped)
			continue;
		i++;
		if (stats_paired_ratio(base->ns, t[k].ns, t[k].nb, resampled_groups(c), seed + k,
				       &row->ratio))
			continue;
		row->overhead_pct = (row->ratio.est - 1) * 100;
	}
}

/* The n planned rows starting at pr as one group: each backend's trial with room for nb
 * batches.  NULL when out of memory (recorded). */
static struct trial *group_open(const struct config *c, struct results *r,
				const struct plan_row *pr, size_t n, size_t nb)
{
	struct trial *t = calloc(n, sizeof(*t));

	if (!t) {
		record_failure(r, "out of memory");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		t[k] = (struct trial){ .c = c, .r = r, .pr = &pr[k], .pinned = -1, .nb = nb,
				       .cpu = { .fd = -1 } };
		if (alloc_samples(&t[k]))
			t[k].dropped = true;
	}
	return t;
}

static void group_close(struct trial *t, size_t n)
{
	for (size_t k = 0; t && k < n; k++)
		free(t[k].ns);
	free(t);
}

/* Every round of the group, each trial marked contended if others competed meanwhile.
 * Returns the CPU time the domains' children used (seconds). */
static double group_measure(struct trial *t, size_t n, uint64_t *seed)
{
	const struct config *c = t->c;
	size_t *order = calloc(n, sizeof(*order));
	struct sysload_snap a, b;
	struct sysload_span span;
	double children = 0;

	if (!order) {
		record_failure(t->r, "out of memory");
		return 0;
	}
	sysload_read(&a);
	for (unsigned round = 0; round < c->rounds; round++)
		run_round(t, n, round, seed, order);
	sysload_read(&b);
	for (size_t k = 0; k < n; k++)
		children += t[k].child_s;
	sysload_between(&a, &b, children, &span);
	for (size_t k = 0; k < n; k++)
		t[k].contended = span.ok && span.others >= SYSLOAD_CONTENDED;
	free(order);
	return children;
}

/* The group's rows, appended to r, with their ratios to the baseline. */
static void group_summarise(const struct trial *t, size_t n, struct results *r, uint64_t *seed)
{
	size_t first = r->nrows, most = 0;
	double *scratch;

	for (size_t k = 0; k < n; k++)
		most = t[k].nb > most ? t[k].nb : most;
	if (!(scratch = calloc(most ? most : 1, sizeof(*scratch)))) {
		record_failure(r, "out of memory");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		if (t[k].dropped)
			continue;
		summarise(&t[k], &r->rows[r->nrows], scratch);
		r->ncontended += r->rows[r->nrows].contended;
		r->nrows++;
	}
	ratios(t->c, t, n, r->rows + first, stats_rand(seed));
	free(scratch);
}

/* ---- the run ----------------------------------------------------------------------- */

/* Say once what cannot be counted here: the PMU as a whole, then single events. */
static void setup_counters(const struct config *c, struct results *r)
{
	const char *names[COUNTERS_MAX];
	struct counters_plan *p = &r->counters;
	bool hw_asked = false;

	for (size_t i = 0; i < c->nevents; i++)
		names[i] = c->events[i];
	if (counters_plan(p, names, c->nevents, c->kernel)) {
		if (c->nevents)
			fprintf(stderr, "harness: events unavailable: %s\n", p->pmu_why);
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		hw_asked |= p->ev[i].hardware;
	if (hw_asked && !p->pmu)
		fprintf(stderr, "harness: hardware counters unavailable: %s; cycles from TSC\n",
			p->pmu_why);
	for (size_t i = 0; i < p->n; i++)
		if (!p->ev[i].available && !(p->ev[i].hardware && !p->pmu))
			fprintf(stderr, "harness: event %s unavailable: %s\n", p->ev[i].name,
				p->ev[i].why);
}

/* "[3/15] copy 4096 B: none process mpk" on stderr, rewritten in place on a terminal,
 * elsewhere (a log) at most about every tenth of the run; NULL clears it. */
static void progress(const struct config *c, size_t done, size_t total,
		     const struct plan_row *pr, size_t n)
{
	static int tty = -1;

	if (!c->progress)
		return;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!pr) {
		if (tty)
			fputs("\r\033[K", stderr);
		return;
	}
	if (!tty && done && done * 10 / total == (done - 1) * 10 / total)
		return;
	fprintf(stderr, "%s[", tty ? "\r\033[K" : "");
	if (c->executions > 1)
		fprintf(stderr, "execution %u of %u, ", c->execution + 1, c->executions);
	fprintf(stderr, "%zu/%zu] %s %zu B:", done + 1, total, pr->wl->name, pr->size);
	for (size_t k = 0; k < n; k++)
		fprintf(stderr, " %s", pr[k].backend);
	fputs(tty ? "" : "\n", stderr);
}

/* One line for the noisy rows (each is marked in the output). */
static void noisy(const struct results *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nrows; i++)
		n += r->rows[i].noisy;
	if (n)
		fprintf(stderr, "harness: %zu of %zu rows noisy (p90/p10 above %.1f), marked in "
				"the output\n", n, r->nrows, NOISY_RATIO);
}

/* Rows of one workload and size on the backends, consecutive in the plan; a reference
 * alone. */
static size_t group_len(const struct plan *p, size_t i)
{
	size_t n = 1;

	while (!p->rows[i].reference && i + n < p->n && !p->rows[i + n].reference &&
	       p->rows[i + n].wl == p->rows[i].wl && p->rows[i + n].size == p->rows[i].size)
		n++;
	return n;
}

/* ---- the plan in this process ----------------------------------------------------------- */

/* What becomes of a group measured here: its rows (one process), or its trials sent to
 * the parent (an execution's child).  `first`: the plan's index of its first row. */
typedef void group_done(const struct trial *t, size_t n, size_t first, uint64_t *seed,
			void *arg);

/* Every planned group in order, measured in this process and handed to done; returns
 * the CPU time the domains' children used (seconds). */
static double measure_groups(const struct config *c, const struct plan *p, struct results *r,
			     size_t ngroups, uint64_t *seed, group_done *done, void *arg)
{
	size_t nb = (size_t)c->repetitions * c->rounds;
	double children = 0;

	for (size_t i = 0, n, g = 0; i < p->n; i += n, g++) {
		struct trial *t;

		n = group_len(p, i);
		progress(c, g, ngroups, &p->rows[i], n);
		if (!(t = group_open(c, r, &p->rows[i], n, nb)))
			break;
		children += group_measure(t, n, seed);
		done(t, n, i, seed, arg);
		group_close(t, n);
	}
	progress(c, ngroups, ngroups, NULL, 0);
	return children;
}

static void summarised(const struct trial *t, size_t n, size_t first, uint64_t *seed,
		       void *arg)
{
	(void)first, (void)arg;
	group_summarise(t, n, t->r, seed);
}

/* ---- executions: the plan measured whole in fresh processes, one after another ---------- */

/* What an execution's child needs: the plan, its groups, which execution it is, and
 * (once forked) where its trials go. */
struct execution_ctx {
	const struct config *c;
	const struct plan *p;
	struct results *r;
	size_t ngroups;
	unsigned index;
	int fd;
};

static void sent(const struct trial *t, size_t n, size_t first, uint64_t *seed, void *arg)
{
	const struct execution_ctx *x = arg;

	(void)seed;
	for (size_t k = 0; k < n; k++) {
		struct execution_trial e = {
			.row = (uint32_t)(first + k), .n = (uint32_t)t[k].nb,
			.iters = t[k].first_iters, .child_s = t[k].child_s,
			.dropped = t[k].dropped, .in_child = t[k].in_child,
			.contended = t[k].contended,
		};

		if (execution_send_trial(x->fd, &e, t[k].ns))
			_exit(1);
	}
}

/* In the child: every group measured as one process would, each trial sent on fd as it
 * is done, then the failures recorded here. */
static void execution_measure(void *arg, int fd)
{
	struct execution_ctx *x = arg;
	struct config c = *x->c;
	size_t nfailed = x->r->nfailed;
	uint64_t seed = c.seed + 0x9e3779b97f4a7c15ull * (x->index + 1);

	c.execution = x->index;
	c.seed = seed;
	x->fd = fd;
	measure_groups(&c, x->p, x->r, x->ngroups, &seed, sent, x);
	for (size_t i = nfailed; i < x->r->nfailed; i++)
		if (execution_send_failure(fd, x->r->failed[i].what))
			_exit(1);
}

/* One execution's batches of a trial into its place among all executions'. */
static void place(struct trial *t, const struct execution_trial *e, size_t at)
{
	size_t m = e->n;

	memcpy(t->ns + at * m, e->samples, m * sizeof(double));
	memcpy(t->cpu_ns + at * m, e->samples + m, m * sizeof(double));
	memcpy(t->ev + at * m * COUNTERS_MAX, e->samples + 2 * m,
	       m * COUNTERS_MAX * sizeof(double));
	memcpy(t->cev + at * m * COUNTERS_MAX, e->samples + (2 + COUNTERS_MAX) * m,
	       m * COUNTERS_MAX * sizeof(double));
	if (at == 0)
		t->first_iters = e->iters;
	t->in_child |= e->in_child;
	t->contended |= e->contended;
	t->child_s += e->child_s;
}

/* Every execution in turn, then each group's rows from all of them: a trial missing
 * from one, or dropped there, has no row (its failure is recorded).  Returns the CPU
 * time of the executions' processes (seconds). */
static double measure_executions(const struct config *c, const struct plan *p,
				 struct results *r, size_t ngroups)
{
	struct execution_log *logs = calloc(c->executions, sizeof(*logs));
	size_t nb = (size_t)c->repetitions * c->rounds;
	uint64_t seed = c->seed;
	double children = 0;
	unsigned ran = 0;

	if (!logs) {
		record_failure(r, "out of memory");
		return 0;
	}
	for (; ran < c->executions; ran++) {
		struct execution_ctx x = { .c = c, .p = p, .r = r, .ngroups = ngroups, .index = ran };
		double used = execution_run(p->n, execution_measure, &x, &logs[ran], r);

		if (used < 0)
			break;
		children += used;
	}
	for (size_t i = 0, n; ran == c->executions && i < p->n; i += n) {
		struct trial *t;

		n = group_len(p, i);
		if (!(t = group_open(c, r, &p->rows[i], n, nb * c->executions)))
			break;
		for (size_t k = 0; k < n; k++)
			for (unsigned e = 0; !t[k].dropped && e < c->executions; e++) {
				const struct execution_trial *x = logs[e].by_row[i + k];

				if (!x || x->dropped || x->n != nb)
					t[k].dropped = true;
				else
					place(&t[k], x, e);
			}
		group_summarise(t, n, r, &seed);
		group_close(t, n);
	}
	for (unsigned e = 0; e < c->executions; e++)
		execution_log_free(&logs[e]);
	free(logs);
	return children;
}

/* The one measuring loop: every planned group, in order (with executions, the whole plan
 * once in each); returns the children's CPU time (seconds). */
static double measure_rows(const struct config *c, const struct plan *p, struct results *r)
{
	size_t ngroups = 0;
	uint64_t seed = c->seed;
	double children;

	r->rows = calloc(p->n, sizeof(*r->rows));
	if (!r->rows) {
		record_failure(r, "out of memory");
		return 0;
	}
	for (size_t i = 0; i < p->n; i += group_len(p, i))
		ngroups++;
	if (c->executions > 1)
		children = measure_executions(c, p, r, ngroups);
	else
		children = measure_groups(c, p, r, ngroups, &seed, summarised, NULL);
	noisy(r);
	return children;
}

/* The machine before measuring: other processes' CPU use over a moment we sit idle. */
static void load_before(struct results *r)
{
	struct sysload_snap a, b;
	struct timespec pause = { 0, 200 * 1000 * 1000 };

	r->loadavg = sysload_loadavg();
	sysload_read(&a);
	nanosleep(&pause, NULL);
	sysload_read(&b);
	sysload_between(&a, &b, 0, &r->before);
	if (r->before.ok && r->before.others >= SYSLOAD_CONTENDED)
		fprintf(stderr, "harness: contended: other processes used %.1f of %ld CPUs "
				"before the run (load average %.2f); rows measured under "
				"contention are marked\n", r->before.others,
			sysconf(_SC_NPROCESSORS_ONLN), r->loadavg);
}

void measure_all(const struct config *c, struct results *r)
{
	struct plan p;
	struct sysload_snap a, b;

	r->seed = c->seed;
	setup_counters(c, r);
	if (sched_getaffinity(0, sizeof(unpinned), &unpinned)) {
		record_failure(r, "sched_getaffinity: %s", strerror(errno));
		return;
	}
	load_before(r);
	if (plan_build(c, &p, r))
		record_failure(r, "out of memory");
	else if (p.n) {
		double children;

		sysload_read(&a);
		children = measure_rows(c, &p, r);
		sysload_read(&b);
		sysload_between(&a, &b, children, &r->during);
	}
	plan_free(&p);
}
