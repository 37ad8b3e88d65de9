/* plugin.h: --plugin: loading workloads from a shared object built against isobench/workload.h. */
#ifndef HARNESS_PLUGIN_H
#define HARNESS_PLUGIN_H

#include <stddef.h>

#include "workload.h"

/* Opens path and adds every workload its workload_plugin lists to the registry, all or
 * none.  Returns 0, or -1 with why (one line, without the path) filled. */
int plugin_load(const char *path, char *why, size_t len);

#endif
