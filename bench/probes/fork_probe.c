/* fork_probe CPU: fork, _exit(0) in the child, waitpid: ns per process. */
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kBatch = 20, kBatches = 30 };

int main(int argc, char** argv) {
  probe_pin(probe_cpu_arg(argc, argv, 1));
  static double mean[kBatches];
  for (int k = -2; k < kBatches; ++k) {
    const int64_t t0 = probe_now();
    for (int i = 0; i < kBatch; ++i) {
      const pid_t pid = fork();
      if (pid == 0) _exit(0);
      int status = 0;
      if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) return 1;
    }
    if (k >= 0) mean[k] = (double)(probe_now() - t0) / kBatch;
  }
  printf("%.1f\n", probe_mean(mean, kBatches));
  return 0;
}
