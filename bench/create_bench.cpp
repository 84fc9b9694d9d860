// Question: what does it cost to create a process, against creating a thread, on this host?
// Every benchmark creates one task that does nothing and waits for it to finish, so the timed
// interval is creation + exit + reaping unless a comment says otherwise. Real time throughout:
// CPU time does not see a child.
// The headline rows are timed in ptbench_minimal_parent (bench/minimal_parent.c: one thread, no
// atfork handlers, libc only, about 1.5 MiB resident), which this program starts and asks for
// batches, so that fork copies what a minimal process has, not this program's maps; its RSS,
// mappings and threads are reported (parent_rss_mib, parent_mappings, parent_threads).
// Mechanisms: pthread, fork (+_exit+waitpid), fork split into until the parent resumes and
// until the child runs (interval=...; the child stamps the clock into a shared page), vfork,
// posix_spawn and fork+exec of /bin/true; at same-cpu, each level across CPUs (pthread only: a
// forked child starts on its parent's CPU, so fork and vfork list that row as skipped with the
// reason) and unpinned; fork, vfork and pthread again with the parent holding touched ballast
// (rss_mib=...). The same creations from this program itself are a labelled variant (parent=suite),
// with std::thread, clone(CLONE_VM) and a hand-off to a running pool thread.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "bench/support/bench_support.hpp"
#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/minimal_parent_client.hpp"
#include "bench/support/plant.hpp"
#include "ipc/peer.hpp"

namespace ptbench::bench {
namespace {

using ipc::Placement;

// Reaps `pid` and checks that it exited with status 0; reports an error to the benchmark if not.
bool reap(benchmark::State& state, pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    state.SkipWithError("child did not exit with status 0");
    return false;
  }
  return true;
}

void* empty_thread(void*) {
  return nullptr;
}

// Timed, in ptbench_minimal_parent (a small C program: one thread, no atfork handlers, a known
// RSS): `mechanism` creates a task that exits at once and reaps it; batches of creations are timed
// with one clock read pair each, so the clock is not in the number. The parent's RSS, mappings
// and thread count are recorded beside it. Left out: the request to the minimal parent.
void BM_minimal(benchmark::State& state, const std::string& mechanism, ipc::CpuPair cpus,
                std::size_t rss_mib, std::int64_t plant) {
  std::unique_ptr<MinimalParent> parent;
  mp_reply r{};
  if (auto s = MinimalParent::start(mechanism, cpus.first, cpus.second, rss_mib, &parent, plant);
      !s || !(s = parent->batch(1, &r))) {
    return state.SkipWithError(s.message().c_str());
  }
  // About a millisecond per batch: few requests, and never seconds for a slow creation.
  const auto batch = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(1'000'000 / std::max<std::int64_t>(r.ns, 1), 1, 1000));
  mp_reply total{};
  run_batches(state, batch, [&](std::uint32_t k) {
    if (auto s = parent->batch(k, &r); !s) {
      state.SkipWithError(s.message().c_str());
      return false;
    }
    state.SetIterationTime(static_cast<double>(r.ns) * 1e-9);
    total.self_minflt += r.self_minflt;
    total.child_minflt += r.child_minflt;
    total.self_nvcsw += r.self_nvcsw;
    total.self_nivcsw += r.self_nivcsw;
    return true;
  });
  auto per_op = [](std::int64_t v) {
    return benchmark::Counter(static_cast<double>(v), benchmark::Counter::kAvgIterations);
  };
  state.counters["vcsw_per_op"] = per_op(total.self_nvcsw);
  state.counters["ivcsw_per_op"] = per_op(total.self_nivcsw);
  state.counters["minflt_per_op"] = per_op(total.self_minflt);
  state.counters["child_minflt_per_op"] = per_op(total.child_minflt);
  state.counters["parent_rss_mib"] = static_cast<double>(parent->hello().rss_kib) / 1024;
  state.counters["parent_mappings"] = static_cast<double>(parent->hello().mappings);
  state.counters["parent_threads"] = static_cast<double>(parent->hello().threads);
}

void record_parent(benchmark::State& state, const RusageCounters& usage) {
  usage.report(state);
  state.counters["parent_rss_mib"] = resident_mib();
  state.counters["parent_threads"] = thread_count();
}

// The same creations from this benchmark process (Google Benchmark, Boost, fmt and the ipc
// library mapped, the ipc library's atfork handler): what a large program pays. Timed:
// pthread_create + join of a thread that returns at once.
void BM_pthread_suite(benchmark::State& state, int cpu) {
  ipc::ScopedPin pin(cpu);
  pthread_t warm;  // the first create pays a one-time cost
  if (pthread_create(&warm, nullptr, empty_thread, nullptr) == 0) pthread_join(warm, nullptr);
  RusageCounters usage;
  for (auto _ : state) {
    pthread_t t;
    if (pthread_create(&t, nullptr, empty_thread, nullptr) != 0) {
      state.SkipWithError("pthread_create failed");
      break;
    }
    pthread_join(t, nullptr);
  }
  record_parent(state, usage);
}

// Timed, from this benchmark process: fork, the child's _exit(0), and waitpid.
void BM_fork_suite(benchmark::State& state, int cpu) {
  ipc::ScopedPin pin(cpu);
  if (pid_t warm = fork(); warm == 0) {
    _exit(0);
  } else if (warm > 0) {
    waitpid(warm, nullptr, 0);
  }
  RusageCounters usage;
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) {
      state.SkipWithError("fork failed");
      break;
    }
    if (!reap(state, pid)) break;
  }
  record_parent(state, usage);
}

// Timed: constructing a std::thread with an empty lambda, and join, from this process.
void BM_std_thread(benchmark::State& state, int cpu) {
  ipc::ScopedPin pin(cpu);
  RusageCounters usage;
  for (auto _ : state) {
    std::thread t([] {});
    t.join();
  }
  record_parent(state, usage);
}

// The child shares the parent's memory and thread pointer (no CLONE_SETTLS), so sanitizer
// bookkeeping in it would overwrite the parent thread's: keep it uninstrumented.
__attribute__((no_sanitize("thread", "address", "undefined"))) int clone_child(void*) {
  return 0;
}

// Timed: clone(CLONE_VM|SIGCHLD) onto a preallocated stack (a process that shares the address
// space, as threads do, but is reaped like a process), and waitpid. The stack's mmap is left out.
[[maybe_unused]] void BM_clone_vm(benchmark::State& state, int cpu) {
  ipc::ScopedPin pin(cpu);
  constexpr std::size_t kStack = 256 * 1024;
  void* stack =
      mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    state.SkipWithError("mmap of the clone stack failed");
    return;
  }
  RusageCounters usage;
  for (auto _ : state) {
    pid_t pid = clone(clone_child, static_cast<char*>(stack) + kStack, CLONE_VM | SIGCHLD, nullptr);
    if (pid < 0) {
      state.SkipWithError("clone failed");
      break;
    }
    if (!reap(state, pid)) break;
  }
  record_parent(state, usage);
  munmap(stack, kStack);
}

// What a thread pool pays instead of creation: handing a task to an already-running worker and
// learning that it is done (mutex + condition variable both ways). The worker's start is left out.
void BM_pool_handoff(benchmark::State& state) {
  std::mutex m;
  std::condition_variable cv;
  std::uint64_t posted = 0, done = 0;
  bool stop = false;
  std::thread worker([&] {
    std::unique_lock lock(m);
    for (;;) {
      cv.wait(lock, [&] { return stop || posted != done; });
      if (stop) return;
      ++done;  // the task
      cv.notify_all();
    }
  });
  RusageCounters usage;
  for (auto _ : state) {
    std::unique_lock lock(m);
    ++posted;
    cv.notify_all();
    // A stuck worker becomes an error, not a hang.
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return done == posted; })) {
      state.SkipWithError("worker did not finish the task within 5 s");
      break;
    }
  }
  record_parent(state, usage);
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  worker.join();
}

// Placements a creation is measured at: the parent's and the child's CPU.
struct CreatePlacement {
  Placement placement;
  ipc::CpuPair cpus;
};

// Same-cpu, then (for a child that can be placed) each level across CPUs this host offers, then
// unpinned.
std::vector<CreatePlacement> create_placements(bool cross_cpu_child) {
  std::vector<CreatePlacement> out;
  const auto all = cross_cpu_child ? with_cross({Placement::kSameCpu}, {Placement::kUnpinned})
                                   : std::vector{Placement::kSameCpu, Placement::kUnpinned};
  for (Placement p : all) {
    const auto r = ipc::cpus_for(p);
    if (r.error.empty())
      out.push_back(
          {p, p == Placement::kSameCpu ? ipc::CpuPair{r.cpus.first, r.cpus.first} : r.cpus});
  }
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

Params rss(std::size_t mib) {
  return {{"rss_mib", std::to_string(mib)}};
}

benchmark::internal::Benchmark* add(const std::string& name,
                                    std::function<void(benchmark::State&)> fn,
                                    bool manual_time = false) {
  auto* b = add_benchmark(name, std::move(fn))->Unit(benchmark::kMicrosecond);
  return manual_time ? b->UseManualTime() : b->UseRealTime();
}

// A row timed in the minimal parent, with the slowdown PTBENCH_PLANT names for it (0 unless the
// gate is being validated).
void add_minimal(const std::string& name, const std::string& mechanism, ipc::CpuPair cpus,
                 std::size_t rss_mib) {
  add(
      name,
      [mechanism, cpus, rss_mib, plant = planted_ns(name)](benchmark::State& s) {
        BM_minimal(s, mechanism, cpus, rss_mib, plant);
      },
      true);
}

// What each profile measures: the ballast sweep (MiB resident in the parent), and whether it
// runs at every placement or on one CPU only (the stable mode; the cross levels and unpinned run
// at rss 0). Quick stops at 64 MiB on one CPU: it has to stay within 90 s.
struct Budget {
  std::vector<std::size_t> ballast_mib;
  bool ballast_everywhere;
};

const Budget& budget(Profile profile) {
  static const PerProfile<Budget> table = {
      .smoke = {{0, 64}, false},
      .quick = {{0, 64}, false},
      .full = {{0, 64, 256, 1024}, true},
  };
  return table[profile];
}

// A forked child starts on its parent's CPU: its rows across CPUs are listed as skipped.
void note_cross_skips(const std::string& mech) {
  for (Placement p : ipc::offered_cross_placements()) {
    note_skipped(
        grid_name("Create", mech, "process", p, 0, rss(0)),
        "a forked child starts on its parent's CPU: no way to place it elsewhere before it runs");
  }
}

// The headline creations, from the minimal parent, over the profile's ballast sweep.
void register_minimal(Profile profile) {
  const Budget& b = budget(profile);
  for (std::string mech : {"pthread", "fork", "vfork"}) {
    for (std::size_t mib : b.ballast_mib) {
      for (const auto& [placement, cpus] : create_placements(mech == "pthread")) {
        if (placement != Placement::kSameCpu && mib != 0 && !b.ballast_everywhere) continue;
        add_minimal(grid_name("Create", mech, mech == "pthread" ? "thread" : "process", placement,
                              0, rss(mib)),
                    mech, cpus, mib);
      }
    }
    if (mech != "pthread") note_cross_skips(mech);
  }
  for (std::string mech : {"posix_spawn", "fork_exec"}) {
    for (const auto& [placement, cpus] : create_placements(false)) {
      add_minimal(grid_name("Create", mech, "process", placement, 0, rss(0)), mech, cpus, 0);
    }
  }
  for (std::string interval : {"parent_resumes", "child_runs"}) {
    for (const auto& [placement, cpus] : create_placements(false)) {
      add_minimal(grid_name("Create", "fork", "process", placement, 0,
                            {{"interval", interval}, {"rss_mib", "0"}}),
                  "fork_" + interval, cpus, 0);
    }
  }
}

// Creation from this benchmark process (parent=suite): a large program (its thread count is
// recorded; the pool hand-off row has its worker running).
void register_suite_parent() {
  Params suite = rss(0);
  suite.emplace_back("parent", "suite");
  for (const auto& [placement, cpus] : create_placements(false)) {
    const int cpu = cpus.first;
    add(grid_name("Create", "pthread", "thread", placement, 0, suite),
        [cpu](benchmark::State& s) { BM_pthread_suite(s, cpu); });
    add(grid_name("Create", "fork", "process", placement, 0, suite),
        [cpu](benchmark::State& s) { BM_fork_suite(s, cpu); });
    add(grid_name("Create", "std_thread", "thread", placement, 0, suite),
        [cpu](benchmark::State& s) { BM_std_thread(s, cpu); });
#ifndef __SANITIZE_THREAD__
    // ThreadSanitizer's runtime cannot follow a CLONE_VM child and then reports false races in
    // unrelated benchmarks; the release and ASan builds run this one.
    add(grid_name("Create", "clone_vm", "process", placement, 0, suite),
        [cpu](benchmark::State& s) { BM_clone_vm(s, cpu); });
#endif
  }
  add(grid_name("Create", "pool_handoff", "thread", Placement::kUnpinned, 0, suite),
      BM_pool_handoff);
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Create", "real_time", false);
  register_minimal(profile);
  register_suite_parent();
  benchmark::AddCustomContext(grid::kContextBaseline, "pthread");
}

}  // namespace ptbench::bench
