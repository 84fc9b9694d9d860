// Question: how much memory does each worker add, as a process against as a thread? Each of 1, 8
// and 64 workers touches a 256 KiB heap of its own and waits; PSS and USS from smaps_rollup
// (PSS shares a page among its users, USS is private), per worker.
// Timed (manual): starting the workers until each has touched its heap. Reported:
// pss_kib_per_worker (the primary metric), uss_kib_per_worker, heap_kib_per_worker.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "bench/support/child.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/peer.hpp"
#include "ipc/shared_object.hpp"

namespace ptbench::bench {
namespace {

using ipc::Placement;

// ---- Footprint ---------------------------------------------------------------------------------

constexpr std::size_t kWorkerHeap = 256 * 1024;  // what each worker allocates and touches

// A worker's own state: a fresh heap (its own mapping, so no allocator cache from an earlier
// iteration hides it), touched; then it waits until `release` closes.
void worker_body(int ready, int release) {
  void* heap =
      mmap(nullptr, kWorkerHeap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (heap == MAP_FAILED) return;
  std::memset(heap, 1, kWorkerHeap);
  char c = 1;
  if (write(ready, &c, 1) == 1) {
    while (read(release, &c, 1) < 0 && errno == EINTR) {
    }
  }
  munmap(heap, kWorkerHeap);
}

struct Footprint {
  double pss_kib = 0, uss_kib = 0, create_ns = 0;
  bool ok = false;
};

// The two pipes workers use: each writes a byte to `ready` once started, and waits on `release`
// until its write end is closed.
class WorkerPipes {
 public:
  WorkerPipes() { ok_ = pipe2(ready_, O_CLOEXEC) == 0 && pipe2(release_, O_CLOEXEC) == 0; }
  ~WorkerPipes() {
    for (int fd : {ready_[0], ready_[1], release_[0], release_[1]}) {
      if (fd >= 0) close(fd);
    }
  }
  WorkerPipes(const WorkerPipes&) = delete;
  WorkerPipes& operator=(const WorkerPipes&) = delete;
  bool ok() const { return ok_; }
  // What a worker runs; a forked one first closes the ends it must not hold.
  void work(bool forked) {
    if (forked) {
      close(release_[1]);  // else it would keep its own release from ever coming
      close(ready_[0]);
    }
    worker_body(ready_[1], release_[0]);
  }
  // How many of n workers said they started.
  int wait_ready(int n) {
    char c;
    int got = 0;
    while (got < n && read(ready_[0], &c, 1) == 1) ++got;
    return got;
  }
  void let_go() {
    close(release_[1]);
    release_[1] = -1;
  }

 private:
  int ready_[2] = {-1, -1}, release_[2] = {-1, -1};
  bool ok_ = false;
};

// A thread with a fresh stack of the default size (glibc reuses the stacks of joined threads,
// which would hide their memory from the second measurement on).
class FreshThread {
 public:
  static constexpr std::size_t kStack = 8 << 20;
  explicit FreshThread(WorkerPipes* pipes) : pipes_(pipes) {
    void* s = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s == MAP_FAILED) return;
    stack_ = s;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack_, kStack);
    started_ = pthread_create(&tid_, &attr, &FreshThread::run, this) == 0;
    pthread_attr_destroy(&attr);
  }
  ~FreshThread() {
    if (started_) pthread_join(tid_, nullptr);
    if (stack_ != nullptr) munmap(stack_, kStack);
  }
  FreshThread(const FreshThread&) = delete;
  FreshThread& operator=(const FreshThread&) = delete;
  bool started() const { return started_; }

 private:
  static void* run(void* self) {
    static_cast<FreshThread*>(self)->pipes_->work(false);
    return nullptr;
  }
  WorkerPipes* pipes_;
  void* stack_ = nullptr;
  pthread_t tid_{};
  bool started_ = false;
};

Footprint process_workers(int n) {
  WorkerPipes pipes;
  if (!pipes.ok()) return {};
  const Memory before = smaps_rollup("self");
  const std::int64_t t0 = now_ns();
  std::vector<pid_t> kids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork_child([&] { pipes.work(true); });
    if (pid > 0) kids.push_back(pid);
  }
  const int got = pipes.wait_ready(static_cast<int>(kids.size()));
  Footprint f{0, 0, static_cast<double>(now_ns() - t0), got == n};
  Memory after = smaps_rollup("self");
  for (pid_t pid : kids) {
    const Memory k = smaps_rollup(std::to_string(pid));
    f.ok = f.ok && k.ok;
    after.pss_kib += k.pss_kib;
    f.uss_kib += k.uss_kib / n;
  }
  f.pss_kib = (after.pss_kib - before.pss_kib) / n;
  pipes.let_go();
  for (pid_t pid : kids) f.ok = reap_ok(pid) && f.ok;
  return f;
}

Footprint thread_workers(int n) {
  WorkerPipes pipes;
  if (!pipes.ok()) return {};
  const Memory before = smaps_rollup("self");
  const std::int64_t t0 = now_ns();
  std::vector<std::unique_ptr<FreshThread>> pool;
  for (int i = 0; i < n; ++i) pool.push_back(std::make_unique<FreshThread>(&pipes));
  int started = 0;
  for (const auto& t : pool) started += t->started();
  const int got = pipes.wait_ready(started);
  Footprint f{0, 0, static_cast<double>(now_ns() - t0), got == n};
  const Memory after = smaps_rollup("self");
  f.ok = f.ok && after.ok && before.ok;
  f.pss_kib = (after.pss_kib - before.pss_kib) / n;
  f.uss_kib = (after.uss_kib - before.uss_kib) / n;
  pipes.let_go();  // every worker's read returns 0
  pool.clear();    // joins them and unmaps their stacks
  return f;
}

// Timed (manual): starting n workers until each has touched its heap. Counted: the memory each
// worker adds, as the kernel accounts it (PSS shares a page among its users; USS is private).
void BM_footprint(benchmark::State& state, bool processes, int n) {
  double pss = 0, uss = 0;
  for (auto _ : state) {
    const Footprint f = processes ? process_workers(n) : thread_workers(n);
    if (!f.ok) return state.SkipWithError("a worker did not start or its smaps were unreadable");
    state.SetIterationTime(f.create_ns / 1e9);
    pss += f.pss_kib;
    uss += f.uss_kib;
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["pss_kib_per_worker"] = pss / it;
  state.counters["uss_kib_per_worker"] = uss / it;
  state.counters["heap_kib_per_worker"] = static_cast<double>(kWorkerHeap) / 1024;
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Footprint", "pss_kib_per_worker", false);
  // Workers per row, per profile.
  static const PerProfile<std::vector<int>> kWorkers = {
      .smoke = {1, 2}, .quick = {1, 8, 64}, .full = {1, 8, 64}};
  for (int n : kWorkers[profile]) {
    for (bool processes : {true, false}) {
      add_benchmark(
          grid_name("Footprint", processes ? "fork" : "pthread", processes ? "process" : "thread",
                    Placement::kUnpinned, 0, {{"workers", std::to_string(n)}})
              .c_str(),
          [processes, n](benchmark::State& s) { BM_footprint(s, processes, n); })
          ->UseManualTime();
    }
  }
}

}  // namespace ptbench::bench
