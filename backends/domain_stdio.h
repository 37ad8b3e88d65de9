/* domain_stdio.h: stdio from domain code goes to the descriptor with write(2); the trusted FILEs are flushed before each call. */
#ifndef BACKENDS_DOMAIN_STDIO_H
#define BACKENDS_DOMAIN_STDIO_H

/*
 * domain_stdio.c interposes printf, vprintf, fprintf, vfprintf, their __*_chk forms,
 * puts, fputs, fputc, putc, putchar, fwrite, fflush and perror.  Outside a domain they
 * are glibc's.  Inside one (route_inside()) the text is formatted in domain memory
 * and written to the FILE's descriptor at once; no FILE is read or locked.
 */

/* Before a call: write out what the trusted side left in stdout's and stderr's
 * buffers, so that the domain's output comes after it.  Cheap when nothing is pending. */
void domain_stdio_flush(void);

#endif
