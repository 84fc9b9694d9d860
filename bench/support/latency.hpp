// Per-operation latency samples reported as percentile counters (p50, p90, p99, p99.9, max) and
// used as the benchmark's manual time, so the median and the tail come from the same samples.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ptbench::bench {

class LatencyRecorder {
 public:
  explicit LatencyRecorder(benchmark::State& state) : state_(state) {
    samples_.reserve(
        std::min<std::size_t>(static_cast<std::size_t>(state.max_iterations), 1 << 22));
  }
  // One operation took `ns`: also sets it as this iteration's time (UseManualTime).
  void add(std::int64_t ns) {
    state_.SetIterationTime(static_cast<double>(ns) * 1e-9);
    if (samples_.size() < samples_.capacity()) samples_.push_back(ns);
  }
  // Mean of the recorded samples (the benchmark's time per iteration).
  double mean_ns() const {
    if (samples_.empty()) return 0;
    double sum = 0;
    for (auto v : samples_) sum += static_cast<double>(v);
    return sum / static_cast<double>(samples_.size());
  }
  void report() {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      return static_cast<double>(
          samples_[static_cast<std::size_t>(q * static_cast<double>(samples_.size() - 1))]);
    };
    state_.counters["p50_ns"] = at(0.5);
    state_.counters["p90_ns"] = at(0.9);
    state_.counters["p99_ns"] = at(0.99);
    state_.counters["p999_ns"] = at(0.999);
    state_.counters["max_ns"] = static_cast<double>(samples_.back());
  }

 private:
  benchmark::State& state_;
  std::vector<std::int64_t> samples_;
};

}  // namespace ptbench::bench
