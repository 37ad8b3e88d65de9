/* domain_stdio.c: stdio from domain code: formatted in the domain's own memory and written with write(2), never through a trusted FILE. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "unprotected.h"
#include "domain_stdio.h"
#include "route.h"

/*
 * A FILE is trusted state: its buffer was allocated by whoever used it first, its
 * lock is held across the write.  Domain code that went through it would put the
 * buffer in domain memory (gone after a rewind), or fault on a trusted buffer with
 * the lock held (every other thread's printf then hangs).  So inside a domain these
 * functions format into the domain's stack or heap and write(2) straight to the
 * FILE's descriptor: output is on the descriptor when the call returns, and a fault
 * in the middle leaves no lock held.  The caller flushes the trusted FILEs before each
 * call (domain_stdio_flush), so output stays in order.  Outside a domain they are
 * glibc's own, under the other names glibc exports (or found with dlsym).
 */
int _IO_vfprintf(FILE *f, const char *fmt, va_list ap);
int _IO_fputs(const char *s, FILE *f);
size_t _IO_fwrite(const void *p, size_t size, size_t n, FILE *f);
int _IO_puts(const char *s);
int _IO_fflush(FILE *f);
int _IO_putc(int c, FILE *f);

static struct {
	int (*vfprintf_chk)(FILE *f, int flag, const char *fmt, va_list ap);
	void (*perror)(const char *s);
} real;

/* stdout and stderr as the program started: the variables may lie in the program's
 * data (copy relocations), which a confidential domain cannot read.  A domain that
 * writes these gets its own output misdirected, with its own rights. */
struct __attribute__((may_alias)) domain_stdio_std {
	FILE *out, *err;
};
_Static_assert(sizeof(struct domain_stdio_std) <= UNPROTECTED_SLOT_ROUTE - UNPROTECTED_SLOT_STDIO,
	       "stdio's slot of the unprotected page");
#define std UNPROTECTED_SLOT(struct domain_stdio_std, UNPROTECTED_SLOT_STDIO)

#define STD(f) (route_thread.heap ? std.f : std##f)

__attribute__((constructor)) static void domain_stdio_resolve(void)
{
	std.out = stdout;
	std.err = stderr;
	real.vfprintf_chk = (int (*)(FILE *, int, const char *, va_list))dlsym(RTLD_NEXT,
									      "__vfprintf_chk");
	real.perror = (void (*)(const char *))dlsym(RTLD_NEXT, "perror");
}

void domain_stdio_flush(void)
{
	/* Only when something is pending: a read of two pointers on the call path. */
	if (stdout->_IO_write_ptr != stdout->_IO_write_base)
		_IO_fflush(stdout);
	if (stderr->_IO_write_ptr != stderr->_IO_write_base)
		_IO_fflush(stderr);
}

/* All of iov, or -1. */
static int raw_writev(FILE *f, struct iovec *iov, int n)
{
	int fd = fileno(f);

	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int raw_write(FILE *f, const void *p, size_t len)
{
	struct iovec iov = { (void *)p, len };

	return raw_writev(f, &iov, 1);
}

/* Format on the domain's stack, or in its heap when that is too small. */
static int raw_vprintf(FILE *f, const char *fmt, va_list ap)
{
	char small[1024], *buf = small;
	va_list again;
	int n, err;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (buf)
			vsnprintf(buf, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n < 0 || !buf)
		return -1;
	err = raw_write(f, buf, (size_t)n);
	if (buf != small)
		free(buf);
	return err ? -1 : n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	return route_inside() ? raw_vprintf(f, fmt, ap) : _IO_vfprintf(f, fmt, ap);
}

int vprintf(const char *fmt, va_list ap)
{
	return vfprintf(STD(out), fmt, ap);
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	return route_inside() ? raw_vprintf(f, fmt, ap) : real.vfprintf_chk(f, flag, fmt, ap);
}

int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
	return __vfprintf_chk(STD(out), flag, fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(STD(out), fmt, ap);
	va_end(ap);
	return n;
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return n;
}

int __printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __vfprintf_chk(STD(out), flag, fmt, ap);
	va_end(ap);
	return n;
}

int fputs(const char *s, FILE *f)
{
	if (!route_inside())
		return _IO_fputs(s, f);
	return raw_write(f, s, strlen(s)) ? EOF : 1;
}

int puts(const char *s)
{
	struct iovec iov[2] = { { (void *)s, strlen(s) }, { "\n", 1 } };

	if (!route_inside())
		return _IO_puts(s);
	return raw_writev(STD(out), iov, 2) ? EOF : 1;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	if (!route_inside())
		return _IO_fwrite(p, size, n, f);
	if (!size || !n)
		return 0;
	return raw_write(f, p, size * n) ? 0 : n;
}

int fputc(int c, FILE *f)
{
	unsigned char b = (unsigned char)c;

	if (!route_inside())
		return _IO_putc(c, f);
	return raw_write(f, &b, 1) ? EOF : b;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, STD(out));
}

int fflush(FILE *f)
{
	/* Inside a domain nothing is ever buffered; the trusted FILEs are not its to flush. */
	return route_inside() ? 0 : _IO_fflush(f);
}

void perror(const char *s)
{
	const char *what;
	int saved = errno;
	struct iovec iov[4];
	int n = 0;

	if (!route_inside()) {
		real.perror(s);
		return;
	}
	/* strerror could allocate (unknown codes): the static description instead. */
	what = strerrordesc_np(saved);
	if (s && *s) {
		iov[n++] = (struct iovec){ (void *)s, strlen(s) };
		iov[n++] = (struct iovec){ ": ", 2 };
	}
	iov[n++] = (struct iovec){ (void *)(what ? what : "Unknown error"),
				   strlen(what ? what : "Unknown error") };
	iov[n++] = (struct iovec){ "\n", 1 };
	raw_writev(STD(err), iov, n);
	errno = saved;
}
