/* refs.c: bare reference costs measured beside the backends: an indirect call, pipe and shared-memory ping-pong. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* ---- indirect-call: what `none` adds to, a call through an opaque pointer ------- */

static long empty_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	(void)in, (void)in_len, (void)out, (void)out_cap, (void)out_len;
	return 0;
}

static iso_fn *volatile opaque_fn = empty_fn;

static int no_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d, (void)size;
	*state = NULL;
	return ISO_OK;
}

static void no_teardown(void *state)
{
	(void)state;
}

static int indirect_run(void *state, struct iso_domain *d, uint64_t iters)
{
	(void)state, (void)d;
	for (uint64_t i = 0; i < iters; i++) {
		size_t n = 0;

		if (opaque_fn(NULL, 0, NULL, 0, &n) != 0)
			return WL_EWRONG;
	}
	return ISO_OK;
}

/* ---- pipe-pingpong: one byte there and back between two processes -------------- */

struct pipes {
	int to[2], from[2];
	pid_t child;
};

static void die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static int pipe_setup(struct iso_domain *d, size_t size, void **state)
{
	struct pipes *p = calloc(1, sizeof(*p));
	char c;

	(void)d, (void)size;
	if (!p)
		return ISO_ENOMEM;
	if (pipe(p->to) || pipe(p->from) || (p->child = fork()) < 0) {
		for (int i = 0; i < 2; i++) {
			if (p->to[i] > 0)
				close(p->to[i]);
			if (p->from[i] > 0)
				close(p->from[i]);
		}
		free(p);
		return ISO_ESYS;
	}
	if (p->child == 0) {
		die_with_parent();
		close(p->to[1]); /* else the parent's close at teardown is no EOF */
		close(p->from[0]);
		while (read(p->to[0], &c, 1) == 1 && write(p->from[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(p->to[0]);
	close(p->from[1]);
	*state = p;
	return ISO_OK;
}

static int pipe_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct pipes *p = state;

	(void)d;
	for (uint64_t i = 0; i < iters; i++) {
		char c = (char)i, back;

		if (write(p->to[1], &c, 1) != 1 || read(p->from[0], &back, 1) != 1)
			return ISO_ESYS;
		if (back != c)
			return WL_EWRONG;
	}
	return ISO_OK;
}

static void pipe_teardown(void *state)
{
	struct pipes *p = state;

	close(p->to[1]); /* the child sees EOF and leaves */
	close(p->from[0]);
	waitpid(p->child, NULL, 0);
	free(p);
}

/* ---- shm-pingpong: a counter bounced through one shared page, both sides spinning - */

struct shm {
	_Alignas(64) _Atomic uint64_t ping;
	_Alignas(64) _Atomic uint64_t pong;
	pid_t child;
};

static int shm_setup(struct iso_domain *d, size_t size, void **state)
{
	struct shm *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			     -1, 0);

	(void)d, (void)size;
	if (s == MAP_FAILED)
		return ISO_ESYS;
	s->child = fork();
	if (s->child < 0) {
		munmap(s, sizeof(*s));
		return ISO_ESYS;
	}
	if (s->child == 0) {
		uint64_t seen = 0, v;

		die_with_parent();
		for (;;) {
			while ((v = atomic_load_explicit(&s->ping, memory_order_acquire)) == seen)
				__builtin_ia32_pause();
			if (v == UINT64_MAX)
				_exit(0);
			atomic_store_explicit(&s->pong, v, memory_order_release);
			seen = v;
		}
	}
	*state = s;
	return ISO_OK;
}

static int shm_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct shm *s = state;
	uint64_t v = atomic_load_explicit(&s->ping, memory_order_relaxed);

	(void)d;
	for (uint64_t i = 0; i < iters; i++) {
		atomic_store_explicit(&s->ping, ++v, memory_order_release);
		while (atomic_load_explicit(&s->pong, memory_order_acquire) != v)
			__builtin_ia32_pause();
	}
	return ISO_OK;
}

static void shm_teardown(void *state)
{
	struct shm *s = state;

	atomic_store(&s->ping, UINT64_MAX);
	waitpid(s->child, NULL, 0);
	munmap(s, sizeof(*s));
}

/* ---- memcpy: size bytes copied, what copy-in/copy-out is measured against -------- */

static const size_t copy_sizes[] = { 1 << 20, 16 << 20, 0 };

struct copy {
	size_t size;
	unsigned char *src, *dst;
};

static int copy_setup(struct iso_domain *d, size_t size, void **state)
{
	struct copy *c = malloc(sizeof(*c));

	(void)d;
	if (!c || !(c->src = malloc(size ? size : 1)) || !(c->dst = malloc(size ? size : 1))) {
		if (c)
			free(c->src);
		free(c);
		return ISO_ENOMEM;
	}
	c->size = size;
	for (size_t i = 0; i < size; i++)
		c->src[i] = (unsigned char)(i * 131);
	memset(c->dst, 0, size);
	*state = c;
	return ISO_OK;
}

static int copy_run(void *state, struct iso_domain *d, uint64_t iters)
{
	struct copy *c = state;

	(void)d;
	for (uint64_t i = 0; c->size && i < iters; i++) {
		c->src[i % c->size] ^= 1; /* a different copy each time: nothing to elide */
		memcpy(c->dst, c->src, c->size);
		__asm__ volatile("" : : "r"(c->dst) : "memory");
	}
	return memcmp(c->dst, c->src, c->size) ? WL_EWRONG : ISO_OK;
}

static void copy_teardown(void *state)
{
	struct copy *c = state;

	free(c->src);
	free(c->dst);
	free(c);
}

/* ---- signal: one signal delivered to an empty handler and returned from -------- */

static volatile sig_atomic_t delivered;

static void on_usr2(int sig)
{
	(void)sig;
	delivered++;
}

static int signal_setup(struct iso_domain *d, size_t size, void **state)
{
	struct sigaction sa = { .sa_handler = on_usr2 }, *old = malloc(sizeof(*old));

	(void)d, (void)size;
	if (!old)
		return ISO_ENOMEM;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, old)) {
		free(old);
		return ISO_ESYS;
	}
	*state = old;
	return ISO_OK;
}

static int signal_run(void *state, struct iso_domain *d, uint64_t iters)
{
	sig_atomic_t before = delivered;

	(void)state, (void)d;
	for (uint64_t i = 0; i < iters; i++)
		raise(SIGUSR2);
	return delivered - before == (sig_atomic_t)iters ? ISO_OK : WL_EWRONG;
}

static void signal_teardown(void *state)
{
	sigaction(SIGUSR2, state, NULL);
	free(state);
}

static const struct workload refs[] = {
	{ .name = "indirect-call", .summary = "an empty function through an opaque pointer",
	  .default_iters = 10000, .setup = no_setup, .run = indirect_run, .teardown = no_teardown },
	{ .name = "pipe-pingpong", .summary = "one byte to a child process and back over pipes",
	  .default_iters = 1000, .setup = pipe_setup, .run = pipe_run, .teardown = pipe_teardown },
	{ .name = "shm-pingpong", .summary = "a counter to a child and back, both spinning on shared memory",
	  .default_iters = 10000, .setup = shm_setup, .run = shm_run, .teardown = shm_teardown },
	{ .name = "memcpy", .summary = "memcpy of size bytes, 1 and 16 MiB unless --size (copy-in/copy-out's yardstick)",
	  .sized = true, .default_size = 1 << 20, .sizes = copy_sizes, .default_iters = 1000,
	  .setup = copy_setup, .run = copy_run, .teardown = copy_teardown },
	{ .name = "signal", .summary = "raise() to an empty handler and back (rewind's yardstick)",
	  .default_iters = 10000, .setup = signal_setup, .run = signal_run,
	  .teardown = signal_teardown },
};

const struct workload *ref_at(size_t i)
{
	return i < sizeof(refs) / sizeof(refs[0]) ? &refs[i] : NULL;
}
