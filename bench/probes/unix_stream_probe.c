/* unix_stream_probe CPU_SENDER CPU_RECEIVER: a forked child writes 64 KiB chunks into an AF_UNIX
 * stream socket, the parent reads them: bytes per second, from when the first byte arrives until
 * the last of 16 MiB x batches has been read. */
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kChunk = 65536, kPerBatch = 256, kBatches = 12 };

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  static char buf[kChunk];
  const pid_t pid = fork();
  if (pid == 0) {
    probe_pin(a);
    close(sv[0]);
    for (long i = 0; i < (long)(kBatches + 1) * kPerBatch; ++i) {
      for (size_t done = 0; done < kChunk;) {
        ssize_t n = write(sv[1], buf + done, kChunk - done);
        if (n <= 0) _exit(1);
        done += (size_t)n;
      }
    }
    _exit(0);
  }
  close(sv[1]);
  probe_pin(b);
  static double rate[kBatches];
  for (int k = -1; k < kBatches; ++k) {
    const int64_t t0 = probe_now();
    for (long left = (long)kPerBatch * kChunk; left > 0;) {
      ssize_t n = read(sv[0], buf, left < kChunk ? (size_t)left : kChunk);
      if (n <= 0) return 1;
      left -= n;
    }
    if (k >= 0) rate[k] = (double)kPerBatch * kChunk * 1e9 / (double)(probe_now() - t0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("%.0f\n", probe_median(rate, kBatches));
  return status == 0 ? 0 : 1;
}
