/* unix_stream_probe CPU_SENDER CPU_RECEIVER: a forked child writes 64 KiB chunks into an AF_UNIX
 * stream socket until the parent closes it; the parent reads 16 MiB batches for at least 0.3 s
 * (as long as a suite measurement, so both see the same steady state): bytes per second over all
 * timed batches. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kChunk = 65536, kPerBatch = 256, kMaxBatches = 100000 };

static void send_until_closed(int fd) {
  static char buf[kChunk];
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    for (size_t done = 0; done < kChunk;) {
      ssize_t n = write(fd, buf + done, kChunk - done);
      if (n <= 0) _exit(0); /* the reader closed its end: done */
      done += (size_t)n;
    }
  }
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  const pid_t pid = fork();
  if (pid == 0) {
    probe_pin(a);
    close(sv[0]);
    send_until_closed(sv[1]);
  }
  close(sv[1]);
  probe_pin(b);
  static char buf[kChunk];
  double seconds = 0;
  int batches = 0;
  const int64_t start = probe_now();
  for (int k = -1; k < kMaxBatches; ++k) {
    const int64_t t0 = probe_now();
    for (long left = (long)kPerBatch * kChunk; left > 0;) {
      ssize_t n = read(sv[0], buf, left < kChunk ? (size_t)left : kChunk);
      if (n <= 0) return 1;
      left -= n;
    }
    if (k >= 0) {
      seconds += (double)(probe_now() - t0) * 1e-9;
      ++batches;
    }
    if (batches >= 12 && probe_now() - start > 300000000) break;
  }
  close(sv[0]);
  waitpid(pid, NULL, 0);
  printf("%.0f\n", (double)batches * kPerBatch * kChunk / seconds);
  return 0;
}
