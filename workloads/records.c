/* records.c: records-raw, -msgpack, -inplace: records, strings and nested lists sent into the domain, filtered, sorted and summed there, checked on return. */
#include <msgpack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "wl_util.h"

/*
 * One dataset, three ways of getting it across:
 * - raw: the trusted side keeps it in a flat layout (fixed-size records, then all
 *   tags, then all name bytes, linked by offsets), which iso_call copies in as one
 *   block; the result comes back in the same layout;
 * - msgpack: the trusted side encodes it with msgpack-c on every call and decodes the
 *   result with it;
 * - inplace: the flat layout in an iso_alloc buffer, the result in another: no copy.
 *
 * Why msgpack-c: it is packaged by Debian (libmsgpack-dev), schema-less like these
 * records (protobuf-c needs a .proto and a generator step), compact, widely used from
 * C, and its decoder checks every length against the buffer it is given.  libcbor
 * would serve too; its -dev package was not on the build machines.
 *
 * The work in the domain: keep the records with KEEP in their flags, sort them by
 * (key, id), and sum their amounts and tags; send back the sum and the kept records.
 */
#define FLAT_MAGIC 0x31434552u /* "REC1" */
#define KEEP 1u

struct flat_hdr {
	uint32_t magic;
	uint32_t nrec;   /* records */
	uint32_t ntags;  /* uint32 tags: every record's list, end to end */
	uint32_t nnames; /* name bytes: every record's name, end to end */
	uint64_t sum;    /* results only: amounts and tags of the kept records, mod 2^64 */
};

struct rec {
	uint64_t id;
	int64_t key;
	int64_t amount;
	uint32_t flags;
	uint32_t name_off, tags_off;
	uint16_t name_len, ntags;
};

/* No padding anywhere: every byte of a result is a field the trusted side checks. */
_Static_assert(sizeof(struct flat_hdr) == 24 && sizeof(struct rec) == 40, "flat layout");

/* Bytes of a flat layout; 32-bit counts cannot overflow the 64-bit sum. */
static uint64_t flat_bytes(uint64_t nrec, uint64_t ntags, uint64_t nnames)
{
	return sizeof(struct flat_hdr) + nrec * sizeof(struct rec) + ntags * 4 + nnames;
}

struct flat {
	const struct rec *recs;
	const uint32_t *tags;
	const char *names;
	uint32_t nrec, ntags, nnames;
};

/* A view of a well-formed flat dataset (the domain checks its input too). */
static int flat_open(const void *p, size_t n, struct flat *f)
{
	struct flat_hdr h;

	if (n < sizeof(h) || (uintptr_t)p % 8)
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.magic != FLAT_MAGIC || flat_bytes(h.nrec, h.ntags, h.nnames) != n)
		return -1;
	f->nrec = h.nrec, f->ntags = h.ntags, f->nnames = h.nnames;
	f->recs = (const struct rec *)((const char *)p + sizeof(h));
	f->tags = (const uint32_t *)(f->recs + h.nrec);
	f->names = (const char *)(f->tags + h.ntags);
	for (uint32_t i = 0; i < h.nrec; i++)
		if ((uint64_t)f->recs[i].name_off + f->recs[i].name_len > h.nnames ||
		    (uint64_t)f->recs[i].tags_off + f->recs[i].ntags > h.ntags)
			return -1;
	return 0;
}

struct pick {
	int64_t key;
	uint64_t id;
	const void *at; /* the record: a struct rec, or its msgpack bytes */
	size_t len;     /* msgpack: how many */
};

static int pick_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The kept records of f in order into *picks (malloc'd), their sum; the count or -1. */
static long flat_select(const struct flat *f, struct pick **picks, uint64_t *sum)
{
	struct pick *p = malloc((f->nrec ? f->nrec : 1) * sizeof(*p));
	uint64_t s = 0;
	long k = 0;

	if (!p)
		return -1;
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
		qsort(p, (size_t)k, sizeof(*p), pick_cmp);
	*picks = p;
	*sum = s;
	return k;
}

/* ---- raw and inplace: flat in, flat out ---------------------------------------- */

static long flat_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct flat f;
	struct pick *p;
	struct flat_hdr h = { .magic = FLAT_MAGIC };
	uint64_t ntags = 0, nnames = 0, size;
	long k;

	if (flat_open(in, in_len, &f) || (uintptr_t)out % 8)
		return -1;
	k = flat_select(&f, &p, &h.sum);
	if (k < 0)
		return -2; /* no memory */
	for (long j = 0; j < k; j++) {
		const struct rec *r = p[j].at;

		ntags += r->ntags;
		nnames += r->name_len;
	}
	size = flat_bytes((uint64_t)k, ntags, nnames);
	if (size > out_cap) {
		free(p);
		return -1;
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

/* ---- the trusted side's state, and its checks ---------------------------------- */

enum method { RAW, MSGPACK, INPLACE };

struct records {
	enum method how;
	struct iso_domain *d;
	unsigned char *ref; /* the dataset, flat, in trusted memory: the truth */
	size_t ref_len;
	struct flat f;
	struct pick *kept; /* the expected result */
	long nkept;
	uint64_t sum;
	unsigned char *shared_in; /* inplace: the dataset's copy the domain reads */
	unsigned char *out;       /* trusted (raw, msgpack) or iso_alloc (inplace) */
	size_t out_cap;
	msgpack_sbuffer sb; /* msgpack: the encoded input, re-encoded on every call */
};

/*
 * A flat result: every length and offset the domain wrote is checked against n before
 * it is used, each field is read once into trusted memory (a process domain's child
 * can still write shared memory), and the layout must be packed: no byte unchecked.
 */
static int flat_check(const struct records *s, const unsigned char *p, size_t n)
{
	struct flat_hdr h;
	const unsigned char *recs, *tags, *names;
	uint64_t toff = 0, noff = 0;

	if (n < sizeof(h))
		return WL_EWRONG;
	memcpy(&h, p, sizeof(h));
	if (h.magic != FLAT_MAGIC || h.nrec != (uint64_t)s->nkept || h.sum != s->sum ||
	    flat_bytes(h.nrec, h.ntags, h.nnames) != n)
		return WL_EWRONG;
	recs = p + sizeof(h);
	tags = recs + (size_t)h.nrec * sizeof(struct rec);
	names = tags + (size_t)h.ntags * 4;
	for (uint32_t i = 0; i < h.nrec; i++) {
		const struct rec *e = s->kept[i].at;
		struct rec r;

		memcpy(&r, recs + (size_t)i * sizeof(r), sizeof(r));
		if (r.id != e->id || r.key != e->key || r.amount != e->amount ||
		    r.flags != e->flags || r.name_len != e->name_len || r.ntags != e->ntags ||
		    r.name_off != noff || r.tags_off != toff || noff + r.name_len > h.nnames ||
		    toff + r.ntags > h.ntags ||
		    memcmp(names + noff, s->f.names + e->name_off, r.name_len) ||
		    memcmp(tags + toff * 4, s->f.tags + e->tags_off, r.ntags * 4u))
			return WL_EWRONG;
		noff += r.name_len;
		toff += r.ntags;
	}
	return noff == h.nnames && toff == h.ntags ? ISO_OK : WL_EWRONG;
}

/*
 * ---- msgpack: a stream of top-level objects ------------------------------------
 * in:  n, then n records [id, key, amount, flags, "name", [tags...]]
 * out: sum, k, then the k kept records, re-encoded, in order
 * A stream, not one array of n records: decoding one record at a time keeps the
 * domain's memory to one record's objects (a 16 MiB array decoded whole needs some
 * 60 MiB of msgpack objects, more than a domain's heap).
 */

static bool mp_int(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
		*v = (int64_t)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*v = o->via.i64;
	else
		return false;
	return true;
}

static bool mp_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return false;
	*v = o->via.u64;
	return true;
}

/* The next object of the stream: 0, -2 when msgpack-c ran out of memory, else -1. */
static int mp_next(msgpack_unpacked *u, const void *p, size_t n, size_t *off)
{
	msgpack_unpack_return r = msgpack_unpack_next(u, p, n, off);

	return r == MSGPACK_UNPACK_SUCCESS ? 0 : r == MSGPACK_UNPACK_NOMEM_ERROR ? -2 : -1;
}

struct mp_item {
	uint64_t id, flags;
	int64_t key, amount;
	const msgpack_object_str *name;
	const msgpack_object_array *tags; /* elements not yet checked */
};

/* One record, its types checked (msgpack-c has already checked every length). */
static bool mp_item(const msgpack_object *o, struct mp_item *it)
{
	const msgpack_object *f = o->via.array.ptr;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 6 ||
	    !mp_uint(&f[0], UINT64_MAX, &it->id) || !mp_int(&f[1], &it->key) ||
	    !mp_int(&f[2], &it->amount) || !mp_uint(&f[3], UINT32_MAX, &it->flags) ||
	    f[4].type != MSGPACK_OBJECT_STR || f[5].type != MSGPACK_OBJECT_ARRAY)
		return false;
	it->name = &f[4].via.str;
	it->tags = &f[5].via.array;
	return true;
}

/* The packer writes straight into the domain's output buffer, never past it. */
struct mp_out {
	char *p;
	size_t cap, len;
};

static int mp_write(void *data, const char *buf, size_t len)
{
	struct mp_out *o = data;

	if (len > o->cap - o->len)
		return -1;
	memcpy(o->p + o->len, buf, len);
	o->len += len;
	return 0;
}

/*
 * Decodes every record once to filter, sum and note where it lies; after the sort,
 * decodes each kept record again and encodes it into the result (re-encoding, not
 * copying its bytes, is the serialization cost this method is about).
 */
static long mp_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct mp_out o = { .p = out, .cap = out_cap };
	msgpack_packer pk;
	msgpack_unpacked u;
	struct pick *p = NULL;
	uint64_t n, sum = 0, tag;
	size_t off = 0;
	long k = 0, r;

	msgpack_unpacked_init(&u);
	/* A record takes a byte at least: n <= in_len bounds the allocation below. */
	if ((r = mp_next(&u, in, in_len, &off)) || (r = -1, !mp_uint(&u.data, in_len, &n)))
		goto done;
	r = -2;
	if (!(p = malloc((n ? n : 1) * sizeof(*p))))
		goto done;
	r = -1;
	for (uint64_t i = 0; i < n; i++) {
		size_t start = off;
		struct mp_item it;

		if ((r = mp_next(&u, in, in_len, &off)) || (r = -1, !mp_item(&u.data, &it)))
			goto done;
		if (!(it.flags & KEEP))
			continue;
		p[k++] = (struct pick){ .key = it.key, .id = it.id,
					.at = (const char *)in + start, .len = off - start };
		sum += (uint64_t)it.amount;
		for (uint32_t t = 0; t < it.tags->size; t++) {
			if (!mp_uint(&it.tags->ptr[t], UINT32_MAX, &tag))
				goto done;
			sum += tag;
		}
	}
	if (off != in_len)
		goto done;
	if (k > 1)
		qsort(p, (size_t)k, sizeof(*p), pick_cmp);
	msgpack_packer_init(&pk, &o, mp_write);
	if (msgpack_pack_uint64(&pk, sum) || msgpack_pack_uint64(&pk, (uint64_t)k))
		goto done;
	for (long j = 0; j < k; j++) {
		size_t at = 0;

		if ((r = mp_next(&u, p[j].at, p[j].len, &at)) ||
		    (r = -1, msgpack_pack_object(&pk, u.data)))
			goto done;
	}
	wl_tamper_bytes(out, o.len);
	*out_len = o.len;
	r = k;
done:
	free(p);
	msgpack_unpacked_destroy(&u);
	return r;
}

/* The trusted side's encoding of its dataset, on every call: that is the method's cost. */
static int mp_encode(struct records *s)
{
	msgpack_packer pk;
	int e;

	msgpack_sbuffer_clear(&s->sb);
	msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
	e = msgpack_pack_uint32(&pk, s->f.nrec);
	for (uint32_t i = 0; !e && i < s->f.nrec; i++) {
		const struct rec *r = &s->f.recs[i];

		e = msgpack_pack_array(&pk, 6) || msgpack_pack_uint64(&pk, r->id) ||
		    msgpack_pack_int64(&pk, r->key) || msgpack_pack_int64(&pk, r->amount) ||
		    msgpack_pack_uint32(&pk, r->flags) ||
		    msgpack_pack_str_with_body(&pk, s->f.names + r->name_off, r->name_len) ||
		    msgpack_pack_array(&pk, r->ntags);
		for (uint32_t t = 0; !e && t < r->ntags; t++)
			e = msgpack_pack_uint32(&pk, s->f.tags[r->tags_off + t]);
	}
	return e ? ISO_ENOMEM : ISO_OK;
}

/*
 * msgpack-c bounds every read by n; the stream must end exactly at n; every type and
 * value is checked here.  One limit of the library: it allocates an array's declared
 * count before reading the elements, so a lying count costs up to 24 bytes an element
 * of trusted heap (or fails for want of memory), never a read out of bounds.
 */
static int mp_check(const struct records *s, const char *p, size_t n)
{
	msgpack_unpacked u;
	size_t off = 0;
	uint64_t sum, k, tag;
	int err = WL_EWRONG;

	msgpack_unpacked_init(&u);
	if (mp_next(&u, p, n, &off) || !mp_uint(&u.data, UINT64_MAX, &sum) || sum != s->sum ||
	    mp_next(&u, p, n, &off) || !mp_uint(&u.data, UINT64_MAX, &k) ||
	    k != (uint64_t)s->nkept)
		goto done;
	for (uint64_t i = 0; i < k; i++) {
		const struct rec *e = s->kept[i].at;
		struct mp_item it;

		if (mp_next(&u, p, n, &off) || !mp_item(&u.data, &it) || it.id != e->id ||
		    it.key != e->key || it.amount != e->amount || it.flags != e->flags ||
		    it.name->size != e->name_len || it.tags->size != e->ntags ||
		    memcmp(it.name->ptr, s->f.names + e->name_off, e->name_len))
			goto done;
		for (uint32_t t = 0; t < e->ntags; t++)
			if (!mp_uint(&it.tags->ptr[t], UINT32_MAX, &tag) ||
			    tag != s->f.tags[e->tags_off + t])
				goto done;
	}
	err = off == n ? ISO_OK : WL_EWRONG;
done:
	msgpack_unpacked_destroy(&u);
	return err;
}

/* ---- the dataset --------------------------------------------------------------- */

/* Lengths of the next record's name (4..36) and tag list (0..6). */
static void next_shape(uint64_t *x, uint32_t *name_len, uint32_t *ntags)
{
	uint64_t r = wl_rand(x);

	*name_len = 4 + (uint32_t)(r % 33);
	*ntags = (uint32_t)(r >> 32) % 7;
}

/*
 * Records while their bytes (record, tags, name; the 24-byte header aside) fit in
 * `size`: --size=1 is an empty dataset, the framing alone.  Keys repeat (the id breaks
 * ties), amounts and tags span every msgpack integer width, and about half the records
 * carry KEEP.
 */
static unsigned char *make_dataset(size_t size, size_t *len)
{
	uint64_t shape = 1, x = 0x2545f4914f6cdd1dULL, payload = 0;
	struct flat_hdr h = { .magic = FLAT_MAGIC };
	uint32_t nl, nt;
	unsigned char *p;
	size_t total;

	for (;;) {
		next_shape(&shape, &nl, &nt);
		if (payload + sizeof(struct rec) + nt * 4 + nl > size)
			break;
		payload += sizeof(struct rec) + nt * 4 + nl;
		h.nrec++, h.ntags += nt, h.nnames += nl;
	}
	total = sizeof(h) + payload;
	p = malloc(total);
	if (!p)
		return NULL;
	memcpy(p, &h, sizeof(h));
	struct rec *recs = (struct rec *)(p + sizeof(h));
	uint32_t *tags = (uint32_t *)(recs + h.nrec);
	char *names = (char *)(tags + h.ntags);
	uint32_t toff = 0, noff = 0;

	shape = 1;
	for (uint32_t i = 0; i < h.nrec; i++) {
		uint64_t r = wl_rand(&x);

		next_shape(&shape, &nl, &nt);
		recs[i] = (struct rec){
			.id = 1000 + i,
			.key = (int64_t)(r % 2048) - 1024,
			.amount = (int64_t)wl_rand(&x) >> ((r >> 11) % 64),
			.flags = (uint32_t)(r >> 32),
			.name_off = noff,
			.tags_off = toff,
			.name_len = (uint16_t)nl,
			.ntags = (uint16_t)nt,
		};
		for (uint32_t t = 0; t < nt; t++)
			tags[toff++] = (uint32_t)(wl_rand(&x) >> ((r >> 17) % 32 + 32));
		for (uint32_t c = 0; c < nl; c++)
			names[noff++] = (char)('a' + wl_rand(&x) % 26);
	}
	*len = total;
	return p;
}

/* ---- setup, run, teardown ------------------------------------------------------ */

static void records_teardown(void *state)
{
	struct records *s = state;

	if (!s)
		return;
	if (s->how == INPLACE) {
		if (s->shared_in)
			iso_free(s->d, s->shared_in);
		if (s->out)
			iso_free(s->d, s->out);
	} else {
		free(s->out);
	}
	msgpack_sbuffer_destroy(&s->sb);
	free(s->kept);
	free(s->ref);
	free(s);
}

static int records_setup(struct iso_domain *d, size_t size, void **state, enum method how)
{
	struct records *s = calloc(1, sizeof(*s));
	int err = ISO_ENOMEM;

	if (!s)
		return ISO_ENOMEM;
	s->how = how;
	s->d = d;
	msgpack_sbuffer_init(&s->sb);
	s->ref = make_dataset(size, &s->ref_len);
	if (!s->ref || flat_open(s->ref, s->ref_len, &s->f) ||
	    (s->nkept = flat_select(&s->f, &s->kept, &s->sum)) < 0)
		goto fail;
	/* A result is a subset of the input in the same encoding, plus a header. */
	s->out_cap = s->ref_len;
	if (how == MSGPACK) {
		if ((err = mp_encode(s)))
			goto fail;
		s->out_cap = s->sb.size + 32;
		err = ISO_ENOMEM;
	}
	if (how == INPLACE) {
		s->shared_in = iso_alloc(d, s->ref_len);
		s->out = iso_alloc(d, s->out_cap);
		if (!s->shared_in || !s->out)
			goto fail;
		memcpy(s->shared_in, s->ref, s->ref_len);
	} else if (!(s->out = malloc(s->out_cap))) {
		goto fail;
	}
	*state = s;
	return ISO_OK;
fail:
	records_teardown(s);
	return err;
}

static int records_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct records *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		const void *in = s->how == INPLACE ? s->shared_in : s->ref;
		size_t in_len = s->ref_len, n = 0;
		long ret = -1;
		int err;

		if (s->how == MSGPACK) {
			if ((err = mp_encode(s)))
				return err;
			in = s->sb.data;
			in_len = s->sb.size;
		}
		err = iso_call(d, s->how == MSGPACK ? mp_fn : flat_fn, in, in_len, s->out,
			       s->out_cap, &n, &ret);
		if (err)
			return err;
		/* -2: the domain ran out of memory, a failure but not a wrong answer. */
		if (ret == -2)
			return ISO_ENOMEM;
		if (ret != s->nkept)
			return WL_EWRONG;
		err = s->how == MSGPACK ? mp_check(s, (const char *)s->out, n) :
					  flat_check(s, s->out, n);
		if (err)
			return err;
	}
	return ISO_OK;
}

static int raw_setup(struct iso_domain *d, size_t size, void **state)
{
	return records_setup(d, size, state, RAW);
}

static int msgpack_setup(struct iso_domain *d, size_t size, void **state)
{
	return records_setup(d, size, state, MSGPACK);
}

static int inplace_setup(struct iso_domain *d, size_t size, void **state)
{
	return records_setup(d, size, state, INPLACE);
}

/* 64 B is one record; 16 MiB about 230 000. */
static const size_t records_sizes[] = { 1, 64, 4096, 256 << 10, 1 << 20, 16 << 20, 0 };

const struct workload wl_records_raw = {
	.name = "records-raw",
	.summary = "records+strings+lists: filter/sort/sum in the domain; flat layout copied in and out",
	.sized = true,
	.default_size = 4096,
	.sizes = records_sizes,
	.default_iters = 10000,
	.setup = raw_setup,
	.run = records_run,
	.teardown = records_teardown,
};

const struct workload wl_records_msgpack = {
	.name = "records-msgpack",
	.summary = "as records-raw, encoded and decoded with msgpack-c on both sides",
	.sized = true,
	.default_size = 4096,
	.sizes = records_sizes,
	.default_iters = 10000,
	.setup = msgpack_setup,
	.run = records_run,
	.teardown = records_teardown,
};

const struct workload wl_records_inplace = {
	.name = "records-inplace",
	.summary = "as records-raw, the flat layout and the result in iso_alloc buffers: no copy",
	.sized = true,
	.default_size = 4096,
	.sizes = records_sizes,
	.default_iters = 10000,
	.setup = inplace_setup,
	.run = records_run,
	.teardown = records_teardown,
};
