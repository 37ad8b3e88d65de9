/*
 * typed.c: typed calls (iso_typed.h): the described arguments marshalled into iso_call's
 * one `in` buffer, a trampoline inside the domain that unpacks them and calls the
 * target through one of nine call shapes, and the outputs checked, then copied back.
 *
 * in:  header | one slot per argument | the IN/STR/INOUT bytes (16-byte aligned)
 * out: the OUT/INOUT buffers at offsets the trusted side chose (16-byte aligned)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "iso_typed.h"
#include "reason.h"

#define MAX_WORDS 8
#define REG_WORDS 6
#define LOCAL_BUF 1024

struct hdr {
	iso_any_fn fn;
	uint32_t nargs;
	uint32_t nwords;
	uint64_t out_size;
};

/* VAL: a = value; STRUCT: a, b = its eightbytes, c = how many.  Buffers: a = the
 * caller's own pointer when shared, else in offset (IN, STR, INOUT's bytes); b = out
 * offset (OUT, INOUT); c = INOUT: bytes to copy from in to out. */
struct slot {
	uint32_t kind;
	uint32_t shared;
	uint64_t a, b, c;
};

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

/* ---- inside the domain ---------------------------------------------------------- */

typedef long shape0(void);
typedef long shape1(long);
typedef long shape2(long, long);
typedef long shape3(long, long, long);
typedef long shape4(long, long, long, long);
typedef long shape5(long, long, long, long, long);
typedef long shape6(long, long, long, long, long, long);
typedef long shape7(long, long, long, long, long, long, long);
typedef long shape8(long, long, long, long, long, long, long, long);

/* The target, called with the words it takes: on x86-64 an integer argument of any
 * width travels in a word of its own, the register or stack slot it would have. */
static long call_shape(iso_any_fn f, const long *w, unsigned n)
{
	switch (n) {
	case 0: return ((shape0 *)f)();
	case 1: return ((shape1 *)f)(w[0]);
	case 2: return ((shape2 *)f)(w[0], w[1]);
	case 3: return ((shape3 *)f)(w[0], w[1], w[2]);
	case 4: return ((shape4 *)f)(w[0], w[1], w[2], w[3]);
	case 5: return ((shape5 *)f)(w[0], w[1], w[2], w[3], w[4]);
	case 6: return ((shape6 *)f)(w[0], w[1], w[2], w[3], w[4], w[5]);
	case 7: return ((shape7 *)f)(w[0], w[1], w[2], w[3], w[4], w[5], w[6]);
	default: return ((shape8 *)f)(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
	}
}

/* The iso_fn every typed call runs.  What it reads was written by the trusted side
 * into the domain's own copy: a domain that spoils it spoils only its own answer. */
static long trampoline(const void *in, size_t in_len, void *out, size_t out_cap,
		       size_t *out_len)
{
	const struct hdr *h = in;
	const struct slot *s = (const struct slot *)(h + 1);
	const char *ib = in;
	char *ob = out;
	long w[MAX_WORDS];
	unsigned k = 0;

	if (in_len < sizeof(*h) || h->nargs > MAX_WORDS || h->out_size > out_cap)
		return -1;
	for (uint32_t i = 0; i < h->nargs && k < MAX_WORDS; i++, s++) {
		switch (s->kind) {
		case ISO_ARG_VAL:
			w[k++] = (long)s->a;
			break;
		case ISO_ARG_STRUCT:
			w[k++] = (long)s->a;
			if (s->c == 2 && k < MAX_WORDS)
				w[k++] = (long)s->b;
			break;
		case ISO_ARG_IN:
		case ISO_ARG_STR:
			w[k++] = s->shared ? (long)s->a : (long)(ib + s->a);
			break;
		case ISO_ARG_OUT:
			w[k++] = s->shared ? (long)s->a : (long)(ob + s->b);
			break;
		case ISO_ARG_INOUT:
			if (s->shared) {
				w[k++] = (long)s->a;
				break;
			}
			memcpy(ob + s->b, ib + s->a, s->c);
			w[k++] = (long)(ob + s->b);
			break;
		}
	}
	*out_len = h->out_size;
	return call_shape(h->fn, w, k);
}

/* ---- the trusted side ----------------------------------------------------------- */

static _Thread_local struct iso_domain *thread_domain;
static _Thread_local int thread_last;

void iso_typed_use(struct iso_domain *d)
{
	thread_domain = d;
}

int iso_typed_last(void)
{
	return thread_last;
}

int iso__wrap_call(iso_any_fn fn, struct iso_arg *a, size_t n, long *ret)
{
	return thread_last = iso_typed_call(NULL, fn, a, n, ret);
}

static bool shared(struct iso_domain *d, const void *p, size_t n)
{
	return n && d->be->holds && d->be->holds(d, p, n, false);
}

/* Lay the call out: the slots, and how large in and out must be.  in_size counts the
 * header and slots; the bytes follow at the offsets put in the slots. */
static int plan(struct iso_domain *d, struct slot *s, struct iso_arg *a, size_t n,
		size_t *in_size, size_t *out_size, unsigned *nwords)
{
	size_t in = ALIGN16(sizeof(struct hdr) + n * sizeof(struct slot)), out = 0;
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		struct slot *x = &s[i];
		size_t len = a[i].len;

		*x = (struct slot){ .kind = a[i].kind };
		switch (a[i].kind) {
		case ISO_ARG_VAL:
			x->a = (uint64_t)a[i].val;
			k++;
			continue;
		case ISO_ARG_STRUCT:
			if (!a[i].ptr || !len || len > 16)
				return reason_set(ISO_EINVAL, "argument %zu: a struct by value "
						  "must be 1 to 16 bytes", i);
			x->c = len > 8 ? 2 : 1;
			/* The ABI passes a two-word struct whole on the stack rather than
			 * split: a shape of separate words cannot do that. */
			if (x->c == 2 && k == REG_WORDS - 1)
				return reason_set(ISO_EINVAL, "argument %zu: a 16-byte struct "
						  "would straddle registers and stack", i);
			memcpy(&x->a, a[i].ptr, len > 8 ? 8 : len);
			if (len > 8)
				memcpy(&x->b, (const char *)a[i].ptr + 8, len - 8);
			k += (unsigned)x->c;
			continue;
		case ISO_ARG_STR:
			if (!a[i].ptr)
				return reason_set(ISO_EINVAL, "argument %zu: NULL string", i);
			len = strlen(a[i].ptr) + 1;
			/* fall through */
		case ISO_ARG_IN:
			if (!a[i].ptr && len)
				return reason_set(ISO_EINVAL, "argument %zu: NULL buffer", i);
			if ((x->shared = shared(d, a[i].ptr, len))) {
				x->a = (uint64_t)(uintptr_t)a[i].ptr;
			} else {
				x->a = in;
				in += ALIGN16(len);
			}
			k++;
			continue;
		case ISO_ARG_INOUT:
			if (len > a[i].cap)
				return reason_set(ISO_EINVAL, "argument %zu: %zu bytes in, room "
						  "for %zu", i, len, a[i].cap);
			/* fall through */
		case ISO_ARG_OUT:
			if (!a[i].ptr && a[i].cap)
				return reason_set(ISO_EINVAL, "argument %zu: NULL buffer", i);
			if (a[i].len_from == ISO_LEN_ARG &&
			    (a[i].len_arg >= n || (a[a[i].len_arg].kind != ISO_ARG_OUT &&
						   a[a[i].len_arg].kind != ISO_ARG_INOUT) ||
			     (a[a[i].len_arg].cap != 4 && a[a[i].len_arg].cap != 8)))
				return reason_set(ISO_EINVAL, "argument %zu: its length argument "
						  "is not an OUT/INOUT of 4 or 8 bytes", i);
			if ((x->shared = shared(d, a[i].ptr, a[i].cap))) {
				x->a = (uint64_t)(uintptr_t)a[i].ptr;
			} else {
				if (a[i].kind == ISO_ARG_INOUT) {
					x->a = in;
					x->c = len;
					in += ALIGN16(len);
				}
				x->b = out;
				out += ALIGN16(a[i].cap);
			}
			k++;
			continue;
		}
		return reason_set(ISO_EINVAL, "argument %zu: unknown kind %d", i, (int)a[i].kind);
	}
	if (k > MAX_WORDS)
		return reason_set(ISO_EINVAL, "%u argument words, at most %d", k, MAX_WORDS);
	*in_size = in;
	*out_size = out;
	*nwords = k;
	return ISO_OK;
}

/* The header, and the bytes of what is copied in (the slots are in place already). */
static void fill_in(char *buf, const struct slot *s, const struct iso_arg *a, size_t n,
		    iso_any_fn fn, unsigned nwords, size_t out_size)
{
	*(struct hdr *)buf = (struct hdr){ .fn = fn, .nargs = (uint32_t)n, .nwords = nwords,
					   .out_size = out_size };
	for (size_t i = 0; i < n; i++) {
		if (s[i].shared || a[i].kind == ISO_ARG_VAL || a[i].kind == ISO_ARG_STRUCT)
			continue;
		if (a[i].kind == ISO_ARG_IN || a[i].kind == ISO_ARG_STR)
			memcpy(buf + s[i].a, a[i].ptr,
			       a[i].kind == ISO_ARG_STR ? strlen(a[i].ptr) + 1 : a[i].len);
		else if (a[i].kind == ISO_ARG_INOUT && a[i].len)
			memcpy(buf + s[i].a, a[i].ptr, a[i].len);
	}
}

/* An unsigned value of 4 or 8 bytes at p. */
static uint64_t word_at(const void *p, size_t size)
{
	uint32_t v32;
	uint64_t v64;

	if (size == 4) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&v64, p, 8);
	return v64;
}

/* Where argument i's output is now: the copy back in ob, or the shared buffer. */
static const char *output_of(const struct slot *s, const struct iso_arg *a, const char *ob)
{
	return s->shared ? (const char *)a->ptr : ob + s->b;
}

/* How much argument i produced, judged against its capacity before any copy. */
static int produced(const struct slot *s, struct iso_arg *a, size_t i, const char *ob,
		    long r)
{
	const struct iso_arg *x = &a[i];
	uint64_t p = x->cap;

	switch (x->len_from) {
	case ISO_LEN_CAP:
		break;
	case ISO_LEN_ARG:
		p = word_at(output_of(&s[x->len_arg], &a[x->len_arg], ob), a[x->len_arg].cap);
		break;
	case ISO_LEN_RET:
		p = x->len_arg == 4 ? ((int32_t)r < 0 ? 0 : (uint32_t)r) : (r < 0 ? 0 : (uint64_t)r);
		break;
	case ISO_LEN_STR: {
		const char *o = output_of(&s[i], x, ob), *nul = memchr(o, 0, x->cap);

		if (!nul)
			return reason_set(ISO_E2BIG, "argument %zu: no NUL within its %zu bytes",
					  i, x->cap);
		p = (uint64_t)(nul - o) + 1;
		break;
	}
	}
	if (p > x->cap)
		return reason_set(ISO_E2BIG, "argument %zu: the domain produced %llu bytes for "
				  "a %zu-byte buffer", i, (unsigned long long)p, x->cap);
	a[i].produced = (size_t)p;
	return ISO_OK;
}

static int deliver(const struct slot *s, struct iso_arg *a, size_t n, const char *ob, long r)
{
	int err;

	for (size_t i = 0; i < n; i++)
		if ((a[i].kind == ISO_ARG_OUT || a[i].kind == ISO_ARG_INOUT) &&
		    (err = produced(s, a, i, ob, r)))
			return err;
	/* Every length judged: only now is anything of the caller's written. */
	for (size_t i = 0; i < n; i++)
		if ((a[i].kind == ISO_ARG_OUT || a[i].kind == ISO_ARG_INOUT) && !s[i].shared &&
		    a[i].produced)
			memcpy((void *)a[i].ptr, ob + s[i].b, a[i].produced);
	return ISO_OK;
}

int iso_typed_call(struct iso_domain *d, iso_any_fn fn, struct iso_arg *a, size_t n,
		   long *ret)
{
	_Alignas(16) char in_local[LOCAL_BUF], out_local[LOCAL_BUF];
	char *ib = in_local, *ob = out_local;
	struct slot *s = (struct slot *)(in_local + sizeof(struct hdr));
	size_t in_size = 0, out_size = 0, got = 0;
	unsigned nwords = 0;
	long r = 0;
	int err;

	if (!d)
		d = thread_domain;
	if (!d || !fn || (!a && n))
		return reason_set(ISO_EINVAL, !d ? "no domain (iso_typed_use)" : "no function");
	if (n > MAX_WORDS)
		return reason_set(ISO_EINVAL, "%zu arguments, at most %d", n, MAX_WORDS);
	/* The slots are laid out in place; a large call moves them to the heap. */
	err = plan(d, s, a, n, &in_size, &out_size, &nwords);
	if (err)
		return err;
	if (in_size > LOCAL_BUF) {
		if (!(ib = malloc(in_size)))
			return ISO_ENOMEM;
		memcpy(ib, in_local, sizeof(struct hdr) + n * sizeof(*s));
		s = (struct slot *)(ib + sizeof(struct hdr));
	}
	if (out_size > LOCAL_BUF && !(ob = malloc(out_size))) {
		err = ISO_ENOMEM;
		goto done;
	}
	fill_in(ib, s, a, n, fn, nwords, out_size);
	err = iso_call(d, trampoline, ib, in_size, ob, out_size, &got, &r);
	if (!err && got != out_size)
		err = reason_set(ISO_E2BIG, "the domain reported %zu output bytes, not %zu", got,
				 out_size);
	if (!err)
		err = deliver(s, a, n, ob, r);
	if (!err && ret)
		*ret = r;
done:
	if (ib != in_local)
		free(ib);
	if (ob != out_local)
		free(ob);
	return err;
}
