#include "bench/support/latency.hpp"

namespace ptbench::bench {

double timer_overhead_ns() {
  std::vector<std::int64_t> d(1000);
  for (auto& v : d) {
    const std::int64_t a = now_ns();
    v = now_ns() - a;
  }
  std::nth_element(d.begin(), d.begin() + 500, d.end());
  return static_cast<double>(d[500]);
}

LatencyRecorder::LatencyRecorder(benchmark::State& state, std::size_t capacity) : state_(state) {
  if (capacity == 0) {
    capacity = std::min<std::size_t>(static_cast<std::size_t>(state.max_iterations), 1 << 22);
  }
  samples_.reserve(capacity);
}

double LatencyRecorder::mean_ns() const {
  if (samples_.empty()) return 0;
  double sum = 0;
  for (auto v : samples_) sum += static_cast<double>(v);
  return sum / static_cast<double>(samples_.size());
}

void LatencyRecorder::report() {
  state_.counters["samples"] = static_cast<double>(samples_.size());
  if (samples_.empty()) return;
  std::sort(samples_.begin(), samples_.end());
  const auto n = static_cast<double>(samples_.size());
  auto put = [&](const char* name, double q) {
    if (n < 10 / (1 - q) - 1e-9) return;
    state_.counters[name] = static_cast<double>(samples_[static_cast<std::size_t>(q * (n - 1))]);
  };
  put("p50_ns", 0.5);
  put("p90_ns", 0.9);
  put("p99_ns", 0.99);
  put("p999_ns", 0.999);
  state_.counters["max_ns"] = static_cast<double>(samples_.back());
}

std::uint32_t batch_size(double op_ns) {
  const double n = 50'000 / std::max(op_ns, 1.0);
  return static_cast<std::uint32_t>(std::clamp(n, 1.0, 1024.0));
}

}  // namespace ptbench::bench
