// Question: what does it cost to create a process, against creating a thread, on this host?
// Every benchmark creates one task that does nothing and waits for it to finish, so the timed
// interval is creation + exit + reaping unless a comment says otherwise. Real time throughout:
// CPU time does not see a child.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "bench/support/bench_support.hpp"

extern char** environ;

namespace ptbench::bench {
namespace {

using ipc::Placement;
constexpr const char* kTrue = "/bin/true";

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

void report(benchmark::State& state, const RusageCounters& usage) {
  usage.report(state);
  state.counters["parent_rss_mib"] = resident_mib();
}

void* empty_thread(void*) {
  return nullptr;
}

// Timed: pthread_create of a thread that returns at once, and pthread_join. The baseline.
void BM_pthread(benchmark::State& state, std::size_t rss_mib) {
  set_resident_ballast(rss_mib);
  pthread_t warm;  // the first create after touching the ballast pays a one-time cost
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
  report(state, usage);
}

// Timed: constructing a std::thread with an empty lambda, and join. Left out: nothing else.
void BM_std_thread(benchmark::State& state, std::size_t rss_mib) {
  set_resident_ballast(rss_mib);
  RusageCounters usage;
  for (auto _ : state) {
    std::thread t([] {});
    t.join();
  }
  report(state, usage);
}

// Timed: fork, the child's _exit(0), and waitpid: the full cycle a process pays.
void BM_fork(benchmark::State& state, std::size_t rss_mib) {
  set_resident_ballast(rss_mib);
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
  report(state, usage);
}

// The fork intervals, timed manually from just before fork():
//   parent_resumes: until fork() returns in the parent (the child's exit and reaping left out);
//   child_runs: until the child's first instruction stamps the clock into a shared page.
enum class ForkInterval { kParentResumes, kChildRuns };

void BM_fork_interval(benchmark::State& state, ForkInterval interval) {
  set_resident_ballast(0);
  auto* stamp = static_cast<std::atomic<std::int64_t>*>(mmap(
      nullptr, sizeof(std::int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (stamp == MAP_FAILED) {
    state.SkipWithError("mmap of the shared stamp page failed");
    return;
  }
  RusageCounters usage;
  for (auto _ : state) {
    stamp->store(0);
    const std::int64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
      stamp->store(now_ns());
      _exit(0);
    }
    const std::int64_t t1 = now_ns();
    if (pid < 0) {
      state.SkipWithError("fork failed");
      break;
    }
    if (!reap(state, pid)) break;
    const std::int64_t end = interval == ForkInterval::kParentResumes ? t1 : stamp->load();
    if (end < t0) {
      state.SkipWithError("the child did not stamp the shared page");
      break;
    }
    state.SetIterationTime(static_cast<double>(end - t0) * 1e-9);
  }
  report(state, usage);
  munmap(stamp, sizeof(std::int64_t));
}

// Timed: vfork, the child's _exit(0) (the parent is suspended until then), and waitpid.
void BM_vfork(benchmark::State& state, std::size_t rss_mib) {
  set_resident_ballast(rss_mib);
  if (pid_t warm = vfork(); warm == 0) {
    _exit(0);
  } else if (warm > 0) {
    waitpid(warm, nullptr, 0);
  }
  RusageCounters usage;
  for (auto _ : state) {
    pid_t pid = vfork();
    if (pid == 0) _exit(0);
    if (pid < 0) {
      state.SkipWithError("vfork failed");
      break;
    }
    if (!reap(state, pid)) break;
  }
  report(state, usage);
}

// The child shares the parent's memory and thread pointer (no CLONE_SETTLS), so sanitizer
// bookkeeping in it would overwrite the parent thread's: keep it uninstrumented.
__attribute__((no_sanitize("thread", "address", "undefined"))) int clone_child(void*) {
  return 0;
}

// Timed: clone(CLONE_VM|SIGCHLD) onto a preallocated stack (a process that shares the address
// space, as threads do, but is reaped like a process), and waitpid. The stack's mmap is left out.
[[maybe_unused]] void BM_clone_vm(benchmark::State& state) {
  set_resident_ballast(0);
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
  report(state, usage);
  munmap(stack, kStack);
}

// Timed: posix_spawn of /bin/true (glibc uses clone(CLONE_VM|CLONE_VFORK)) and waitpid; the
// exec, the dynamic loader and /bin/true's run are included.
void BM_posix_spawn(benchmark::State& state) {
  set_resident_ballast(0);
  char* argv[] = {const_cast<char*>(kTrue), nullptr};
  RusageCounters usage;
  for (auto _ : state) {
    pid_t pid = 0;
    if (posix_spawn(&pid, kTrue, nullptr, nullptr, argv, environ) != 0) {
      state.SkipWithError("posix_spawn of /bin/true failed");
      break;
    }
    if (!reap(state, pid)) break;
  }
  report(state, usage);
}

// Timed: fork, execv of /bin/true in the child, and waitpid: the classic way to run a program.
void BM_fork_exec(benchmark::State& state) {
  set_resident_ballast(0);
  char* argv[] = {const_cast<char*>(kTrue), nullptr};
  RusageCounters usage;
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid == 0) {
      execv(kTrue, argv);
      _exit(127);
    }
    if (pid < 0) {
      state.SkipWithError("fork failed");
      break;
    }
    if (!reap(state, pid)) break;
  }
  report(state, usage);
}

// What a thread pool pays instead of creation: handing a task to an already-running worker and
// learning that it is done (mutex + condition variable both ways). The worker's start is left out.
void BM_pool_handoff(benchmark::State& state) {
  set_resident_ballast(0);
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
  report(state, usage);
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  worker.join();
}

}  // namespace

void register_benchmarks(Profile profile) {
  const auto unpinned = Placement::kUnpinned;
  auto rss = [](std::size_t mib) {
    return std::vector<std::pair<std::string, std::string>>{{"rss_mib", std::to_string(mib)}};
  };
  auto add = [](const std::string& name, auto fn, bool manual_time = false) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond);
    return manual_time ? b->UseManualTime() : b->UseRealTime();
  };

  std::vector<std::size_t> sweep = {0, 64};
  if (profile != Profile::kSmoke) sweep.push_back(256);
  if (profile == Profile::kFull) sweep.push_back(1024);
  for (std::size_t mib : sweep) {
    add(grid_name("Create", "pthread", "thread", unpinned, 0, rss(mib)),
        [mib](benchmark::State& s) { BM_pthread(s, mib); });
    add(grid_name("Create", "fork", "process", unpinned, 0, rss(mib)),
        [mib](benchmark::State& s) { BM_fork(s, mib); });
    add(grid_name("Create", "vfork", "process", unpinned, 0, rss(mib)),
        [mib](benchmark::State& s) { BM_vfork(s, mib); });
  }
  add(grid_name("Create", "std_thread", "thread", unpinned, 0, rss(0)),
      [](benchmark::State& s) { BM_std_thread(s, 0); });
#ifndef __SANITIZE_THREAD__
  // ThreadSanitizer's runtime cannot follow a CLONE_VM child and then reports false races in
  // unrelated benchmarks; the release and ASan builds run this one.
  add(grid_name("Create", "clone_vm", "process", unpinned, 0, rss(0)), BM_clone_vm);
#endif
  add(grid_name("Create", "posix_spawn", "process", unpinned, 0, rss(0)), BM_posix_spawn);
  add(grid_name("Create", "fork_exec", "process", unpinned, 0, rss(0)), BM_fork_exec);
  add(grid_name("Create", "pool_handoff", "thread", unpinned, 0, rss(0)), BM_pool_handoff);
  for (auto [label, interval] : {std::pair{"parent_resumes", ForkInterval::kParentResumes},
                                 std::pair{"child_runs", ForkInterval::kChildRuns}}) {
    auto params = rss(0);
    params.insert(params.begin(), {"interval", label});
    add(
        grid_name("Create", "fork", "process", unpinned, 0, params),
        [interval](benchmark::State& s) { BM_fork_interval(s, interval); }, true);
  }
  benchmark::AddCustomContext("ptbench_baseline_mechanism", "pthread");
}

}  // namespace ptbench::bench
