/* support/util.h: helpers the test files share: backend parameters, leak counters, checksums, clocks. */
#ifndef ISO_TESTS_UTIL_H
#define ISO_TESTS_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jemalloc/jemalloc.h>

#include "iso.h"

/* Parameters are copied into a re-executed test process: names inline, no pointers. */
struct backend_param {
	char name[24];
};

/* Is `name` in the comma-separated ISO_TEST_BACKENDS (all when unset)?  The VM run
 * of the mpk tests sets it, so emulation time goes to mpk alone. */
static inline int backend_wanted(const char *name)
{
	const char *list = getenv("ISO_TEST_BACKENDS"), *p;
	size_t len = strlen(name);

	if (!list || !*list)
		return 1;
	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
			return 1;
	return 0;
}

/* An in-process backend (mpk, mprotect): not none, not process or a variant of it
 * (process-handoff). */
static inline int in_process_backend(const char *name)
{
	return strcmp(name, "none") != 0 && strncmp(name, "process", 7) != 0;
}

/* Those of the NULL-ended names that ISO_TEST_BACKENDS asks for (at most max); the count. */
static inline size_t backend_params_named(struct backend_param *p, size_t max,
					  const char *const *names)
{
	size_t n = 0;

	for (; *names && n < max; names++)
		if (backend_wanted(*names))
			snprintf(p[n++].name, sizeof(p[0].name), "%s", *names);
	return n;
}

/* Every registered backend (ISO_TEST_BACKENDS picks some), in registry order; the count. */
static inline size_t backend_params(struct backend_param *p, size_t max)
{
	const char *name;
	size_t n = 0;

	for (size_t i = 0; n < max && (name = iso_backend_name(i)); i++) {
		if (!backend_wanted(name))
			continue;
		snprintf(p[n].name, sizeof(p[n].name), "%s", name);
		n++;
	}
	return n;
}

/* The kinds of backend backend_params_kind picks. */
enum { BACKEND_NONE = 1, BACKEND_PROCESS = 2, BACKEND_INPROC = 4 };

/* The registered backends of the given kinds (ISO_TEST_BACKENDS picks some); the count. */
static inline size_t backend_params_kind(struct backend_param *p, size_t max, unsigned kinds)
{
	struct backend_param all[8];
	size_t n = 0, m = backend_params(all, 8);

	for (size_t i = 0; i < m && n < max; i++) {
		unsigned kind = !strcmp(all[i].name, "none")     ? BACKEND_NONE
				: in_process_backend(all[i].name) ? BACKEND_INPROC
								  : BACKEND_PROCESS;

		if (kind & kinds)
			p[n++] = all[i];
	}
	return n;
}

/* Skip (not fail) a backend this machine cannot run, saying why. */
#define SKIP_UNSUPPORTED(name)                                                         \
	do {                                                                           \
		if (iso_backend_probe(name) == ISO_ENOTSUP)                            \
			cr_skip_test("%s not supported here: %s", (name), iso_reason()); \
	} while (0)

/* A domain on `name` with `opt` (NULL: defaults); the test is skipped where the
 * backend cannot run here, and fails if creating it fails. */
static inline struct iso_domain *open_domain_opt(const char *name, const struct iso_options *opt)
{
	struct iso_domain *d = NULL;
	int err;

	SKIP_UNSUPPORTED(name);
	err = iso_domain_create(name, opt, &d);
	cr_assert_eq(err, ISO_OK, "create %s: %s (%s)", name, iso_strerror(err), iso_reason());
	cr_assert_not_null(d);
	cr_assert_str_eq(iso_domain_backend(d), name);
	return d;
}

/* Does the domain's code run in this very process (not in a child)? */
static inline int runs_here(const struct iso_domain *d)
{
	return iso_domain_pid(d) == (int)getpid();
}

/* A domain function: in one uint64_t x; out 3x + 1; returns x ^ 0x55.  The tests'
 * "this domain still works" call. */
static inline long affine_fn(const void *in, size_t in_len, void *out, size_t out_cap,
			     size_t *out_len)
{
	uint64_t x;

	if (in_len != sizeof(x) || out_cap < sizeof(x))
		return -1;
	memcpy(&x, in, sizeof(x));
	x = 3 * x + 1;
	memcpy(out, &x, sizeof(x));
	*out_len = sizeof(x);
	return (long)(((x - 1) / 3) ^ 0x55);
}

static inline uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

/* Deterministic bytes (xorshift32) so a mismatch is reproducible. */
static inline void fill_pattern(void *p, size_t n, uint32_t seed)
{
	unsigned char *c = p;
	uint32_t x = seed ? seed : 2463534242u;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		c[i] = (unsigned char)x;
	}
}

/* Index of the first byte of p[0..n) that is not `v`, or n. */
static inline size_t first_not(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;
	size_t i = 0;

	while (i < n && c[i] == v)
		i++;
	return i;
}

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Open descriptors of this process (the directory's own descriptor included, every time). */
static inline int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(dir, "opendir /proc/self/fd");
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

/* Lines of /proc/self/maps: one per mapping. */
static inline int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	cr_assert_not_null(f, "fopen /proc/self/maps");
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/*
 * Mappings that are shared or backed by a file: what a domain maps for itself (a
 * process domain's arena, a memfd).  Private anonymous mappings are left out: the
 * allocator keeps address space it has given back in them, and since Linux 6.7 large
 * ones are aligned to 2 MiB and no longer merge, so their count drifts on its own.
 */
static inline int count_shared_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perms[8];
	unsigned long inode;
	int n = 0;

	cr_assert_not_null(f, "fopen /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %7s %*s %*s %lu", perms, &inode) == 2 &&
		    (perms[3] == 's' || inode != 0))
			n++;
	fclose(f);
	return n;
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmSize"); -1 if absent. */
static inline long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(key);
	long kib = -1;

	cr_assert_not_null(f, "fopen /proc/self/status");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* State letter and parent of a process from /proc/PID/stat; 0 if it is gone. */
static inline char proc_state(pid_t pid, pid_t *ppid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", &state, ppid) != 2)
		state = 0;
	return state;
}

/* The jemalloc arena that owns p, or -1 (the trusted heap and every domain heap are
 * jemalloc arenas: trusted_heap.c, heap.c). */
static inline int arena_of(const void *p)
{
	unsigned arena;
	size_t len = sizeof(arena);

	return mallctl("arenas.lookup", &arena, &len, &p, sizeof(p)) ? -1 : (int)arena;
}

#endif
