/* backend.c: what the backends that run a domain elsewhere share: the end of a call. */
#include <string.h>

#include "backend.h"
#include "reason.h"

long (*backend_callback)(unsigned slot, const long *args, struct iso_domain *d);

int backend_deliver(size_t n, long r, const void *src, void *out, size_t out_cap,
		    size_t *out_len, long *ret)
{
	if (n > out_cap)
		return reason_set(ISO_E2BIG, "the domain reported %zu bytes for a %zu-byte buffer",
				  n, out_cap);
	if (n && src)
		memcpy(out, src, n);
	if (out_len)
		*out_len = n;
	if (ret)
		*ret = r;
	return ISO_OK;
}
