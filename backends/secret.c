/* secret.c: memory the caller marks secret: no domain may read it, on any backend. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "iso.h"
#include "reason.h"
#include "secret.h"

#define MAX_SECRETS 16

static struct region secrets[MAX_SECRETS];
static size_t nsecrets;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned gen;

static int (*tagger)(const struct region *r, bool add); /* under lock */

int iso_secret(void *p, size_t n)
{
	struct region r = { p, n, PROT_READ | PROT_WRITE, PROT_NONE };
	int err = ISO_OK;

	if (!p || !n || ((uintptr_t)p | n) & 4095)
		return reason_set(ISO_EINVAL, "a secret must be whole pages");
	pthread_mutex_lock(&lock);
	if (nsecrets == MAX_SECRETS)
		err = reason_set(ISO_ENOMEM, "at most %d secret ranges", MAX_SECRETS);
	else if (!tagger || !(err = tagger(&r, true))) {
		secrets[nsecrets++] = r;
		gen++;
	}
	pthread_mutex_unlock(&lock);
	return err;
}

int iso_unsecret(void *p, size_t n)
{
	int err = reason_set(ISO_EINVAL, "no secret range starts there with that length");

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsecrets; i++)
		if (secrets[i].lo == p && secrets[i].len == n) {
			err = tagger ? tagger(&secrets[i], false) : ISO_OK;
			secrets[i] = secrets[--nsecrets];
			break;
		}
	pthread_mutex_unlock(&lock);
	return err;
}

unsigned secret_gen(void)
{
	return gen;
}

size_t secret_ranges(struct region *out, size_t max)
{
	size_t n = 0;

	/* No lock: the mprotect backend reads this on every call; a torn read of a
	 * range being added at that moment is the caller's race, not a safety hole. */
	for (size_t i = 0; i < nsecrets && n < max; i++)
		out[n++] = secrets[i];
	return n;
}

int secret_set_tagger(int (*tag)(const struct region *r, bool add))
{
	int err = ISO_OK;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsecrets && !err; i++)
		err = tag(&secrets[i], true);
	if (!err)
		tagger = tag;
	pthread_mutex_unlock(&lock);
	return err;
}
