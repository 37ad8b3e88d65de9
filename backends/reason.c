/* reason.c: iso_strerror, and iso_reason's per-thread text that every backend sets; it uses no other file of backends/. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iso.h"
#include "reason.h"

static _Thread_local char reason[256];

int reason_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return err;
}

int reason_sys(const char *what)
{
	int saved = errno;

	reason_set(ISO_ESYS, "%s: %s", what, strerror(saved));
	errno = saved;
	return saved == ENOMEM ? ISO_ENOMEM : ISO_ESYS;
}

void reason_clear(void)
{
	reason[0] = '\0';
}

const char *iso_reason(void)
{
	return reason;
}

const char *iso_strerror(int err)
{
	switch (err) {
	case ISO_OK: return "ISO_OK: success";
	case ISO_EFAULT: return "ISO_EFAULT: memory violation inside the domain";
	case ISO_ECRASH: return "ISO_ECRASH: the domain crashed";
	case ISO_ETIMEDOUT: return "ISO_ETIMEDOUT: the domain's watchdog fired";
	case ISO_E2BIG: return "ISO_E2BIG: buffer too large for the domain";
	case ISO_ENOMEM: return "ISO_ENOMEM: out of memory";
	case ISO_EINVAL: return "ISO_EINVAL: invalid argument";
	case ISO_ENOTSUP: return "ISO_ENOTSUP: backend not supported here";
	case ISO_ESYS: return "ISO_ESYS: system call failed";
	case ISO_EEXIT: return "ISO_EEXIT: the domain called exit(3)";
	}
	return "unknown iso error";
}
