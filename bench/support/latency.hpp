// Latency measured the way a floor must be (measurement rule 10): the headline mean is timed over
// batches of operations with the clock read outside the inner loop, and per-operation samples for
// the percentiles come from a separate pass, with the clock's own cost reported beside them.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "ipc/status.hpp"

namespace ptbench::bench {

// The median cost of one clock read here (two back-to-back reads, over 1000 pairs).
double timer_overhead_ns();

// Percentile counters from per-operation samples: p(q) only with n >= 10 / (1 - q) samples
// (p50 from 20, p90 from 100, p99 from 1,000, p99.9 from 10,000), max always, and the count as
// `samples`, so that a tail is never the maximum of a few hundred samples under another name.
class LatencyRecorder {
 public:
  explicit LatencyRecorder(benchmark::State& state, std::size_t capacity = 0);
  // One operation took `ns`. With set_time, it is also this iteration's time (UseManualTime).
  void add(std::int64_t ns, bool set_time = true) {
    if (set_time) state_.SetIterationTime(static_cast<double>(ns) * 1e-9);
    if (samples_.size() < samples_.capacity()) samples_.push_back(ns);
  }
  // Mean of the recorded samples.
  double mean_ns() const;
  void report();

 private:
  benchmark::State& state_;
  std::vector<std::int64_t> samples_;
};

// How many operations a batch holds: about 50 us of them, at least 1 and at most 1024.
std::uint32_t batch_size(double op_ns);

// Measures `op` (one operation; returns a Status, and an error ends the measurement): times the
// benchmark's iterations in batches (manual time, `subtract_ns` per operation taken off: a cost
// inside `op` that is not part of the interval, measured by the caller), then runs a second pass
// of per-operation samples (as many as there were iterations, at most 100,000) for the
// percentiles, and reports timer_overhead_ns beside them. `mean_ns`, when given, receives the
// batch-timed mean (the benchmark's headline time).
template <typename Op>
ipc::Status measure_latency(benchmark::State& state, Op&& op, double subtract_ns = 0,
                            double* mean_ns = nullptr) {
  std::int64_t t0 = now_ns();
  for (int i = 0; i < 16; ++i) {
    if (auto s = op(); !s) return s;
  }
  const std::uint32_t batch = batch_size(static_cast<double>(now_ns() - t0) / 16);
  ipc::Status result;
  double total_ns = 0;
  run_batches(state, batch, [&](std::uint32_t k) {
    const std::int64_t start = now_ns();
    for (std::uint32_t i = 0; i < k; ++i) {
      if (result = op(); !result) return false;
    }
    const double ns = std::max(static_cast<double>(now_ns() - start) - subtract_ns * k, 0.0);
    state.SetIterationTime(ns * 1e-9);
    total_ns += ns;
    return true;
  });
  if (!result) return result;
  if (mean_ns != nullptr && state.iterations() > 0) {
    *mean_ns = total_ns / static_cast<double>(state.iterations());
  }
  const auto n =
      static_cast<std::size_t>(std::min<benchmark::IterationCount>(state.iterations(), 100'000));
  LatencyRecorder rec(state, n);
  for (std::size_t i = 0; i < n; ++i) {
    t0 = now_ns();
    if (auto s = op(); !s) return s;
    rec.add(now_ns() - t0 - static_cast<std::int64_t>(subtract_ns), false);
  }
  rec.report();
  state.counters["timer_overhead_ns"] = timer_overhead_ns();
  return {};
}

}  // namespace ptbench::bench
