/* records_msgpack.c: the msgpack encoding of the records workloads (records-msgpack): the trusted side's encoder and check, the domain's work. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "workload.h"
#include "wl_util.h"

/*
 * Why msgpack-c: it is packaged by Debian (libmsgpack-dev), schema-less like these
 * records (protobuf-c needs a .proto and a generator step), compact, widely used from
 * C, and its decoder checks every length against the buffer it is given.  libcbor
 * would serve too; its -dev package was not on the build machines.
 *
 * A stream of top-level objects:
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

/* The next object of the stream: 0, RECORDS_ENOMEM when msgpack-c ran out of memory,
 * else RECORDS_EINVAL. */
static int mp_next(msgpack_unpacked *u, const void *p, size_t n, size_t *off)
{
	msgpack_unpack_return r = msgpack_unpack_next(u, p, n, off);

	if (r == MSGPACK_UNPACK_SUCCESS)
		return 0;
	return r == MSGPACK_UNPACK_NOMEM_ERROR ? RECORDS_ENOMEM : RECORDS_EINVAL;
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
 * In the domain: decodes every record once to filter, sum and note where it lies;
 * after the sort, decodes each kept record again and encodes it into the result
 * (re-encoding, not copying its bytes, is the serialization cost this method is about).
 */
long records_msgpack_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len)
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
	if ((r = mp_next(&u, in, in_len, &off)) ||
	    (r = RECORDS_EINVAL, !mp_uint(&u.data, in_len, &n)))
		goto done;
	r = RECORDS_ENOMEM;
	if (!(p = malloc((n ? n : 1) * sizeof(*p))))
		goto done;
	r = RECORDS_EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		size_t start = off;
		struct mp_item it;

		if ((r = mp_next(&u, in, in_len, &off)) ||
		    (r = RECORDS_EINVAL, !mp_item(&u.data, &it)))
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
		qsort(p, (size_t)k, sizeof(*p), records_pick_cmp);
	msgpack_packer_init(&pk, &o, mp_write);
	if (msgpack_pack_uint64(&pk, sum) || msgpack_pack_uint64(&pk, (uint64_t)k))
		goto done;
	for (long j = 0; j < k; j++) {
		size_t at = 0;

		if ((r = mp_next(&u, p[j].at, p[j].len, &at)) ||
		    (r = RECORDS_EINVAL, msgpack_pack_object(&pk, u.data)))
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

int records_msgpack_encode(const struct flat *f, msgpack_sbuffer *wire)
{
	msgpack_packer pk;
	int e;

	msgpack_sbuffer_clear(wire);
	msgpack_packer_init(&pk, wire, msgpack_sbuffer_write);
	e = msgpack_pack_uint32(&pk, f->nrec);
	for (uint32_t i = 0; !e && i < f->nrec; i++) {
		const struct rec *r = &f->recs[i];

		e = msgpack_pack_array(&pk, 6) || msgpack_pack_uint64(&pk, r->id) ||
		    msgpack_pack_int64(&pk, r->key) || msgpack_pack_int64(&pk, r->amount) ||
		    msgpack_pack_uint32(&pk, r->flags) ||
		    msgpack_pack_str_with_body(&pk, f->names + r->name_off, r->name_len) ||
		    msgpack_pack_array(&pk, r->ntags);
		for (uint32_t t = 0; !e && t < r->ntags; t++)
			e = msgpack_pack_uint32(&pk, f->tags[r->tags_off + t]);
	}
	return e ? ISO_ENOMEM : ISO_OK;
}

/*
 * msgpack-c bounds every read by n; the stream must end exactly at n; every type and
 * value is checked here.  One limit of the library: it allocates an array's declared
 * count before reading the elements, so a lying count costs up to 24 bytes an element
 * of trusted heap (or fails for want of memory), never a read out of bounds.
 */
int records_msgpack_check(const struct records_truth *t, const void *result, size_t n)
{
	const char *p = result;
	msgpack_unpacked u;
	size_t off = 0;
	uint64_t sum, k, tag;
	int err = WL_EWRONG;

	msgpack_unpacked_init(&u);
	if (mp_next(&u, p, n, &off) || !mp_uint(&u.data, UINT64_MAX, &sum) || sum != t->sum ||
	    mp_next(&u, p, n, &off) || !mp_uint(&u.data, UINT64_MAX, &k) ||
	    k != (uint64_t)t->nkept)
		goto done;
	for (uint64_t i = 0; i < k; i++) {
		const struct rec *e = t->kept[i].at;
		struct mp_item it;

		if (mp_next(&u, p, n, &off) || !mp_item(&u.data, &it) || it.id != e->id ||
		    it.key != e->key || it.amount != e->amount || it.flags != e->flags ||
		    it.name->size != e->name_len || it.tags->size != e->ntags ||
		    memcmp(it.name->ptr, t->f.names + e->name_off, e->name_len))
			goto done;
		for (uint32_t j = 0; j < e->ntags; j++)
			if (!mp_uint(&it.tags->ptr[j], UINT32_MAX, &tag) ||
			    tag != t->f.tags[e->tags_off + j])
				goto done;
	}
	err = off == n ? ISO_OK : WL_EWRONG;
done:
	msgpack_unpacked_destroy(&u);
	return err;
}
