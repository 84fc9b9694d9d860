/* The few lines every probe needs; the probes share nothing with the suite (measurement rule 11).
 * Each probe prints one number on stdout: the mean over all timed operations (the statistic the
 * suite reports for one repetition), in ns per operation (or B/s for a bandwidth), and exits 0;
 * bad arguments exit 2, a failure exits 1. */
#ifndef PTBENCH_PROBE_COMMON_H
#define PTBENCH_PROBE_COMMON_H

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t probe_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void probe_pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    perror("sched_setaffinity");
    exit(1);
  }
}

/* The mean of n equal-sized batches' means: the mean over all their operations. */
static inline double probe_mean(const double* v, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += v[i];
  return sum / n;
}

/* Work added per message by an experiment: `rounds` of xorshift on x, kept from being optimized
 * away. */
static volatile uint64_t probe_sink;
static inline void probe_work(uint64_t x, int rounds) {
  for (int k = 0; k < rounds; ++k) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  if (rounds > 0) probe_sink = x;
}

/* What probe_work(., rounds) costs per call, timed here alone (ns); said on stderr by the probes
 * that take added work, as "the added work costs N ns per message". */
static inline double probe_work_ns(int rounds) {
  enum { kCalls = 200000 };
  const int64_t t0 = probe_now();
  for (uint64_t i = 1; i <= kCalls; ++i) probe_work(i, rounds);
  return (double)(probe_now() - t0) / kCalls;
}

/* argv[i] as a whole number in [min, max] into *out: 0, or -1 when it is not one (or absent). */
static inline int probe_long_arg(int argc, char** argv, int i, long min, long max, long* out) {
  if (i >= argc) return -1;
  char* end = NULL;
  const long v = strtol(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static inline int probe_cpu_arg(int argc, char** argv, int i) {
  if (i >= argc) return -1;
  char* end = NULL;
  long v = strtol(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < -1 || v >= CPU_SETSIZE) {
    fprintf(stderr, "%s: bad CPU '%s'\n", argv[0], argv[i]);
    exit(2);
  }
  return (int)v;
}

#endif
