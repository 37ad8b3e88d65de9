/* records_flat.c: the flat layout of the records workloads: the domain's work on it (records-raw, records-inplace) and the trusted side's check of its result. */
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "workload.h"
#include "wl_util.h"

int records_flat_open(const void *p, size_t n, struct flat *f)
{
	struct flat_hdr h;

	if (n < sizeof(h) || (uintptr_t)p % 8)
		return RECORDS_EINVAL;
	memcpy(&h, p, sizeof(h));
	if (h.magic != FLAT_MAGIC || records_flat_bytes(h.nrec, h.ntags, h.nnames) != n)
		return RECORDS_EINVAL;
	f->nrec = h.nrec, f->ntags = h.ntags, f->nnames = h.nnames;
	f->recs = (const struct rec *)((const char *)p + sizeof(h));
	f->tags = (const uint32_t *)(f->recs + h.nrec);
	f->names = (const char *)(f->tags + h.ntags);
	for (uint32_t i = 0; i < h.nrec; i++)
		if ((uint64_t)f->recs[i].name_off + f->recs[i].name_len > h.nnames ||
		    (uint64_t)f->recs[i].tags_off + f->recs[i].ntags > h.ntags)
			return RECORDS_EINVAL;
	return 0;
}

long records_flat_select(const struct flat *f, struct pick **picks, uint64_t *sum)
{
	struct pick *p = malloc((f->nrec ? f->nrec : 1) * sizeof(*p));
	uint64_t s = 0;
	long k = 0;

	if (!p)
		return RECORDS_ENOMEM;
	for (uint32_t i = 0; i < f->nrec; i++) {
		const struct rec *r = &f->recs[i];

		if (!(r->flags & KEEP))
			continue;
		p[k++] = (struct pick){ .key = r->key, .id = r->id, .at = r };
		s += (uint64_t)r->amount;
		for (uint32_t t = 0; t < r->ntags; t++)
			s += f->tags[r->tags_off + t];
	}
	if (k > 1)
		qsort(p, (size_t)k, sizeof(*p), records_pick_cmp);
	*picks = p;
	*sum = s;
	return k;
}

/* In the domain: flat in, the kept records flat out. */
long records_flat_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct flat f;
	struct pick *p;
	struct flat_hdr h = { .magic = FLAT_MAGIC };
	uint64_t ntags = 0, nnames = 0, size;
	long k;

	if (records_flat_open(in, in_len, &f) || (uintptr_t)out % 8)
		return RECORDS_EINVAL;
	k = records_flat_select(&f, &p, &h.sum);
	if (k < 0)
		return k;
	for (long j = 0; j < k; j++) {
		const struct rec *r = p[j].at;

		ntags += r->ntags;
		nnames += r->name_len;
	}
	size = records_flat_bytes((uint64_t)k, ntags, nnames);
	if (size > out_cap) {
		free(p);
		return RECORDS_EINVAL;
	}
	h.nrec = (uint32_t)k, h.ntags = (uint32_t)ntags, h.nnames = (uint32_t)nnames;
	memcpy(out, &h, sizeof(h));
	struct rec *recs = (struct rec *)((char *)out + sizeof(h));
	uint32_t *tags = (uint32_t *)(recs + k);
	char *names = (char *)(tags + ntags);
	uint32_t toff = 0, noff = 0;

	for (long j = 0; j < k; j++) {
		const struct rec *r = p[j].at;

		recs[j] = *r;
		recs[j].tags_off = toff;
		recs[j].name_off = noff;
		memcpy(tags + toff, f.tags + r->tags_off, r->ntags * sizeof(*tags));
		memcpy(names + noff, f.names + r->name_off, r->name_len);
		toff += r->ntags;
		noff += r->name_len;
	}
	free(p);
	wl_tamper_bytes(out, size);
	*out_len = size;
	return k;
}

/*
 * A flat result: every length and offset the domain wrote is checked against n before
 * it is used, each field is read once into trusted memory (a process domain's child
 * can still write shared memory), and the layout must be packed: no byte unchecked.
 */
int records_flat_check(const struct records_truth *t, const void *result, size_t n)
{
	const unsigned char *p = result, *recs, *tags, *names;
	struct flat_hdr h;
	uint64_t toff = 0, noff = 0;

	if (n < sizeof(h))
		return WL_EWRONG;
	memcpy(&h, p, sizeof(h));
	if (h.magic != FLAT_MAGIC || h.nrec != (uint64_t)t->nkept || h.sum != t->sum ||
	    records_flat_bytes(h.nrec, h.ntags, h.nnames) != n)
		return WL_EWRONG;
	recs = p + sizeof(h);
	tags = recs + (size_t)h.nrec * sizeof(struct rec);
	names = tags + (size_t)h.ntags * 4;
	for (uint32_t i = 0; i < h.nrec; i++) {
		const struct rec *e = t->kept[i].at;
		struct rec r;

		memcpy(&r, recs + (size_t)i * sizeof(r), sizeof(r));
		if (r.id != e->id || r.key != e->key || r.amount != e->amount ||
		    r.flags != e->flags || r.name_len != e->name_len || r.ntags != e->ntags ||
		    r.name_off != noff || r.tags_off != toff || noff + r.name_len > h.nnames ||
		    toff + r.ntags > h.ntags ||
		    memcmp(names + noff, t->f.names + e->name_off, r.name_len) ||
		    memcmp(tags + toff * 4, t->f.tags + e->tags_off, r.ntags * 4u))
			return WL_EWRONG;
		noff += r.name_len;
		toff += r.ntags;
	}
	return noff == h.nnames && toff == h.ntags ? ISO_OK : WL_EWRONG;
}
