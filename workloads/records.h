/* records.h: what the records workloads' files share: the flat layout, the truth a result is checked against, the result codes, a method's row. */
#ifndef WORKLOADS_RECORDS_H
#define WORKLOADS_RECORDS_H

#include <msgpack/sbuffer.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso.h"

/*
 * The dataset: records (id, key, amount, flags), each with a name and a list of tags.
 * The work in the domain, whatever the method: keep the records with KEEP in their
 * flags, sort them by (key, id), and sum their amounts and tags; send back the sum and
 * the kept records.
 *
 * The flat layout (records_flat.c): a header, the fixed-size records, then every
 * record's tags end to end, then every record's name bytes end to end, linked by
 * offsets.  It is the trusted side's copy of the dataset and the raw and inplace
 * methods' wire format.
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
static inline uint64_t records_flat_bytes(uint64_t nrec, uint64_t ntags, uint64_t nnames)
{
	return sizeof(struct flat_hdr) + nrec * sizeof(struct rec) + ntags * 4 + nnames;
}

/* A view of a flat dataset whose offsets and lengths have been checked. */
struct flat {
	const struct rec *recs;
	const uint32_t *tags;
	const char *names;
	uint32_t nrec, ntags, nnames;
};

/* A kept record, and where it lies: what the sort orders. */
struct pick {
	int64_t key;
	uint64_t id;
	const void *at; /* the record: a struct rec, or its msgpack bytes */
	size_t len;     /* msgpack: how many */
};

/* qsort's order of picks: by key, then by id. */
static inline int records_pick_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * A domain function returns the number of records it kept, or one of these.  The
 * trusted side takes any count but the expected one as a wrong answer; only
 * RECORDS_ENOMEM is a failure that is not one.
 */
enum records_result {
	RECORDS_EINVAL = -1, /* the input is malformed, or the result would not fit out_cap */
	RECORDS_ENOMEM = -2, /* the domain ran out of memory */
};

/* The dataset in trusted memory, and the result each call must send back. */
struct records_truth {
	struct flat f;
	struct pick *kept; /* the kept records in order (malloc'd); .at is a struct rec */
	long nkept;
	uint64_t sum;
};

/*
 * A way of getting the dataset across and the result back: a row of records.c's
 * method table.  An inplace method sends the flat layout (encode is NULL).
 */
struct records_method {
	iso_fn *fn; /* the work, in the domain */
	/* The dataset encoded into *wire before every call (that is the method's cost);
	 * ISO_OK or ISO_ENOMEM.  NULL: the flat layout goes as it is. */
	int (*encode)(const struct flat *f, msgpack_sbuffer *wire);
	/* The n-byte result against the truth: ISO_OK or WL_EWRONG. */
	int (*check)(const struct records_truth *t, const void *result, size_t n);
	/* A result is a subset of the input in the same encoding, plus at most this much. */
	size_t slack;
	/* The input and the result in iso_alloc buffers, shared with the domain: no copy. */
	bool inplace;
};

/* ---- records_flat.c: the flat layout, on both sides ------------------------------- */

/* A view of the flat dataset p[0..n) (the domain checks its input too): 0 or RECORDS_EINVAL. */
int records_flat_open(const void *p, size_t n, struct flat *f);
/* The kept records of f in order into *picks (malloc'd), their sum: the count or RECORDS_ENOMEM. */
long records_flat_select(const struct flat *f, struct pick **picks, uint64_t *sum);
iso_fn records_flat_fn;
int records_flat_check(const struct records_truth *t, const void *result, size_t n);

/* ---- records_msgpack.c: the msgpack encoding, on both sides ----------------------- */

iso_fn records_msgpack_fn;
int records_msgpack_encode(const struct flat *f, msgpack_sbuffer *wire);
int records_msgpack_check(const struct records_truth *t, const void *result, size_t n);

/* ---- records_gen.c: the dataset --------------------------------------------------- */

/* The dataset for --size=size, flat and malloc'd, *len its bytes; NULL: no memory. */
unsigned char *records_gen_dataset(size_t size, size_t *len);

#endif
