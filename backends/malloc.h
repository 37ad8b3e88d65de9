/* malloc.h: whether malloc & co. routed by libiso (malloc.c) are the program's. */
#ifndef BACKENDS_MALLOC_H
#define BACKENDS_MALLOC_H

/* ISO_OK when the program's malloc is libiso's; else ISO_ENOTSUP with the reason set
 * (a shared libiso looked up after another allocator): in-process domains need it. */
int malloc_probe(void);

#endif
