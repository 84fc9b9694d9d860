// Question: below threads, are user-level threads (fibers) cheaper still to create and switch?
// Boost.Context fibers on one thread.
// Timed: creating a fiber, switching into it and back as it ends (as a thread's create + join);
// a round trip between two fibers (two switches, like the pipe ping-pong). Checked: every fiber
// ran, no switch was missed.
#include <boost/context/fiber.hpp>
#include <utility>

#include "bench/support/bench_support.hpp"

namespace ptbench::bench {
namespace {

using ipc::Placement;

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

void register_benchmarks(Profile) {
  declare_primary("Fiber", "real_time", false);
  add_benchmark(grid_name("Fiber", "create", "fiber", Placement::kSameCpu, 0).c_str(),
                BM_fiber_create);
  add_benchmark(grid_name("Fiber", "switch", "fiber", Placement::kSameCpu, 0).c_str(),
                BM_fiber_switch);
}

}  // namespace ptbench::bench
