/* inflight_probe CPU_A CPU_B K B: requests in flight over two pipes, the least it takes, for
 * BM_InFlight/pipe/.../batch=B. Both sides read what has arrived (up to PIPE_BUF, as the suite's
 * stream reads ahead) and write at most B requests of 64 bytes per write. A forked echo server
 * on CPU_B writes back what it read; the client on CPU_A keeps K requests out: it checks each
 * answer's number and sends as many new requests. Every write is at most PIPE_BUF, so it arrives
 * whole. Requests per second over 0.3 s after 0.05 s of warm-up. */
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kBytes = 64, kMaxBatch = PIPE_BUF / kBytes };

static int read_some(int fd, unsigned char* buf, size_t most) {
  ssize_t n = read(fd, buf, most);
  if (n <= 0 || n % kBytes != 0) return -1;
  return (int)(n / kBytes);
}

static void echo(int in, int out, int batch) {
  static unsigned char buf[kMaxBatch * kBytes];
  for (;;) {
    int n = read_some(in, buf, sizeof buf);
    if (n < 0) _exit(0); /* the client closed its end */
    for (int i = 0; i < n; i += batch) {
      const int m = n - i < batch ? n - i : batch;
      if (write(out, buf + i * kBytes, (size_t)m * kBytes) != (ssize_t)m * kBytes) _exit(1);
    }
  }
}

/* Writes requests first .. first + n - 1, `batch` at most per write. */
static int send_requests(int fd, uint64_t first, int n, int batch) {
  static unsigned char buf[kMaxBatch * kBytes];
  for (int i = 0; i < n; ++i) {
    uint64_t seq = first + (uint64_t)i;
    memset(buf + i * kBytes, (int)(seq & 0xff), kBytes);
    memcpy(buf + i * kBytes, &seq, sizeof seq);
  }
  for (int i = 0; i < n; i += batch) {
    const int m = n - i < batch ? n - i : batch;
    if (write(fd, buf + i * kBytes, (size_t)m * kBytes) != (ssize_t)m * kBytes) return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  const int k = argc > 3 ? atoi(argv[3]) : 0, batch = argc > 4 ? atoi(argv[4]) : 0;
  if (argc != 5 || k < 1 || k > kMaxBatch || batch < 1 || batch > k) {
    fprintf(stderr, "usage: %s CPU_A CPU_B K B (1 <= B <= K <= %d)\n", argv[0], kMaxBatch);
    return 2;
  }
  int req[2], resp[2];
  if (pipe(req) != 0 || pipe(resp) != 0) return 1;
  signal(SIGPIPE, SIG_IGN);
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    probe_pin(b);
    close(req[1]);
    close(resp[0]);
    echo(req[0], resp[1], batch);
  }
  close(req[0]);
  close(resp[1]);
  probe_pin(a);
  uint64_t sent = 1, received = 1, counted = 0;
  if (!send_requests(req[1], sent, k, batch)) return 1;
  sent += (uint64_t)k;
  static unsigned char buf[kMaxBatch * kBytes];
  const int64_t start = probe_now();
  int64_t t0 = 0, now = start;
  while (now - start < 350000000) {
    int n = read_some(resp[0], buf, sizeof buf);
    if (n < 0) return 1;
    for (int i = 0; i < n; ++i, ++received) {
      uint64_t seq;
      memcpy(&seq, buf + i * kBytes, sizeof seq);
      if (seq != received || buf[i * kBytes + kBytes - 1] != (unsigned char)(seq & 0xff)) {
        fprintf(stderr, "answer %llu out of order or damaged\n", (unsigned long long)received);
        return 1;
      }
    }
    if (!send_requests(req[1], sent, n, batch)) return 1;
    sent += (uint64_t)n;
    now = probe_now();
    if (t0 == 0 && now - start >= 50000000) t0 = now, counted = received;
  }
  const double seconds = (double)(now - t0) * 1e-9;
  const double rate = (double)(received - counted) / seconds;
  close(req[1]); /* the server reads end of file and exits */
  waitpid(pid, NULL, 0);
  close(resp[0]);
  printf("%.0f\n", rate);
  return 0;
}
