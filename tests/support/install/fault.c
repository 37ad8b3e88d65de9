/* fault.c: built out of tree against the installed libiso.so and libiso.a (tests/support/install.sh): the domain on backend argv[1] isolates a fault however libiso is linked. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iso.h>

static volatile int guard = 42;       /* the program's data */
static volatile char *libiso_data;    /* a byte of libiso's own writable data */

static long write_guard(const void *in, size_t in_len, void *out, size_t cap, size_t *n)
{
	(void)in, (void)in_len, (void)out, (void)cap, (void)n;
	guard = 7;
	return 0;
}

static long write_null(const void *in, size_t in_len, void *out, size_t cap, size_t *n)
{
	(void)in_len, (void)out, (void)cap, (void)n;
	*(volatile int *)(uintptr_t)(*(const int *)in * 0) = 1;
	return 0;
}

/* Frees the trusted pointer it is handed: libiso's free must refuse it. */
static long free_trusted(const void *in, size_t in_len, void *out, size_t cap, size_t *n)
{
	void *p;

	(void)in_len, (void)out, (void)cap, (void)n;
	memcpy(&p, in, sizeof(p));
	free(p);
	return 0;
}

static long write_libiso(const void *in, size_t in_len, void *out, size_t cap, size_t *n)
{
	(void)in, (void)in_len, (void)out, (void)cap, (void)n;
	*libiso_data = *libiso_data; /* the same value: a write all the same */
	return 0;
}

/* A good call that allocates inside the domain. */
static long sum(const void *in, size_t in_len, void *out, size_t cap, size_t *n)
{
	unsigned char *copy = malloc(in_len);
	long s = 0;

	(void)out, (void)cap, (void)n;
	if (!copy)
		return -1;
	memcpy(copy, in, in_len);
	for (size_t i = 0; i < in_len; i++)
		s += copy[i];
	free(copy);
	return s;
}

static void program_handler(int sig)
{
	(void)sig;
	static const char msg[] = "fault: the program's SIGSEGV handler ran for a domain's fault\n";
	write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

/* The last byte of the writable segment (.bss) of the object that defines iso_call. */
static int find_libiso_data(struct dl_phdr_info *info, size_t size, void *base)
{
	(void)size;
	if (info->dlpi_addr != *(ElfW(Addr) *)base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W))
			libiso_data = (char *)info->dlpi_addr + ph->p_vaddr + ph->p_memsz - 1;
	}
	return 1;
}

static int failures;

static void expect(const char *what, int err, int want)
{
	if (err != want) {
		fprintf(stderr, "fault: %s: %s, expected %s\n", what, iso_strerror(err),
			iso_strerror(want));
		failures++;
	}
}

int main(int argc, char **argv)
{
	struct iso_options opt = { .timeout_ms = 2000 };
	struct iso_domain *d;
	unsigned char bytes[100];
	long ret = 0, want = 0;
	size_t n;
	Dl_info info;
	int err, fault;
	bool inproc;
	struct link_map *map = NULL;
	void *trusted = malloc(64);

	if (argc != 2) {
		fprintf(stderr, "usage: fault BACKEND\n");
		return 2;
	}
	/* Before the domain: a process domain's child has the program as of its fork. The
	 * object holding libiso is the program itself (libiso.a) or libiso.so. */
	if (dladdr1((void *)iso_call, &info, (void **)&map, RTLD_DL_LINKMAP) && map)
		dl_iterate_phdr(find_libiso_data, &map->l_addr);
	if ((err = iso_domain_create(argv[1], &opt, &d))) {
		fprintf(stderr, "fault: %s: %s (%s)\n", argv[1], iso_strerror(err), iso_reason());
		return 1;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		want += bytes[i] = (unsigned char)i;
	err = iso_call(d, sum, bytes, sizeof(bytes), NULL, 0, &n, &ret);
	expect("good call", err, ISO_OK);
	if (!err && ret != want) {
		fprintf(stderr, "fault: good call: %ld, expected %ld\n", ret, want);
		failures++;
	}
	if (!strcmp(argv[1], "none")) /* isolates nothing: the good call is all it can show */
		goto out;

	/* A handler the program installs after libiso's must not see a domain's fault. */
	signal(SIGSEGV, program_handler);
	inproc = strcmp(argv[1], "process") != 0 && strcmp(argv[1], "process-handoff") != 0;
	fault = inproc ? ISO_EFAULT : ISO_ECRASH;

	err = iso_call(d, write_guard, NULL, 0, NULL, 0, &n, &ret);
	expect("write to the program's data", err, inproc ? ISO_EFAULT : ISO_OK);
	if (guard != 42) {
		fprintf(stderr, "fault: the program's data was written from the domain\n");
		failures++;
	}
	err = iso_call(d, write_null, &(int){ 1 }, sizeof(int), NULL, 0, &n, &ret);
	expect("null write", err, fault);
	err = iso_call(d, free_trusted, &trusted, sizeof(trusted), NULL, 0, &n, &ret);
	expect("free of a trusted pointer", err, inproc ? ISO_EFAULT : ISO_OK);
	memset(trusted, 1, 64); /* still ours */
	if (!libiso_data) {
		fprintf(stderr, "fault: cannot find libiso's writable data\n");
		failures++;
	} else {
		err = iso_call(d, write_libiso, NULL, 0, NULL, 0, &n, &ret);
		expect("write to libiso's own data", err, inproc ? ISO_EFAULT : ISO_OK);
	}
	err = iso_call(d, sum, bytes, sizeof(bytes), NULL, 0, &n, &ret);
	expect("good call after the faults", err, ISO_OK);
	if (!err && ret != want) {
		fprintf(stderr, "fault: good call after the faults: %ld, expected %ld\n", ret, want);
		failures++;
	}
out:
	iso_domain_destroy(d);
	free(trusted);
	printf("fault %s: %s\n", argv[1], failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
