/* reason.h: the bottom of backends/: the error codes' names and why this thread's last call failed. */
#ifndef BACKENDS_REASON_H
#define BACKENDS_REASON_H

/* Set this thread's iso_reason() text; returns err so callers can `return`. */
int reason_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* reason_set(ISO_ESYS, "what: strerror(errno)"), errno saved and restored; returns
 * ISO_ENOMEM where errno is ENOMEM, else ISO_ESYS. */
int reason_sys(const char *what);
/* Nothing to add to iso_strerror: iso_reason() reads "" until the next reason_set. */
void reason_clear(void);

#endif
