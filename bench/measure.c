/* measure.c: one measuring loop over the planned rows: a fresh domain per row, warm-up, timed batches, their summary. */
/*
 * Divisions, in order: failures recorded; sizing a batch; pinning; one row (struct
 * trial: open, batches, summary, close); rounds; the run (counters, progress, the
 * overheads against `none`, noisy rows).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
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

	for (int k = 0; k < 3 && !err; k++) {
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
static bool hands_off(const struct config *c, const char *backend)
{
	return strcmp(backend, "process-handoff") == 0 ||
	       (strcmp(backend, "process") == 0 && c->opt.wait == ISO_WAIT_HANDOFF);
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

/* ---- one row ----------------------------------------------------------------------- */

/* A row being measured: its domain and workload state, its counters, its samples. */
struct trial {
	const struct config *c;
	struct results *r;
	const struct plan_row *pr;
	struct iso_domain *d;   /* NULL for a reference */
	void *state;            /* the workload's */
	struct counter_group self, child;
	bool in_child;          /* the domain runs in another process, counted there too */
	int pinned;             /* the CPU, or -1 */
	uint64_t iters;         /* calls per batch */
	double *ns;             /* per batch: ns per call... */
	double *ev, *cev;       /* ...and events per call, the caller's and the child's */
};

/* The samples of every batch: one array, carved up. */
static int alloc_samples(struct trial *t)
{
	size_t reps = t->c->repetitions;

	t->ns = calloc(reps * (1 + 2 * COUNTERS_MAX), sizeof(*t->ns));
	if (!t->ns) {
		fail(t->r, t->pr, "out of memory", NULL);
		return ISO_ENOMEM;
	}
	t->ev = t->ns + reps;
	t->cev = t->ev + reps * COUNTERS_MAX;
	return ISO_OK;
}

/* The domain (none for a reference) and the workload's state.  ISO_ENOTSUP from the
 * workload: it does not apply here, no row and no failure. */
static int open_domain(struct trial *t)
{
	const struct plan_row *pr = t->pr;
	int err;

	/* Each row starts from a trimmed heap: it must not pay for an earlier row's
	 * buffers, or for huge pages a fork split (mprotect pays for both).  Before
	 * the domain: a process domain's fork would leave nothing to collapse. */
	iso_trim();
	if (!pr->reference && (err = iso_domain_create(pr->backend, &t->c->opt, &t->d))) {
		fail(t->r, pr, iso_strerror(err), iso_reason());
		return err;
	}
	err = pr->wl->setup(t->d, pr->size, &t->state);
	if (err && err != ISO_ENOTSUP)
		fail_workload(t->r, pr, err);
	return err;
}

/* The plan's events on this thread and, where the domain is another process, on it:
 * a child that cannot be counted leaves its columns empty (said once). */
static int open_counters(struct trial *t)
{
	const struct counters_plan *p = &t->r->counters;
	static bool told;
	pid_t pid;

	if (!p->n)
		return ISO_OK;
	pid = t->d ? iso_domain_pid(t->d) : getpid();
	t->in_child = pid != getpid();
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

/* After the domain is set up: a process domain's child keeps the harness's whole CPU set. */
static int pin(struct trial *t)
{
	t->pinned = pin_cpu(t->c, t->pr->backend);
	if (t->pinned == -2) {
		fail(t->r, t->pr, "pinning: sched_setaffinity", strerror(errno));
		return ISO_ESYS;
	}
	return ISO_OK;
}

/* Batch i, its counters read outside the timed span. */
static int timed_batch(struct trial *t, unsigned i)
{
	const struct counters_plan *p = &t->r->counters;
	const struct tsc_info *tsc = &t->r->tsc;
	double *ev = t->ev + (size_t)i * COUNTERS_MAX, *cev = t->cev + (size_t)i * COUNTERS_MAX;
	int err;

	counters_start(&t->child);
	counters_start(&t->self);

	uint64_t t0 = tsc_begin();

	err = t->pr->wl->run(t->state, t->d, t->iters);
	double ticks = (double)(tsc_end() - t0) - tsc->overhead_ticks;

	counters_stop(&t->self, p, ev);
	counters_stop(&t->child, p, cev);
	t->ns[i] = ticks / tsc->ghz / (double)t->iters;
	for (size_t e = 0; e < p->n; e++) {
		ev[e] /= (double)t->iters;
		cev[e] /= (double)t->iters;
	}
	return err;
}

/* The batch sized (unless --iterations), the warm-up, the timed batches. */
static int run_batches(struct trial *t)
{
	const struct workload *w = t->pr->wl;
	int err = ISO_OK;

	if (!t->iters)
		err = size_batch(w, t->state, t->d, t->r->tsc.ghz, &t->iters);
	for (unsigned i = 0; !err && i < t->c->warmup; i++)
		err = w->run(t->state, t->d, t->iters);
	for (unsigned i = 0; !err && i < t->c->repetitions; i++)
		err = timed_batch(t, i);
	return err;
}

/* Median over the batches of one event's per-call count; NAN if no batch counted it. */
static double event_median(const double *per_batch, unsigned reps, double *scratch)
{
	size_t n = 0;

	for (unsigned i = 0; i < reps; i++)
		if (!isnan(per_batch[(size_t)i * COUNTERS_MAX]))
			scratch[n++] = per_batch[(size_t)i * COUNTERS_MAX];
	return n ? stats_median(scratch, n) : NAN;
}

/* The events per call: the caller's, the child's, cycles from the TSC without a PMU. */
static void summarise_events(const struct counters_plan *p, unsigned reps, const double *ev,
			     const double *cev, double *scratch, double ghz, struct row *row)
{
	for (size_t e = 0; e < COUNTERS_MAX; e++)
		row->events[e] = row->child_events[e] = NAN;
	for (size_t e = 0; e < p->n; e++) {
		row->events[e] = p->ev[e].tsc_cycles ? row->ns.median * ghz
						     : event_median(ev + e, reps, scratch);
		if (row->child)
			row->child_events[e] = event_median(cev + e, reps, scratch);
	}
}

static void summarise(const struct trial *t, struct row *row)
{
	const struct counters_plan *p = &t->r->counters;
	unsigned reps = t->c->repetitions;

	*row = (struct row){ .backend = t->pr->backend, .wl = t->pr->wl, .size = t->pr->size,
			     .iterations = t->iters, .repetitions = reps, .overhead_pct = NAN,
			     .counter = counters_source(p), .child = t->in_child };
	stats_summarise(t->ns, reps, &row->ns);
	row->noisy = row->ns.p10 > 0 && row->ns.p90 / row->ns.p10 > NOISY_RATIO;
	/* The sorted times are scratch now. */
	summarise_events(p, reps, t->ev, t->cev, t->ns, t->r->tsc.ghz, row);
}

static void close_trial(struct trial *t)
{
	counters_close(&t->child);
	counters_close(&t->self);
	if (t->state)
		t->pr->wl->teardown(t->state);
	iso_domain_destroy(t->d);
	free(t->ns);
}

/* Time one row into *row.  Returns 0, or an error code with the failure recorded in *r
 * (none for ISO_ENOTSUP: the workload does not apply to this backend). */
static int measure(const struct config *c, struct results *r, const struct plan_row *pr,
		   struct row *row)
{
	struct trial t = { .c = c, .r = r, .pr = pr, .pinned = -1, .iters = c->iterations };
	int err;

	if ((err = alloc_samples(&t)))
		return err;
	if ((err = open_domain(&t)))
		goto out;
	if ((err = open_counters(&t)))
		goto out;
	if ((err = pin(&t)))
		goto out;
	err = run_batches(&t);
	unpin(t.pinned);
	if (err)
		fail_workload(r, pr, err);
	else
		summarise(&t, row);
out:
	close_trial(&t);
	return err;
}

/* ---- rounds ------------------------------------------------------------------------ */

const struct row *measure_median_round(struct row *rows, unsigned n)
{
	/* Insertion sort by median: a handful of rows. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = i; k > 0 && rows[k].ns.median < rows[k - 1].ns.median; k--) {
			struct row t = rows[k];

			rows[k] = rows[k - 1];
			rows[k - 1] = t;
		}
	return &rows[(n - 1) / 2];
}

/*
 * --rounds: the row measured that many times, each in a fresh domain, and the round
 * whose median is the median of the rounds' kept whole (its percentiles and events
 * with it).  A burst of noise that spoils one round does not move the row.
 */
static int measure_rounds(const struct config *c, struct results *r, const struct plan_row *pr,
			  struct row *row)
{
	struct row rounds[99];
	unsigned n = 0;
	int err = ISO_OK;

	while (n < c->rounds && n < 99 && !(err = measure(c, r, pr, &rounds[n])))
		n++;
	if (err)
		return err;
	*row = *measure_median_round(rounds, n);
	return ISO_OK;
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

/* "[3/15] mpk copy 4096 B" on stderr, rewritten in place on a terminal; NULL clears it. */
static void progress(const struct config *c, size_t done, size_t total,
		     const struct plan_row *pr)
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
	fprintf(stderr, "%s[%zu/%zu] %s %s %zu B%s", tty ? "\r\033[K" : "", done + 1, total,
		pr->backend, pr->wl->name, pr->size, tty ? "" : "\n");
}

static void overheads(struct results *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		struct row *x = &r->rows[i];

		for (size_t j = 0; j < r->nrows; j++) {
			const struct row *b = &r->rows[j];

			if (strcmp(b->backend, "none") == 0 && b->wl == x->wl && b->size == x->size &&
			    b->ns.median > 0)
				x->overhead_pct = (x->ns.median / b->ns.median - 1) * 100;
		}
	}
}

static void noisy(const struct results *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *x = &r->rows[i];

		if (!x->noisy)
			continue;
		fprintf(stderr, "harness: noisy: %s/%s", x->backend, x->wl->name);
		if (x->wl->sized)
			fprintf(stderr, "/%zu", x->size);
		fprintf(stderr, " p90/p10 = %.1f\n", x->ns.p90 / x->ns.p10);
	}
}

/* The one measuring loop: every planned row, in order. */
static void measure_rows(const struct config *c, const struct plan *p, struct results *r)
{
	r->rows = calloc(p->n, sizeof(*r->rows));
	if (!r->rows) {
		record_failure(r, "out of memory");
		return;
	}
	for (size_t i = 0; i < p->n; i++) {
		progress(c, i, p->n, &p->rows[i]);
		if (measure_rounds(c, r, &p->rows[i], &r->rows[r->nrows]) == 0)
			r->nrows++;
	}
	progress(c, p->n, p->n, NULL);
	overheads(r);
	noisy(r);
}

void measure_all(const struct config *c, struct results *r)
{
	struct plan p;

	setup_counters(c, r);
	if (sched_getaffinity(0, sizeof(unpinned), &unpinned)) {
		record_failure(r, "sched_getaffinity: %s", strerror(errno));
		return;
	}
	if (plan_build(c, &p, r))
		record_failure(r, "out of memory");
	else if (p.n)
		measure_rows(c, &p, r);
	plan_free(&p);
}
