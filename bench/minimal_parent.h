/* The records ptbench_minimal_parent writes to its stdout; shared by it and create_bench. */
#ifndef PTBENCH_BENCH_MINIMAL_PARENT_H
#define PTBENCH_BENCH_MINIMAL_PARENT_H

#include <stdint.h>

/* Written once, after set-up and one warm-up creation. */
struct mp_hello {
  int64_t status;   /* 0, or -errno of what failed */
  int64_t rss_kib;  /* the parent's VmRSS */
  int64_t mappings; /* lines of /proc/self/maps */
  int64_t threads;  /* the parent's thread count */
};

/* Written once per batch. */
struct mp_reply {
  int64_t ns; /* the batch's total time, or -errno */
  int64_t self_minflt;
  int64_t child_minflt; /* of the reaped children */
  int64_t self_nvcsw;
  int64_t self_nivcsw;
};

#endif
