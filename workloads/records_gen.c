/* records_gen.c: the records workloads' dataset, generated deterministically in the flat layout. */
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "wl_util.h"

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
unsigned char *records_gen_dataset(size_t size, size_t *len)
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
