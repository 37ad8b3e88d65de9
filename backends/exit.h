/* exit.h: exit, _exit, _Exit and quick_exit from domain code end the call, never the program. */
#ifndef BACKENDS_EXIT_H
#define BACKENDS_EXIT_H

/*
 * exit.c interposes exit, _exit, _Exit and quick_exit.  Inside an in-process domain
 * they abandon the call with ISO_EEXIT (route_violation); in a process domain's child
 * they call the function given here, which reports to the parent and ends the child
 * without running any exit handler or flushing any FILE (both are the parent's,
 * copied at fork).  Outside every domain they are glibc's.
 */
void exit_in_child(void (*fn)(int status)); /* fn must not return */

#endif
