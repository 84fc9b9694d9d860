/* inflight_probe CPU_A CPU_B K B [ROUNDS]: requests in flight over two pipes, the least it takes,
 * for BM_InFlight/pipe/.../batch=B, step for step as the suite does it. A message is a 4-byte
 * length and 64 bytes: its number, then bytes that follow from the number, every one of which
 * the client checks in each answer. Each side keeps a 4 KiB read-ahead buffer; a step waits for
 * the first message, takes the ones already in after it (B at most, reading the pipe again only
 * when the buffer is empty and poll says more is there) and sends as many in one write. A forked
 * echo server on CPU_B writes back what it took; the client on CPU_A keeps K requests out: it
 * checks each answer and sends as many new requests. Every write is at most PIPE_BUF, so it
 * arrives whole. Requests per second over 0.3 s after 0.05 s of warm-up. ROUNDS (default 0)
 * adds that many rounds of xorshift per message on both sides: an experiment on how the rate
 * moves when each side does more work per message. */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum {
  kBytes = 64,
  kFrame = 4 + kBytes, /* the length, then the message */
  kMaxBatch = PIPE_BUF / kFrame,
  kMaxInFlight = 512, /* K frames each way fit the pipes' buffers */
  kReadAhead = 4096
};

static unsigned char pattern(uint64_t seq, int i) {
  return (unsigned char)(seq * 31 + (uint64_t)i * 7);
}

/* Request `seq` as a frame: the length, the number, then the pattern. */
static void make_request(unsigned char* frame, uint64_t seq) {
  const uint32_t len = kBytes;
  memcpy(frame, &len, sizeof len);
  memcpy(frame + 4, &seq, sizeof seq);
  for (int i = 8; i < kBytes; ++i) frame[4 + i] = pattern(seq, i);
}

/* Whether the frame is request `seq`, every byte of it as sent. */
static int answer_ok(const unsigned char* frame, uint64_t seq) {
  uint32_t len;
  uint64_t got;
  memcpy(&len, frame, sizeof len);
  memcpy(&got, frame + 4, sizeof got);
  unsigned char bad = len != kBytes || got != seq;
  for (int i = 8; i < kBytes; ++i) bad |= frame[4 + i] ^ pattern(seq, i);
  return !bad;
}

struct reader {
  int fd;
  unsigned char buf[kReadAhead];
  size_t begin, end; /* unread bytes: buf[begin, end) */
};

/* Reads what the pipe has (waiting when `wait`), after moving the unread part to the front.
 * 1: more bytes, 0: nothing there (not waiting), -1: end of file or an error. */
static int fill(struct reader* r, int wait) {
  if (!wait) {
    struct pollfd p = {r->fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return 0;
  }
  memmove(r->buf, r->buf + r->begin, r->end - r->begin);
  r->end -= r->begin;
  r->begin = 0;
  ssize_t n = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
  if (n <= 0) return -1;
  r->end += (size_t)n;
  return 1;
}

/* Copies the next whole frame to `msg`, reading (waiting when `wait`) if it is not in yet.
 * 1: taken, 0: none there (not waiting), -1: end of file, an error or a frame of another length. */
static int take(struct reader* r, unsigned char* msg, int wait) {
  while (r->end - r->begin < kFrame) {
    int got = fill(r, wait);
    if (got <= 0) return got;
  }
  uint32_t len;
  memcpy(&len, r->buf + r->begin, sizeof len);
  if (len != kBytes) return -1;
  memcpy(msg, r->buf + r->begin, kFrame);
  r->begin += kFrame;
  return 1;
}

/* Waits for the first message and takes those already in after it, `batch` at most, into
 * `msgs`: how many, or -1 at end of file. */
static int take_some(struct reader* r, unsigned char* msgs, int batch) {
  if (take(r, msgs, 1) <= 0) return -1;
  int n = 1;
  for (int got; n < batch && (got = take(r, msgs + n * kFrame, 0)) != 0; ++n) {
    if (got < 0) return -1;
  }
  return n;
}

static void echo(int in, int out, int batch, int rounds) {
  static struct reader r;
  static unsigned char msgs[kMaxBatch * kFrame];
  r.fd = in;
  for (;;) {
    int n = take_some(&r, msgs, batch);
    if (n < 0) _exit(r.end == r.begin ? 0 : 1); /* the client closed its end, or a bad frame */
    for (int i = 0; i < n; ++i) probe_work(msgs[i * kFrame + 4], rounds);
    if (write(out, msgs, (size_t)n * kFrame) != (ssize_t)n * kFrame) _exit(1);
  }
}

/* Writes requests first .. first + n - 1 in one write. */
static int send_requests(int fd, uint64_t first, int n) {
  static unsigned char buf[kMaxBatch * kFrame];
  for (int i = 0; i < n; ++i) make_request(buf + i * kFrame, first + (uint64_t)i);
  return write(fd, buf, (size_t)n * kFrame) == (ssize_t)n * kFrame;
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  long k = 0, batch = 0, rounds = 0;
  if (argc < 5 || argc > 6 || probe_long_arg(argc, argv, 3, 1, kMaxInFlight, &k) != 0 ||
      probe_long_arg(argc, argv, 4, 1, k < kMaxBatch ? k : kMaxBatch, &batch) != 0 ||
      (argc > 5 && probe_long_arg(argc, argv, 5, 0, 100000, &rounds) != 0)) {
    fprintf(stderr,
            "usage: %s CPU_A CPU_B K B [ROUNDS] (1 <= K <= %d, 1 <= B <= K and %d, ROUNDS "
            "0-100000)\n",
            argv[0], kMaxInFlight, kMaxBatch);
    return 2;
  }
  if (rounds > 0) {
    probe_pin(a);
    fprintf(stderr, "inflight_probe: the added work costs %.1f ns per message\n",
            probe_work_ns((int)rounds));
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
    echo(req[0], resp[1], (int)batch, (int)rounds);
  }
  close(req[0]);
  close(resp[1]);
  probe_pin(a);
  uint64_t sent = 1, received = 1, counted = 0;
  for (int n; sent <= (uint64_t)k; sent += (uint64_t)n) {
    n = (int)(k + 1 - (long)sent < batch ? k + 1 - (long)sent : batch);
    if (!send_requests(req[1], sent, n)) return 1;
  }
  static struct reader r;
  static unsigned char msgs[kMaxBatch * kFrame];
  r.fd = resp[0];
  const int64_t start = probe_now();
  int64_t t0 = 0, now = start;
  while (now - start < 350000000) {
    int n = take_some(&r, msgs, (int)batch);
    if (n < 0) return 1;
    for (int i = 0; i < n; ++i, ++received) {
      if (!answer_ok(msgs + i * kFrame, received)) {
        fprintf(stderr, "answer %llu out of order or damaged\n", (unsigned long long)received);
        return 1;
      }
      probe_work(received, (int)rounds);
    }
    if (!send_requests(req[1], sent, n)) return 1;
    sent += (uint64_t)n;
    now = probe_now();
    if (t0 == 0 && now - start >= 50000000) t0 = now, counted = received;
  }
  const double seconds = (double)(now - t0) * 1e-9;
  const double rate = (double)(received - counted) / seconds;
  close(req[1]); /* the server reads end of file and exits (its answers fit the pipe) */
  int status = 0;
  const int server_ok =
      waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  close(resp[0]);
  if (!server_ok) {
    fprintf(stderr, "inflight_probe: the echo server failed (a bad frame or a failed write)\n");
    return 1;
  }
  printf("%.0f\n", rate);
  return 0;
}
