/* pipe_probe CPU_A CPU_B [thread|thread-unshared]: 64-byte round trips over two pipes between a
 * parent and a forked child: ns per round trip. With `thread`, each of the two processes first
 * starts one more thread that blocks for good (as each of the suite's processes has its watchdog
 * thread): an experiment on what a second thread in a process costs the switches between
 * processes. With `thread-unshared`, that thread first leaves the process's file descriptor table
 * (close_range with CLOSE_RANGE_UNSHARE, as the suite's watchdog does): while a table is shared,
 * each read and write takes and drops a reference on its file. */
#include <linux/close_range.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_common.h"

enum { kBytes = 64, kBatch = 200, kBatches = 50 };

static int full(ssize_t (*io)(int, void*, size_t), int fd, char* buf) {
  size_t done = 0;
  while (done < kBytes) {
    ssize_t n = io(fd, buf + done, kBytes - done);
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

static ssize_t write_io(int fd, void* buf, size_t len) {
  return write(fd, buf, len);
}

static void* blocked(void* unshare) {
  if (unshare != NULL && close_range(3, ~0U, CLOSE_RANGE_UNSHARE) != 0) {
    perror("pipe_probe: close_range");
    exit(1);
  }
  for (;;) pause();
  return NULL;
}

/* Starts a thread that blocks for good (exit ends it with the process); 2: one that first leaves
 * the descriptor table. */
static void second_thread(int wanted) {
  pthread_t t;
  static int unshare = 1;
  if (wanted && pthread_create(&t, NULL, blocked, wanted == 2 ? &unshare : NULL) != 0) {
    fprintf(stderr, "pipe_probe: cannot start a thread\n");
    exit(1);
  }
}

int main(int argc, char** argv) {
  const int a = probe_cpu_arg(argc, argv, 1), b = probe_cpu_arg(argc, argv, 2);
  const int thread = argc != 4                                 ? 0
                     : strcmp(argv[3], "thread") == 0          ? 1
                     : strcmp(argv[3], "thread-unshared") == 0 ? 2
                                                               : 0;
  if (argc > 4 || (argc == 4 && !thread)) {
    fprintf(stderr, "usage: pipe_probe CPU_A CPU_B [thread|thread-unshared]\n");
    return 2;
  }
  int to[2], back[2];
  if (pipe(to) != 0 || pipe(back) != 0) return 1;
  char buf[kBytes] = {1};
  const pid_t pid = fork();
  if (pid == 0) {
    second_thread(thread);
    probe_pin(b);
    close(to[1]);
    close(back[0]);
    while (full(read, to[0], buf) == 0) {
      if (full(write_io, back[1], buf) != 0) _exit(1);
    }
    _exit(0);
  }
  second_thread(thread);
  close(to[0]);
  close(back[1]);
  probe_pin(a);
  static double mean[kBatches];
  for (int k = -5; k < kBatches; ++k) {
    const int64_t t0 = probe_now();
    for (int i = 0; i < kBatch; ++i) {
      if (full(write_io, to[1], buf) != 0 || full(read, back[0], buf) != 0) return 1;
    }
    if (k >= 0) mean[k] = (double)(probe_now() - t0) / kBatch;
  }
  close(to[1]);
  waitpid(pid, NULL, 0);
  printf("%.1f\n", probe_mean(mean, kBatches));
  return 0;
}
