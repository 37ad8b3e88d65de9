/* libc_state.c: libc calls that would keep libc's own state in an in-process domain's heap are refused there (EPERM), or made safe (tzset). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libc_state.h"
#include "route.h"

/*
 * libc keeps every open FILE on one list (fopen, fdopen, fmemopen, ...), the global
 * locale and environment in its own globals, and dlopen's link maps in the loader:
 * made inside an in-process domain, all of it would be allocated in the domain's
 * heap, which a rewind or destroy discards, and the program's next fflush(NULL),
 * exit, getenv or dlopen would follow it there.  Inside an in-process domain
 * (route_thread.heap set) these calls fail as libc fails them, with errno EPERM.
 * In a process domain's child they work: the child's state is its own.  The time
 * zone is made safe instead: libiso sets it up on the trusted side as it loads and
 * again whenever the program changes TZ, so a domain's tzset or localtime finds it
 * made and allocates nothing (TZ cannot change inside: setenv is refused).  Only calls through the PLT are caught (libc's own
 * internal uses are not).
 */
#define LIBC_STATE_RESOLVE(name) \
	libc_state_real_##name = (__typeof__(libc_state_real_##name))dlsym(RTLD_NEXT, #name)
/* The real function; resolved by the constructor below, or at a use before it. */
#define LIBC_STATE_REAL(name, type)                                                 \
	static type *libc_state_real_##name;                                        \
	static type *libc_state_##name(void)                                        \
	{                                                                           \
		if (!libc_state_real_##name)                                        \
			LIBC_STATE_RESOLVE(name);                                   \
		return libc_state_real_##name;                                      \
	}

static int libc_state_refused(void)
{
	if (!route_thread.heap)
		return 0;
	errno = EPERM;
	return 1;
}

typedef FILE *fopen_fn(const char *path, const char *mode);
typedef FILE *fdopen_fn(int fd, const char *mode);
typedef FILE *freopen_fn(const char *path, const char *mode, FILE *f);
typedef FILE *fmemopen_fn(void *buf, size_t size, const char *mode);
typedef FILE *open_memstream_fn(char **buf, size_t *size);
typedef FILE *tmpfile_fn(void);
typedef FILE *popen_fn(const char *cmd, const char *mode);
typedef char *setlocale_fn(int cat, const char *locale);
typedef locale_t newlocale_fn(int mask, const char *locale, locale_t base);
typedef locale_t duplocale_fn(locale_t loc);
typedef locale_t uselocale_fn(locale_t loc);
typedef void *dlopen_fn(const char *path, int flags);
typedef void *dlmopen_fn(Lmid_t ns, const char *path, int flags);
typedef int setenv_fn(const char *name, const char *value, int overwrite);
typedef int putenv_fn(char *s);
typedef int unsetenv_fn(const char *name);
typedef int clearenv_fn(void);
typedef void tzset_fn(void);
typedef int key_create_fn(pthread_key_t *key, void (*dtor)(void *));

LIBC_STATE_REAL(fopen, fopen_fn)
LIBC_STATE_REAL(fopen64, fopen_fn)
LIBC_STATE_REAL(fdopen, fdopen_fn)
LIBC_STATE_REAL(freopen, freopen_fn)
LIBC_STATE_REAL(freopen64, freopen_fn)
LIBC_STATE_REAL(fmemopen, fmemopen_fn)
LIBC_STATE_REAL(open_memstream, open_memstream_fn)
LIBC_STATE_REAL(tmpfile, tmpfile_fn)
LIBC_STATE_REAL(tmpfile64, tmpfile_fn)
LIBC_STATE_REAL(popen, popen_fn)
LIBC_STATE_REAL(setlocale, setlocale_fn)
LIBC_STATE_REAL(newlocale, newlocale_fn)
LIBC_STATE_REAL(duplocale, duplocale_fn)
LIBC_STATE_REAL(uselocale, uselocale_fn)
LIBC_STATE_REAL(dlopen, dlopen_fn)
LIBC_STATE_REAL(dlmopen, dlmopen_fn)
LIBC_STATE_REAL(setenv, setenv_fn)
LIBC_STATE_REAL(putenv, putenv_fn)
LIBC_STATE_REAL(unsetenv, unsetenv_fn)
LIBC_STATE_REAL(clearenv, clearenv_fn)
LIBC_STATE_REAL(tzset, tzset_fn)
LIBC_STATE_REAL(pthread_key_create, key_create_fn)

/* Resolved as libiso loads: a domain cannot write these pointers (program data).
 * The time zone is set up then, on the trusted side. */
__attribute__((constructor)) static void libc_state_resolve(void)
{
	LIBC_STATE_RESOLVE(fopen);
	LIBC_STATE_RESOLVE(fopen64);
	LIBC_STATE_RESOLVE(fdopen);
	LIBC_STATE_RESOLVE(freopen);
	LIBC_STATE_RESOLVE(freopen64);
	LIBC_STATE_RESOLVE(fmemopen);
	LIBC_STATE_RESOLVE(open_memstream);
	LIBC_STATE_RESOLVE(tmpfile);
	LIBC_STATE_RESOLVE(tmpfile64);
	LIBC_STATE_RESOLVE(popen);
	LIBC_STATE_RESOLVE(setlocale);
	LIBC_STATE_RESOLVE(newlocale);
	LIBC_STATE_RESOLVE(duplocale);
	LIBC_STATE_RESOLVE(uselocale);
	LIBC_STATE_RESOLVE(dlopen);
	LIBC_STATE_RESOLVE(dlmopen);
	LIBC_STATE_RESOLVE(setenv);
	LIBC_STATE_RESOLVE(putenv);
	LIBC_STATE_RESOLVE(unsetenv);
	LIBC_STATE_RESOLVE(clearenv);
	LIBC_STATE_RESOLVE(tzset);
	LIBC_STATE_RESOLVE(pthread_key_create);
	libc_state_tzset()();
}

FILE *fopen(const char *path, const char *mode)
{
	return libc_state_refused() ? NULL : libc_state_fopen()(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return libc_state_refused() ? NULL : libc_state_fopen64()(path, mode);
}

FILE *fdopen(int fd, const char *mode)
{
	return libc_state_refused() ? NULL : libc_state_fdopen()(fd, mode);
}

FILE *freopen(const char *path, const char *mode, FILE *f)
{
	return libc_state_refused() ? NULL : libc_state_freopen()(path, mode, f);
}

FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	return libc_state_refused() ? NULL : libc_state_freopen64()(path, mode, f);
}

FILE *fmemopen(void *buf, size_t size, const char *mode)
{
	return libc_state_refused() ? NULL : libc_state_fmemopen()(buf, size, mode);
}

FILE *open_memstream(char **buf, size_t *size)
{
	return libc_state_refused() ? NULL : libc_state_open_memstream()(buf, size);
}

FILE *tmpfile(void)
{
	return libc_state_refused() ? NULL : libc_state_tmpfile()();
}

FILE *tmpfile64(void)
{
	return libc_state_refused() ? NULL : libc_state_tmpfile64()();
}

FILE *popen(const char *cmd, const char *mode)
{
	return libc_state_refused() ? NULL : libc_state_popen()(cmd, mode);
}

/* Asking which locale is in force changes nothing: only setting one is refused. */
char *setlocale(int cat, const char *locale)
{
	return locale && libc_state_refused() ? NULL : libc_state_setlocale()(cat, locale);
}

locale_t newlocale(int mask, const char *locale, locale_t base)
{
	return libc_state_refused() ? (locale_t)0 : libc_state_newlocale()(mask, locale, base);
}

locale_t duplocale(locale_t loc)
{
	return libc_state_refused() ? (locale_t)0 : libc_state_duplocale()(loc);
}

/* The thread is the caller's: a locale it took inside would stay its locale. */
locale_t uselocale(locale_t loc)
{
	return loc && libc_state_refused() ? (locale_t)0 : libc_state_uselocale()(loc);
}

void *dlopen(const char *path, int flags)
{
	return libc_state_refused() ? NULL : libc_state_dlopen()(path, flags);
}

void *dlmopen(Lmid_t ns, const char *path, int flags)
{
	return libc_state_refused() ? NULL : libc_state_dlmopen()(ns, path, flags);
}

/* The program changed TZ: the zone follows now, on the trusted side, so that a
 * domain's localtime finds it made (libc reloads it when TZ differs from what it
 * last loaded, into the heap of whoever calls). */
static int libc_state_zone(int r, const char *name)
{
	if (r == 0 && strncmp(name, "TZ", 2) == 0 && (name[2] == '\0' || name[2] == '='))
		libc_state_tzset()();
	return r;
}

int setenv(const char *name, const char *value, int overwrite)
{
	if (libc_state_refused())
		return -1;
	return libc_state_zone(libc_state_setenv()(name, value, overwrite), name);
}

int putenv(char *s)
{
	return libc_state_refused() ? -1 : libc_state_zone(libc_state_putenv()(s), s);
}

int unsetenv(const char *name)
{
	if (libc_state_refused())
		return -1;
	return libc_state_zone(libc_state_unsetenv()(name), name);
}

int clearenv(void)
{
	return libc_state_refused() ? -1 : libc_state_clearenv()();
}

/* Inside: the zone the trusted side set up stays (TZ cannot have changed). */
void tzset(void)
{
	if (!route_thread.heap)
		libc_state_tzset()();
}

/*
 * Thread-specific data keys made inside an in-process domain (libxml2 makes one at
 * its first use) point, through their values and destructors, at what the domain
 * had: after a rewind the library makes another, and the process has 1024.  The
 * keys each domain made are noted here (TLS: the domain may write it) and deleted
 * when its memory is discarded (libc_state_forget).
 */
struct libc_state_key {
	const void *owner;
	pthread_key_t key;
};

static _Thread_local struct libc_state_key libc_state_keys[64];
static _Thread_local unsigned libc_state_nkeys;

int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	int err = libc_state_pthread_key_create()(key, dtor);

	if (err || !route_thread.heap)
		return err;
	if (libc_state_nkeys == sizeof(libc_state_keys) / sizeof(libc_state_keys[0])) {
		pthread_key_delete(*key);
		return EAGAIN;
	}
	libc_state_keys[libc_state_nkeys++] = (struct libc_state_key){ route_thread.heap, *key };
	return 0;
}

void libc_state_forget(const void *owner)
{
	unsigned n = 0;

	for (unsigned i = 0; i < libc_state_nkeys; i++)
		if (libc_state_keys[i].owner == owner)
			pthread_key_delete(libc_state_keys[i].key);
		else
			libc_state_keys[n++] = libc_state_keys[i];
	libc_state_nkeys = n;
}
