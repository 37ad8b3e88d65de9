/* iso_typed.h: typed calls on top of iso_call: arguments described once, one-line wrappers, callbacks. */
#ifndef ISO_TYPED_H
#define ISO_TYPED_H

#include <stddef.h>
#include <string.h>

#include "iso.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A typed call runs fn(arg0, arg1, ...) inside a domain, fn being a plain function of
 * the program or of a library it links (its address must be valid in a forked child).
 * Each argument is described once.  Buffers are copied into the domain (or passed as
 * they are when they lie wholly in one iso_alloc buffer); what the domain produced is
 * checked against each buffer's capacity, all of it, before anything is copied back;
 * no pointer the domain hands back is ever followed.
 *
 * Limits (x86-64 System V): at most 8 argument words (a struct of 9-16 bytes takes
 * two, and may not be split between the sixth register and the stack); integer and
 * pointer arguments and results only (no float or double, no struct with one).
 */
enum iso_arg_kind {
	ISO_ARG_VAL,    /* a scalar by value: .val (integer, pointer as an integer) */
	ISO_ARG_IN,     /* .ptr, .len bytes, copied in; fn gets a pointer to the copy */
	ISO_ARG_STR,    /* .ptr, a NUL-terminated string, copied in with its NUL */
	ISO_ARG_OUT,    /* .ptr, .cap bytes for fn to fill; .len_from: how much it did */
	ISO_ARG_INOUT,  /* .ptr, .len bytes in, .cap bytes of room, .len_from as OUT */
	ISO_ARG_STRUCT, /* .ptr, a struct of .len <= 16 bytes passed by value */
};

/* How many bytes of an OUT or INOUT buffer the domain produced, to check and copy. */
enum iso_len_from {
	ISO_LEN_CAP, /* all .cap bytes */
	ISO_LEN_ARG, /* the value fn left in argument .len_arg (an OUT/INOUT of 4 or 8
	                bytes: uncompress's *destLen) */
	ISO_LEN_RET, /* fn's return value, an integer of .len_arg bytes (4 or 8);
	                a negative one produced nothing */
	ISO_LEN_STR, /* up to and including the NUL, which must lie within .cap */
};

/* A call reads only the fields its kind names (and .kind, .cap of a .len_arg). */
struct iso_arg {
	enum iso_arg_kind kind;
	enum iso_len_from len_from;
	unsigned len_arg;
	long val;
	const void *ptr;
	size_t len, cap;
	size_t produced; /* set by the call: bytes copied back (OUT, INOUT) */
};

typedef void (*iso_any_fn)(void); /* any function, as C allows casting to it */

/*
 * Run fn with the n described arguments inside d (NULL: this thread's domain, set by
 * iso_typed_use).  On ISO_OK every OUT/INOUT buffer holds what fn produced and its
 * .produced says how much; *ret (may be NULL) is fn's result register: cast it to
 * fn's return type (a narrower type takes its low bytes).  On failure (ISO_E2BIG when
 * a produced length exceeds its capacity) no buffer of the caller's is written.
 */
int iso_typed_call(struct iso_domain *d, iso_any_fn fn, struct iso_arg *a, size_t n,
		   long *ret);

/* The domain this thread's typed calls (and ISO_WRAP stubs) use when given none. */
void iso_typed_use(struct iso_domain *d);
/* The result of this thread's last ISO_WRAP stub: ISO_OK, or the domain's failure. */
int iso_typed_last(void);

/* ---- one-line declarations -------------------------------------------------------
 *
 * ISO_WRAP(rtype, name, fn, errval, params...) defines `rtype name(params)` (prefix
 * `static` for a file's own), a stub
 * with fn's own prototype that runs fn in this thread's domain (iso_typed_use).
 * A domain failure makes it return errval and iso_typed_last() say which; every
 * call sets iso_typed_last() (ISO_OK when fn ran).  Each parameter is one of:
 *
 *   ISO_VAL(type, name)                       a scalar
 *   ISO_IN(type, name, len)                   input buffer of len bytes
 *   ISO_STR(type, name)                       NUL-terminated input string
 *   ISO_OUT(type, name, cap, from, arg)       output buffer (enum iso_len_from, arg)
 *   ISO_INOUT(type, name, len, cap, from, arg)
 *   ISO_REF(type, name)                       pointer to one in-out object (*name)
 *   ISO_STRUCT(type, name)                    a small struct by value
 *
 * len and cap are expressions over the parameters, e.g. zlib's uncompress:
 *
 *   ISO_WRAP(int, safe_uncompress, uncompress, Z_MEM_ERROR,
 *            ISO_OUT(Bytef *, dest, *destLen, ISO_LEN_ARG, 1),
 *            ISO_REF(uLongf *, destLen),
 *            ISO_IN(const Bytef *, source, sourceLen),
 *            ISO_VAL(uLong, sourceLen))
 */
/* Each parameter sets only the fields of its kind, one by one: a stub zeroes no array
 * of descriptors at each call (that would cost more than the rest of a scalar call). */
#define ISO_VAL(T, name) (T, name, iso__p->kind = ISO_ARG_VAL, iso__p->val = (long)(name))
#define ISO_IN(T, name, n) \
	(T, name, iso__p->kind = ISO_ARG_IN, iso__p->ptr = (name), iso__p->len = (n))
#define ISO_STR(T, name) (T, name, iso__p->kind = ISO_ARG_STR, iso__p->ptr = (name))
#define ISO_OUT(T, name, c, from, arg)                                                     \
	(T, name, iso__p->kind = ISO_ARG_OUT, iso__p->ptr = (name), iso__p->cap = (c),     \
	 iso__p->len_from = (from), iso__p->len_arg = (arg))
#define ISO_INOUT(T, name, n, c, from, arg)                                                \
	(T, name, iso__p->kind = ISO_ARG_INOUT, iso__p->ptr = (name), iso__p->len = (n),   \
	 iso__p->cap = (c), iso__p->len_from = (from), iso__p->len_arg = (arg))
#define ISO_REF(T, name)                                                                   \
	(T, name, iso__p->kind = ISO_ARG_INOUT, iso__p->ptr = (name),                      \
	 iso__p->len = sizeof(*(name)), iso__p->cap = sizeof(*(name)),                     \
	 iso__p->len_from = ISO_LEN_CAP, iso__p->len_arg = 0)
#define ISO_STRUCT(T, name) \
	(T, name, iso__p->kind = ISO_ARG_STRUCT, iso__p->ptr = &(name), iso__p->len = sizeof(name))

#define ISO_WRAP(rtype, name, fn, errval, ...)                                             \
	rtype name(ISO__MAP(ISO__PARAM, __VA_ARGS__));                                     \
	rtype name(ISO__MAP(ISO__PARAM, __VA_ARGS__))                                      \
	{                                                                                  \
		struct iso_arg iso__a[ISO__N(__VA_ARGS__)], *iso__p = iso__a;              \
		long iso__r = 0;                                                           \
		rtype iso__v;                                                              \
		ISO__MAP(ISO__SET, __VA_ARGS__);                                           \
		if (iso__wrap_call((iso_any_fn)(fn), iso__a, ISO__N(__VA_ARGS__), &iso__r)) \
			return (errval);                                                   \
		memcpy(&iso__v, &iso__r, sizeof(iso__v)); /* the low bytes: fn's type */   \
		return iso__v;                                                             \
	}

/* The same for a function returning void: only iso_typed_last() tells a failure. */
#define ISO_WRAP_VOID(name, fn, ...)                                                       \
	void name(ISO__MAP(ISO__PARAM, __VA_ARGS__));                                      \
	void name(ISO__MAP(ISO__PARAM, __VA_ARGS__))                                       \
	{                                                                                  \
		struct iso_arg iso__a[ISO__N(__VA_ARGS__)], *iso__p = iso__a;              \
		ISO__MAP(ISO__SET, __VA_ARGS__);                                           \
		(void)iso__wrap_call((iso_any_fn)(fn), iso__a, ISO__N(__VA_ARGS__), NULL); \
	}

/* What the stubs call: iso_typed_call on this thread's domain, noting the result. */
int iso__wrap_call(iso_any_fn fn, struct iso_arg *a, size_t n, long *ret);

/* The machinery: a parameter is (type, name, descriptor...); map over up to 8. */
#define ISO__PARAM_(T, name, ...) T name
#define ISO__SET_(T, name, ...) (__VA_ARGS__, iso__p++)
#define ISO__APPLY(m, t) m t
#define ISO__PARAM(t) ISO__APPLY(ISO__PARAM_, t)
#define ISO__SET(t) ISO__APPLY(ISO__SET_, t)
#define ISO__CAT(a, b) ISO__CAT_(a, b)
#define ISO__CAT_(a, b) a##b
#define ISO__N(...) ISO__N_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ISO__N_(a, b, c, d, e, f, g, h, n, ...) n
#define ISO__MAP(m, ...) ISO__CAT(ISO__MAP, ISO__N(__VA_ARGS__))(m, __VA_ARGS__)
#define ISO__MAP1(m, a) m(a)
#define ISO__MAP2(m, a, ...) m(a), ISO__MAP1(m, __VA_ARGS__)
#define ISO__MAP3(m, a, ...) m(a), ISO__MAP2(m, __VA_ARGS__)
#define ISO__MAP4(m, a, ...) m(a), ISO__MAP3(m, __VA_ARGS__)
#define ISO__MAP5(m, a, ...) m(a), ISO__MAP4(m, __VA_ARGS__)
#define ISO__MAP6(m, a, ...) m(a), ISO__MAP5(m, __VA_ARGS__)
#define ISO__MAP7(m, a, ...) m(a), ISO__MAP6(m, __VA_ARGS__)
#define ISO__MAP8(m, a, ...) m(a), ISO__MAP7(m, __VA_ARGS__)

/* ---- callbacks into the trusted side ---------------------------------------------
 *
 * iso_callback_register gives a function pointer the trusted side hands to code in a
 * domain (libxml2's error handler, libpng's read function).  When the domain calls
 * it with up to six integer or pointer arguments, the trusted side leaves the domain
 * (mpk, mprotect: back through the gate to trusted rights; process: a request over
 * the channel that the parent serves while it waits; none: a plain call) and runs
 * fn(cb) with trusted rights on its own memory.  The arguments arrive as raw words,
 * data to validate: a pointer among them is an address in the domain, read and
 * written only through iso_cb_read / iso_cb_write, which check it lies in the domain
 * (process: they copy across with process_vm_readv/writev).  fn's return value goes
 * back to the domain.  A fault inside fn is a failure of the domain call under way.
 */
struct iso_cb {
	struct iso_domain *domain; /* NULL when called outside any domain, or on none */
	long arg[6];
	void *user;
};

typedef long iso_cb_fn(struct iso_cb *cb);

#define ISO_MAX_CALLBACKS 8

/* A domain-callable pointer for fn (cast it to the callback type the library wants);
 * NULL when all ISO_MAX_CALLBACKS are taken.  Register before the domains that use it
 * are created, or at any time: the pointer is valid in every domain. */
iso_any_fn iso_callback_register(iso_cb_fn *fn, void *user);
void iso_callback_unregister(iso_any_fn p);

/* Copy n bytes at the domain address src into dst (or dst into the domain at dst):
 * ISO_EFAULT when the range is not the domain's. */
int iso_cb_read(const struct iso_cb *cb, void *dst, long src, size_t n);
int iso_cb_write(const struct iso_cb *cb, long dst, const void *src, size_t n);
/* A NUL-terminated string at src, at most cap bytes with its NUL: its length, or
 * ISO_EFAULT / ISO_E2BIG (no NUL within cap). */
long iso_cb_read_str(const struct iso_cb *cb, char *dst, size_t cap, long src);

#ifdef __cplusplus
}
#endif

#endif
