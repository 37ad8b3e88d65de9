/*
 * typed.c: typed calls (iso_typed.h): the described arguments turned into the target's
 * argument words on the trusted side, in one pass; on `none` the target is called with
 * them directly (none protects nothing: iso_call passes buffers as they are too);
 * elsewhere they travel in iso_call's one `in` buffer to a trampoline inside the domain,
 * which relocates the words of copied buffers and calls the target through one fixed
 * shape of eight words.  The outputs are checked, all of them, then copied back.
 *
 * in:  header (fn, the 8 words, which are in/out offsets) | the IN/STR/INOUT bytes
 *      (16-byte aligned) | the INOUT copies
 * out: the OUT/INOUT buffers at offsets the trusted side chose (16-byte aligned)
 *
 * An all-scalar call is the header alone: no relocation, no copy, no loop inside.
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

/* w[k] is an offset into in (bit k of in_rel) or out (bit k of out_rel), else the word
 * itself; ncopy INOUT copies (struct copy) lie at in offset copies, after the bytes. */
struct hdr {
	iso_any_fn fn;
	uint64_t out_size;
	uint64_t copies;
	uint32_t rel;   /* in_rel | out_rel << 8: written in one store */
	uint32_t ncopy;
	long w[MAX_WORDS];
};

/* INOUT: len bytes from in offset from to out offset to, before the call. */
struct copy {
	uint64_t from, to, len;
};

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

typedef long shape8(long, long, long, long, long, long, long, long);

/* The target with all eight words: on x86-64 an integer argument of any width travels
 * in a word of its own, the register or stack slot it would have, and a function that
 * takes fewer never looks at the rest (the caller pops the stack words). */
static long call_words(iso_any_fn f, const long *w)
{
	return ((shape8 *)f)(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
}

/* ---- inside the domain ---------------------------------------------------------- */

/* The iso_fn every typed call runs.  What it reads was written by the trusted side
 * into the domain's own copy: a domain that spoils it spoils only its own answer. */
static long trampoline(const void *in, size_t in_len, void *out, size_t out_cap,
		       size_t *out_len)
{
	const struct hdr *h = in;
	const char *ib = in;
	const struct copy *c = (const struct copy *)(ib + h->copies);
	char *ob = out;
	long w[MAX_WORDS];

	if (in_len < sizeof(*h) || h->out_size > out_cap || h->copies > in_len ||
	    (in_len - h->copies) / sizeof(*c) < h->ncopy)
		return -1;
	/* Relocated without a branch a word: the same few instructions every call. */
	for (unsigned k = 0; k < MAX_WORDS; k++)
		w[k] = h->w[k] + (long)((uintptr_t)ib & -(uintptr_t)((h->rel >> k) & 1)) +
		       (long)((uintptr_t)ob & -(uintptr_t)((h->rel >> (k + 8)) & 1));
	for (unsigned i = 0; i < h->ncopy; i++)
		memcpy(ob + c[i].to, ib + c[i].from, c[i].len);
	*out_len = h->out_size;
	return call_words(h->fn, w);
}

/* An all-scalar call: fn and its eight words, nothing to relocate or check. */
struct scalars {
	iso_any_fn fn;
	long w[MAX_WORDS];
};

static long scalar_trampoline(const void *in, size_t in_len, void *out, size_t out_cap,
			      size_t *out_len)
{
	const struct scalars *c = in;

	(void)out, (void)out_cap, (void)out_len;
	if (in_len != sizeof(*c))
		return -1;
	return call_words(c->fn, c->w);
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

/* The call laid out: the header (written in place, in the in buffer: a copy of it
 * would wait on its fresh stores), and per argument what the way back needs. */
struct layout {
	struct hdr *h;      /* at the start of the local in buffer */
	struct copy copy[MAX_WORDS];
	bool late;          /* the bytes did not fit the local buffer: copied later */
	unsigned in_rel, out_rel, ncopy;
	size_t out_size;
	size_t in_size;     /* header, copies and bytes */
	size_t len[MAX_WORDS]; /* IN, STR, INOUT: the bytes copied in */
	uint64_t at[MAX_WORDS]; /* OUT, INOUT not shared: the out offset */
	unsigned shared;    /* bit i: argument i passes as it is */
	unsigned outputs;   /* bit i: argument i is an OUT or INOUT */
	bool direct;        /* none: every buffer passes as it is, the target called here */
};

static bool shared(struct iso_domain *d, const void *p, size_t n)
{
	return n && d->be->holds && d->be->holds(d, p, n, false);
}

/* Argument i's length argument, for ISO_LEN_ARG: an OUT or INOUT of 4 or 8 bytes. */
static bool len_arg_ok(const struct iso_arg *a, size_t n, size_t i)
{
	const struct iso_arg *x = a[i].len_arg < n ? &a[a[i].len_arg] : NULL;

	return x && (x->kind == ISO_ARG_OUT || x->kind == ISO_ARG_INOUT) &&
	       (x->cap == 4 || x->cap == 8);
}

/* len bytes from src at dst, and zeros up to the next 16 bytes: the padding too, so
 * that no byte of the trusted stack goes into the domain. */
static void put_bytes(char *dst, const void *src, size_t len)
{
	if (!len)
		return;
	memset(dst + ALIGN16(len) - 16, 0, 16); /* a fixed size: inline, no call */
	memcpy(dst, src, len);
}

/* A buffer argument (IN, STR, OUT, INOUT) into word k: passed as it is, or placed at
 * the next offsets of in (its bytes) and out (its room). */
static void place(struct iso_domain *d, struct layout *l, const struct iso_arg *x, size_t i,
		  unsigned k, size_t *in, size_t *out)
{
	bool is_out = x->kind == ISO_ARG_OUT || x->kind == ISO_ARG_INOUT;
	size_t len = l->len[i];

	if (l->direct || shared(d, x->ptr, is_out ? x->cap : len)) {
		l->shared |= 1u << i;
		l->h->w[k] = (long)(uintptr_t)x->ptr;
		return;
	}
	if (x->kind != ISO_ARG_OUT) { /* its bytes go in: now, while they fit */
		if (!l->late && *in + ALIGN16(len) <= LOCAL_BUF)
			put_bytes((char *)l->h + *in, x->ptr, len);
		else
			l->late = true;
		if (!is_out) {
			l->h->w[k] = (long)*in;
			l->in_rel |= 1u << k;
			*in += ALIGN16(len);
			return;
		}
		l->copy[l->ncopy++] = (struct copy){ .from = *in, .to = *out, .len = len };
		*in += ALIGN16(len);
	}
	l->at[i] = *out;
	l->h->w[k] = (long)*out;
	l->out_rel |= 1u << k;
	*out += ALIGN16(x->cap);
}

/* Lay the call out in one pass: the words, the offsets, how large in and out are. */
static int plan(struct iso_domain *d, struct layout *l, const struct iso_arg *a, size_t n)
{
	size_t in = sizeof(*l->h), out = 0;
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct iso_arg *x = &a[i];
		size_t len = 0; /* only the fields of x's kind are read: a stub sets no other */

		if (k >= MAX_WORDS)
			return reason_set(ISO_EINVAL, "more than %d argument words", MAX_WORDS);
		switch (x->kind) {
		case ISO_ARG_VAL:
			l->h->w[k++] = x->val;
			continue;
		case ISO_ARG_STRUCT:
			len = x->len;
			if (!x->ptr || !len || len > 16)
				return reason_set(ISO_EINVAL, "argument %zu: a struct by value "
						  "must be 1 to 16 bytes", i);
			/* The ABI passes a two-word struct whole on the stack rather than
			 * split: a shape of separate words cannot do that. */
			if (len > 8 && k == REG_WORDS - 1)
				return reason_set(ISO_EINVAL, "argument %zu: a 16-byte struct "
						  "would straddle registers and stack", i);
			if (len > 8 && k + 1 >= MAX_WORDS)
				return reason_set(ISO_EINVAL, "more than %d argument words",
						  MAX_WORDS);
			l->h->w[k] = 0;
			memcpy(&l->h->w[k++], x->ptr, len > 8 ? 8 : len);
			if (len > 8) {
				l->h->w[k] = 0;
				memcpy(&l->h->w[k++], (const char *)x->ptr + 8, len - 8);
			}
			continue;
		case ISO_ARG_STR:
			if (!x->ptr)
				return reason_set(ISO_EINVAL, "argument %zu: NULL string", i);
			len = strlen(x->ptr) + 1;
			/* fall through */
		case ISO_ARG_IN:
			if (x->kind == ISO_ARG_IN)
				len = x->len;
			if (!x->ptr && len)
				return reason_set(ISO_EINVAL, "argument %zu: NULL buffer", i);
			break;
		case ISO_ARG_INOUT:
			len = x->len;
			if (len > x->cap)
				return reason_set(ISO_EINVAL, "argument %zu: %zu bytes in, room "
						  "for %zu", i, len, x->cap);
			/* fall through */
		case ISO_ARG_OUT:
			if (!x->ptr && x->cap)
				return reason_set(ISO_EINVAL, "argument %zu: NULL buffer", i);
			if (x->len_from == ISO_LEN_ARG && !len_arg_ok(a, n, i))
				return reason_set(ISO_EINVAL, "argument %zu: its length argument "
						  "is not an OUT/INOUT of 4 or 8 bytes", i);
			l->outputs |= 1u << i;
			break;
		default:
			return reason_set(ISO_EINVAL, "argument %zu: unknown kind %d", i,
					  (int)x->kind);
		}
		l->len[i] = len;
		place(d, l, x, i, k++, &in, &out);
	}
	l->out_size = out;
	l->h->copies = in;
	l->in_size = in + l->ncopy * sizeof(struct copy);
	return ISO_OK;
}

/* The rest of the header and the copies; all the bytes when they came late. */
static void fill_in(char *buf, const struct layout *l, const struct iso_arg *a, size_t n)
{
	struct hdr *h = (struct hdr *)buf;
	struct copy *c = (struct copy *)(buf + h->copies);
	size_t at = sizeof(*h);

	h->out_size = l->out_size;
	h->rel = l->in_rel | l->out_rel << 8;
	h->ncopy = l->ncopy;
	for (unsigned i = 0; i < l->ncopy; i++)
		c[i] = l->copy[i];
	for (size_t i = 0; l->late && i < n; i++) {
		if (((l->shared >> i) & 1) || a[i].kind == ISO_ARG_VAL ||
		    a[i].kind == ISO_ARG_STRUCT || a[i].kind == ISO_ARG_OUT)
			continue;
		put_bytes(buf + at, a[i].ptr, l->len[i]);
		at += ALIGN16(l->len[i]);
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
static const char *output_of(const struct layout *l, const struct iso_arg *a, size_t i,
			     const char *ob)
{
	return (l->shared >> i) & 1 ? (const char *)a[i].ptr : ob + l->at[i];
}

/* How much argument i produced, judged against its capacity before any copy. */
static int produced(const struct layout *l, struct iso_arg *a, size_t i, const char *ob,
		    long r)
{
	const struct iso_arg *x = &a[i];
	uint64_t p = x->cap;

	switch (x->len_from) {
	case ISO_LEN_CAP:
		break;
	case ISO_LEN_ARG:
		p = word_at(output_of(l, a, x->len_arg, ob), a[x->len_arg].cap);
		break;
	case ISO_LEN_RET:
		p = x->len_arg == 4 ? ((int32_t)r < 0 ? 0 : (uint32_t)r) : (r < 0 ? 0 : (uint64_t)r);
		break;
	case ISO_LEN_STR: {
		const char *o = output_of(l, a, i, ob), *nul = memchr(o, 0, x->cap);

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

static int deliver(const struct layout *l, struct iso_arg *a, const char *ob, long r)
{
	int err;

	for (unsigned m = l->outputs, i; m; m &= m - 1)
		if ((err = produced(l, a, i = (unsigned)__builtin_ctz(m), ob, r)))
			return err;
	/* Every length judged: only now is anything of the caller's written. */
	for (unsigned m = l->outputs & ~l->shared, i; m; m &= m - 1)
		if (a[i = (unsigned)__builtin_ctz(m)].produced)
			memcpy((void *)a[i].ptr, ob + l->at[i], a[i].produced);
	return ISO_OK;
}

/* Through the domain: the in buffer finished, iso_call, the outputs judged and copied. */
static int through(struct iso_domain *d, struct layout *l, struct iso_arg *a, size_t n,
		   char *in_local, long *r)
{
	_Alignas(16) char out_local[LOCAL_BUF];
	char *ib = (char *)l->h, *ob = out_local;
	size_t got = 0;
	int err;

	/* A large call moves the header to the heap (rare: 1 KiB in). */
	if (l->late || l->in_size > LOCAL_BUF) {
		if (!(ib = malloc(l->in_size)))
			return ISO_ENOMEM;
		memcpy(ib, l->h, l->late ? sizeof(*l->h) : l->h->copies);
		l->h = (struct hdr *)ib;
	}
	if (l->out_size > LOCAL_BUF && !(ob = malloc(l->out_size))) {
		err = ISO_ENOMEM;
		goto done;
	}
	fill_in(ib, l, a, n);
	err = iso_call(d, trampoline, ib, l->in_size, ob, l->out_size, &got, r);
	if (!err && got != l->out_size)
		err = reason_set(ISO_E2BIG, "the domain reported %zu output bytes, not %zu",
				 got, l->out_size);
	if (!err)
		err = deliver(l, a, ob, *r);
done:
	if (ib != in_local)
		free(ib);
	if (ob != out_local)
		free(ob);
	return err;
}

int iso_typed_call(struct iso_domain *d, iso_any_fn fn, struct iso_arg *a, size_t n,
		   long *ret)
{
	_Alignas(16) char in_local[LOCAL_BUF];
	struct layout l;
	long r = 0;
	int err;

	if (!d)
		d = thread_domain;
	if (!d || !fn || (!a && n))
		return reason_set(ISO_EINVAL, !d ? "no domain (iso_typed_use)" : "no function");
	if (n > MAX_WORDS)
		return reason_set(ISO_EINVAL, "%zu arguments, at most %d", n, MAX_WORDS);
	/* The fast path: scalars only, packed straight into the words. */
	{
		struct scalars c = { .fn = fn };
		size_t i;

		for (i = 0; i < n && a[i].kind == ISO_ARG_VAL; i++)
			c.w[i] = a[i].val;
		if (i == n) {
			if (d->be == &none_backend)
				r = call_words(fn, c.w);
			else if ((err = iso_call(d, scalar_trampoline, &c, sizeof(c), NULL, 0,
						 NULL, &r)))
				return err;
			if (ret)
				*ret = r;
			return ISO_OK;
		}
	}
	/* Only what the plan reads is set: no zeroing of the whole layout. */
	l.h = (struct hdr *)in_local;
	l.h->fn = fn;
	memset(l.h->w, 0, sizeof(l.h->w));
	l.late = false;
	l.in_rel = l.out_rel = l.ncopy = 0;
	l.shared = l.outputs = 0;
	l.direct = d->be == &none_backend;
	if ((err = plan(d, &l, a, n)))
		return err;
	if (l.direct) {
		r = call_words(fn, l.h->w);
		err = deliver(&l, a, NULL, r);
	} else {
		err = through(d, &l, a, n, in_local, &r);
	}
	if (!err && ret)
		*ret = r;
	return err;
}
