// Question: does a program get faster with more threads ("the more threads, the faster")? A
// fixed CPU-bound job (a xorshift chain: no memory traffic, nothing to share) split over 1, 2, 4,
// 8, 16 and 64 threads: where the speed-up stops and what oversubscription costs.
// Timed (real): the whole job, its threads created and joined each time. Reported: threads and
// the CPUs this process may use (cpus). Checked: the parts' results combine to what one thread
// computes.
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

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Speedup", "real_time", false);
  // Workers per row, per profile.
  static const PerProfile<std::vector<int>> kWorkers = {
      .smoke = {1, 2}, .quick = {1, 2, 4, 8, 16, 64}, .full = {1, 2, 4, 8, 16, 64}};
  for (int n : kWorkers[profile]) {
    add_benchmark(grid_name("Speedup", "xorshift", "thread", Placement::kUnpinned, 0,
                            {{"threads", std::to_string(n)}})
                      .c_str(),
                  [n](benchmark::State& s) { BM_speedup(s, n); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace ptbench::bench
