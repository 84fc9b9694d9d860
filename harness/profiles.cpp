#include "harness/profiles.hpp"

#include "bench/support/grid.hpp"
#include "harness/host.hpp"
#include "harness/results.hpp"

namespace ptbench::harness {

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names = {"quick", "full", "ci"};
  return names;
}

std::string bench_profile(const std::string& profile) {
  return profile == "ci" ? "quick" : profile;
}

namespace {

std::vector<std::string> ci_list() {
  using grid::format;
  std::vector<std::string> out;
  // Creation from the minimal parent, both tasks on one CPU (unpinned is bimodal by placement).
  for (const char* m : {"pthread", "fork", "vfork", "posix_spawn", "fork_exec"}) {
    const char* endpoint = std::string_view(m) == "pthread" ? "thread" : "process";
    out.push_back(format("Create", m, endpoint, "same-cpu", 0, {{"rss_mib", "0"}}));
  }
  // Floors (not the heap hand-off: two spinning threads, it moved +-14% between rounds here).
  out.push_back(format("Floor", "cacheline", "thread", kCrossRef, 64));
  out.push_back(format("Floor", "memcpy", "thread", "unpinned", 65536));
  out.push_back(format("Floor", "null_syscall", "thread", "unpinned", 0));
  // Context switches on one CPU, processes and threads.
  for (const char* prim : {"pipe", "futex", "condvar"}) {
    for (const char* endpoint : {"process", "thread"}) {
      out.push_back(
          format("Switch", prim, endpoint, "same-cpu", 0, {{"tasks", "2"}, {"ws_kib", "0"}}));
    }
  }
  // IPC round trips of 64 B between processes on two CPUs (the first and the last allowed, at
  // the level they share: kCrossRef), and the thread pipe.
  for (const char* m : {"pipe", "unix_stream", "unix_dgram", "tcp", "posix_mq", "sysv_mq"})
    out.push_back(format("IpcLatency", m, "process", kCrossRef, 64));
  out.push_back(format("IpcLatency", "pipe", "thread", kCrossRef, 64));
  for (const char* policy : {"spin", "spin_futex"}) {
    out.push_back(format("IpcLatency", "shm_ring", "process", kCrossRef, 64, {{"policy", policy}}));
  }
  // Streaming 64 KiB between processes.
  for (const char* m : {"pipe", "unix_stream"})
    out.push_back(format("IpcThroughput", m, "process", kCrossRef, 65536));
  out.push_back(
      format("IpcThroughput", "shm_ring", "process", kCrossRef, 65536, {{"policy", "spin_futex"}}));
  // The control: a known cost that must come out the same between two builds.
  out.push_back(format("Calibrated", "spin_syscall", "thread", "unpinned", 0));
  return out;
}

}  // namespace

const std::vector<std::string>& ci_benchmarks() {
  static const std::vector<std::string> list = at_host_level(ci_list());
  return list;
}

std::vector<std::string> profile_programs(const std::string& profile,
                                          const std::vector<std::string>& suites,
                                          const std::vector<std::string>& validation) {
  std::vector<std::string> out = suites;
  if (profile == "ci") out.insert(out.end(), validation.begin(), validation.end());
  return out;
}

grid::Primary legacy_primary(const std::string& suite) {
  if (suite == "ipc_throughput") return {"bytes_per_second", std::string(grid::kHigherIsBetter)};
  return {"real_time", std::string(grid::kLowerIsBetter)};
}

}  // namespace ptbench::harness
