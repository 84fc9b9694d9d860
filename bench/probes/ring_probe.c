/* ring_probe CPU_A CPU_B [stream [ROUNDS]]: 64-byte messages and their echoes through a minimal
 * single-producer single-consumer ring per direction in shared memory, between a parent and a
 * forked child, both spinning: ns per round trip (batches of 2,000 for at least 0.3 s). With
 * `stream`, the parent streams messages one way for 0.3 s while the child takes and checks each,
 * the parent reusing a slot only once the child has released it: bytes per second. The least a ring
 * can do: fixed 128-byte slots, a sequence number before the message and another after it in the
 * slot's last line, the receiver reads every byte (it sums them and checks the first word against
 * the sequence), no API, no deadlines, no checksum. ROUNDS (stream only, default 0) adds that many
 * rounds of xorshift to the receiver's work per message: an experiment that finds how much more
 * work per message the receiver can do before the stream slows down. */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kBytes = 64, kSlots = 2048, kBatch = 2000, kMinBatches = 100, kMaxBatches = 100000 };

struct slot {
  _Alignas(64) uint64_t head;
  uint64_t size;
  unsigned char data[kBytes];
  uint64_t pad[4];
  uint64_t tail; /* the slot's last 8 bytes */
};
_Static_assert(sizeof(struct slot) == 128, "two cache lines");

struct ring {
  struct slot slots[kSlots];
  _Alignas(128) uint64_t released; /* stream: messages the consumer is done with */
};

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void put(struct ring* r, uint64_t seq, const unsigned char* msg) {
  struct slot* s = &r->slots[seq % kSlots];
  memcpy(s->data, msg, kBytes);
  s->size = kBytes;
  __atomic_store_n(&s->head, seq, __ATOMIC_RELEASE);
  __atomic_store_n(&s->tail, seq, __ATOMIC_RELEASE);
}

/* Waits for message `seq`, copies it out and returns the sum of its bytes (0 on a bad message). */
static uint64_t get(struct ring* r, uint64_t seq, unsigned char* msg) {
  struct slot* s = &r->slots[seq % kSlots];
  for (;;) {
    const uint64_t h = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
    const uint64_t t = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
    if (h == seq && t == seq) break;
    relax();
  }
  memcpy(msg, s->data, kBytes);
  uint64_t first, sum = 1;
  memcpy(&first, msg, sizeof first);
  for (int i = 0; i < kBytes; ++i) sum += msg[i];
  return s->size == kBytes && first == seq ? sum : 0;
}

/* Streams until `until`, then a stop message; the child checks every message. B/s, or -1. */
static double stream(struct ring* r, pid_t child, int64_t seconds_ns) {
  unsigned char out[kBytes];
  memset(out, 7, sizeof out);
  uint64_t seq = 0, released = 0;
  const int64_t t0 = probe_now();
  while (probe_now() - t0 < seconds_ns) {
    for (int i = 0; i < 256; ++i) {
      ++seq;
      while (seq - released > kSlots) {
        released = __atomic_load_n(&r->released, __ATOMIC_ACQUIRE);
        relax();
      }
      memcpy(out, &seq, sizeof seq);
      put(r, seq, out);
    }
  }
  const uint64_t sent = seq;
  while (__atomic_load_n(&r->released, __ATOMIC_ACQUIRE) != sent) relax();
  const double elapsed = (double)(probe_now() - t0) * 1e-9;
  memset(out, 0xff, sizeof out);
  while (seq + 1 - __atomic_load_n(&r->released, __ATOMIC_ACQUIRE) > kSlots) relax();
  put(r, seq + 1, out);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return (double)sent * kBytes / elapsed;
}

static void take_stream(struct ring* r, int rounds) {
  unsigned char msg[kBytes];
  for (uint64_t seq = 1;; ++seq) {
    const uint64_t ok = get(r, seq, msg);
    probe_work(ok, rounds);
    __atomic_store_n(&r->released, seq, __ATOMIC_RELEASE);
    if (ok == 0) _exit(msg[8] == 0xff ? 0 : 1);
  }
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  const int streaming = argc > 3 && strcmp(argv[3], "stream") == 0;
  long rounds = 0;
  if ((argc > 3 && !streaming) || argc > 5 ||
      (argc > 4 && probe_long_arg(argc, argv, 4, 0, 100000, &rounds) != 0)) {
    fprintf(stderr, "usage: ring_probe CPU_A CPU_B [stream [ROUNDS]] (ROUNDS 0-100000)\n");
    return 2;
  }
  if (rounds > 0) {
    probe_pin(b);
    fprintf(stderr, "ring_probe: the added work costs %.1f ns per message\n",
            probe_work_ns((int)rounds));
  }
  struct ring* rings = mmap(NULL, 2 * sizeof(struct ring), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rings == MAP_FAILED) return 1;
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0 && streaming) {
    probe_pin(b);
    take_stream(&rings[0], (int)rounds);
  }
  if (pid == 0) {
    probe_pin(b);
    unsigned char msg[kBytes];
    for (uint64_t seq = 1;; ++seq) {
      if (get(&rings[0], seq, msg) == 0) _exit(msg[8] == 0xff ? 0 : 1);
      put(&rings[1], seq, msg);
    }
  }
  probe_pin(a);
  if (streaming) {
    const double rate = stream(&rings[0], pid, 300000000);
    if (rate < 0) {
      fprintf(stderr, "ring_probe: a message arrived corrupted\n");
      return 1;
    }
    printf("%.0f\n", rate);
    return 0;
  }
  unsigned char out[kBytes], in[kBytes];
  memset(out, 7, sizeof out);
  static double mean[kMaxBatches];
  uint64_t seq = 0;
  int batches = 0, bad = 0;
  const int64_t start = probe_now();
  for (int k = -10; k < kMaxBatches; ++k) {
    const int64_t t0 = probe_now();
    for (int i = 0; i < kBatch; ++i) {
      ++seq;
      memcpy(out, &seq, sizeof seq);
      put(&rings[0], seq, out);
      bad |= get(&rings[1], seq, in) == 0;
    }
    const int64_t t1 = probe_now();
    if (k >= 0) mean[batches++] = (double)(t1 - t0) / kBatch;
    if (batches >= kMinBatches && t1 - start > 300000000) break;
  }
  ++seq; /* a message whose first word is not its number ends the child */
  memset(out, 0xff, sizeof out);
  put(&rings[0], seq, out);
  int status = 0;
  waitpid(pid, &status, 0);
  if (bad || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "ring_probe: a message arrived corrupted\n");
    return 1;
  }
  printf("%.1f\n", probe_mean(mean, batches));
  return 0;
}
