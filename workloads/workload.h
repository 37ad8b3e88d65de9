/* workload.h: what a workload is (an ops table the harness loops) and the registry. */
#ifndef WORKLOADS_WORKLOAD_H
#define WORKLOADS_WORKLOAD_H

#include "isobench/workload.h"

/* WORKLOAD_EWRONG, by its short name inside the tree. */
#define WL_EWRONG WORKLOAD_EWRONG

/* The registry, in a stable order; NULL past the end. */
const struct workload *workload_at(size_t i);
const struct workload *workload_find(const char *name);
/* Adds a plugin's n workloads after the others, all or none: ISO_EINVAL when a name is
 * missing or taken, ISO_ENOMEM when they do not fit (16 in all). */
int workload_add(const struct workload *const *list, size_t n);
/* iso_strerror, plus WL_EWRONG. */
const char *workload_strerror(int err);

#endif
