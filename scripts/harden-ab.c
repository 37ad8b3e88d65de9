/* harden-ab.c: hardening on vs off, paired: two domains side by side, batches of calls alternating, the ratio per round. */
/* Build: cc -O2 -Iinclude -o build/harden-ab scripts/harden-ab.c build/libiso.a -ljemalloc \
 *        -pthread -Wl,-z,now
 * Run:   build/harden-ab mprotect|process|mpk null|write [calls per batch] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include "iso.h"

static int devnull;
static long null_fn(const void *i, size_t il, void *o, size_t oc, size_t *ol)
{ (void)i, (void)il, (void)o, (void)oc, (void)ol; return 0; }
static long write_fn(const void *i, size_t il, void *o, size_t oc, size_t *ol)
{ (void)i, (void)il, (void)o, (void)oc, (void)ol; return write(devnull, "isobench", 8); }

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv)
{
	const char *be = argv[1];
	iso_fn *fn = argc > 2 && argv[2][0] == 'w' ? write_fn : null_fn;
	int rounds = 300, batch = atoi(argc > 3 ? argv[3] : "100");
	struct iso_options on = { .wait = ISO_WAIT_HYBRID }, off = on;
	struct iso_domain *d[2];
	double *t[2], r[300];

	devnull = open("/dev/null", O_WRONLY);
	off.harden = ISO_HARDEN_OFF;
	if (iso_domain_create(be, &on, &d[0]) || iso_domain_create(be, &off, &d[1]))
		return printf("create: %s\n", iso_reason()), 1;
	t[0] = calloc(rounds, sizeof(double)); t[1] = calloc(rounds, sizeof(double));
	for (int i = 0; i < rounds; i++)
		for (int k = 0; k < 2; k++) {
			int which = (i & 1) ^ k;
			double t0 = now();
			for (int j = 0; j < batch; j++)
				if (iso_call(d[which], fn, NULL, 0, NULL, 0, NULL, NULL)) return 2;
			t[which][i] = (now() - t0) / batch;
		}
	for (int i = 0; i < rounds; i++) r[i] = t[0][i] / t[1][i];
	qsort(r, rounds, sizeof(double), cmp); qsort(t[0], rounds, sizeof(double), cmp); qsort(t[1], rounds, sizeof(double), cmp);
	printf("%s %s: on median %.1f min %.1f ns, off median %.1f min %.1f ns; paired ratio on/off median %.3f (p25 %.3f, p75 %.3f)\n",
	       be, fn == write_fn ? "call-write" : "call-null", t[0][rounds / 2], t[0][0], t[1][rounds / 2], t[1][0],
	       r[rounds / 2], r[rounds / 4], r[3 * rounds / 4]);
	return 0;
}
