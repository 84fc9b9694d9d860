/* The parent that creation is timed from: a small C program with no other threads, no atfork
 * handlers and a known resident set, so that fork copies what a minimal process has and not the
 * benchmark library's maps (measurement rule 12). create_bench starts it once per benchmark and
 * asks it for batches; it times each batch itself and answers with the total.
 *
 *   ptbench_minimal_parent MECHANISM PARENT_CPU CHILD_CPU RSS_MIB [PLANT_NS]
 *
 * MECHANISM: pthread, fork, vfork, posix_spawn, fork_exec (full cycle: create, exit, reap),
 *   fork_parent_resumes (until fork returns in the parent), fork_child_runs (until the child's
 *   first instruction). CPU -1 leaves that end unpinned; a child CPU other than the parent's is
 *   allowed for pthread only (a forked child starts where its parent runs). PLANT_NS (0 by
 *   default): nanoseconds to spin inside each timed creation, a slowdown planted on purpose when
 *   the regression gate is validated (PTBENCH_PLANT, read by create_bench).
 * Protocol (binary, native byte order): after setting up and one warm-up creation it writes a
 * struct mp_hello to stdout; then for each uint32 count n read from stdin it creates n tasks and
 * writes a struct mp_reply. A count of 0 or end of input ends it with status 0; a failure writes
 * a reply with ns = -errno and exits 1. Bad arguments: a message on stderr and status 2. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/minimal_parent.h"

extern char** environ;

static const char* const kTrue = "/bin/true";

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int pin(int cpu) {
  if (cpu < 0) return 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -errno;
}

static int reap(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r != pid) return -errno;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static void* empty_thread(void* arg) {
  return arg;
}

static pthread_attr_t g_attr;
static int64_t* g_stamp;   /* a shared page the child of fork_child_runs stamps */
static int64_t g_plant_ns; /* spun inside each timed creation; 0 outside gate validation */

static void plant_spin(void) {
  if (g_plant_ns <= 0) return;
  for (const int64_t end = now_ns() + g_plant_ns; now_ns() < end;) {
  }
}

static int create_pthread(void) {
  pthread_t t;
  int e = pthread_create(&t, &g_attr, empty_thread, NULL);
  if (e != 0) return -e;
  e = pthread_join(t, NULL);
  return -e;
}

static int create_fork(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid < 0) return -errno;
  return reap(pid);
}

static int create_vfork(void) {
  pid_t pid = vfork();
  if (pid == 0) _exit(0);
  if (pid < 0) return -errno;
  return reap(pid);
}

static int create_posix_spawn(void) {
  char* argv[] = {(char*)kTrue, NULL};
  pid_t pid = 0;
  int e = posix_spawn(&pid, kTrue, NULL, NULL, argv, environ);
  if (e != 0) return -e;
  return reap(pid);
}

static int create_fork_exec(void) {
  char* argv[] = {(char*)kTrue, NULL};
  pid_t pid = fork();
  if (pid == 0) {
    execv(kTrue, argv);
    _exit(127);
  }
  if (pid < 0) return -errno;
  return reap(pid);
}

/* Times one fork interval and adds it to *ns: until fork returns (parent_resumes) or until the
 * child's first instruction stamps the shared page (child_runs). The reaping is left out. */
static int fork_interval(int child_runs, int64_t* ns) {
  __atomic_store_n(g_stamp, 0, __ATOMIC_SEQ_CST);
  const int64_t t0 = now_ns();
  plant_spin();
  pid_t pid = fork();
  if (pid == 0) {
    __atomic_store_n(g_stamp, now_ns(), __ATOMIC_SEQ_CST);
    _exit(0);
  }
  const int64_t t1 = now_ns();
  if (pid < 0) return -errno;
  int e = reap(pid);
  if (e != 0) return e;
  const int64_t end = child_runs ? __atomic_load_n(g_stamp, __ATOMIC_SEQ_CST) : t1;
  if (end < t0) return -EPROTO;
  *ns += end - t0;
  return 0;
}

typedef int (*create_fn)(void);

struct mechanism {
  const char* name;
  create_fn full_cycle; /* NULL for the two fork intervals */
  int child_runs;
};

static const struct mechanism kMechanisms[] = {
    {"pthread", create_pthread, 0},     {"fork", create_fork, 0},
    {"vfork", create_vfork, 0},         {"posix_spawn", create_posix_spawn, 0},
    {"fork_exec", create_fork_exec, 0}, {"fork_parent_resumes", NULL, 0},
    {"fork_child_runs", NULL, 1},
};

/* Creates n tasks; a full cycle is timed as one batch (two clock reads per batch). */
static int run_batch(const struct mechanism* m, uint32_t n, int64_t* ns) {
  *ns = 0;
  if (m->full_cycle == NULL) {
    for (uint32_t i = 0; i < n; ++i) {
      int e = fork_interval(m->child_runs, ns);
      if (e != 0) return e;
    }
    return 0;
  }
  const int64_t t0 = now_ns();
  for (uint32_t i = 0; i < n; ++i) {
    int e = m->full_cycle();
    if (e != 0) return e;
    plant_spin();
  }
  *ns = now_ns() - t0;
  return 0;
}

static int64_t count_lines(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return -1;
  int64_t lines = 0;
  for (int c; (c = getc(f)) != EOF;) lines += c == '\n';
  fclose(f);
  return lines;
}

static int64_t status_field(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  int64_t value = -1;
  const size_t len = strlen(key);
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, key, len) == 0) {
      value = strtoll(line + len, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

static int write_all(const void* buf, size_t len) {
  const char* p = buf;
  while (len > 0) {
    ssize_t w = write(STDOUT_FILENO, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* 1 on a count, 0 on end of input, -1 on an error. */
static int read_count(uint32_t* n) {
  char* p = (char*)n;
  size_t got = 0;
  while (got < sizeof *n) {
    ssize_t r = read(STDIN_FILENO, p + got, sizeof *n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static void rusage_delta(const struct rusage* a, const struct rusage* b, const struct rusage* ca,
                         const struct rusage* cb, struct mp_reply* r) {
  r->self_minflt = b->ru_minflt - a->ru_minflt;
  r->child_minflt = cb->ru_minflt - ca->ru_minflt;
  r->self_nvcsw = b->ru_nvcsw - a->ru_nvcsw;
  r->self_nivcsw = b->ru_nivcsw - a->ru_nivcsw;
}

static int serve(const struct mechanism* m) {
  struct mp_reply reply;
  for (;;) {
    uint32_t n = 0;
    const int got = read_count(&n);
    if (got <= 0 || n == 0) return got < 0 ? 1 : 0;
    struct rusage self0, self1, child0, child1;
    getrusage(RUSAGE_SELF, &self0);
    getrusage(RUSAGE_CHILDREN, &child0);
    memset(&reply, 0, sizeof reply);
    const int e = run_batch(m, n, &reply.ns);
    getrusage(RUSAGE_SELF, &self1);
    getrusage(RUSAGE_CHILDREN, &child1);
    rusage_delta(&self0, &self1, &child0, &child1, &reply);
    if (e != 0) reply.ns = e;
    if (write_all(&reply, sizeof reply) != 0 || e != 0) return 1;
  }
}

static int parse_int(const char* s, long min, long max, long* out) {
  char* end = NULL;
  errno = 0;
  const long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

/* Keeps `mib` MiB of touched anonymous memory resident, in 4 KiB pages (no THP, as a heap). */
static int make_ballast(long mib) {
  if (mib == 0) return 0;
  const size_t bytes = (size_t)mib << 20;
  void* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -errno;
  madvise(p, bytes, MADV_NOHUGEPAGE);
  memset(p, 0x5a, bytes);
  return 0;
}

static int setup(const struct mechanism* m, long parent_cpu, long child_cpu, long rss_mib) {
  int e = pin((int)parent_cpu);
  if (e == 0) e = make_ballast(rss_mib);
  if (e != 0) return e;
  pthread_attr_init(&g_attr);
  if (child_cpu >= 0 && child_cpu != parent_cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)child_cpu, &set);
    e = pthread_attr_setaffinity_np(&g_attr, sizeof set, &set);
    if (e != 0) return -e;
  }
  g_stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (g_stamp == MAP_FAILED) return -errno;
  int64_t warm_ns = 0;
  return run_batch(m, 1, &warm_ns); /* the first creation pays one-time costs */
}

static const struct mechanism* find_mechanism(const char* name) {
  for (size_t i = 0; i < sizeof kMechanisms / sizeof kMechanisms[0]; ++i) {
    if (strcmp(kMechanisms[i].name, name) == 0) return &kMechanisms[i];
  }
  return NULL;
}

int main(int argc, char** argv) {
  long parent_cpu = 0, child_cpu = 0, rss_mib = 0, plant_ns = 0;
  const struct mechanism* m = argc == 5 || argc == 6 ? find_mechanism(argv[1]) : NULL;
  if (m == NULL || parse_int(argv[2], -1, CPU_SETSIZE - 1, &parent_cpu) != 0 ||
      parse_int(argv[3], -1, CPU_SETSIZE - 1, &child_cpu) != 0 ||
      parse_int(argv[4], 0, 1 << 20, &rss_mib) != 0 ||
      (argc == 6 && parse_int(argv[5], 0, 1000000000, &plant_ns) != 0)) {
    fprintf(stderr,
            "usage: %s pthread|fork|vfork|posix_spawn|fork_exec|fork_parent_resumes|"
            "fork_child_runs PARENT_CPU CHILD_CPU RSS_MIB [PLANT_NS] (CPU -1: unpinned)\n",
            argc > 0 ? argv[0] : "ptbench_minimal_parent");
    return 2;
  }
  if (child_cpu != parent_cpu && m->full_cycle != create_pthread) {
    fprintf(stderr, "%s: a %s child starts on its parent's CPU; CHILD_CPU must equal PARENT_CPU\n",
            argv[0], argv[1]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the benchmark that asks */
  g_plant_ns = plant_ns;
  struct mp_hello hello;
  memset(&hello, 0, sizeof hello);
  hello.status = setup(m, parent_cpu, child_cpu, rss_mib);
  hello.rss_kib = status_field("VmRSS:");
  hello.mappings = count_lines("/proc/self/maps");
  hello.threads = status_field("Threads:");
  if (write_all(&hello, sizeof hello) != 0 || hello.status != 0) return 1;
  return serve(m);
}
