/* unix_stream_probe CPU_SENDER CPU_RECEIVER: a forked child writes 64 KiB chunks into an AF_UNIX
 * stream socket until the parent closes it; the parent reads 16 MiB batches for at least 0.3 s
 * (as long as a suite measurement, so both see the same steady state): bytes per second over all
 * timed batches. As the suite does, the sender numbers each chunk (its first 8 bytes) and the
 * receiver checks every chunk whole, in the clock: its number, and a sum over every 8-byte word
 * of the rest keyed by position, against the sum of the pattern taken once before; a chunk that
 * does not check out ends the probe with exit 1. */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kChunk = 65536, kPerBatch = 256, kMaxBatches = 100000, kHead = 16 };

static void fill(unsigned char* buf) {
  for (int i = 0; i < kChunk; ++i) buf[i] = (unsigned char)(i * 7 + 3);
}

/* Words 2.. of the chunk, each xor its position's key, in four independent sums. */
static uint64_t chunk_sum(const unsigned char* p) {
  const uint64_t golden = 0x9E3779B97F4A7C15ull;
  uint64_t part[4] = {0, 0, 0, 0}, key[4] = {0, golden, 2 * golden, 3 * golden};
  for (int i = kHead; i < kChunk; i += 32) {
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      memcpy(&w, p + i + 8 * k, 8);
      part[k] += w ^ key[k];
      key[k] += 4 * golden;
    }
  }
  return part[0] + part[1] + part[2] + part[3];
}

static void send_until_closed(int fd) {
  static unsigned char buf[kChunk];
  fill(buf);
  signal(SIGPIPE, SIG_IGN);
  for (uint64_t seq = 0;; ++seq) {
    memcpy(buf, &seq, 8);
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
  static unsigned char buf[kChunk];
  fill(buf);
  const uint64_t want = chunk_sum(buf);
  uint64_t seq = 0;
  double seconds = 0;
  int batches = 0;
  const int64_t start = probe_now();
  for (int k = -1; k < kMaxBatches; ++k) {
    const int64_t t0 = probe_now();
    for (int c = 0; c < kPerBatch; ++c, ++seq) {
      for (size_t got = 0; got < kChunk;) {
        ssize_t n = read(sv[0], buf + got, kChunk - got);
        if (n <= 0) return 1;
        got += (size_t)n;
      }
      uint64_t first;
      memcpy(&first, buf, 8);
      if (first != seq || chunk_sum(buf) != want) {
        fprintf(stderr, "unix_stream_probe: chunk %llu arrived corrupt\n", (unsigned long long)seq);
        return 1;
      }
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
