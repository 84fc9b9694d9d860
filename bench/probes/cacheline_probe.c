/* cacheline_probe CPU_A CPU_B: one cache line bounced between two threads, in batches of 2,000
 * round trips for at least 0.3 s (as long as a suite measurement): the mean, in ns
 * per round trip. Each spin pauses between loads (the x86 spin-wait hint), the fastest way to
 * watch a line change. */
#include <pthread.h>

#include "probe_common.h"

enum { kBatch = 2000, kMinBatches = 200, kMaxBatches = 100000 };
static _Alignas(64) volatile uint64_t line;
static int peer_cpu;

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void* peer(void* arg) {
  (void)arg;
  probe_pin(peer_cpu);
  for (uint64_t expect = 1;; expect += 2) {
    uint64_t v;
    while ((v = __atomic_load_n(&line, __ATOMIC_ACQUIRE)) < expect) relax();
    if (v == UINT64_MAX) return NULL;
    __atomic_store_n(&line, v + 1, __ATOMIC_RELEASE);
  }
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1);
  peer_cpu = probe_cpu_arg(argc, argv, 2);
  probe_pin(a);
  pthread_t t;
  if (pthread_create(&t, NULL, peer, NULL) != 0) return 1;
  static double mean[kMaxBatches];
  uint64_t v = 1;
  int batches = 0;
  const int64_t start = probe_now();
  for (int b = -10; b < kMaxBatches; ++b) { /* ten batches of warm-up */
    const int64_t t0 = probe_now();
    for (int i = 0; i < kBatch; ++i, v += 2) {
      __atomic_store_n(&line, v, __ATOMIC_RELEASE);
      while (__atomic_load_n(&line, __ATOMIC_ACQUIRE) != v + 1) relax();
    }
    const int64_t t1 = probe_now();
    if (b >= 0) mean[batches++] = (double)(t1 - t0) / kBatch;
    if (batches >= kMinBatches && t1 - start > 300000000) break;
  }
  __atomic_store_n(&line, UINT64_MAX, __ATOMIC_RELEASE);
  pthread_join(t, NULL);
  printf("%.1f\n", probe_mean(mean, batches));
  return 0;
}
