// BM_Calibrated: an operation whose cost is set from outside, so that `ptbench ab` can be
// validated against a slowdown of known size. One operation makes one system call (getppid) and
// then spins on the monotonic clock until PTBENCH_CALIBRATED_NS nanoseconds (default 2000) have
// passed since it began: it costs that long whatever the system call took (plus the overshoot of
// one clock read), so planting a 10% slowdown on one side of an A/B run is
// PTBENCH_CALIBRATED_NS=2200 there. Preemption and the VM's steal time are its only noise.
//
// It is not part of the quick or full profiles (it measures nothing about the host); the `ci`
// profile carries it as a control: in a gate between two builds it must come out "same".
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bench/support/bench_support.hpp"

namespace ptbench::bench {
namespace {

constexpr std::int64_t kDefaultNs = 2000;

// The operation's spin time: the environment variable, or the default; a value that is not a
// whole number of nanoseconds from 1 to 10^9 stops the program with exit code 2.
std::int64_t calibrated_ns() {
  const char* text = std::getenv("PTBENCH_CALIBRATED_NS");
  if (text == nullptr) return kDefaultNs;
  const std::string_view s(text);
  std::int64_t ns = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ns);
  if (ec != std::errc() || end != s.data() + s.size() || ns < 1 || ns > 1'000'000'000) {
    std::fprintf(stderr,
                 "calibrated_bench: PTBENCH_CALIBRATED_NS='%s' is not a whole number of "
                 "nanoseconds from 1 to 1000000000\n",
                 text);
    std::exit(2);
  }
  return ns;
}

// Timed: one system call, then spin until `ns` have passed since the operation began.
void BM_calibrated(benchmark::State& state, std::int64_t ns) {
  for (auto _ : state) {
    const std::int64_t until = now_ns() + ns;
    benchmark::DoNotOptimize(syscall(SYS_getppid));
    while (now_ns() < until) {
    }
  }
  state.counters["calibrated_ns"] = static_cast<double>(ns);
}

}  // namespace

void register_benchmarks(Profile) {
  declare_primary("Calibrated", "real_time", false);
  const std::int64_t ns = calibrated_ns();
  add_benchmark(
      grid_name("Calibrated", "spin_syscall", "thread", ipc::Placement::kUnpinned, 0).c_str(),
      [ns](benchmark::State& s) { BM_calibrated(s, ns); })
      ->UseRealTime()
      ->Unit(benchmark::kNanosecond);
}

}  // namespace ptbench::bench
