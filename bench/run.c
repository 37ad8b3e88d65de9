/* run.c: the measurement loop: one fresh domain per row, warm-up, timed batches, summary. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void fail(struct results *r, const char *backend, const struct workload *w, size_t size,
		 const char *why, const char *detail)
{
	struct failure *f;

	if (r->nfailed == sizeof(r->failed) / sizeof(r->failed[0]))
		return;
	f = &r->failed[r->nfailed++];
	snprintf(f->what, sizeof(f->what), "%s/%s/%zu: %s%s%s", backend, w->name, size, why,
		 detail && *detail ? ": " : "", detail ? detail : "");
}

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
static int pin(const struct config *c, const char *backend)
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

/*
 * Time one row.  Returns 0, or an error code with the failure recorded in *r.  The
 * domain is created and set up before the thread is pinned, so a process domain's
 * child keeps the harness's whole CPU set; counters are read outside the timed span.
 */
static int measure(const struct config *c, struct results *r, const char *backend,
		   const struct workload *w, size_t size, struct row *row)
{
	const struct counters_plan *p = &r->counters;
	uint64_t iters = c->iterations;
	unsigned reps = c->repetitions;
	double *ns = calloc((size_t)reps * (1 + 2 * COUNTERS_MAX), sizeof(*ns));
	double *ev = ns + reps, *cev = ev + (size_t)reps * COUNTERS_MAX;
	struct counter_group self = { .nfd = 0 }, child = { .nfd = 0 };
	struct iso_domain *d = NULL;
	void *state = NULL;
	bool in_child = false, recorded = false;
	int pinned = -1;
	int err;

	if (!ns) {
		fail(r, backend, w, size, "out of memory", NULL);
		return ISO_ENOMEM;
	}
	/* Each row starts from a trimmed heap: it must not pay for an earlier row's
	 * buffers, or for huge pages a fork split (mprotect pays for both).  Before
	 * the domain: a process domain's fork would leave nothing to collapse. */
	iso_trim();
	/* The references run without a domain. */
	err = strcmp(backend, "ref") == 0 ? ISO_OK : iso_domain_create(backend, &c->opt, &d);
	if (err) {
		fail(r, backend, w, size, iso_strerror(err), iso_reason());
		free(ns);
		return err;
	}
	err = w->setup(d, size, &state);
	if (err == ISO_ENOTSUP) {
		iso_domain_destroy(d);
		free(ns);
		return err; /* the workload does not apply here: no row, no failure */
	}
	if (!err && p->n) {
		pid_t pid = d ? iso_domain_pid(d) : getpid();

		static bool told;

		in_child = pid != getpid();
		if (counters_open(&self, p, 0)) {
			fail(r, backend, w, size, "perf_event_open", strerror(errno));
			err = ISO_ESYS, recorded = true;
		} else if (in_child && counters_open(&child, p, pid)) {
			/* The caller's numbers still stand; the child's columns stay empty. */
			if (!told)
				fprintf(stderr, "harness: cannot count the domain's child: "
						"perf_event_open: %s\n", strerror(errno));
			told = true;
			in_child = false;
		}
	}
	if (!err && (pinned = pin(c, backend)) == -2) {
		fail(r, backend, w, size, "pinning: sched_setaffinity", strerror(errno));
		err = ISO_ESYS, recorded = true;
	}
	if (!err && !iters)
		err = size_batch(w, state, d, r->tsc.ghz, &iters);
	for (unsigned i = 0; !err && i < c->warmup; i++)
		err = w->run(state, d, iters);
	for (unsigned i = 0; !err && i < reps; i++) {
		counters_start(&child);
		counters_start(&self);

		uint64_t t0 = tsc_begin();

		err = w->run(state, d, iters);
		double ticks = (double)(tsc_end() - t0) - r->tsc.overhead_ticks;

		counters_stop(&self, p, ev + (size_t)i * COUNTERS_MAX);
		counters_stop(&child, p, cev + (size_t)i * COUNTERS_MAX);
		ns[i] = ticks / r->tsc.ghz / (double)iters;
		for (size_t e = 0; e < p->n; e++) {
			ev[(size_t)i * COUNTERS_MAX + e] /= (double)iters;
			cev[(size_t)i * COUNTERS_MAX + e] /= (double)iters;
		}
	}
	unpin(pinned);
	if (err && !recorded)
		fail(r, backend, w, size, workload_strerror(err),
		     err == WL_EWRONG ? NULL : iso_reason());
	if (!err) {
		*row = (struct row){ .backend = backend, .wl = w, .size = size, .iterations = iters,
				     .repetitions = reps, .overhead_pct = NAN,
				     .counter = counters_source(p), .child = in_child };
		stats_summarise(ns, reps, &row->ns);
		row->noisy = row->ns.p10 > 0 && row->ns.p90 / row->ns.p10 > NOISY_RATIO;
		summarise_events(p, reps, ev, cev, ns, r->tsc.ghz, row);
	}
	counters_close(&child);
	counters_close(&self);
	if (state)
		w->teardown(state);
	iso_domain_destroy(d);
	free(ns);
	return err;
}

const struct row *median_round(struct row *rows, unsigned n)
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
static int measure_rounds(const struct config *c, struct results *r, const char *backend,
			  const struct workload *w, size_t size, struct row *row)
{
	struct row rounds[99];
	unsigned n = 0;
	int err = ISO_OK;

	while (n < c->rounds && n < 99 && !(err = measure(c, r, backend, w, size, &rounds[n])))
		n++;
	if (err)
		return err;
	*row = *median_round(rounds, n);
	return ISO_OK;
}

static void progress(const struct config *c, size_t done, size_t total, const char *backend,
		     const struct workload *w, size_t size)
{
	static int tty = -1;

	if (!c->progress)
		return;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!backend) {
		if (tty)
			fputs("\r\033[K", stderr);
		return;
	}
	fprintf(stderr, "%s[%zu/%zu] %s %s %zu B%s", tty ? "\r\033[K" : "", done + 1, total,
		backend, w->name, size, tty ? "" : "\n");
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

/* How many sizes a workload runs at (--size, else its own sweep, else its one
 * size); with `at`, the size number i. */
static size_t sizes_of(const struct config *c, const struct workload *w, size_t i, size_t *at)
{
	size_t n = 1;

	if (w->sized && c->nsizes) {
		n = c->nsizes;
		if (at)
			*at = c->sizes[i];
	} else if (w->sized && w->sizes) {
		for (n = 0; w->sizes[n]; n++)
			;
		if (at)
			*at = w->sizes[i];
	} else if (at) {
		*at = w->default_size;
	}
	return n;
}

/* Say once what cannot be counted here: the PMU as a whole, then single events. */
static void counters_setup(const struct config *c, struct results *r)
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

void run_all(const struct config *c, struct results *r)
{
	const char *backends[sizeof(c->backends) / sizeof(c->backends[0]) + 1];
	size_t nb = 0, cells = 0, done = 0, nsizes;

	bool have_none = false;

	counters_setup(c, r);
	if (sched_getaffinity(0, sizeof(unpinned), &unpinned)) {
		snprintf(r->failed[r->nfailed++].what, sizeof(r->failed[0].what),
			 "sched_getaffinity: %s", strerror(errno));
		return;
	}

	for (size_t i = 0; i < c->nbackends; i++) {
		if (iso_backend_probe(c->backends[i]) != ISO_OK) {
			struct skip *s = &r->skipped[r->nskipped++];

			s->backend = c->backends[i];
			snprintf(s->reason, sizeof(s->reason), "%s", iso_reason());
			continue;
		}
		have_none |= strcmp(c->backends[i], "none") == 0;
		backends[nb++] = c->backends[i];
	}
	if (nb == 0)
		return;
	if (c->baseline && !have_none) {
		memmove(backends + 1, backends, nb * sizeof(*backends));
		backends[0] = "none";
		nb++;
	}
	for (size_t i = 0; i < c->nworkloads; i++)
		cells += sizes_of(c, c->workloads[i], 0, NULL) * nb;
	for (size_t i = 0; c->refs && ref_at(i); i++)
		cells += sizes_of(c, ref_at(i), 0, NULL);
	r->rows = calloc(cells ? cells : 1, sizeof(*r->rows));
	if (!r->rows) {
		snprintf(r->failed[r->nfailed++].what, sizeof(r->failed[0].what), "out of memory");
		return;
	}
	/* Backends innermost: rows to be compared are measured close together in time. */
	for (size_t i = 0; i < c->nworkloads; i++) {
		const struct workload *w = c->workloads[i];

		nsizes = sizes_of(c, w, 0, NULL);
		for (size_t s = 0; s < nsizes; s++) {
			size_t size;

			sizes_of(c, w, s, &size);

			for (size_t b = 0; b < nb; b++, done++) {
				progress(c, done, cells, backends[b], w, size);
				if (measure_rounds(c, r, backends[b], w, size, &r->rows[r->nrows]) == 0)
					r->nrows++;
			}
		}
	}
	for (size_t i = 0; c->refs && ref_at(i); i++) {
		const struct workload *w = ref_at(i);

		nsizes = sizes_of(c, w, 0, NULL);
		for (size_t s = 0; s < nsizes; s++, done++) {
			size_t size;

			sizes_of(c, w, s, &size);
			progress(c, done, cells, "ref", w, size);
			if (measure_rounds(c, r, "ref", w, size, &r->rows[r->nrows]) == 0)
				r->nrows++;
		}
	}
	progress(c, done, cells, NULL, NULL, 0);
	overheads(r);
	noisy(r);
}
