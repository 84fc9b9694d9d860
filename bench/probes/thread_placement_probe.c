/* thread_placement_probe RSS_MIB: unpinned pthread create+join after touching RSS_MIB MiB, and
 * how often the new thread starts on another CPU than its parent: "<us per create+join>
 * <percent started elsewhere>". It shows why unpinned thread creation moves with the parent's
 * memory on a VM: not the memory, the placement. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "probe_common.h"

enum { kThreads = 2000 };
static int child_cpu;

static void* where(void* arg) {
  child_cpu = sched_getcpu();
  return arg;
}

int main(int argc, char** argv) {
  char* end = NULL;
  const long mib = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (mib < 0 || mib > (1 << 20) || end == argv[1] || *end != '\0') {
    fprintf(stderr, "usage: %s RSS_MIB\n", argv[0]);
    return 2;
  }
  if (mib > 0) {
    const size_t bytes = (size_t)mib << 20;
    void* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    madvise(p, bytes, MADV_NOHUGEPAGE);
    memset(p, 1, bytes);
  }
  int elsewhere = 0;
  const int64_t t0 = probe_now();
  for (int i = 0; i < kThreads; ++i) {
    const int me = sched_getcpu();
    pthread_t t;
    if (pthread_create(&t, NULL, where, NULL) != 0 || pthread_join(t, NULL) != 0) return 1;
    elsewhere += child_cpu != me;
  }
  printf("%.1f %.0f\n", (double)(probe_now() - t0) / 1e3 / kThreads, 100.0 * elsewhere / kThreads);
  return 0;
}
