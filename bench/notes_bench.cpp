// Question: do the course notes' remaining claims hold here? What no other suite measures:
// - CowWrite: after fork a child's write to the parent's memory costs a copy-on-write fault per
//   page and stays invisible to the parent; a thread's write costs no fault and is seen at once.
// - Speedup: a fixed CPU-bound job split over more and more threads ("the more threads, the
//   faster"): where the speed-up stops and what oversubscription costs.
// - Zombie: a child that has exited stays in the process table, state Z, until its parent waits
//   for it, whether it exited or was killed; the time from its exit to the parent seeing it.
// - Footprint: the memory (PSS and USS from smaps_rollup) each worker adds, processes against
//   threads.
// - TimeSlice: two CPU-bound tasks on one CPU take turns: how long each runs before it is
//   switched out.
// - Fiber: creating and switching a user-level thread (Boost.Context), the rung below threads.
// Each result is checked (the job's checksum, the zombie's state, the visibility of writes); a
// wrong one fails the benchmark instead of giving a number.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <boost/context/fiber.hpp>
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
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/peer.hpp"
#include "ipc/shared_object.hpp"

namespace ptbench::bench {
namespace {

using ipc::Placement;
constexpr std::size_t kPage = 4096;

// A forked child that dies with us and never returns into the benchmark.
template <typename Body>
pid_t fork_child(Body&& body) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(99);
  body();
  _exit(0);
}

// waitpid that retries on EINTR; true when the child exited with status 0.
bool reap_ok(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// ---- CowWrite ----------------------------------------------------------------------------------

struct PageWrites {
  std::int64_t ns = 0, faults = 0;
  bool ok = false;
};

// One byte written into each page; the time and the writing thread's minor faults.
PageWrites write_pages(unsigned char* mem, std::size_t pages, unsigned char value) {
  const ThreadUsage u0 = ThreadUsage::now();
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < pages; ++i) mem[i * kPage] = value;
  const std::int64_t t1 = now_ns();
  return {t1 - t0, (ThreadUsage::now() - u0).minflt, true};
}

PageWrites writes_in_child(unsigned char* mem, std::size_t pages, unsigned char value) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork_child([&] {
    const PageWrites w = write_pages(mem, pages, value);
    if (write(fds[1], &w, sizeof w) != static_cast<ssize_t>(sizeof w)) _exit(3);
  });
  close(fds[1]);
  PageWrites w;
  const ssize_t got = pid > 0 ? read(fds[0], &w, sizeof w) : -1;
  close(fds[0]);
  const bool exited = pid > 0 && reap_ok(pid);
  w.ok = got == static_cast<ssize_t>(sizeof w) && exited;
  return w;
}

PageWrites writes_in_thread(unsigned char* mem, std::size_t pages, unsigned char value) {
  PageWrites w;
  std::thread t([&] { w = write_pages(mem, pages, value); });
  t.join();
  return w;
}

// Anonymous private memory in 4 KiB pages (no transparent huge pages), every page touched.
class Pages {
 public:
  explicit Pages(std::size_t pages) : bytes_(pages * kPage) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mem_ = p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
    if (mem_ == nullptr) return;
    madvise(mem_, bytes_, MADV_NOHUGEPAGE);
    std::memset(mem_, 1, bytes_);
  }
  ~Pages() {
    if (mem_ != nullptr) munmap(mem_, bytes_);
  }
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;
  unsigned char* get() const { return mem_; }

 private:
  std::size_t bytes_;
  unsigned char* mem_ = nullptr;
};

// Timed (manual): the writer's loop over the pages. Checked: a forked child's writes are not
// seen by the parent, a thread's are.
void BM_cow_write(benchmark::State& state, bool in_child, std::size_t pages) {
  Pages mem(pages);
  if (mem.get() == nullptr) return state.SkipWithError("mmap failed");
  std::int64_t ns = 0, faults = 0;
  unsigned char value = 2;
  for (auto _ : state) {
    const PageWrites w = in_child ? writes_in_child(mem.get(), pages, value)
                                  : writes_in_thread(mem.get(), pages, value);
    if (!w.ok) return state.SkipWithError("the writer did not report back");
    const bool seen = mem.get()[0] == value && mem.get()[(pages - 1) * kPage] == value;
    if (seen == in_child) {
      return state.SkipWithError(in_child ? "a forked child's write reached the parent"
                                          : "a thread's write is not visible to its process");
    }
    state.SetIterationTime(static_cast<double>(w.ns) / 1e9);
    ns += w.ns;
    faults += w.faults;
    value = static_cast<unsigned char>(value == 250 ? 2 : value + 1);
  }
  const double written = static_cast<double>(state.iterations()) * static_cast<double>(pages);
  state.counters["ns_per_page"] = static_cast<double>(ns) / written;
  state.counters["faults_per_page"] = static_cast<double>(faults) / written;
  state.counters["visible_to_parent"] = in_child ? 0 : 1;
}

// ---- Speedup -----------------------------------------------------------------------------------

constexpr std::uint64_t kJobSteps = std::uint64_t{1} << 25;

// A CPU-bound step chain (xorshift): no memory traffic, nothing to share.
std::uint64_t work(std::uint64_t seed, std::uint64_t steps) {
  std::uint64_t x = seed | 1;
  for (std::uint64_t i = 0; i < steps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

std::uint64_t share(int part, int parts) {
  return kJobSteps / static_cast<std::uint64_t>(parts) +
         (static_cast<std::uint64_t>(part) < kJobSteps % static_cast<std::uint64_t>(parts));
}

// Timed: the whole job split over `threads` threads, created and joined each time. Checked: the
// parts' results combine to what one thread computes.
void BM_speedup(benchmark::State& state, int threads) {
  std::uint64_t expected = 0;
  for (int t = 0; t < threads; ++t)
    expected += work(static_cast<std::uint64_t>(t), share(t, threads));
  for (auto _ : state) {
    std::vector<std::uint64_t> parts(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&parts, t, threads] {
        parts[static_cast<std::size_t>(t)] = work(static_cast<std::uint64_t>(t), share(t, threads));
      });
    }
    for (auto& th : pool) th.join();
    std::uint64_t sum = 0;
    for (auto p : parts) sum += p;
    if (sum != expected) return state.SkipWithError("the parts do not add up to the job");
  }
  state.counters["threads"] = threads;
  state.counters["cpus"] = static_cast<double>(ipc::allowed_cpus().size());
}

// ---- Zombie ------------------------------------------------------------------------------------

// The state letter of /proc/<pid>/stat (R, S, Z, ...), or 0 when there is no such process.
char proc_state(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
}

struct ExitStamp {
  std::atomic<std::int64_t> ns{0};
};

// The child's own end: a clean exit, or SIGKILL (an abnormal end).
void end_child(ExitStamp* stamp, bool killed) {
  stamp->ns.store(now_ns());
  if (killed) kill(getpid(), SIGKILL);
  _exit(0);
}

bool ended_as_asked(int status, bool killed) {
  return killed ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
                : WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Timed (manual): from the child's last instruction to the parent seeing it exited (waitid with
// WNOWAIT, which leaves it a zombie). Read, not assumed: the share of children /proc shows in
// state Z until the parent reaps them (zombie_fraction; the first is read again 10 ms later).
// Checked: the child ended as asked, and /proc lists nothing after waitpid.
void BM_zombie(benchmark::State& state, bool killed) {
  ipc::SharedObject<ExitStamp> stamp;
  if (!stamp.create()) return state.SkipWithError("mmap failed");
  std::int64_t reap_ns = 0, zombies = 0;
  bool first = true;
  for (auto _ : state) {
    const pid_t pid = fork_child([&] { end_child(stamp.get(), killed); });
    if (pid < 0) return state.SkipWithError("fork failed");
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    const std::int64_t seen = now_ns();
    const bool zombie = proc_state(pid) == 'Z';
    if (zombie && first) usleep(10'000);
    const bool still = !first || proc_state(pid) == 'Z';
    first = false;
    int status = 0;
    const std::int64_t r0 = now_ns();
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    reap_ns += now_ns() - r0;
    zombies += zombie && still;
    if (!ended_as_asked(status, killed)) return state.SkipWithError("the child ended another way");
    if (proc_state(pid) != 0) return state.SkipWithError("the child is still listed after waitpid");
    state.SetIterationTime(static_cast<double>(seen - stamp->ns.load()) / 1e9);
  }
  state.counters["reap_ns"] =
      benchmark::Counter(static_cast<double>(reap_ns), benchmark::Counter::kAvgIterations);
  state.counters["zombie_fraction"] =
      benchmark::Counter(static_cast<double>(zombies), benchmark::Counter::kAvgIterations);
}

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

// ---- TimeSlice ---------------------------------------------------------------------------------

constexpr std::int64_t kGapNs = 20'000;  // a pause longer than this is another task's turn
constexpr int kMaxSlices = 4096;

struct SliceLog {
  std::atomic<int> count{0};
  std::int64_t ns[kMaxSlices];
};

struct SliceLogs {
  SliceLog task[2];
  std::atomic<int> started{0};
  std::atomic<std::int64_t> deadline{0};  // set once both tasks run: the clock starts then
};

// Spins on the clock until `deadline`; each pause longer than kGapNs ends a slice, whose length
// (from the end of the previous pause) goes into the log. The first and last partial slices are
// left out.
void run_and_log_slices(std::int64_t deadline, SliceLog* log) {
  std::int64_t last = now_ns(), start = -1;
  for (std::int64_t t = last; t < deadline; t = now_ns()) {
    if (t - last > kGapNs) {
      const int i = log->count.load(std::memory_order_relaxed);
      if (start >= 0 && i < kMaxSlices) {
        log->ns[i] = last - start;
        log->count.store(i + 1, std::memory_order_relaxed);
      }
      start = t;
    }
    last = t;
  }
}

// The base slice the scheduler documents (EEVDF, debugfs), in ns, or -1 when it is not readable.
double kernel_base_slice_ns() {
  std::ifstream f("/sys/kernel/debug/sched/base_slice_ns");
  double v = -1;
  return (f >> v) ? v : -1;
}

// Two CPU-bound tasks pinned to one CPU for `duration_ns`, as processes or threads.
// The duration starts once both have started (creating them may take longer than it).
bool run_two_tasks(bool processes, int cpu, std::int64_t duration_ns, SliceLogs* logs) {
  logs->started.store(0);
  logs->deadline.store(0);
  auto task = [logs, cpu](int k) {
    ipc::pin_current_thread(cpu);
    logs->started.fetch_add(1);
    std::int64_t deadline = 0;
    while ((deadline = logs->deadline.load()) == 0) {
    }
    run_and_log_slices(deadline, &logs->task[k]);
  };
  std::thread ta, tb;
  pid_t a = -1, b = -1;
  if (processes) {
    a = fork_child([&] { task(0); });
    b = fork_child([&] { task(1); });
  } else {
    ta = std::thread(task, 0);
    tb = std::thread(task, 1);
  }
  const bool both = !processes || (a > 0 && b > 0);
  for (int waited = 0; both && logs->started.load() < 2 && waited < 5000; ++waited) usleep(1000);
  logs->deadline.store(now_ns() + duration_ns);  // also releases a lone task if one never came
  if (!processes) {
    ta.join();
    tb.join();
    return true;
  }
  const bool ok_a = a > 0 && reap_ok(a), ok_b = b > 0 && reap_ok(b);
  return ok_a && ok_b;
}

// Timed (manual): the median slice. Counted: slice percentiles, the number of slices, and the
// kernel's documented base slice when debugfs shows it.
void BM_time_slice(benchmark::State& state, bool processes, int cpu, std::int64_t duration_ns) {
  ipc::SharedObject<SliceLogs> logs;
  if (!logs.create()) return state.SkipWithError("mmap failed");
  LatencyRecorder recorder(state, 2 * kMaxSlices);
  std::vector<double> slices;
  for (auto _ : state) {
    const std::size_t before = slices.size();
    // A busy CPU can leave the two tasks too little time for a whole slice: try again, up to 20
    // times, before calling it a failure.
    for (int attempt = 0; attempt < 20 && slices.size() == before; ++attempt) {
      for (auto& t : logs->task) t.count.store(0);
      if (!run_two_tasks(processes, cpu, duration_ns, logs.get()))
        return state.SkipWithError("a task did not finish");
      for (const auto& t : logs->task) {
        for (int i = 0; i < t.count.load(); ++i) {
          slices.push_back(static_cast<double>(t.ns[i]));
          recorder.add(t.ns[i], false);
        }
      }
    }
    if (slices.size() == before) return state.SkipWithError("the tasks never took turns");
    std::vector<double> mine(slices.begin() + static_cast<long>(before), slices.end());
    std::nth_element(mine.begin(), mine.begin() + static_cast<long>(mine.size() / 2), mine.end());
    state.SetIterationTime(mine[mine.size() / 2] / 1e9);
  }
  recorder.report();  // p50_ns, p90_ns, ... of the slices, and their count as `samples`
  if (const double base = kernel_base_slice_ns(); base > 0)
    state.counters["kernel_base_slice_ns"] = base;
}

// ---- SharedData -------------------------------------------------------------------------------

// A working set touched once per hop: one write per cache line. Shared: one MAP_SHARED mapping
// both tasks touch (threads share it anyway; processes map it before fork). Private: each task
// its own copy, as processes that do not share memory hold the same data twice.
class Touched {
 public:
  explicit Touched(std::size_t bytes, bool shared) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    mem_ = p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
    if (mem_ != nullptr) std::memset(mem_, 1, bytes_);
  }
  ~Touched() {
    if (mem_ != nullptr) munmap(mem_, bytes_);
  }
  Touched(const Touched&) = delete;
  Touched& operator=(const Touched&) = delete;
  bool ok() const { return mem_ != nullptr; }
  void touch() {
    for (std::size_t i = 0; i < bytes_; i += 64) mem_[i] = static_cast<unsigned char>(mem_[i] + 1);
    benchmark::ClobberMemory();
  }

 private:
  std::size_t bytes_;
  unsigned char* mem_ = nullptr;
};

// The peer's side of the ping-pong: wait for the token, touch, answer; token 0 ends it.
void shared_data_peer(int in, int out, Touched* set, int cpu) {
  ipc::pin_current_thread(cpu);
  for (char t = 1;;) {
    if (read(in, &t, 1) != 1 || t == 0) return;
    set->touch();
    if (write(out, &t, 1) != 1) return;
  }
}

// Timed: a round trip of two hand-offs over pipes on one CPU, each task touching the working set
// before it hands over. Both tasks run on the CPU of the benchmark thread.
void BM_shared_data(benchmark::State& state, bool processes, bool shared, std::size_t kib) {
  const int cpu = ipc::allowed_cpus().front();
  ipc::ScopedPin pin(cpu);  // restored after: later benchmarks of this process get every CPU
  int to_peer[2], to_us[2];
  if (pipe2(to_peer, O_CLOEXEC) != 0) return state.SkipWithError("pipe2 failed");
  if (pipe2(to_us, O_CLOEXEC) != 0)
    return close(to_peer[0]), close(to_peer[1]), state.SkipWithError("pipe2 failed");
  Touched mine(kib * 1024, shared), other(shared ? 0 : kib * 1024, false);
  Touched* theirs = shared ? &mine : &other;
  std::thread peer_thread;
  pid_t child = -1;
  if (processes) {
    child = fork_child([&] { shared_data_peer(to_peer[0], to_us[1], theirs, cpu); });
  } else {
    peer_thread = std::thread(shared_data_peer, to_peer[0], to_us[1], theirs, cpu);
  }
  char t = 1;
  bool ok = mine.ok() && (shared || other.ok()) && (!processes || child > 0);
  for (auto _ : state) {
    if (!ok) break;
    mine.touch();
    ok = write(to_peer[1], &t, 1) == 1 && read(to_us[0], &t, 1) == 1;
  }
  t = 0;
  if (write(to_peer[1], &t, 1) != 1) ok = false;
  if (processes && child > 0) ok = reap_ok(child) && ok;
  if (!processes) peer_thread.join();
  for (int fd : {to_peer[0], to_peer[1], to_us[0], to_us[1]}) close(fd);
  if (!ok) state.SkipWithError("the ping-pong broke off");
  state.counters["ws_kib_per_task"] = static_cast<double>(kib);
}

// ---- Fiber -------------------------------------------------------------------------------------

namespace ctx = boost::context;

// Timed: creating a fiber, switching into it, and back as it ends (as thread create + join).
void BM_fiber_create(benchmark::State& state) {
  int ran = 0;
  for (auto _ : state) {
    ctx::fiber f{[&ran](ctx::fiber&& back) {
      ++ran;
      return std::move(back);
    }};
    f = std::move(f).resume();
    benchmark::DoNotOptimize(f);
  }
  if (ran != static_cast<int>(state.iterations())) state.SkipWithError("a fiber did not run");
}

// Timed: a round trip between two fibers on one thread (two switches, like the pipe ping-pong).
void BM_fiber_switch(benchmark::State& state) {
  std::int64_t trips = 0;
  bool stop = false;
  ctx::fiber peer{[&](ctx::fiber&& back) {
    while (!stop) {
      ++trips;
      back = std::move(back).resume();
    }
    return std::move(back);
  }};
  for (auto _ : state) peer = std::move(peer).resume();
  stop = true;
  peer = std::move(peer).resume();
  if (trips != static_cast<std::int64_t>(state.iterations()))
    state.SkipWithError("the peer fiber missed a switch");
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("CowWrite", "real_time", false);
  declare_primary("Speedup", "real_time", false);
  declare_primary("Zombie", "real_time", false);
  declare_primary("Footprint", "pss_kib_per_worker", false);
  declare_primary("TimeSlice", "real_time", false);
  declare_primary("SharedData", "real_time", false);
  declare_primary("Fiber", "real_time", false);
  const bool smoke = profile == Profile::kSmoke;
  const std::size_t pages = smoke ? 16 : 1024;
  for (bool child : {true, false}) {
    benchmark::RegisterBenchmark(
        grid_name("CowWrite", child ? "fork" : "thread", child ? "process" : "thread",
                  Placement::kUnpinned, kPage, {{"pages", std::to_string(pages)}})
            .c_str(),
        [child, pages](benchmark::State& s) { BM_cow_write(s, child, pages); })
        ->UseManualTime();
  }
  for (int n : smoke ? std::vector{1, 2} : std::vector{1, 2, 4, 8, 16, 64}) {
    benchmark::RegisterBenchmark(grid_name("Speedup", "xorshift", "thread", Placement::kUnpinned, 0,
                                           {{"threads", std::to_string(n)}})
                                     .c_str(),
                                 [n](benchmark::State& s) { BM_speedup(s, n); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (bool killed : {false, true}) {
    benchmark::RegisterBenchmark(
        grid_name("Zombie", killed ? "killed" : "exit", "process", Placement::kUnpinned, 0).c_str(),
        [killed](benchmark::State& s) { BM_zombie(s, killed); })
        ->UseManualTime();
  }
  for (int n : smoke ? std::vector{1, 2} : std::vector{1, 8, 64}) {
    for (bool processes : {true, false}) {
      benchmark::RegisterBenchmark(
          grid_name("Footprint", processes ? "fork" : "pthread", processes ? "process" : "thread",
                    Placement::kUnpinned, 0, {{"workers", std::to_string(n)}})
              .c_str(),
          [processes, n](benchmark::State& s) { BM_footprint(s, processes, n); })
          ->UseManualTime();
    }
  }
  const auto cpus = ipc::allowed_cpus();
  // Full: ~150 slices of ~4 ms; quick ~75, enough for the median slice (90 s for all of quick).
  const std::int64_t duration = smoke                       ? 50'000'000
                                : profile == Profile::kFull ? 600'000'000
                                                            : 300'000'000;
  for (bool processes : {true, false}) {
    benchmark::RegisterBenchmark(
        grid_name("TimeSlice", "cpu_bound", processes ? "process" : "thread", Placement::kSameCpu,
                  0, {{"tasks", "2"}})
            .c_str(),
        [processes, cpu = cpus.front(), duration](benchmark::State& s) {
          BM_time_slice(s, processes, cpu, duration);
        })
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMicrosecond);
  }
  for (std::size_t kib : smoke ? std::vector<std::size_t>{16} : std::vector<std::size_t>{1024}) {
    for (bool processes : {true, false}) {
      for (bool shared : {true, false}) {
        benchmark::RegisterBenchmark(
            grid_name("SharedData", "pipe", processes ? "process" : "thread", Placement::kSameCpu,
                      0, {{"data", shared ? "shared" : "private"}, {"ws_kib", std::to_string(kib)}})
                .c_str(),
            [processes, shared, kib](benchmark::State& s) {
              BM_shared_data(s, processes, shared, kib);
            })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  benchmark::RegisterBenchmark(
      grid_name("Fiber", "create", "fiber", Placement::kSameCpu, 0).c_str(), BM_fiber_create);
  benchmark::RegisterBenchmark(
      grid_name("Fiber", "switch", "fiber", Placement::kSameCpu, 0).c_str(), BM_fiber_switch);
}

}  // namespace ptbench::bench
