/* plan.c: the rows a timings run measures: backends probed (unsupported ones skipped), the baseline added, references as rows of backend "ref". */
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* The backends asked for that work here, the others recorded as skipped; the baseline
 * first when it is wanted and was not asked for.  None at all when every one
 * was skipped: a baseline alone measures nothing worth a run. */
const char *plan_impl(const char *name)
{
	const char *known;
	size_t len = strcspn(name, "#");

	if (name[len] == '#' && (!name[len + 1] || strspn(name + len + 1, "0123456789") !=
						     strlen(name + len + 1)))
		return NULL;
	for (size_t i = 0; (known = iso_backend_name(i)); i++)
		if (strlen(known) == len && strncmp(known, name, len) == 0)
			return known;
	return NULL;
}

const char *plan_baseline(const struct config *c)
{
	return c->baseline_name ? c->baseline_name : "none";
}

static size_t usable_backends(const struct config *c, struct results *r, const char **out)
{
	const char *base = plan_baseline(c);
	size_t n = 0;
	bool have_base = false;

	for (size_t i = 0; i < c->nbackends; i++) {
		if (iso_backend_probe(plan_impl(c->backends[i])) != ISO_OK) {
			struct skip *s = &r->skipped[r->nskipped++];

			s->backend = c->backends[i];
			snprintf(s->reason, sizeof(s->reason), "%s", iso_reason());
			continue;
		}
		have_base |= strcmp(c->backends[i], base) == 0;
		out[n++] = c->backends[i];
	}
	if (n && c->baseline && !have_base && iso_backend_probe(plan_impl(base)) == ISO_OK) {
		memmove(out + 1, out, n * sizeof(*out));
		out[0] = base;
		n++;
	}
	return n;
}

/* The sizes a workload runs at: --size, else its own sweep, else its one size. */
static size_t sizes_of(const struct config *c, const struct workload *w, const size_t **sizes)
{
	size_t n;

	if (w->sized && c->nsizes) {
		*sizes = c->sizes;
		return c->nsizes;
	}
	if (w->sized && w->sizes) {
		for (n = 0; w->sizes[n]; n++)
			;
		*sizes = w->sizes;
		return n;
	}
	*sizes = &w->default_size;
	return 1;
}

/* Counts the row, and stores it once there is room (the second pass). */
static void add(struct plan *p, const char *backend, const struct workload *w, size_t size,
		bool reference)
{
	if (p->rows)
		p->rows[p->n] = (struct plan_row){ .backend = backend, .wl = w, .size = size,
						   .reference = reference };
	p->n++;
}

/* Backends innermost: rows to be compared are measured close together in time. */
static void add_all(const struct config *c, struct plan *p, const char *const *backends,
		    size_t nb)
{
	const struct workload *w;
	const size_t *sizes;

	p->n = 0;
	for (size_t i = 0; i < c->nworkloads; i++) {
		size_t ns;

		w = c->workloads[i];
		ns = sizes_of(c, w, &sizes);
		for (size_t s = 0; s < ns; s++)
			for (size_t b = 0; b < nb; b++)
				add(p, backends[b], w, sizes[s], false);
	}
	for (size_t i = 0; c->refs && (w = ref_at(i)); i++) {
		size_t ns = sizes_of(c, w, &sizes);

		for (size_t s = 0; s < ns; s++)
			add(p, "ref", w, sizes[s], true);
	}
}

int plan_build(const struct config *c, struct plan *p, struct results *r)
{
	const char *backends[sizeof(c->backends) / sizeof(c->backends[0]) + 1];
	size_t nb = usable_backends(c, r, backends);

	*p = (struct plan){ .rows = NULL };
	if (nb == 0)
		return ISO_OK;
	/* The same loops twice: the first counts the rows, the second stores them. */
	add_all(c, p, backends, nb);
	p->rows = calloc(p->n ? p->n : 1, sizeof(*p->rows));
	if (!p->rows) {
		p->n = 0;
		return ISO_ENOMEM;
	}
	add_all(c, p, backends, nb);
	return ISO_OK;
}

void plan_free(struct plan *p)
{
	free(p->rows);
	*p = (struct plan){ .rows = NULL };
}
