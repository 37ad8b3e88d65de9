/* adopt.c: shared libraries handed to an in-process domain: their writable data is the domain's, and put back as it was at create after every rewind, at destroy and at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "adopt.h"
#include "addrspace.h"
#include "iso.h"
#include "reason.h"

/*
 * A library's globals (libxml2's parser state, its dictionaries' mutex) point into
 * the heap of the domain that set them.  A rewind discards that heap: the globals
 * must go back to what they were before the domain ran (and the init hook builds
 * them again), or the library's next use, or its destructor at exit, follows them
 * into discarded memory.
 */

static pthread_mutex_t adopt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct adopt *adopt_live[16]; /* every live domain's set, under adopt_lock */
static pthread_once_t adopt_once = PTHREAD_ONCE_INIT;

/* At exit: every adopted library's data as it was before any domain ran, so that
 * its destructor (libxml2's xmlCleanupParser) finds nothing to tear down.  atexit
 * handlers run before the objects' destructors. */
static void adopt_at_exit(void)
{
	pthread_mutex_lock(&adopt_lock);
	for (size_t i = 0; i < sizeof(adopt_live) / sizeof(adopt_live[0]); i++)
		if (adopt_live[i])
			adopt_restore(adopt_live[i]);
	pthread_mutex_unlock(&adopt_lock);
}

static void adopt_register_exit(void)
{
	atexit(adopt_at_exit);
}

/* Objects a domain may not own: without them nothing runs, or not safely. */
static bool adopt_forbidden(const char *path)
{
	static const char *const deny[] = { "libc.so", "ld-linux", "libjemalloc", "libiso" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if (strncmp(base, deny[i], strlen(deny[i])) == 0)
			return true;
	return !*base; /* the program */
}

/* The link map of a loaded library, or NULL with a reason. */
static struct link_map *adopt_find(const char *name, bool load)
{
	void *h = dlopen(name, RTLD_NOW | (load ? 0 : RTLD_NOLOAD));
	struct link_map *lm = NULL;

	if (!h) {
		const char *e = dlerror();

		reason_set(ISO_EINVAL, "cannot adopt %s: %s", name, e ? e : "not loaded");
		return NULL;
	}
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm) {
		reason_set(ISO_EINVAL, "cannot adopt %s: no link map", name);
		return NULL;
	}
	if (adopt_forbidden(lm->l_name)) {
		reason_set(ISO_EINVAL, "cannot adopt %s (%s): the program, libc, the dynamic "
			   "loader, jemalloc and libiso stay trusted", name, lm->l_name);
		return NULL;
	}
	return lm; /* the handle stays open: an adopted library is never unloaded */
}

int adopt_load(const char *const *names)
{
	for (; names && *names; names++)
		if (!adopt_find(*names, true))
			return ISO_EINVAL;
	return ISO_OK;
}

struct adopt_match {
	const struct link_map *lm;
	struct region data;
};

static int adopt_match_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct adopt_match *m = arg;

	(void)size;
	if (info->dlpi_addr != m->lm->l_addr || strcmp(info->dlpi_name, m->lm->l_name) != 0)
		return 0;
	m->data = addrspace_data(info);
	return 1;
}

/* Is [lo, lo+len) adopted by a live domain already?  Under adopt_lock. */
static bool adopt_taken(const char *lo, size_t len)
{
	for (size_t i = 0; i < sizeof(adopt_live) / sizeof(adopt_live[0]); i++)
		for (size_t j = 0; adopt_live[i] && j < adopt_live[i]->n; j++) {
			const struct adopt_seg *s = &adopt_live[i]->seg[j];

			if (lo < s->lo + s->len && s->lo < lo + len)
				return true;
		}
	return false;
}

/* The library's data into a (not yet live): where, and a copy of it. */
static int adopt_one(struct adopt *a, const char *name)
{
	struct adopt_match m = { 0 };
	struct adopt_seg *s;

	if (!(m.lm = adopt_find(name, false)))
		return ISO_EINVAL;
	dl_iterate_phdr(adopt_match_object, &m);
	if (!m.data.len)
		return ISO_OK; /* nothing writable: nothing to own */
	if (a->n == ADOPT_MAX)
		return reason_set(ISO_EINVAL, "cannot adopt %s: at most %d libraries a domain",
				  name, ADOPT_MAX);
	if (adopt_taken(m.data.lo, m.data.len))
		return reason_set(ISO_EINVAL, "cannot adopt %s: another domain has it", name);
	s = &a->seg[a->n];
	if (!(s->snap = malloc(m.data.len)))
		return ISO_ENOMEM;
	s->lo = m.data.lo;
	s->len = m.data.len;
	memcpy(s->snap, s->lo, s->len);
	a->n++;
	return ISO_OK;
}

static void adopt_drop(struct adopt *a)
{
	while (a->n)
		free(a->seg[--a->n].snap);
}

int adopt_take(struct adopt *a, const char *const *names,
	       int (*tag)(void *ctx, char *lo, size_t len), void *ctx)
{
	size_t slot = sizeof(adopt_live) / sizeof(adopt_live[0]);
	int err = ISO_OK;

	if (!names || !*names)
		return ISO_OK;
	pthread_once(&adopt_once, adopt_register_exit);
	pthread_mutex_lock(&adopt_lock);
	for (; *names && !err; names++)
		err = adopt_one(a, *names);
	for (size_t i = 0; !err && i < sizeof(adopt_live) / sizeof(adopt_live[0]); i++)
		if (!adopt_live[i]) {
			slot = i;
			break;
		}
	if (!err && slot == sizeof(adopt_live) / sizeof(adopt_live[0]))
		err = reason_set(ISO_EINVAL, "cannot adopt: too many domains adopt libraries");
	for (size_t i = 0; !err && i < a->n; i++)
		err = tag(ctx, a->seg[i].lo, a->seg[i].len);
	if (!err)
		adopt_live[slot] = a;
	pthread_mutex_unlock(&adopt_lock);
	return err;
}

void adopt_restore(const struct adopt *a)
{
	for (size_t i = 0; i < a->n; i++)
		memcpy(a->seg[i].lo, a->seg[i].snap, a->seg[i].len);
}

void adopt_release(struct adopt *a, int pkey)
{
	pthread_mutex_lock(&adopt_lock);
	for (size_t i = 0; i < sizeof(adopt_live) / sizeof(adopt_live[0]); i++)
		if (adopt_live[i] == a)
			adopt_live[i] = NULL;
	pthread_mutex_unlock(&adopt_lock);
	adopt_restore(a);
	for (size_t i = 0; pkey > 0 && i < a->n; i++)
		pkey_mprotect(a->seg[i].lo, a->seg[i].len, PROT_READ | PROT_WRITE, 0);
	adopt_drop(a);
}

size_t adopt_regions(const struct adopt *a, struct region *out, size_t max)
{
	size_t n = 0;

	for (; n < a->n && n < max; n++)
		out[n] = region_rw(a->seg[n].lo, a->seg[n].len);
	return n;
}
