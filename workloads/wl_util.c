/* wl_util.c: the one definition wl_util.h needs, its test hook, at the bottom of the workloads so every workload may read it. */
#include "wl_util.h"

/* 0 except in tests/workloads/verify.c. */
long wl_tamper;
