/* server_probe CLIENTS [fork]: the least an epoll server can do, for BM_Server/epoll. A forked
 * server process runs one epoll loop over CLIENTS Unix stream socket pairs; for each 64-byte
 * request it does the same work as the suite's server (a sum over the bytes, then 300 rounds of
 * xorshift) and writes the request back. With `fork`, a new child process per request does the
 * work and the answer (BM_Server/fork_per_request), and the loop reaps them. CLIENTS threads of the
 * parent each send a request with its number in the first 8 bytes, wait for the answer and check
 * every byte, for 0.5 s after a warm-up of 0.1 s: requests per second over all clients. */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kBytes = 64, kRounds = 300, kMaxClients = 1024 };

static volatile uint64_t g_sink;

static int transfer(int fd, unsigned char* p, int writing) {
  for (size_t done = 0; done < kBytes;) {
    ssize_t n = writing ? write(fd, p + done, kBytes - done) : read(fd, p + done, kBytes - done);
    if (n <= 0) return 0;
    done += (size_t)n;
  }
  return 1;
}

static void work_and_answer(int fd, unsigned char* buf) {
  uint64_t x = 1;
  for (int k = 0; k < kBytes; ++k) x += buf[k];
  for (int r = 0; r < kRounds; ++r) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  g_sink = x;
  if (!transfer(fd, buf, 1)) _exit(1);
}

static void serve(int ep, int open, int per_request) {
  unsigned char buf[kBytes];
  struct epoll_event ev[16];
  while (open > 0) {
    int n = epoll_wait(ep, ev, 16, 100);
    for (int i = 0; i < n; ++i) {
      int fd = ev[i].data.fd;
      if (!transfer(fd, buf, 0)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        --open;
        continue;
      }
      if (!per_request) {
        work_and_answer(fd, buf);
      } else if (fork() == 0) {
        work_and_answer(fd, buf);
        _exit(0);
      }
    }
    while (per_request && waitpid(-1, NULL, WNOHANG) > 0) {
    }
  }
  while (per_request && waitpid(-1, NULL, 0) > 0) {
  }
  _exit(0);
}

struct client {
  pthread_t thread;
  int fd;
  long done;
  int failed;
};

static volatile int g_phase; /* 0 warm-up, 1 timed, 2 stop */

static void* run_client(void* arg) {
  struct client* c = arg;
  unsigned char out[kBytes], in[kBytes];
  for (int i = 0; i < kBytes; ++i) out[i] = (unsigned char)(i * 7 + 1);
  for (uint64_t seq = 1; g_phase != 2; ++seq) {
    memcpy(out, &seq, sizeof seq);
    if (!transfer(c->fd, out, 1) || !transfer(c->fd, in, 0) || memcmp(in, out, kBytes) != 0) {
      c->failed = 1;
      break;
    }
    if (g_phase == 1) ++c->done;
  }
  return NULL;
}

int main(int argc, char** argv) {
  const int clients = argc > 1 ? atoi(argv[1]) : 0;
  const int per_request = argc > 2 && strcmp(argv[2], "fork") == 0;
  if (clients < 1 || clients > kMaxClients || argc > 3 || (argc == 3 && !per_request)) {
    fprintf(stderr, "usage: %s CLIENTS (1 to %d) [fork]\n", argv[0], kMaxClients);
    return 2;
  }
  static struct client c[kMaxClients];
  static int server_end[kMaxClients];
  int ep = epoll_create1(0);
  for (int i = 0; i < clients; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    c[i].fd = sv[0];
    server_end[i] = sv[1];
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[1]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) != 0) return 1;
  }
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    for (int i = 0; i < clients; ++i) close(c[i].fd);
    serve(ep, clients, per_request);
  }
  /* The server's ends live in the server only; closing the clients' ends below ends it. */
  close(ep);
  for (int i = 0; i < clients; ++i) close(server_end[i]);
  for (int i = 0; i < clients; ++i) pthread_create(&c[i].thread, NULL, run_client, &c[i]);
  usleep(100000);
  g_phase = 1;
  const int64_t t0 = probe_now();
  usleep(500000);
  g_phase = 2;
  const double seconds = (double)(probe_now() - t0) * 1e-9;
  long total = 0;
  int failed = 0;
  for (int i = 0; i < clients; ++i) {
    pthread_join(c[i].thread, NULL);
    total += c[i].done;
    failed |= c[i].failed;
    close(c[i].fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  printf("%.0f\n", (double)total / seconds);
  return 0;
}
