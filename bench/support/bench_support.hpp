// Shared helpers for the benchmark programs: the profile, benchmark names on the grid, clocks,
// getrusage counters, and the process's resident size and thread count.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/support/grid.hpp"
#include "ipc/placement.hpp"

namespace ptbench::bench {

// smoke: every code path once, for ctest; quick: the default run; full: the whole grid.
enum class Profile { kSmoke, kQuick, kFull };

// Each benchmark program defines this; the shared main calls it with the chosen profile.
void register_benchmarks(Profile profile);

// A program's budget, one entry per profile: what each profile measures written as one table
// (a `Budget` struct per program), not as conditionals spread through its registration.
template <typename Budget>
struct PerProfile {
  Budget smoke, quick, full;
  const Budget& operator[](Profile p) const {
    return p == Profile::kSmoke ? smoke : p == Profile::kQuick ? quick : full;
  }
};

// The iteration plan: `ptbench run` measures each row once with Google Benchmark's ramp (1, 10,
// 100... iterations, each step a separate call with its own set-up: a peer forked, a ballast
// faulted in) and passes the count the ramp settled on to later rounds
// (--ptbench_iterations=FILE, lines "<registered name>\t<iterations>"), so they run it in one
// call. The budget scales with what this host measured; every round runs the same count.
// Loads the file; false with `why` when it cannot be read or a line is not "name\tcount".
bool load_iteration_plan(const std::string& path, std::string* why);
// The planned count for `name`, or 0 when the plan does not name it (the ramp decides).
benchmark::IterationCount planned_iterations(const std::string& name);

// Registers `fn` as the benchmark `name` with its planned iteration count, if any. Every
// program registers through this (a test greps for direct RegisterBenchmark calls); a count
// set on the result afterwards (->Iterations(1)) overrides the plan.
template <typename Fn>
benchmark::internal::Benchmark* add_benchmark(const std::string& name, Fn&& fn) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), std::forward<Fn>(fn));
  if (const auto n = planned_iterations(name); n > 0) b->Iterations(n);
  return b;
}

// BM_<Question>/<mechanism>/<endpoint>/<placement>/<bytes>[/key=value...]: the grid that code,
// CSV and charts share. Params use '=' so they never clash with Google Benchmark's "key:value".
std::string grid_name(std::string_view question, std::string_view mechanism,
                      std::string_view endpoint, ipc::Placement placement, std::size_t bytes,
                      const std::vector<std::pair<std::string, std::string>>& params = {});

// `first`, then every placement across two CPUs that this host offers
// (ipc::offered_cross_placements: smt to cross-package), then `last`: a grid measures each level
// the topology has; host.csv (placements_skipped) says why the others are not there.
inline std::vector<ipc::Placement> with_cross(std::vector<ipc::Placement> first,
                                              const std::vector<ipc::Placement>& last = {}) {
  const auto cross = ipc::offered_cross_placements();
  first.insert(first.end(), cross.begin(), cross.end());
  first.insert(first.end(), last.begin(), last.end());
  return first;
}

// Declares the metric that rows of BM_<question> are judged on and whether higher is better;
// every question a program registers needs one (a contract test checks), and the harness reads
// it instead of guessing from names. Call it in register_benchmarks.
void declare_primary(std::string_view question, std::string_view metric, bool higher_is_better);
// What the program declared: question -> metric and direction.
const std::map<std::string, grid::Primary>& declared_primaries();

inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// A warm-up of at most `count` operations or about 2 ms, whichever ends first, so that a slow
// case (a 1 MiB message, a 4 MiB working set) does not warm up for seconds.
class WarmUp {
 public:
  explicit WarmUp(int count) : left_(count), start_(now_ns()) {}
  // Google Benchmark calls a benchmark once per step of its iteration ramp: each call warms up.
  bool more() { return left_-- > 0 && now_ns() - start_ < 2'000'000; }

 private:
  int left_;
  std::int64_t start_;
};

// Runs the benchmark's iterations in batches of at most `batch`: `run(k)` performs k operations
// and returns false to stop (after SkipWithError). The iteration count stays exactly the one
// Google Benchmark planned, so that repetitions agree on it whatever batch each one chose.
template <typename Run>
void run_batches(benchmark::State& state, std::uint32_t batch, Run&& run) {
  auto remaining = static_cast<std::uint64_t>(state.max_iterations);
  for (;;) {
    const std::uint64_t k = remaining == 0 ? 1 : std::min<std::uint64_t>(batch, remaining);
    if (!state.KeepRunningBatch(static_cast<benchmark::IterationCount>(k))) return;
    remaining -= k;
    if (!run(static_cast<std::uint32_t>(k))) return;
  }
}

// Context switches and page faults over the timed loop, reported per iteration. SELF covers the
// benchmark process and its joined threads; CHILDREN covers the children it has waited for.
class RusageCounters {
 public:
  RusageCounters();
  void report(benchmark::State& state) const;

 private:
  rusage self_{};
  rusage children_{};
};

// One thread's own context switches and page faults (RUSAGE_THREAD), so that each end of a
// measurement reports its own counters whether its peer is a thread or a process.
struct ThreadUsage {
  std::int64_t vcsw = 0, ivcsw = 0, minflt = 0;
  static ThreadUsage now();
  ThreadUsage operator-(const ThreadUsage& o) const {
    return {vcsw - o.vcsw, ivcsw - o.ivcsw, minflt - o.minflt};
  }
};

// Reports `mine` and `peer` per operation: vcsw_per_op, ivcsw_per_op, minflt_per_op and the same
// with a peer_ prefix.
void report_thread_usage(benchmark::State& state, const ThreadUsage& mine, const ThreadUsage& peer,
                         double ops);

// This process's resident set size in MiB (from /proc/self/statm), or -1 if unreadable.
double resident_mib();

// CPU time of the calling thread so far (user and system), in ns.
std::int64_t thread_cpu_ns();

struct Memory {
  double pss_kib = 0, uss_kib = 0;
  bool ok = false;
};

// PSS and USS (private clean + private dirty) of a process ("self" or a pid), from
// /proc/<pid>/smaps_rollup.
Memory smaps_rollup(const std::string& pid);

// This process's thread count (from /proc/self/status), or -1 if unreadable.
double thread_count();

}  // namespace ptbench::bench
