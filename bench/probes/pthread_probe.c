/* pthread_probe CPU_PARENT CPU_CHILD: pthread_create of a thread that returns at once, and
 * pthread_join: ns per thread. CPU_CHILD -1 or equal to CPU_PARENT: the child inherits. */
#include <pthread.h>

#include "probe_common.h"

enum { kBatch = 100, kBatches = 50 };

static void* nothing(void* arg) {
  return arg;
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  probe_pin(a);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (b >= 0 && b != a) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(b, &set);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
  }
  static double mean[kBatches];
  for (int k = -3; k < kBatches; ++k) {
    const int64_t t0 = probe_now();
    for (int i = 0; i < kBatch; ++i) {
      pthread_t t;
      if (pthread_create(&t, &attr, nothing, NULL) != 0 || pthread_join(t, NULL) != 0) return 1;
    }
    if (k >= 0) mean[k] = (double)(probe_now() - t0) / kBatch;
  }
  printf("%.1f\n", probe_mean(mean, kBatches));
  return 0;
}
