/* libc_state.h: libc state a domain made that outlives its memory: forgotten when a rewind or destroy discards it. */
#ifndef BACKENDS_LIBC_STATE_H
#define BACKENDS_LIBC_STATE_H

/* Delete the thread-specific data keys this thread made inside the domain whose heap
 * is owner (route_thread.heap while it ran): its memory is being discarded. */
void libc_state_forget(const void *owner);

#endif
