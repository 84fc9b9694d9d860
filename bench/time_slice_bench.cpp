// Question: how long does a task run before the scheduler gives the CPU to another? Two
// CPU-bound tasks pinned to one CPU spin on the clock; a pause of more than 20 us ends a slice.
// Timed (manual): the median slice. Reported: slice percentiles, their count (samples) and the
// kernel's base slice when debugfs shows it (kernel_base_slice_ns; host.csv records it too, or
// why it could not be read).
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

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("TimeSlice", "real_time", false);
  const auto cpus = ipc::allowed_cpus();
  // How long the two tasks share the CPU, per profile. Full: ~150 slices of ~4 ms; quick ~75,
  // enough for the median slice (90 s for all of quick).
  static const PerProfile<std::int64_t> kDurationNs = {
      .smoke = 50'000'000, .quick = 300'000'000, .full = 600'000'000};
  const std::int64_t duration = kDurationNs[profile];
  for (bool processes : {true, false}) {
    add_benchmark(grid_name("TimeSlice", "cpu_bound", processes ? "process" : "thread",
                            Placement::kSameCpu, 0, {{"tasks", "2"}})
                      .c_str(),
                  [processes, cpu = cpus.front(), duration](benchmark::State& s) {
                    BM_time_slice(s, processes, cpu, duration);
                  })
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace ptbench::bench
